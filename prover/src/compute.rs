//! Proving deal openings and settlements of replicated compute.

use crate::keys::Keys;
use crate::{PhaseTimings, Prover, Result};
use stateproof_circuits::compute::{
    open_batch, settle_batch, Deal, Ledger, OpenDealsCircuit, SettleDealsCircuit, SettleShape,
    Settlement, SettlementRules,
};
use stateproof_circuits::eddsa::Signature;
use stateproof_circuits::finality::ValidatorSet;
use stateproof_kernels::{MsmBackend, NttBackend};
use stateproof_verifier::CompressedUpdate;

/// Circuit id of opening batches.
pub const OPEN_CIRCUIT_ID: &str = "compute-open";
/// Circuit id of settlement batches.
pub const SETTLE_CIRCUIT_ID: &str = "compute-settle";
/// Public inputs of an opening batch.
pub const OPEN_INPUTS: [&str; 3] = ["old_root", "new_root", "deal_digest"];
/// Public inputs of a settlement batch.
pub const SETTLE_INPUTS: [&str; 4] = ["old_root", "new_root", "settlement_digest", "now"];

fn names(n: &[&str]) -> Vec<String> {
    n.iter().map(|s| s.to_string()).collect()
}

/// Shape parameters of an opening circuit.
pub fn open_params(depth: usize, deal_depth: usize, k: usize, slots: usize) -> Vec<(String, u64)> {
    [("depth", depth), ("deal_depth", deal_depth), ("k", k), ("slots", slots)]
        .iter()
        .map(|(n, v)| (n.to_string(), *v as u64))
        .collect()
}

/// Shape parameters of a settlement circuit (the rules included).
pub fn settle_params(shape: &SettleShape, rules: &SettlementRules) -> Vec<(String, u64)> {
    let p = |n: &str, v: u64| (n.to_string(), v);
    vec![
        p("depth", shape.depth as u64),
        p("deal_depth", shape.deal_depth as u64),
        p("committee_depth", shape.committee_depth as u64),
        p("k", shape.k as u64),
        p("mediator_slots", shape.mediator_slots as u64),
        p("slots", shape.slots as u64),
        p("share_num", rules.client_share.0),
        p("share_den", rules.client_share.1),
        p("burn", u64::from(rules.burn_remainder)),
        p("treasury", rules.treasury),
        p("quorum_num", rules.mediator_threshold.num),
        p("quorum_den", rules.mediator_threshold.den),
    ]
}

/// Keys for an opening circuit.
pub fn open_keys(
    depth: usize,
    deal_depth: usize,
    k: usize,
    slots: usize,
    pk: ark_groth16::ProvingKey<ark_bn254::Bn254>,
) -> Result<Keys> {
    Keys::new(OPEN_CIRCUIT_ID, open_params(depth, deal_depth, k, slots), names(&OPEN_INPUTS), pk)
}

/// Keys for a settlement circuit.
pub fn settle_keys(
    shape: &SettleShape,
    rules: &SettlementRules,
    pk: ark_groth16::ProvingKey<ark_bn254::Bn254>,
) -> Result<Keys> {
    Keys::new(SETTLE_CIRCUIT_ID, settle_params(shape, rules), names(&SETTLE_INPUTS), pk)
}

/// Opens `deals` under the native rules and proves the batch.
pub fn prove_open<M: MsmBackend, N: NttBackend>(
    prover: &Prover<M, N>,
    keys: &Keys,
    ledger: &Ledger,
    deals: &[(Deal, Vec<Signature>)],
    k: usize,
    slots: usize,
) -> Result<(Ledger, CompressedUpdate, PhaseTimings)> {
    let deal_depth = ledger.deal_tree().depth();
    keys.expect(OPEN_CIRCUIT_ID, &open_params(ledger.accounts.depth(), deal_depth, k, slots))?;
    let (next, witness) = open_batch(ledger, deals, k, slots)?;
    let inputs = witness.public_inputs().to_vec();
    let (update, timings) = keys.prove_update(prover, OpenDealsCircuit { witness }, inputs)?;
    Ok((next, update, timings))
}

/// Settles a batch under the native rules and proves it.
#[allow(clippy::too_many_arguments)]
pub fn prove_settle<M: MsmBackend, N: NttBackend>(
    prover: &Prover<M, N>,
    keys: &Keys,
    ledger: &Ledger,
    settlements: &[Settlement],
    committees: &[ValidatorSet],
    rules: &SettlementRules,
    shape: &SettleShape,
    now: u64,
) -> Result<(Ledger, CompressedUpdate, PhaseTimings)> {
    keys.expect(SETTLE_CIRCUIT_ID, &settle_params(shape, rules))?;
    let (next, witness) = settle_batch(ledger, settlements, committees, rules, shape, now)?;
    let inputs = witness.public_inputs().to_vec();
    let (update, timings) = keys.prove_update(prover, SettleDealsCircuit { witness }, inputs)?;
    Ok((next, update, timings))
}
