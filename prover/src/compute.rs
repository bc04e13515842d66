//! Proving deal openings, results put on the record, calls for mediation,
//! mediators' verdicts and settlements of replicated compute.

use crate::keys::Keys;
use crate::{PhaseTimings, Prover, Result};
use stateproof_circuits::compute::{
    decide_batch, mediate_batch, open_batch, settle_batch, submit_batch, Deal, Ledger,
    MediationRequest, MediationShape, OpenDealsCircuit, OpenShape, RecordVerdictsCircuit,
    RequestMediationCircuit, ResultShape, ResultSubmission, SettleDealsCircuit, SettleShape,
    Settlement, SubmitResultsCircuit, Verdict, VerdictShape,
};
use stateproof_circuits::finality::ValidatorSet;
use stateproof_circuits::primitives::eddsa::Signature;
use stateproof_kernels::{MsmBackend, NttBackend};
use stateproof_verifier::CompressedUpdate;

/// Opens `deals` under the native rules and proves the batch in a circuit
/// of the key's shape.
pub fn prove_open<M: MsmBackend, N: NttBackend>(
    prover: &Prover<M, N>,
    keys: &Keys,
    ledger: &Ledger,
    deals: &[(Deal, Vec<Signature>)],
) -> Result<(Ledger, CompressedUpdate, PhaseTimings)> {
    let shape: OpenShape = keys.shape_as()?;
    let (next, witness) = open_batch(ledger, deals, shape.k, shape.slots)?;
    let (update, timings) = keys.prove(prover, OpenDealsCircuit { witness })?;
    Ok((next, update, timings))
}

/// Puts `submissions` on the record at time `now` under the native rules
/// and proves the batch in a circuit of the key's shape.
pub fn prove_results<M: MsmBackend, N: NttBackend>(
    prover: &Prover<M, N>,
    keys: &Keys,
    ledger: &Ledger,
    submissions: &[ResultSubmission],
    now: u64,
) -> Result<(Ledger, CompressedUpdate, PhaseTimings)> {
    let shape: ResultShape = keys.shape_as()?;
    let (next, witness) = submit_batch(ledger, submissions, &shape, now)?;
    let (update, timings) = keys.prove(prover, SubmitResultsCircuit { witness })?;
    Ok((next, update, timings))
}

/// Records the calls for mediation `requests` at time `now` under the
/// native rules and proves the batch in a circuit of the key's shape.
pub fn prove_mediation<M: MsmBackend, N: NttBackend>(
    prover: &Prover<M, N>,
    keys: &Keys,
    ledger: &Ledger,
    requests: &[MediationRequest],
    now: u64,
) -> Result<(Ledger, CompressedUpdate, PhaseTimings)> {
    let shape: MediationShape = keys.shape_as()?;
    let (next, witness) = mediate_batch(ledger, requests, &shape, now)?;
    let (update, timings) = keys.prove(prover, RequestMediationCircuit { witness })?;
    Ok((next, update, timings))
}

/// Records the mediators' `verdicts` under the native rules (each deal's
/// committee found among `committees` by its root) and proves the batch in
/// a circuit of the key's shape (its quorum included).
pub fn prove_verdicts<M: MsmBackend, N: NttBackend>(
    prover: &Prover<M, N>,
    keys: &Keys,
    ledger: &Ledger,
    verdicts: &[Verdict],
    committees: &[ValidatorSet],
) -> Result<(Ledger, CompressedUpdate, PhaseTimings)> {
    let shape: VerdictShape = keys.shape_as()?;
    let (next, witness) = decide_batch(ledger, verdicts, committees, &shape)?;
    let (update, timings) = keys.prove(prover, RecordVerdictsCircuit { witness })?;
    Ok((next, update, timings))
}

/// Settles a batch at time `now` under the native rules and proves it in a
/// circuit of the key's shape (its rules included).
pub fn prove_settle<M: MsmBackend, N: NttBackend>(
    prover: &Prover<M, N>,
    keys: &Keys,
    ledger: &Ledger,
    settlements: &[Settlement],
    now: u64,
) -> Result<(Ledger, CompressedUpdate, PhaseTimings)> {
    let shape: SettleShape = keys.shape_as()?;
    let (next, witness) = settle_batch(ledger, settlements, &shape, now)?;
    let (update, timings) = keys.prove(prover, SettleDealsCircuit { witness })?;
    Ok((next, update, timings))
}
