//! Proving transfer batches into compressed updates.

use crate::keys::Keys;
use crate::{Error, PhaseTimings, Prover, Result};
use stateproof_circuits::ledger::State;
use stateproof_circuits::transfer::{
    apply_batch, TransferBatch, TransferBatchCircuit, TransferShape,
};
use stateproof_kernels::{MsmBackend, NttBackend};
use stateproof_verifier::CompressedUpdate;
use std::time::Instant;

/// A proven batch: the state after it, the update, and phase timings.
pub struct ProvedBatch {
    /// The state after the batch.
    pub state: State,
    /// The compressed update for light clients.
    pub update: CompressedUpdate,
    /// Where the time went.
    pub timings: PhaseTimings,
}

/// The key's transfer shape, checked against `state`'s depth.
pub fn shape_for(keys: &Keys, state: &State) -> Result<TransferShape> {
    let shape: TransferShape = keys.shape_as()?;
    if shape.depth != state.depth() {
        return Err(Error::KeyMismatch(format!(
            "the key is for depth {}, the state has depth {}",
            shape.depth,
            state.depth()
        )));
    }
    Ok(shape)
}

/// Applies `batch` to `state` under the native rules and proves it in a
/// circuit of the key's shape.
pub fn prove_batch<M: MsmBackend, N: NttBackend>(
    prover: &Prover<M, N>,
    keys: &Keys,
    state: &State,
    batch: &TransferBatch,
) -> Result<ProvedBatch> {
    let shape = shape_for(keys, state)?;
    let witness_start = Instant::now();
    let (next, witness) = apply_batch(state, batch, shape.slots)?;
    let witness_generation = witness_start.elapsed();
    let (update, mut timings) = keys.prove(prover, TransferBatchCircuit { witness })?;
    timings.witness_generation = witness_generation;
    Ok(ProvedBatch { state: next, update, timings })
}
