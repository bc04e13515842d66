//! Proving finality (quorum-signed headers), the trust network's unanimous
//! data agreement, and double-sign slashing into compressed updates.

use crate::keys::Keys;
use crate::{Error, PhaseTimings, Prover, Result};
use stateproof_circuits::finality::{
    check_double_sign, check_quorum, Attestation, DoubleSign, DoubleSignCircuit, QuorumCircuit,
    Statement, StatementKind, Threshold, ValidatorSet, AGREEMENT_INPUT_NAMES, FINALITY_INPUT_NAMES,
    SLASHING_INPUT_NAMES,
};
use stateproof_kernels::{MsmBackend, NttBackend};
use stateproof_verifier::CompressedUpdate;

pub use stateproof_verifier::finality::FINALITY_CIRCUIT_ID;
/// The circuit id of data-agreement proofs.
pub const AGREEMENT_CIRCUIT_ID: &str = "data-agreement";
/// The circuit id of double-sign slashing proofs.
pub const SLASHING_CIRCUIT_ID: &str = "double-sign-slash";

/// The shape of a quorum circuit, fixed at setup.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QuorumShape {
    /// Validator-set tree depth.
    pub depth: usize,
    /// Signer slots.
    pub slots: usize,
    /// Threshold.
    pub threshold: Threshold,
    /// Headers (finality) or data commitments (agreement).
    pub kind: StatementKind,
}

impl QuorumShape {
    /// The circuit id keys and updates carry.
    pub fn circuit_id(&self) -> &'static str {
        match self.kind {
            StatementKind::Header => FINALITY_CIRCUIT_ID,
            StatementKind::Data => AGREEMENT_CIRCUIT_ID,
        }
    }

    /// Shape parameters as keys record them.
    pub fn params(&self) -> Vec<(String, u64)> {
        vec![
            ("set_depth".to_string(), self.depth as u64),
            ("slots".to_string(), self.slots as u64),
            ("threshold_num".to_string(), self.threshold.num),
            ("threshold_den".to_string(), self.threshold.den),
        ]
    }

    /// The public-input names.
    pub fn input_names(&self) -> Vec<String> {
        let names: &[&str] = match self.kind {
            StatementKind::Header => &FINALITY_INPUT_NAMES,
            StatementKind::Data => &AGREEMENT_INPUT_NAMES,
        };
        names.iter().map(|n| n.to_string()).collect()
    }

    /// The circuit with an all-unused witness, for key generation.
    pub fn setup_circuit(&self) -> QuorumCircuit {
        QuorumCircuit::for_setup(self.depth, self.slots, self.threshold, self.kind)
    }

    /// The shape recorded in `keys`.
    pub fn of_keys(keys: &Keys) -> Result<Self> {
        let kind = match keys.circuit_id.as_str() {
            FINALITY_CIRCUIT_ID => StatementKind::Header,
            AGREEMENT_CIRCUIT_ID => StatementKind::Data,
            other => {
                return Err(Error::KeyMismatch(format!("{other} keys are not quorum keys")));
            }
        };
        let get = |name: &str| {
            keys.param(name).ok_or_else(|| Error::KeyMismatch(format!("keys lack {name}")))
        };
        let threshold = Threshold::new(get("threshold_num")?, get("threshold_den")?)?;
        let shape = Self {
            depth: get("set_depth")? as usize,
            slots: get("slots")? as usize,
            threshold,
            kind,
        };
        keys.expect(shape.circuit_id(), &shape.params())?;
        Ok(shape)
    }
}

/// Keys for a quorum circuit from a proving key made for `shape`.
pub fn quorum_keys(
    shape: &QuorumShape,
    pk: ark_groth16::ProvingKey<ark_bn254::Bn254>,
) -> Result<Keys> {
    Keys::new(shape.circuit_id(), shape.params(), shape.input_names(), pk)
}

/// Applies the quorum rule to `attestations` over `statement` and proves it
/// under `keys` (whose shape gives depth, slots, threshold and kind).
pub fn prove_quorum<M: MsmBackend, N: NttBackend>(
    prover: &Prover<M, N>,
    keys: &Keys,
    set: &ValidatorSet,
    statement: &Statement,
    attestations: &[Attestation],
) -> Result<(CompressedUpdate, PhaseTimings)> {
    let shape = QuorumShape::of_keys(keys)?;
    if statement.kind() != shape.kind || set.depth() != shape.depth {
        return Err(Error::KeyMismatch(format!(
            "keys are for {} statements over sets of depth {}, got {} over depth {}",
            shape.kind.name(),
            shape.depth,
            statement.kind().name(),
            set.depth()
        )));
    }
    let start = std::time::Instant::now();
    let witness = check_quorum(set, statement, attestations, shape.threshold, shape.slots)?;
    let witness_generation = start.elapsed();
    let inputs = witness.public_inputs();
    let (update, mut timings) = keys.prove_update(prover, QuorumCircuit { witness }, inputs)?;
    timings.witness_generation = witness_generation;
    Ok((update, timings))
}

/// Shape parameters of the slashing circuit.
pub fn slashing_params(depth: usize) -> Vec<(String, u64)> {
    vec![("set_depth".to_string(), depth as u64)]
}

/// Keys for the slashing circuit over sets of `depth`.
pub fn slashing_keys(depth: usize, pk: ark_groth16::ProvingKey<ark_bn254::Bn254>) -> Result<Keys> {
    let names = SLASHING_INPUT_NAMES.iter().map(|n| n.to_string()).collect();
    Keys::new(SLASHING_CIRCUIT_ID, slashing_params(depth), names, pk)
}

/// Applies the slashing rule to `evidence` and proves it: returns the set
/// after the slash and the update.
pub fn prove_slashing<M: MsmBackend, N: NttBackend>(
    prover: &Prover<M, N>,
    keys: &Keys,
    set: &ValidatorSet,
    evidence: &DoubleSign,
) -> Result<(ValidatorSet, CompressedUpdate, PhaseTimings)> {
    keys.expect(SLASHING_CIRCUIT_ID, &slashing_params(set.depth()))?;
    let (next, witness) = check_double_sign(set, evidence)?;
    let inputs = witness.public_inputs();
    let (update, timings) = keys.prove_update(prover, DoubleSignCircuit { witness }, inputs)?;
    Ok((next, update, timings))
}
