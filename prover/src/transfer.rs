//! Proving transfer batches into compressed updates.

use crate::keys::Keys;
use crate::{Assignment, Error, PhaseTimings, Prover, Result};
use stateproof_circuits::ledger::{LedgerRoots, State};
use stateproof_circuits::transfer::{
    apply_batch, TransferBatch, TransferBatchCircuit, TransferShape, TransferWitness,
};
use stateproof_kernels::{MsmBackend, NttBackend};
use stateproof_verifier::CompressedUpdate;
use std::time::{Duration, Instant};

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
    check_depth(&shape, state)?;
    Ok(shape)
}

fn check_depth(shape: &TransferShape, state: &State) -> Result<()> {
    if shape.depth != state.depth() {
        return Err(Error::KeyMismatch(format!(
            "the key is for depth {}, the state has depth {}",
            shape.depth,
            state.depth()
        )));
    }
    Ok(())
}

/// Applies `batch` to `state`, the accounts of the ledger whose parts are
/// `roots`, under the native rules and proves it in a circuit of the key's
/// shape.
pub fn prove_batch<M: MsmBackend, N: NttBackend>(
    prover: &Prover<M, N>,
    keys: &Keys,
    state: &State,
    roots: &LedgerRoots,
    batch: &TransferBatch,
) -> Result<ProvedBatch> {
    let shape = shape_for(keys, state)?;
    let witness_start = Instant::now();
    let (next, witness) = apply_batch(state, roots, batch, shape.slots)?;
    let witness_generation = witness_start.elapsed();
    let (update, mut timings) = keys.prove(prover, TransferBatchCircuit { witness })?;
    timings.witness_generation = witness_generation;
    Ok(ProvedBatch { state: next, update, timings })
}

/// A batch applied under the native rules, with its circuit's assignment
/// synthesized: the part of a proof that needs no prover, made on another
/// thread while the prover proves the batch before it.
#[derive(Clone, Debug)]
pub struct PreparedBatch {
    circuit: TransferBatchCircuit,
    assignment: Assignment,
    witness_generation: Duration,
}

/// Applies `batch` to `state` (accounts of `shape`'s depth, of the ledger
/// whose parts are `roots`) under the native rules and synthesizes its
/// circuit's assignment; returns the accounts after the batch and the
/// prepared proof.
pub fn prepare_batch(
    shape: &TransferShape,
    state: &State,
    roots: &LedgerRoots,
    batch: &TransferBatch,
) -> Result<(State, PreparedBatch)> {
    check_depth(shape, state)?;
    let start = Instant::now();
    let (next, witness) = apply_batch(state, roots, batch, shape.slots)?;
    let witness_generation = start.elapsed();
    let circuit = TransferBatchCircuit { witness };
    let assignment = Assignment::synthesize(circuit.clone())?;
    Ok((next, PreparedBatch { circuit, assignment, witness_generation }))
}

impl PreparedBatch {
    /// A batch's circuit witness, as a node computed it applying the batch
    /// under the native rules (perhaps on another machine: a prove job),
    /// with its assignment synthesized here. Nothing is checked beyond
    /// what synthesis needs: an unsatisfying witness fails the proof's
    /// self-check.
    pub fn from_witness(witness: TransferWitness) -> Result<Self> {
        let start = Instant::now();
        let circuit = TransferBatchCircuit { witness };
        let assignment = Assignment::synthesize(circuit.clone())?;
        Ok(Self { circuit, assignment, witness_generation: start.elapsed() })
    }

    /// The circuit's witness.
    pub fn witness(&self) -> &TransferWitness {
        &self.circuit.witness
    }
}

/// Proves a prepared batch: from its assignment when the prover keeps its
/// matrices, else (the prover's first proof) from its circuit.
pub fn prove_prepared<M: MsmBackend, N: NttBackend>(
    prover: &Prover<M, N>,
    keys: &Keys,
    batch: &PreparedBatch,
) -> Result<(CompressedUpdate, PhaseTimings)> {
    let (update, mut timings) = if prover.keeps_matrices() {
        keys.prove_synthesized(prover, &batch.circuit, &batch.assignment)?
    } else {
        keys.prove(prover, batch.circuit.clone())?
    };
    timings.witness_generation = batch.witness_generation;
    Ok((update, timings))
}
