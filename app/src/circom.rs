//! circom and snarkjs interop: proving from a `.zkey` and a `.wtns`
//! (rapidsnark's arguments), verifying snarkjs's JSON, ark-groth16 on the
//! same circuit for timings, and exports to snarkjs and Solidity.

use crate::backend::BackendOptions;
use crate::files::{self, check_writable, write_json};
use crate::progress::{step, Progress};
use crate::text::secs;
use crate::transfer::{load_vk, read_update};
use crate::{AppError, Result};
use ark_ff::UniformRand;
use serde::Serialize;
use stateproof_prover::circom::{
    load_zkey, parse_r1cs, parse_wtns, CircomError, R1csCircuit, Validation, ZkeyProver,
};
use stateproof_verifier::{snarkjs, Fr, VerifyingKey};
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn circom_error(path: &Path) -> impl Fn(CircomError) -> AppError + '_ {
    move |e| match e {
        CircomError::Witness(_) => AppError::invalid(format!("{}: {e}", path.display())),
        _ => AppError::unusable(format!("{}: {e}", path.display())),
    }
}

/// The files `groth16 prove` reads and writes, in rapidsnark's order.
pub struct ProveFiles<'a> {
    /// The snarkjs zkey.
    pub zkey: &'a Path,
    /// The circom witness.
    pub witness: &'a Path,
    /// Where proof.json goes.
    pub proof: &'a Path,
    /// Where public.json goes.
    pub public: &'a Path,
    /// A `.r1cs` to check the witness against first, if given.
    pub r1cs: Option<&'a Path>,
}

/// What `groth16 prove` did.
#[derive(Clone, Debug, Serialize)]
pub struct CircomProveReport {
    /// proof.json.
    pub proof: PathBuf,
    /// public.json.
    pub public: PathBuf,
    /// The zkey.
    #[serde(skip)]
    pub zkey: PathBuf,
    /// Variables of the circuit.
    pub variables: usize,
    /// Public signals.
    pub public_signals: usize,
    /// The QAP domain.
    pub domain_size: usize,
    /// Reading and validating the files.
    pub load_seconds: f64,
    /// How the zkey was validated.
    pub zkey_validation: &'static str,
    /// Preparing the bases on the backend.
    pub prepare_seconds: f64,
    /// The proof.
    pub prove_seconds: f64,
    /// What computed what.
    pub backend: String,
    /// The proof's phases.
    pub phases: Vec<crate::transfer::Phase>,
}

impl fmt::Display for CircomProveReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = |x: f64| secs(Duration::from_secs_f64(x));
        writeln!(
            f,
            "proved {} ({} variables, {} public, domain 2^{}) with {}",
            self.zkey.display(),
            self.variables,
            self.public_signals,
            self.domain_size.trailing_zeros(),
            self.backend
        )?;
        let how = match self.zkey_validation {
            "full" => "validated in full",
            _ => "validated before (marker), B2 subgroup checks skipped",
        };
        writeln!(f, "  load (read and validate zkey, witness) {}  [{how}]", s(self.load_seconds))?;
        writeln!(f, "  prepare bases on the backend          {}", s(self.prepare_seconds))?;
        for p in self.phases.iter().skip(3) {
            let name = match p.phase {
                "witness map (7 NTTs)" => "quotient (6 NTTs, snarkjs)",
                "MSM L (G1)" => "MSM C (G1)",
                other => other,
            };
            writeln!(f, "  {name:<38} {}", s(p.seconds))?;
        }
        write!(f, "wrote {} and {}", self.proof.display(), self.public.display())
    }
}

/// Proves with a snarkjs Groth16 zkey and a circom witness, writing
/// snarkjs's proof.json and public.json.
pub fn prove(
    progress: &dyn Progress,
    f: ProveFiles<'_>,
    backend: &BackendOptions,
) -> Result<CircomProveReport> {
    let start = Instant::now();
    let witness = parse_wtns(&files::read(f.witness)?).map_err(circom_error(f.witness))?;
    if let Some(r1cs_path) = f.r1cs {
        let r1cs = parse_r1cs(&files::read(r1cs_path)?).map_err(circom_error(r1cs_path))?;
        step(progress, "checking the witness against the constraints", || {
            r1cs.check_witness(&witness)
        })
        .map_err(circom_error(f.witness))?;
    }
    check_writable(f.proof)?;
    check_writable(f.public)?;
    let (zkey, validation) =
        step(progress, "loading the zkey", || load_zkey(f.zkey)).map_err(circom_error(f.zkey))?;
    let (n_vars, n_public, domain) = (zkey.n_vars, zkey.n_public, zkey.domain_size);
    let load = start.elapsed();
    let backends = backend.open();
    let description = backends.description();
    let prepare_start = Instant::now();
    let prover = step(progress, "preparing the key on the backend", || {
        ZkeyProver::new(backends.msm.clone(), backends.ntt.clone(), zkey)
    })
    .map_err(circom_error(f.zkey))?;
    let prepare = prepare_start.elapsed();
    let mut rng = stateproof_prover::keys::os_rng();
    let (r, s) = (Fr::rand(&mut rng), Fr::rand(&mut rng));
    let (proof, timings) = step(progress, "proving", || prover.prove(&witness, r, s))
        .map_err(circom_error(f.witness))?;
    let public = prover.public_signals(&witness);
    let proof = stateproof_verifier::Proof { a: proof.a, b: proof.b, c: proof.c };
    write_json(f.proof, &snarkjs::proof_json(&proof))?;
    write_json(f.public, &snarkjs::public_json(public))?;
    Ok(CircomProveReport {
        proof: f.proof.to_path_buf(),
        public: f.public.to_path_buf(),
        zkey: f.zkey.to_path_buf(),
        variables: n_vars,
        public_signals: n_public,
        domain_size: domain,
        load_seconds: load.as_secs_f64(),
        zkey_validation: if validation == Validation::Full { "full" } else { "marked" },
        prepare_seconds: prepare.as_secs_f64(),
        prove_seconds: timings.total.as_secs_f64(),
        backend: description,
        phases: crate::transfer::phases(&timings),
    })
}

fn read_json_value(path: &Path) -> Result<serde_json::Value> {
    files::read_json(path)
}

fn at(p: &Path) -> impl Fn(snarkjs::JsonError) -> AppError + '_ {
    move |e| AppError::unusable(format!("{}: {e}", p.display()))
}

/// What a snarkjs-style verification found.
#[derive(Clone, Debug, Serialize)]
pub struct CircomVerifyReport {
    /// Whether the proof verifies.
    pub valid: bool,
    /// Why not, if not.
    pub reason: Option<String>,
    /// The proof file.
    pub proof: PathBuf,
    /// Public signals.
    pub public_signals: usize,
}

impl fmt::Display for CircomVerifyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.reason {
            None => write!(
                f,
                "OK: {} verifies ({} public signals)",
                self.proof.display(),
                self.public_signals
            ),
            Some(r) => write!(f, "INVALID: {r}"),
        }
    }
}

/// `snarkjs groth16 verify`'s argument order: key, public signals, proof.
pub fn verify(vk: &Path, public: &Path, proof: &Path) -> Result<CircomVerifyReport> {
    let key = snarkjs::verification_key_from_json(&read_json_value(vk)?).map_err(at(vk))?;
    let inputs = snarkjs::public_from_json(&read_json_value(public)?).map_err(at(public))?;
    let proof_value = snarkjs::proof_from_json(&read_json_value(proof)?).map_err(at(proof))?;
    let result = stateproof_verifier::verify_proof(&key, &inputs, &proof_value);
    Ok(CircomVerifyReport {
        valid: result.is_ok(),
        reason: result.err().map(|e| e.to_string()),
        proof: proof.to_path_buf(),
        public_signals: inputs.len(),
    })
}

/// What `groth16 ark-prove` measured.
#[derive(Clone, Debug, Serialize)]
pub struct ArkProveReport {
    /// Constraints of the circuit.
    pub constraints: usize,
    /// The development setup.
    pub setup_seconds: f64,
    /// The proof.
    pub prove_seconds: f64,
}

impl fmt::Display for ArkProveReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ark-groth16: {} constraints, setup {} (development), prove {}",
            self.constraints,
            secs(Duration::from_secs_f64(self.setup_seconds)),
            secs(Duration::from_secs_f64(self.prove_seconds))
        )
    }
}

/// Proves the circuit of a `.r1cs` with ark-groth16 and arkworks' own QAP,
/// on keys from a development setup made on the spot: the reference for
/// side-by-side timings (the proof is checked, then discarded).
pub fn ark_prove(
    progress: &dyn Progress,
    r1cs_path: &Path,
    witness_path: &Path,
) -> Result<ArkProveReport> {
    use ark_groth16::Groth16;
    let r1cs = parse_r1cs(&files::read(r1cs_path)?).map_err(circom_error(r1cs_path))?;
    let witness = parse_wtns(&files::read(witness_path)?).map_err(circom_error(witness_path))?;
    r1cs.check_witness(&witness).map_err(circom_error(witness_path))?;
    let mut rng = stateproof_prover::keys::os_rng();
    let setup_start = Instant::now();
    let pk = step(progress, "development setup", || {
        stateproof_prover::keys::setup(R1csCircuit { r1cs: &r1cs, witness: None }, &mut rng)
    })?;
    let setup = setup_start.elapsed();
    let start = Instant::now();
    let proof = step(progress, "proving with ark-groth16", || {
        Groth16::<ark_bn254::Bn254>::create_random_proof_with_reduction(
            R1csCircuit { r1cs: &r1cs, witness: Some(&witness) },
            &pk,
            &mut rng,
        )
    })
    .map_err(|e| AppError::invalid(format!("ark-groth16: {e}")))?;
    let prove = start.elapsed();
    let pvk = ark_groth16::prepare_verifying_key(&pk.vk);
    let public = &witness[1..=r1cs.n_public() as usize];
    if !Groth16::<ark_bn254::Bn254>::verify_proof(&pvk, &proof, public).unwrap_or(false) {
        return Err(AppError::invalid("ark-groth16's proof does not verify"));
    }
    Ok(ArkProveReport {
        constraints: r1cs.constraints.len(),
        setup_seconds: setup.as_secs_f64(),
        prove_seconds: prove.as_secs_f64(),
    })
}

/// A verifying key from a stateproof `.vk` or snarkjs's JSON.
fn any_verifying_key(path: &Path) -> Result<VerifyingKey> {
    let bytes = files::read(path)?;
    if bytes.starts_with(stateproof_verifier::VK_MAGIC) {
        return VerifyingKey::from_bytes(&bytes)
            .map_err(|e| AppError::unusable(format!("{}: {e}", path.display())));
    }
    let value: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| {
        AppError::unusable(format!("{}: neither a stateproof key nor JSON: {e}", path.display()))
    })?;
    snarkjs::verification_key_from_json(&value).map_err(at(path))
}

/// Solidity's reserved words, which no contract may be named.
const SOLIDITY_KEYWORDS: &[&str] = &[
    "abstract",
    "after",
    "alias",
    "anonymous",
    "apply",
    "as",
    "assembly",
    "auto",
    "bool",
    "break",
    "byte",
    "bytes",
    "calldata",
    "case",
    "catch",
    "constant",
    "constructor",
    "continue",
    "contract",
    "copyof",
    "default",
    "define",
    "delete",
    "do",
    "else",
    "emit",
    "enum",
    "error",
    "event",
    "external",
    "fallback",
    "false",
    "final",
    "for",
    "function",
    "global",
    "hex",
    "if",
    "immutable",
    "implements",
    "import",
    "in",
    "indexed",
    "inline",
    "int",
    "interface",
    "internal",
    "is",
    "layout",
    "let",
    "library",
    "macro",
    "mapping",
    "match",
    "memory",
    "modifier",
    "mutable",
    "new",
    "null",
    "of",
    "override",
    "partial",
    "payable",
    "pragma",
    "private",
    "promise",
    "public",
    "pure",
    "receive",
    "reference",
    "relocatable",
    "return",
    "returns",
    "revert",
    "sealed",
    "sizeof",
    "static",
    "storage",
    "string",
    "struct",
    "super",
    "supports",
    "switch",
    "this",
    "throw",
    "true",
    "try",
    "type",
    "typedef",
    "typeof",
    "uint",
    "unchecked",
    "using",
    "var",
    "view",
    "virtual",
    "while",
];

/// Whether `name` can name a Solidity contract.
pub fn is_solidity_identifier(name: &str) -> bool {
    let sized = |prefix: &str| {
        name.strip_prefix(prefix)
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    };
    let reserved =
        SOLIDITY_KEYWORDS.contains(&name) || sized("uint") || sized("int") || sized("bytes");
    !name.is_empty()
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && !reserved
}

/// What an export wrote.
#[derive(Clone, Debug, Serialize)]
pub struct ExportReport {
    /// The files written.
    pub files: Vec<PathBuf>,
    /// What they hold, in words.
    pub what: String,
}

impl fmt::Display for ExportReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<String> = self.files.iter().map(|p| p.display().to_string()).collect();
        write!(f, "wrote {} ({})", names.join(", "), self.what)
    }
}

/// Writes a Solidity verifier for a key.
pub fn export_solidity(vk: &Path, name: &str, path: &Path) -> Result<ExportReport> {
    if !is_solidity_identifier(name) {
        return Err(AppError::unusable(format!(
            "--name {name:?} is not a Solidity identifier (or is a reserved word)"
        )));
    }
    let key = any_verifying_key(vk)?;
    let source = stateproof_prover::solidity::verifier_contract(&key, name);
    files::write(path, source.as_bytes())?;
    Ok(ExportReport {
        files: vec![path.to_path_buf()],
        what: format!(
            "contract {name}, {} public inputs, verifyProof as snarkjs's",
            key.num_public_inputs()
        ),
    })
}

/// Writes snarkjs's proof.json, public.json and verification_key.json for
/// an update that verifies under `vk`.
pub fn export_snarkjs(vk_path: &Path, update_path: &Path, dir: &Path) -> Result<ExportReport> {
    let vk = load_vk(vk_path)?;
    let u = read_update(update_path)?;
    u.verify(&vk).map_err(|e| {
        AppError::invalid(format!("refusing to export an update that does not verify: {e}"))
    })?;
    crate::files::ensure_dir(dir)?;
    let inputs: Vec<Fr> = u.public_inputs.iter().map(|(_, v)| *v).collect();
    let names = ["proof.json", "public.json", "verification_key.json"].map(|n| dir.join(n));
    write_json(&names[0], &snarkjs::proof_json(&u.proof))?;
    write_json(&names[1], &snarkjs::public_json(&inputs))?;
    write_json(&names[2], &snarkjs::verification_key_json(&vk))?;
    Ok(ExportReport { files: names.to_vec(), what: "snarkjs's Groth16 JSON".into() })
}

/// A proof's calldata for the Solidity verifier.
#[derive(Clone, Debug, Serialize)]
pub struct CalldataReport {
    /// The calldata: snarkjs's soliditycalldata text, or hex of the call.
    pub calldata: String,
    /// Whether it is the ABI-encoded call.
    pub abi: bool,
}

impl fmt::Display for CalldataReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.calldata)
    }
}

/// Where a proof for calldata comes from.
pub enum ProofSource<'a> {
    /// A stateproof update.
    Update(&'a Path),
    /// snarkjs's proof.json and public.json.
    Snarkjs(&'a Path, &'a Path),
}

/// The calldata of a proof for the Solidity verifier.
pub fn export_calldata(source: ProofSource<'_>, abi: bool) -> Result<CalldataReport> {
    let (proof, inputs) = match source {
        ProofSource::Update(u) => {
            let u = read_update(u)?;
            (u.proof, u.public_inputs.iter().map(|(_, v)| *v).collect::<Vec<_>>())
        }
        ProofSource::Snarkjs(p, q) => (
            snarkjs::proof_from_json(&read_json_value(p)?).map_err(at(p))?,
            snarkjs::public_from_json(&read_json_value(q)?).map_err(at(q))?,
        ),
    };
    let calldata = if abi {
        format!("0x{}", hex::encode(stateproof_prover::solidity::calldata_abi(&proof, &inputs)))
    } else {
        stateproof_prover::solidity::calldata_text(&proof, &inputs)
    };
    Ok(CalldataReport { calldata, abi })
}
