//! Circuit-specific key generation and key files.
//!
//! **Development setup.** [`setup`] samples the trapdoor (the "toxic waste")
//! on this machine and drops it from memory when it returns; whoever ran it
//! could have kept it and could forge proofs. Keys made this way are for
//! development and testing. Production keys need a multi-party ceremony
//! (e.g. a Powers of Tau plus a circuit-specific phase 2).

use crate::files::write_atomic;
use crate::{Assignment, Error, PhaseTimings, Prover, Result};
use ark_bn254::{Bn254, Fr};
use ark_groth16::{Groth16, ProvingKey};
use ark_relations::gr1cs::ConstraintSynthesizer;
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize, Compress, Validate};
use ark_std::rand::{CryptoRng, RngCore};
use stateproof_circuits::circuit::{AnyShape, Circuit, CircuitShape, CircuitSpec, ShapeError};
use stateproof_kernels::{MsmBackend, NttBackend};
use stateproof_verifier::{CompressedUpdate, VerifyingKey};
use std::path::Path;

/// The warning that every key file, command and document carries.
pub const DEVELOPMENT_SETUP_WARNING: &str = "DEVELOPMENT SETUP: keys made on one machine, whose \
trapdoor could have been kept by whoever ran it; not a ceremony, not for production.";

/// Header of a proving-key file: a text line a person can read with `head`.
pub const PK_MAGIC: &[u8] = b"stateproof proving key v1\n";

/// A proving key, its verifying key, and the shape of the circuit they
/// belong to.
#[derive(Clone)]
pub struct Keys {
    /// The circuit and its shape.
    pub shape: AnyShape,
    /// ark-groth16's proving key (it embeds ark's verifying key).
    pub proving_key: ProvingKey<Bn254>,
    /// The light verifier's form of the verifying key.
    pub verifying_key: VerifyingKey,
}

/// Cryptographic randomness from the operating system.
pub fn os_rng() -> ark_std::rand::rngs::OsRng {
    ark_std::rand::rngs::OsRng
}

/// Converts ark-groth16's verifying key to the light verifier's, with the
/// circuit's identity.
pub fn light_verifying_key(
    shape: &AnyShape,
    vk: &ark_groth16::VerifyingKey<Bn254>,
) -> VerifyingKey {
    VerifyingKey {
        circuit_id: shape.spec().id.to_string(),
        params: shape.params(),
        input_names: shape.spec().inputs.iter().map(|n| n.to_string()).collect(),
        alpha_g1: vk.alpha_g1,
        beta_g2: vk.beta_g2,
        gamma_g2: vk.gamma_g2,
        delta_g2: vk.delta_g2,
        gamma_abc_g1: vk.gamma_abc_g1.clone(),
    }
}

/// Generates keys for `circuit` (a **development setup**, see the module docs).
pub fn setup<C: ConstraintSynthesizer<Fr>>(
    circuit: C,
    rng: &mut (impl RngCore + CryptoRng),
) -> Result<ProvingKey<Bn254>> {
    Ok(Groth16::<Bn254>::generate_random_parameters_with_reduction(circuit, rng)?)
}

/// Why keys do not fit: the circuit and shape they are for, and what was
/// asked of them, in the user's words.
fn mismatch(have: &AnyShape, want: &dyn std::fmt::Display) -> Error {
    Error::KeyMismatch(format!(
        "the key is for {} with {}; {want}",
        have.spec().id,
        have.describe()
    ))
}

impl Keys {
    /// Bundles a proving key with its circuit's shape.
    pub fn new(shape: impl Into<AnyShape>, proving_key: ProvingKey<Bn254>) -> Result<Self> {
        let shape = shape.into();
        let inputs = shape.spec().inputs.len();
        if inputs + 1 != proving_key.vk.gamma_abc_g1.len() {
            return Err(Error::KeyMismatch(format!(
                "{} declares {inputs} public inputs, the key has {}",
                shape.spec().id,
                proving_key.vk.gamma_abc_g1.len().saturating_sub(1)
            )));
        }
        let verifying_key = light_verifying_key(&shape, &proving_key.vk);
        Ok(Self { shape, proving_key, verifying_key })
    }

    /// Keys for the circuit `C` of `shape`, from a **development setup**
    /// (see the module docs).
    pub fn setup<C: Circuit>(
        shape: &C::Shape,
        rng: &mut (impl RngCore + CryptoRng),
    ) -> Result<Self> {
        Self::new(shape.clone(), setup(C::for_setup(shape), rng)?)
    }

    /// The circuit's declaration.
    pub fn spec(&self) -> &'static CircuitSpec {
        self.shape.spec()
    }

    /// The shape as the type a domain needs; keys for another circuit are
    /// refused, naming both.
    pub fn shape_as<S>(&self) -> Result<S>
    where
        S: CircuitShape + for<'a> TryFrom<&'a AnyShape, Error = ShapeError>,
    {
        S::try_from(&self.shape)
            .map_err(|_| mismatch(&self.shape, &format!("a {} key is needed", S::kind())))
    }

    /// The verifying key's blake3 fingerprint.
    pub fn fingerprint(&self) -> [u8; 32] {
        self.verifying_key.fingerprint()
    }

    /// Proves `circuit` with fresh randomness and wraps the proof and its
    /// public inputs (in the declared order) into a compressed update. A
    /// circuit of another shape than the key's is refused, naming both.
    pub fn prove<C, M, N>(
        &self,
        prover: &Prover<M, N>,
        circuit: C,
    ) -> Result<(CompressedUpdate, PhaseTimings)>
    where
        C: Circuit,
        M: MsmBackend,
        N: NttBackend,
    {
        let inputs = self.inputs_of(&circuit)?;
        self.wrap(inputs, |r, s| prover.prove(circuit, r, s))
    }

    /// [`Keys::prove`] for an assignment of `circuit` synthesized
    /// beforehand ([`Prover::prove_synthesized`]: the prover must have
    /// kept its matrices). An assignment whose public inputs are not
    /// `circuit`'s is refused.
    pub fn prove_synthesized<C, M, N>(
        &self,
        prover: &Prover<M, N>,
        circuit: &C,
        assignment: &Assignment,
    ) -> Result<(CompressedUpdate, PhaseTimings)>
    where
        C: Circuit,
        M: MsmBackend,
        N: NttBackend,
    {
        let inputs = self.inputs_of(circuit)?;
        if assignment.public_inputs() != inputs.as_slice() {
            return Err(Error::KeyMismatch(
                "the assignment's public inputs are not the circuit's".into(),
            ));
        }
        self.wrap(inputs, |r, s| prover.prove_synthesized(assignment, r, s))
    }

    /// `circuit`'s public inputs, once its shape is checked to be the key's.
    fn inputs_of<C: Circuit>(&self, circuit: &C) -> Result<Vec<Fr>> {
        let shape: AnyShape = circuit.shape().into();
        if shape != self.shape {
            let want = format!("the circuit is {} with {}", shape.spec().id, shape.describe());
            return Err(mismatch(&self.shape, &want));
        }
        let inputs = circuit.public_inputs();
        if inputs.len() != self.spec().inputs.len() {
            return Err(Error::KeyMismatch(format!(
                "{} public inputs for a key with {}",
                inputs.len(),
                self.spec().inputs.len()
            )));
        }
        Ok(inputs)
    }

    /// Proves with fresh randomness and wraps the proof with `inputs`, in
    /// the declared order, into a compressed update.
    fn wrap(
        &self,
        inputs: Vec<Fr>,
        prove: impl FnOnce(Fr, Fr) -> Result<(ark_groth16::Proof<Bn254>, PhaseTimings)>,
    ) -> Result<(CompressedUpdate, PhaseTimings)> {
        use ark_ff::UniformRand;
        let mut rng = os_rng();
        let (r, s) = (Fr::rand(&mut rng), Fr::rand(&mut rng));
        let (proof, timings) = prove(r, s)?;
        let update = CompressedUpdate {
            circuit_id: self.spec().id.to_string(),
            params: self.shape.params(),
            vk_fingerprint: self.fingerprint(),
            public_inputs: self.spec().inputs.iter().map(|n| n.to_string()).zip(inputs).collect(),
            proof: stateproof_verifier::Proof { a: proof.a, b: proof.b, c: proof.c },
        };
        Ok((update, timings))
    }

    /// Writes the proving key file: a readable header (with the
    /// development-setup warning), the circuit id and parameters, then the
    /// key in ark-serialize's uncompressed form. Written atomically.
    pub fn save_proving_key(&self, path: &Path) -> Result<()> {
        let mut out = Vec::new();
        out.extend_from_slice(PK_MAGIC);
        out.extend_from_slice(b"# ");
        out.extend_from_slice(DEVELOPMENT_SETUP_WARNING.as_bytes());
        out.push(b'\n');
        let header = serde_json::json!({
            "circuit_id": self.spec().id,
            "params": self.shape.params(),
            "input_names": self.spec().inputs,
        });
        out.extend_from_slice(header.to_string().as_bytes());
        out.push(b'\n');
        self.proving_key
            .serialize_uncompressed(&mut out)
            .map_err(|e| Error::KeyFile(e.to_string()))?;
        write_atomic(path, &out)
    }

    /// Reads a proving key file, validating every point, and checks that it
    /// belongs with `vk` when one is given.
    pub fn load_proving_key(path: &Path, vk: Option<&VerifyingKey>) -> Result<Self> {
        Self::proving_key_from_bytes(&crate::files::read(path)?, &path.display().to_string(), vk)
    }

    /// Reads the bytes of a proving key file (from `origin`, named in
    /// errors), as [`Keys::load_proving_key`] does.
    pub fn proving_key_from_bytes(
        bytes: &[u8],
        origin: &str,
        vk: Option<&VerifyingKey>,
    ) -> Result<Self> {
        let bad = |why: &str| Error::KeyFile(format!("{origin}: {why}"));
        let rest =
            bytes.strip_prefix(PK_MAGIC).ok_or_else(|| bad("not a stateproof proving key"))?;
        let mut lines = rest.splitn(3, |b| *b == b'\n');
        let _warning = lines.next().ok_or_else(|| bad("truncated header"))?;
        let header = lines.next().ok_or_else(|| bad("truncated header"))?;
        let body = lines.next().ok_or_else(|| bad("truncated key"))?;
        #[derive(serde::Deserialize)]
        struct Header {
            circuit_id: String,
            params: Vec<(String, u64)>,
            input_names: Vec<String>,
        }
        let header: Header =
            serde_json::from_slice(header).map_err(|e| bad(&format!("header: {e}")))?;
        let shape = AnyShape::parse(&header.circuit_id, &header.params)
            .map_err(|e| bad(&format!("header: {e}")))?;
        if header.input_names != shape.spec().inputs {
            return Err(bad(&format!(
                "header: input_names are [{}], {} declares [{}]",
                header.input_names.join(", "),
                shape.spec().id,
                shape.spec().inputs.join(", ")
            )));
        }
        let proving_key =
            ProvingKey::<Bn254>::deserialize_with_mode(body, Compress::No, Validate::Yes)
                .map_err(|e| bad(&format!("corrupt key: {e}")))?;
        let keys = Self::new(shape, proving_key).map_err(|e| bad(&e.to_string()))?;
        if let Some(vk) = vk {
            if vk.fingerprint() != keys.fingerprint() {
                return Err(bad("this proving key does not belong with the verifying key given"));
            }
        }
        Ok(keys)
    }

    /// Writes the verifying key (the light verifier's binary form).
    pub fn save_verifying_key(&self, path: &Path) -> Result<()> {
        write_atomic(path, &self.verifying_key.to_bytes())
    }
}

/// Reads a verifying key file.
pub fn load_verifying_key(path: &Path) -> Result<VerifyingKey> {
    VerifyingKey::from_bytes(&crate::files::read(path)?)
        .map_err(|e| Error::KeyFile(format!("{}: not a usable verifying key: {e}", path.display())))
}

/// Size in bytes of a proving key in uncompressed form.
pub fn proving_key_size(pk: &ProvingKey<Bn254>) -> usize {
    pk.uncompressed_size()
}

/// The number of constraints of `circuit`, from a setup-mode synthesis.
pub fn count_constraints<C: ConstraintSynthesizer<Fr>>(circuit: C) -> Result<usize> {
    let cs = ark_relations::gr1cs::ConstraintSystem::new_ref();
    cs.set_mode(ark_relations::gr1cs::SynthesisMode::Setup);
    circuit.generate_constraints(cs.clone())?;
    Ok(cs.num_constraints())
}
