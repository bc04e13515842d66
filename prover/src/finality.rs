//! Proving finality (quorum-signed headers), the trust network's unanimous
//! data agreement, and double-sign slashing into compressed updates.

use crate::keys::Keys;
use crate::{Error, PhaseTimings, Prover, Result};
use stateproof_circuits::finality::{
    check_double_sign, check_quorum, Attestation, DoubleSign, DoubleSignCircuit, QuorumCircuit,
    QuorumShape, SlashingShape, Statement, ValidatorSet,
};
use stateproof_kernels::{MsmBackend, NttBackend};
use stateproof_verifier::CompressedUpdate;

/// Applies the quorum rule to `attestations` over `statement` and proves it
/// under `keys` (whose shape gives depth, slots, threshold and kind).
pub fn prove_quorum<M: MsmBackend, N: NttBackend>(
    prover: &Prover<M, N>,
    keys: &Keys,
    set: &ValidatorSet,
    statement: &Statement,
    attestations: &[Attestation],
) -> Result<(CompressedUpdate, PhaseTimings)> {
    let shape: QuorumShape = keys.shape_as()?;
    if statement.kind() != shape.kind || set.depth() != shape.depth {
        return Err(Error::KeyMismatch(format!(
            "the key is for {} statements over sets of depth {}, got {} over depth {}",
            shape.kind.name(),
            shape.depth,
            statement.kind().name(),
            set.depth()
        )));
    }
    let start = std::time::Instant::now();
    let witness = check_quorum(set, statement, attestations, shape.threshold, shape.slots)?;
    let witness_generation = start.elapsed();
    let (update, mut timings) = keys.prove(prover, QuorumCircuit { witness })?;
    timings.witness_generation = witness_generation;
    Ok((update, timings))
}

/// Applies the slashing rule to `evidence` and proves it: returns the set
/// after the slash and the update.
pub fn prove_slashing<M: MsmBackend, N: NttBackend>(
    prover: &Prover<M, N>,
    keys: &Keys,
    set: &ValidatorSet,
    evidence: &DoubleSign,
) -> Result<(ValidatorSet, CompressedUpdate, PhaseTimings)> {
    let shape: SlashingShape = keys.shape_as()?;
    if shape.set_depth != set.depth() {
        return Err(Error::KeyMismatch(format!(
            "the key is for sets of depth {}, the set has depth {}",
            shape.set_depth,
            set.depth()
        )));
    }
    let (next, witness) = check_double_sign(set, evidence)?;
    let (update, timings) = keys.prove(prover, DoubleSignCircuit { witness })?;
    Ok((next, update, timings))
}
