//! Proving Proof-of-Trust admission: commit batches and resolve batches.

use crate::keys::Keys;
use crate::{PhaseTimings, Prover, Result};
use stateproof_circuits::trust::{
    commit_batch, resolve_batch, Commit, CommitCircuit, CommitShape, ResolveCircuit, ResolveShape,
    Reveal, TrustLedger,
};
use stateproof_kernels::{MsmBackend, NttBackend};
use stateproof_verifier::CompressedUpdate;

/// Applies and proves a batch of commitments of `epoch`.
pub fn prove_commits<M: MsmBackend, N: NttBackend>(
    prover: &Prover<M, N>,
    keys: &Keys,
    ledger: &TrustLedger,
    commits: &[Commit],
    epoch: u64,
) -> Result<(TrustLedger, CompressedUpdate, PhaseTimings)> {
    let shape: CommitShape = keys.shape_as()?;
    let (next, witness) = commit_batch(ledger, commits, epoch, shape.slots)?;
    let (update, timings) = keys.prove(prover, CommitCircuit { witness })?;
    Ok((next, update, timings))
}

/// Applies and proves a batch of resolutions.
pub fn prove_resolutions<M: MsmBackend, N: NttBackend>(
    prover: &Prover<M, N>,
    keys: &Keys,
    ledger: &TrustLedger,
    reveals: &[Reveal],
) -> Result<(TrustLedger, CompressedUpdate, PhaseTimings)> {
    let shape: ResolveShape = keys.shape_as()?;
    let (next, witness) = resolve_batch(ledger, reveals, shape.slots)?;
    let (update, timings) = keys.prove(prover, ResolveCircuit { witness })?;
    Ok((next, update, timings))
}
