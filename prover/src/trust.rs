//! Proving Proof-of-Trust admission: commit batches and resolve batches.

use crate::keys::Keys;
use crate::{PhaseTimings, Prover, Result};
use stateproof_circuits::trust::{
    commit_batch, resolve_batch, Commit, CommitCircuit, ResolveCircuit, Reveal, TrustLedger,
};
use stateproof_kernels::{MsmBackend, NttBackend};
use stateproof_verifier::CompressedUpdate;

/// Circuit id of commit batches.
pub const COMMIT_CIRCUIT_ID: &str = "trust-commit";
/// Circuit id of resolve batches.
pub const RESOLVE_CIRCUIT_ID: &str = "trust-resolve";
/// Public inputs of a commit batch.
pub const COMMIT_INPUTS: [&str; 4] = ["old_root", "new_root", "epoch", "commit_digest"];
/// Public inputs of a resolve batch.
pub const RESOLVE_INPUTS: [&str; 3] = ["old_root", "new_root", "sponsorship_digest"];

fn params(pairs: &[(&str, u64)]) -> Vec<(String, u64)> {
    pairs.iter().map(|(n, v)| (n.to_string(), *v)).collect()
}

/// Shape parameters of a commit circuit.
pub fn commit_params(depth: usize, period: u64, slots: usize) -> Vec<(String, u64)> {
    params(&[("depth", depth as u64), ("period", period), ("slots", slots as u64)])
}

/// Shape parameters of a resolve circuit.
pub fn resolve_params(depth: usize, suspension: u64, slots: usize) -> Vec<(String, u64)> {
    params(&[("depth", depth as u64), ("suspension", suspension), ("slots", slots as u64)])
}

fn names(n: &[&str]) -> Vec<String> {
    n.iter().map(|s| s.to_string()).collect()
}

/// Keys for a commit circuit.
pub fn commit_keys(
    depth: usize,
    period: u64,
    slots: usize,
    pk: ark_groth16::ProvingKey<ark_bn254::Bn254>,
) -> Result<Keys> {
    Keys::new(COMMIT_CIRCUIT_ID, commit_params(depth, period, slots), names(&COMMIT_INPUTS), pk)
}

/// Keys for a resolve circuit.
pub fn resolve_keys(
    depth: usize,
    suspension: u64,
    slots: usize,
    pk: ark_groth16::ProvingKey<ark_bn254::Bn254>,
) -> Result<Keys> {
    Keys::new(
        RESOLVE_CIRCUIT_ID,
        resolve_params(depth, suspension, slots),
        names(&RESOLVE_INPUTS),
        pk,
    )
}

/// Applies and proves a batch of commitments.
pub fn prove_commits<M: MsmBackend, N: NttBackend>(
    prover: &Prover<M, N>,
    keys: &Keys,
    ledger: &TrustLedger,
    commits: &[Commit],
    epoch: u64,
    slots: usize,
) -> Result<(TrustLedger, CompressedUpdate, PhaseTimings)> {
    keys.expect(
        COMMIT_CIRCUIT_ID,
        &commit_params(ledger.tree().depth(), ledger.rules().period, slots),
    )?;
    let (next, witness) = commit_batch(ledger, commits, epoch, slots)?;
    let inputs = witness.public_inputs().to_vec();
    let (update, timings) = keys.prove_update(prover, CommitCircuit { witness }, inputs)?;
    Ok((next, update, timings))
}

/// Applies and proves a batch of resolutions.
pub fn prove_resolutions<M: MsmBackend, N: NttBackend>(
    prover: &Prover<M, N>,
    keys: &Keys,
    ledger: &TrustLedger,
    reveals: &[Reveal],
    slots: usize,
) -> Result<(TrustLedger, CompressedUpdate, PhaseTimings)> {
    keys.expect(
        RESOLVE_CIRCUIT_ID,
        &resolve_params(ledger.tree().depth(), ledger.rules().suspension, slots),
    )?;
    let (next, witness) = resolve_batch(ledger, reveals, slots)?;
    let inputs = witness.public_inputs().to_vec();
    let (update, timings) = keys.prove_update(prover, ResolveCircuit { witness }, inputs)?;
    Ok((next, update, timings))
}
