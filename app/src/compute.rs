//! The compute demo: deals opened, results put on the record, and deals
//! settled (one unanimous, one disputed by a lazy node, called for
//! mediation by its client and decided by the mediators' verdict), each
//! batch proven and verified.

use crate::backend::{prover, BackendOptions};
use crate::progress::{step, Progress};
use crate::text::{fr, secs};
use crate::{verify_bytes, AppError, Result};
use serde::Serialize;
use stateproof_circuits::compute::simulate::default_rules;
use stateproof_circuits::compute::{
    verdict_commitment, Deal, Ledger, MediationRequest, MediationShape, OpenDealsCircuit,
    OpenShape, RecordVerdictsCircuit, RequestMediationCircuit, ResultShape, ResultSubmission,
    SettleDealsCircuit, SettleShape, Settlement, SettlementRules, SignedResult,
    SubmitResultsCircuit, Verdict, VerdictShape,
};
use stateproof_circuits::finality::{Statement, Threshold};
use stateproof_circuits::ledger::{Account, State};
use stateproof_circuits::primitives::eddsa::Signature;
use stateproof_circuits::sample::{sample_key, SampleChain};
use stateproof_circuits::Fr;
use stateproof_prover::compute::{
    prove_mediation, prove_open, prove_results, prove_settle, prove_verdicts,
};
use stateproof_prover::keys::{self, Keys, DEVELOPMENT_SETUP_WARNING};
use std::fmt;
use std::time::{Duration, Instant};

const TREASURY: u64 = 15;

fn sample_ledger(depth: usize) -> Result<Ledger> {
    let mut state = State::new(depth).map_err(AppError::unusable)?;
    for i in (0..8).chain([TREASURY]) {
        let account = Account { public_key: sample_key(i).public_key(), balance: 10_000, nonce: 0 };
        state.set_account(i, account).map_err(AppError::unusable)?;
    }
    Ledger::new(state, depth).map_err(AppError::unusable)
}

fn deal(id: u64, client: u64, nodes: [u64; 3], mediators: Fr) -> Deal {
    Deal {
        id,
        client,
        nodes: nodes.to_vec(),
        job: Fr::from(1000 + id),
        price: 100,
        deposit: 400,
        collateral: 250,
        mediators,
        mediation_fee: 60,
        deadline: 50,
    }
}

fn signed(d: Deal) -> (Deal, Vec<Signature>) {
    let sigs = std::iter::once(d.client)
        .chain(d.nodes.iter().copied())
        .map(|i| sample_key(i).sign(d.hash()))
        .collect();
    (d, sigs)
}

/// What the compute demo did.
#[derive(Clone, Debug, Serialize)]
pub struct ComputeDemoReport {
    /// Constraints of the opening circuit.
    pub open_constraints: usize,
    /// Constraints of the result circuit.
    pub result_constraints: usize,
    /// Constraints of the mediation circuit.
    pub mediation_constraints: usize,
    /// Constraints of the verdict circuit.
    pub verdict_constraints: usize,
    /// Constraints of the settlement circuit.
    pub settle_constraints: usize,
    /// Key generation time.
    pub setup_seconds: f64,
    /// What computed what.
    pub backend: String,
    /// The ledger's root before.
    pub genesis_root: String,
    /// Proving the openings.
    pub open_seconds: f64,
    /// Verifying them.
    pub open_verify_seconds: f64,
    /// Proving the results put on the record.
    pub result_seconds: f64,
    /// Verifying them.
    pub result_verify_seconds: f64,
    /// Proving the client's call for mediation.
    pub mediation_seconds: f64,
    /// Verifying it.
    pub mediation_verify_seconds: f64,
    /// Proving the mediators' verdict.
    pub verdict_seconds: f64,
    /// Verifying it.
    pub verdict_verify_seconds: f64,
    /// Proving the settlements.
    pub settle_seconds: f64,
    /// Verifying them.
    pub settle_verify_seconds: f64,
    /// Both updates verified.
    pub open_verified: bool,
    /// See `open_verified`.
    pub settle_verified: bool,
    /// Each batch starts where the one before ended.
    pub chained: bool,
    /// Balances after: (account, balance).
    pub balances: Vec<(u64, u64)>,
    /// Value in the ledger before, after, and burned.
    pub value: (String, String, String),
    /// Value was conserved.
    pub conserved: bool,
    /// Units burned.
    pub burned: String,
    /// The ledger's root after.
    pub new_root: String,
    /// The mediator quorum.
    pub threshold: String,
    /// Keys from a development setup.
    pub development_setup: bool,
}

impl fmt::Display for ComputeDemoReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = |x: f64| secs(Duration::from_secs_f64(x));
        let balance = |i: u64| self.balances.iter().find(|(a, _)| *a == i).map_or(0, |(_, b)| *b);
        writeln!(f, "stateproof compute demo: two replicated-compute deals (k = 3) opened, their results recorded, one mediated and decided, both settled, each in a proven batch")?;
        writeln!(f, "  ledger:   9 accounts of 10,000, root {}", self.genesis_root)?;
        writeln!(f, "  circuits: opening {} constraints (2 deal slots), results {} (6 slots), mediation {} (1 slot), verdict {} (1 slot, 4 mediator slots), settlement {} (2 slots)", self.open_constraints, self.result_constraints, self.mediation_constraints, self.verdict_constraints, self.settle_constraints)?;
        writeln!(f, "  setup:    {} ({DEVELOPMENT_SETUP_WARNING})", s(self.setup_seconds))?;
        writeln!(f, "  prove:    {}", self.backend)?;
        writeln!(f, "  open:     deals 1 and 2 lock 400 from each client and 250 from each node, proven in {}", s(self.open_seconds))?;
        writeln!(f, "  verify:   opening batch VALID in {}", s(self.open_verify_seconds))?;
        writeln!(f, "  results:  the six nodes' signed results put on the record at time 20, before the deadline 50, proven in {}", s(self.result_seconds))?;
        writeln!(f, "  verify:   result batch VALID in {}", s(self.result_verify_seconds))?;
        writeln!(
            f,
            "  mediate:  client 4 calls for mediation of deal 2 (node 5 disagrees), proven in {}",
            s(self.mediation_seconds)
        )?;
        writeln!(f, "  verify:   mediation batch VALID in {}", s(self.mediation_verify_seconds))?;
        writeln!(
            f,
            "  verdict:  mediators 0-2 (more than 2/3 of the committee) sign 42 for deal 2, put on its record, proven in {}",
            s(self.verdict_seconds)
        )?;
        writeln!(f, "  verify:   verdict batch VALID in {}", s(self.verdict_verify_seconds))?;
        writeln!(
            f,
            "  settle:   both deals at time 60 from the recorded results and verdict, proven in {}",
            s(self.settle_seconds)
        )?;
        writeln!(f, "  verify:   settlement batch VALID in {}", s(self.settle_verify_seconds))?;
        writeln!(f, "  deal 1:   unanimous: nodes 1-3 get 100 + 250 back ({}, {}, {}), client 0 gets 100 back ({})", balance(1), balance(2), balance(3), balance(0))?;
        writeln!(f, "  deal 2:   node 5 answered wrong, by the verdict: node 5 loses 250 ({}), \
             the fee 60 goes to the treasury ({}), the client gets its 200 back plus half of the rest ({}), {} burned", balance(5), balance(TREASURY), balance(4), self.burned)?;
        write!(
            f,
            "  value:    before {}, after {} + {} burned: {}",
            self.value.0,
            self.value.1,
            self.value.2,
            if self.conserved { "conserved" } else { "NOT conserved" }
        )
    }
}

/// Two deals opened and settled in proven, verified batches.
pub fn demo(progress: &dyn Progress, backend: &BackendOptions) -> Result<ComputeDemoReport> {
    let depth = 4;
    let k = 3;
    let rules = SettlementRules { treasury: TREASURY, ..default_rules() };
    let committee = SampleChain::new(3, 4).map_err(AppError::unusable)?;
    let open_shape = OpenShape { depth, deal_depth: depth, k, slots: 2 };
    let result_shape = ResultShape { depth, deal_depth: depth, k, slots: 6 };
    let mediation_shape = MediationShape { depth, deal_depth: depth, k, slots: 1 };
    let verdict_shape = VerdictShape {
        depth,
        deal_depth: depth,
        committee_depth: 3,
        k,
        mediator_slots: 4,
        slots: 1,
        threshold: Threshold::TWO_THIRDS,
    };
    let settle_shape = SettleShape { depth, deal_depth: depth, k, slots: 2, rules };
    let ledger = sample_ledger(depth)?;
    let total_before = ledger.total_value();
    let open_constraints =
        keys::count_constraints(OpenDealsCircuit::for_setup(depth, depth, k, 2))?;
    let result_constraints =
        keys::count_constraints(SubmitResultsCircuit::for_setup(result_shape))?;
    let mediation_constraints =
        keys::count_constraints(RequestMediationCircuit::for_setup(mediation_shape))?;
    let verdict_constraints =
        keys::count_constraints(RecordVerdictsCircuit::for_setup(verdict_shape))?;
    let settle_constraints = keys::count_constraints(SettleDealsCircuit::for_setup(settle_shape))?;
    let start = Instant::now();
    let (open_keys, result_keys, mediation_keys, verdict_keys, settle_keys) =
        step(progress, "generating keys (development setup)", || {
            Ok::<_, stateproof_prover::Error>((
                Keys::setup::<OpenDealsCircuit>(&open_shape, &mut keys::os_rng())?,
                Keys::setup::<SubmitResultsCircuit>(&result_shape, &mut keys::os_rng())?,
                Keys::setup::<RequestMediationCircuit>(&mediation_shape, &mut keys::os_rng())?,
                Keys::setup::<RecordVerdictsCircuit>(&verdict_shape, &mut keys::os_rng())?,
                Keys::setup::<SettleDealsCircuit>(&settle_shape, &mut keys::os_rng())?,
            ))
        })?;
    let setup_seconds = start.elapsed().as_secs_f64();
    // Deal 1: unanimous. Deal 2: node 5 is lazy; a mediator quorum decides.
    let deals = vec![
        signed(deal(1, 0, [1, 2, 3], committee.set.root())),
        signed(deal(2, 4, [5, 6, 7], committee.set.root())),
    ];
    let backends = backend.open();
    let open_prover = prover(&open_keys, &backends)?;
    let start = Instant::now();
    let (opened, open_update, _) = step(progress, "proving the openings", || {
        prove_open(&open_prover, &open_keys, &ledger, &deals)
    })?;
    let open_seconds = start.elapsed().as_secs_f64();
    let open_verify = verify_bytes("opening batch", &open_keys.verifying_key, &open_update)?;

    // Every node signs its result and puts it on the record.
    let (d1, d2) = (&deals[0].0, &deals[1].0);
    let answers = [(d1, [7, 7, 7]), (d2, [13, 42, 42])];
    let submissions: Vec<ResultSubmission> = answers
        .iter()
        .flat_map(|(d, values)| {
            values.iter().enumerate().map(|(node, value)| ResultSubmission {
                deal_id: d.id,
                node,
                signed: SignedResult::sign(&sample_key(d.nodes[node]), d, Fr::from(*value)),
            })
        })
        .collect();
    let result_prover = prover(&result_keys, &backends)?;
    let start = Instant::now();
    let (recorded, result_update, _) = step(progress, "proving the results", || {
        prove_results(&result_prover, &result_keys, &opened, &submissions, 20)
    })?;
    let result_seconds = start.elapsed().as_secs_f64();
    let result_verify = verify_bytes("result batch", &result_keys.verifying_key, &result_update)?;

    // Deal 2's client calls for mediation (node 5 disagrees).
    let mediation_prover = prover(&mediation_keys, &backends)?;
    let start = Instant::now();
    let request = MediationRequest::sign(&sample_key(d2.client), d2);
    let (mediating, mediation_update, _) =
        step(progress, "proving the call for mediation", || {
            prove_mediation(&mediation_prover, &mediation_keys, &recorded, &[request], 30)
        })?;
    let mediation_seconds = start.elapsed().as_secs_f64();
    let mediation_verify =
        verify_bytes("mediation batch", &mediation_keys.verifying_key, &mediation_update)?;

    // A quorum of deal 2's mediators signs the correct result.
    let verdict_statement = Statement::Data(verdict_commitment(d2, Fr::from(42u64)));
    let attestations = committee.attest(&verdict_statement, &[0, 1, 2]);
    let verdict = Verdict { deal_id: 2, result: Fr::from(42u64), attestations };
    let verdict_prover = prover(&verdict_keys, &backends)?;
    let start = Instant::now();
    let (decided, verdict_update, _) = step(progress, "proving the verdict", || {
        let committees = std::slice::from_ref(&committee.set);
        prove_verdicts(&verdict_prover, &verdict_keys, &mediating, &[verdict], committees)
    })?;
    let verdict_seconds = start.elapsed().as_secs_f64();
    let verdict_verify =
        verify_bytes("verdict batch", &verdict_keys.verifying_key, &verdict_update)?;

    let settlements = [Settlement { deal_id: 1 }, Settlement { deal_id: 2 }];
    let settle_prover = prover(&settle_keys, &backends)?;
    let start = Instant::now();
    let (settled, settle_update, _) = step(progress, "proving the settlements", || {
        prove_settle(&settle_prover, &settle_keys, &decided, &settlements, 60)
    })?;
    let settle_seconds = start.elapsed().as_secs_f64();
    let settle_verify =
        verify_bytes("settlement batch", &settle_keys.verifying_key, &settle_update)?;
    let updates =
        [&open_update, &result_update, &mediation_update, &verdict_update, &settle_update];
    let chained =
        updates.windows(2).all(|w| w[0].input("new_root").ok() == w[1].input("old_root").ok());
    if !chained {
        return Err(AppError::invalid("a batch does not start where the one before ended"));
    }
    let conserved = settled.total_value() + settled.burned == total_before;
    if !conserved {
        return Err(AppError::invalid("value was not conserved"));
    }
    let balances = (0..8)
        .chain([TREASURY])
        .map(|i| (i, settled.accounts.account(i).map_or(0, |a| a.balance)))
        .collect();
    Ok(ComputeDemoReport {
        open_constraints,
        result_constraints,
        mediation_constraints,
        verdict_constraints,
        settle_constraints,
        setup_seconds,
        backend: backends.description(),
        genesis_root: fr(&ledger.root()),
        open_seconds,
        open_verify_seconds: open_verify.as_secs_f64(),
        result_seconds,
        result_verify_seconds: result_verify.as_secs_f64(),
        mediation_seconds,
        mediation_verify_seconds: mediation_verify.as_secs_f64(),
        verdict_seconds,
        verdict_verify_seconds: verdict_verify.as_secs_f64(),
        settle_seconds,
        settle_verify_seconds: settle_verify.as_secs_f64(),
        open_verified: true,
        settle_verified: true,
        chained,
        balances,
        value: (
            total_before.to_string(),
            settled.total_value().to_string(),
            settled.burned.to_string(),
        ),
        conserved,
        burned: settled.burned.to_string(),
        new_root: fr(&settled.root()),
        threshold: Threshold::TWO_THIRDS.to_string(),
        development_setup: true,
    })
}
