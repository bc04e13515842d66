//! Proving transfer batches into compressed updates.

use crate::keys::Keys;
use crate::{PhaseTimings, Prover, Result};
use stateproof_circuits::transfer::{
    apply_batch, State, TransferBatch, TransferBatchCircuit, PUBLIC_INPUT_NAMES,
};
use stateproof_kernels::{MsmBackend, NttBackend};
use stateproof_verifier::CompressedUpdate;
use std::time::Instant;

/// The circuit id that transfer-batch keys and updates carry.
pub const CIRCUIT_ID: &str = "transfer-batch";

/// The shape parameters of a transfer-batch circuit.
pub fn params(depth: usize, slots: usize) -> Vec<(String, u64)> {
    vec![("depth".to_string(), depth as u64), ("slots".to_string(), slots as u64)]
}

/// Keys for a transfer-batch circuit of the given shape from a proving key.
pub fn keys(
    depth: usize,
    slots: usize,
    pk: ark_groth16::ProvingKey<ark_bn254::Bn254>,
) -> Result<Keys> {
    let names = PUBLIC_INPUT_NAMES.iter().map(|n| n.to_string()).collect();
    Keys::new(CIRCUIT_ID, params(depth, slots), names, pk)
}

/// A proven batch: the state after it, the update, and phase timings.
pub struct ProvedBatch {
    /// The state after the batch.
    pub state: State,
    /// The compressed update for light clients.
    pub update: CompressedUpdate,
    /// Where the time went.
    pub timings: PhaseTimings,
}

/// Applies `batch` to `state` under the native rules and proves it.
pub fn prove_batch<M: MsmBackend, N: NttBackend>(
    prover: &Prover<M, N>,
    keys: &Keys,
    state: &State,
    batch: &TransferBatch,
    slots: usize,
) -> Result<ProvedBatch> {
    keys.expect(CIRCUIT_ID, &params(state.depth(), slots))?;
    let witness_start = Instant::now();
    let (next, witness) = apply_batch(state, batch, slots)?;
    let witness_generation = witness_start.elapsed();
    let inputs = witness.public_inputs().to_vec();
    let (update, mut timings) =
        keys.prove_update(prover, TransferBatchCircuit { witness }, inputs)?;
    timings.witness_generation = witness_generation;
    Ok(ProvedBatch { state: next, update, timings })
}
