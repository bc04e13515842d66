use super::simulate::{default_rules, run, Params};
use super::*;
use crate::finality::{Statement, Threshold};
use crate::ledger::{Account, State};
use crate::primitives::eddsa::Signature;
use crate::sample::{sample_key, SampleChain};
use crate::Fr;
use proptest::prelude::*;

const TREASURY: u64 = 9;

/// The mediator quorum of the tests' verdicts.
const QUORUM: Threshold = Threshold::TWO_THIRDS;

/// Accounts 0..=5 with 10,000 each (0 the client, 1..=3 nodes, 4 an
/// outsider), the treasury at 9, and a 4-mediator committee.
fn setup() -> (Ledger, SampleChain, SettlementRules) {
    let mut state = State::new(4).unwrap();
    for i in (0..=5).chain([TREASURY]) {
        let account = Account { public_key: sample_key(i).public_key(), balance: 10_000, nonce: 0 };
        state.set_account(i, account).unwrap();
    }
    let committee = SampleChain::new(3, 4).unwrap();
    let rules = SettlementRules { treasury: TREASURY, ..default_rules() };
    (Ledger::new(state, 4).unwrap(), committee, rules)
}

fn terms(committee: &SampleChain) -> Deal {
    Deal {
        id: 7,
        client: 0,
        nodes: vec![1, 2, 3],
        job: Fr::from(42u64),
        price: 100,
        deposit: 400,
        collateral: 250,
        mediators: committee.set.root(),
        mediation_fee: 60,
        deadline: 1_000,
    }
}

fn signatures(deal: &Deal) -> Vec<Signature> {
    std::iter::once(deal.client)
        .chain(deal.nodes.iter().copied())
        .map(|i| sample_key(i).sign(deal.hash()))
        .collect()
}

/// The submissions of the nodes that answer: node i (by position) signs
/// `values[i]`.
fn submissions(deal: &Deal, values: &[Option<u64>]) -> Vec<ResultSubmission> {
    values
        .iter()
        .zip(&deal.nodes)
        .enumerate()
        .filter_map(|(node, (v, n))| {
            let signed = SignedResult::sign(&sample_key(*n), deal, Fr::from((*v)?));
            Some(ResultSubmission { deal_id: deal.id, node, signed })
        })
        .collect()
}

/// The client's call for mediation of `deal` at `now`.
fn mediate(ledger: &mut Ledger, deal: &Deal, now: u64) {
    ledger.request_mediation(&MediationRequest::sign(&sample_key(deal.client), deal), now).unwrap();
}

/// Puts the answering nodes' results on the record at time 10.
fn record(ledger: &mut Ledger, deal: &Deal, values: &[Option<u64>]) {
    for s in submissions(deal, values) {
        ledger.submit(&s, 10).unwrap();
    }
}

fn verdict(deal: &Deal, committee: &SampleChain, result: u64, signers: &[u64]) -> Verdict {
    let st = Statement::Data(verdict_commitment(deal, Fr::from(result)));
    let attestations = committee.attest(&st, signers);
    Verdict { deal_id: deal.id, result: Fr::from(result), attestations }
}

/// Mediators 0 to 2 record the verdict `result` on `deal`.
fn decide(ledger: &mut Ledger, deal: &Deal, committee: &SampleChain, result: u64) {
    ledger.decide(&verdict(deal, committee, result, &[0, 1, 2]), &committee.set, QUORUM).unwrap();
}

fn broken(e: ComputeError, r: ComputeRule) {
    assert_eq!(e, ComputeError::Rule(r), "expected {r:?}");
}

#[test]
fn unanimous_results_pay_every_node_and_return_the_rest() {
    let (mut ledger, committee, rules) = setup();
    let deal = terms(&committee);
    let before = ledger.total_value();
    ledger.open(&deal, &signatures(&deal)).unwrap();
    assert_eq!(ledger.accounts.account(0).unwrap().balance, 10_000 - 400);
    assert_eq!(ledger.accounts.account(1).unwrap().balance, 10_000 - 250);
    assert_eq!(ledger.total_value(), before);
    record(&mut ledger, &deal, &[Some(5), Some(5), Some(5)]);
    assert_eq!(ledger.results(7).unwrap(), [Some(Fr::from(5u64)); 3]);
    let pay = ledger.settle(7, 10, &rules).unwrap();
    assert_eq!(pay, Payouts { client: 100, nodes: vec![350; 3], treasury: 0, burned: 0 });
    assert_eq!(ledger.accounts.account(1).unwrap().balance, 10_100);
    assert_eq!(ledger.accounts.account(0).unwrap().balance, 9_700);
    assert_eq!(ledger.total_value(), before);
}

#[test]
fn a_mediated_dispute_slashes_the_wrong_and_the_silent_nodes() {
    let (mut ledger, committee, rules) = setup();
    let deal = terms(&committee);
    let before = ledger.total_value();
    ledger.open(&deal, &signatures(&deal)).unwrap();
    // Node 2 is wrong, node 3 never answered (after the deadline).
    record(&mut ledger, &deal, &[Some(5), Some(6), None]);
    mediate(&mut ledger, &deal, 1_000);
    decide(&mut ledger, &deal, &committee, 5);
    assert_eq!(ledger.deal(7).unwrap().1, DealStatus::Decided);
    assert_eq!(ledger.verdict(7), Some(Fr::from(5u64)));
    let pay = ledger.settle(7, 1_000, &rules).unwrap();
    // Forfeited 500, fee 60 to the treasury, 440 left: 220 to the client, 220 burned.
    assert_eq!(
        pay,
        Payouts { client: 300 + 220, nodes: vec![350, 0, 0], treasury: 60, burned: 220 }
    );
    assert_eq!(ledger.total_value() + ledger.burned, before);
    assert_eq!(ledger.accounts.account(TREASURY).unwrap().balance, 10_060);
}

/// A ledger restored from its deals (status, record, verdict) and burned
/// total has the root and the answers of the one they came from; a record
/// of the wrong length and a decided deal without its verdict are refused.
#[test]
fn a_restored_ledger_is_the_ledger_it_was_stored_from() {
    let (mut ledger, committee, rules) = setup();
    let deal = terms(&committee);
    let other = Deal { id: 8, ..deal.clone() };
    ledger.open(&deal, &signatures(&deal)).unwrap();
    ledger.open(&other, &signatures(&other)).unwrap();
    record(&mut ledger, &deal, &[Some(5), Some(6), None]);
    mediate(&mut ledger, &deal, 1_000);
    decide(&mut ledger, &deal, &committee, 5);
    record(&mut ledger, &other, &[Some(1), Some(1), Some(1)]);
    ledger.settle(8, 10, &rules).unwrap();
    let parts = |l: &Ledger| -> Vec<_> {
        l.deal_ids()
            .map(|id| {
                let (d, status) = l.deal(id).unwrap().clone();
                (d, status, l.results(id).unwrap().to_vec(), l.verdict(id))
            })
            .collect()
    };
    let restored =
        Ledger::restore(ledger.accounts.clone(), 4, parts(&ledger), ledger.burned).unwrap();
    assert_eq!(restored.root(), ledger.root());
    assert_eq!(restored.verdict(7), Some(Fr::from(5u64)));
    assert_eq!(restored.deal(8).unwrap().1, DealStatus::Settled);
    assert_eq!(restored.total_value() + restored.burned, ledger.total_value() + ledger.burned);

    let mut short = parts(&ledger);
    short[0].2.pop();
    let e = Ledger::restore(ledger.accounts.clone(), 4, short, 0).unwrap_err();
    assert!(e.to_string().contains("deal 7: 2 results recorded for 3 nodes"), "{e}");
    let mut unjudged = parts(&ledger);
    unjudged[0].3 = None;
    let e = Ledger::restore(ledger.accounts.clone(), 4, unjudged, 0).unwrap_err();
    assert!(e.to_string().contains("deal 7: decided without a verdict"), "{e}");
}

#[test]
fn a_needless_mediation_is_paid_by_the_client() {
    let (mut ledger, committee, rules) = setup();
    let deal = terms(&committee);
    ledger.open(&deal, &signatures(&deal)).unwrap();
    record(&mut ledger, &deal, &[Some(5), Some(5), Some(5)]);
    mediate(&mut ledger, &deal, 10);
    decide(&mut ledger, &deal, &committee, 5);
    let pay = ledger.settle(7, 10, &rules).unwrap();
    assert_eq!(pay, Payouts { client: 40, nodes: vec![350; 3], treasury: 60, burned: 0 });
}

#[test]
fn each_broken_rule_is_rejected_and_leaves_the_ledger_unchanged() {
    let (ledger, committee, rules) = setup();
    let deal = terms(&committee);
    // Unsigned deal: node 2's signature missing, or by someone else.
    let mut l = ledger.clone();
    let mut sigs = signatures(&deal);
    sigs[2] = sample_key(4).sign(deal.hash());
    broken(l.open(&deal, &sigs).unwrap_err(), ComputeRule::UnsignedDeal { party: 2 });
    let fresh = signatures(&deal);
    broken(l.open(&deal, &fresh[..3]).unwrap_err(), ComputeRule::UnsignedDeal { party: 3 });
    // Overdrawn deposit.
    let rich = Deal { deposit: 20_000, ..deal.clone() };
    broken(l.open(&rich, &signatures(&rich)).unwrap_err(), ComputeRule::Overdrawn { account: 0 });
    let costly = Deal { collateral: 10_001, ..deal.clone() };
    broken(
        l.open(&costly, &signatures(&costly)).unwrap_err(),
        ComputeRule::Overdrawn { account: 1 },
    );
    assert_eq!(l.accounts.root(), ledger.accounts.root());
    // Terms that could not pay out.
    let thin = Deal { deposit: 299, ..deal.clone() };
    assert!(l.open(&thin, &signatures(&thin)).is_err());

    l.open(&deal, &signatures(&deal)).unwrap();
    let opened = l.accounts.root();
    // Results: signed by a non-party, for a node the deal lacks, 0, at the
    // deadline, twice; none changes the record.
    let good = submissions(&deal, &[Some(5), Some(6), Some(5)]);
    let record_before = l.deal_tree().root();
    let forged = ResultSubmission {
        signed: SignedResult::sign(&sample_key(4), &deal, Fr::from(5u64)),
        ..good[2]
    };
    broken(l.submit(&forged, 10).unwrap_err(), ComputeRule::ResultByNonParty { node: 2 });
    let nowhere = ResultSubmission { node: 3, ..good[2] };
    broken(l.submit(&nowhere, 10).unwrap_err(), ComputeRule::NoSuchNode { node: 3 });
    let zero = ResultSubmission {
        signed: SignedResult::sign(&sample_key(3), &deal, Fr::from(0u64)),
        ..good[2]
    };
    broken(l.submit(&zero, 10).unwrap_err(), ComputeRule::ZeroResult);
    broken(l.submit(&good[2], 1_000).unwrap_err(), ComputeRule::ResultTooLate);
    assert_eq!(l.deal_tree().root(), record_before);
    l.submit(&good[0], 10).unwrap();
    l.submit(&good[2], 10).unwrap();
    let again = ResultSubmission {
        signed: SignedResult::sign(&sample_key(1), &deal, Fr::from(6u64)),
        ..good[0]
    };
    broken(l.submit(&again, 10).unwrap_err(), ComputeRule::ResultRecorded { node: 0 });
    // Missing results before the deadline: no settlement, no mediation.
    let v = verdict(&deal, &committee, 5, &[0, 1, 2]);
    broken(l.settle(7, 999, &rules).unwrap_err(), ComputeRule::TooEarly);
    let request = MediationRequest::sign(&sample_key(0), &deal);
    broken(l.request_mediation(&request, 999).unwrap_err(), ComputeRule::TooEarly);
    // Disagreement without mediation; a verdict the client did not call for.
    l.submit(&good[1], 10).unwrap();
    broken(l.settle(7, 10, &rules).unwrap_err(), ComputeRule::MediationRequired);
    broken(l.decide(&v, &committee.set, QUORUM).unwrap_err(), ComputeRule::NotMediating(7));
    // A request signed by a node, not the client; then the client's, once.
    let by_node = MediationRequest::sign(&sample_key(1), &deal);
    broken(l.request_mediation(&by_node, 10).unwrap_err(), ComputeRule::UnsignedRequest);
    l.request_mediation(&request, 10).unwrap();
    broken(l.request_mediation(&request, 10).unwrap_err(), ComputeRule::AlreadyMediating(7));
    // In mediation, nothing settles it before a verdict.
    broken(l.settle(7, 10, &rules).unwrap_err(), ComputeRule::VerdictRequired(7));
    // A mediator quorum short by one (2 of 4 equal-stake members is not > 2/3).
    let members: Vec<u64> = committee.set.members().keys().copied().collect();
    let signed_stake = |n: usize| {
        members[..n].iter().map(|i| committee.set.member(*i).unwrap().stake).sum::<u64>()
    };
    let needed = (1..=members.len())
        .find(|n| QUORUM.met(signed_stake(*n), committee.set.total_stake()))
        .unwrap();
    let short = verdict(&deal, &committee, 5, &members[..needed - 1]);
    broken(l.decide(&short, &committee.set, QUORUM).unwrap_err(), ComputeRule::MediatorQuorum);
    // A quorum of another committee than the deal's; a verdict of 0.
    let other = SampleChain::new(3, 5).unwrap();
    let foreign = verdict(&deal, &other, 5, &[0, 1, 2, 3, 4]);
    broken(l.decide(&foreign, &other.set, QUORUM).unwrap_err(), ComputeRule::MediatorQuorum);
    let zero = verdict(&deal, &committee, 0, &members);
    broken(l.decide(&zero, &committee.set, QUORUM).unwrap_err(), ComputeRule::ZeroResult);
    assert_eq!(l.accounts.root(), opened);
    // Decided once, then not again; settles once, then not again; no
    // result or verdict goes on a settled record.
    let quorum = verdict(&deal, &committee, 5, &members[..needed]);
    l.decide(&quorum, &committee.set, QUORUM).unwrap();
    broken(l.decide(&quorum, &committee.set, QUORUM).unwrap_err(), ComputeRule::AlreadyDecided(7));
    broken(l.request_mediation(&request, 10).unwrap_err(), ComputeRule::AlreadyMediating(7));
    assert_eq!(l.accounts.root(), opened, "a verdict moves no funds");
    l.settle(7, 10, &rules).unwrap();
    broken(l.settle(7, 10, &rules).unwrap_err(), ComputeRule::AlreadySettled(7));
    broken(l.decide(&quorum, &committee.set, QUORUM).unwrap_err(), ComputeRule::AlreadySettled(7));
    broken(l.submit(&good[1], 10).unwrap_err(), ComputeRule::AlreadySettled(7));
    broken(l.request_mediation(&request, 10).unwrap_err(), ComputeRule::AlreadySettled(7));
    broken(l.open(&deal, &signatures(&deal)).unwrap_err(), ComputeRule::DealExists(7));
    broken(l.settle(8, 10, &rules).unwrap_err(), ComputeRule::UnknownDeal(8));
    let elsewhere = Verdict { deal_id: 8, ..quorum };
    broken(l.decide(&elsewhere, &committee.set, QUORUM).unwrap_err(), ComputeRule::UnknownDeal(8));
    broken(
        l.submit(&ResultSubmission { deal_id: 8, ..good[1] }, 10).unwrap_err(),
        ComputeRule::UnknownDeal(8),
    );
}

#[test]
fn payouts_go_to_the_deal_accounts_only() {
    // A payout to a wrong account would change an outsider's balance.
    let (mut ledger, committee, rules) = setup();
    let deal = terms(&committee);
    ledger.open(&deal, &signatures(&deal)).unwrap();
    record(&mut ledger, &deal, &[Some(5), Some(6), Some(5)]);
    mediate(&mut ledger, &deal, 10);
    decide(&mut ledger, &deal, &committee, 5);
    ledger.settle(7, 10, &rules).unwrap();
    assert_eq!(ledger.accounts.account(4).unwrap().balance, 10_000);
    assert_eq!(ledger.accounts.account(5).unwrap().balance, 10_000);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Hostile submissions, calls for mediation and settlements (unknown
    /// deals, positions past the deal's nodes, any signer, value or time,
    /// against every state a deal can be in) are errors, never panics, in
    /// the native rules and in the witness builders.
    #[test]
    fn hostile_deal_transactions_are_errors_not_panics(
        deal_id in prop_oneof![Just(7u64), 0u64..20, Just(u64::MAX)],
        node in prop_oneof![0usize..4, Just(usize::MAX)],
        signer in 0u64..6,
        value in 0u64..4,
        now in prop_oneof![0u64..2_000, Just(u64::MAX)],
        recorded in proptest::collection::vec(proptest::option::of(1u64..3), 3),
        mediate_first in any::<bool>(),
        decide_first in any::<bool>(),
    ) {
        let (mut ledger, committee, rules) = setup();
        let deal = terms(&committee);
        ledger.open(&deal, &signatures(&deal)).unwrap();
        record(&mut ledger, &deal, &recorded);
        if mediate_first {
            let _ = ledger.request_mediation(&MediationRequest::sign(&sample_key(0), &deal), now);
        }
        if decide_first {
            let _ = ledger.decide(&verdict(&deal, &committee, value, &[0, 1, 2]), &committee.set, QUORUM);
        }
        let signed = SignedResult::sign(&sample_key(signer), &deal, Fr::from(value));
        let submission = ResultSubmission { deal_id, node, signed };
        let request = MediationRequest { deal_id, ..MediationRequest::sign(&sample_key(signer), &deal) };
        let v = Verdict { deal_id, ..verdict(&deal, &committee, value, &[0, 1, 2]) };
        let r_shape = ResultShape { depth: 4, deal_depth: 4, k: 3, slots: 2 };
        let m_shape = MediationShape { depth: 4, deal_depth: 4, k: 3, slots: 2 };
        let v_shape = VerdictShape {
            depth: 4, deal_depth: 4, committee_depth: 3, k: 3, mediator_slots: 4, slots: 2,
            threshold: QUORUM,
        };
        let s_shape = SettleShape { depth: 4, deal_depth: 4, k: 3, slots: 2, rules };
        let committees = std::slice::from_ref(&committee.set);
        let _ = submit_batch(&ledger, &[submission], &r_shape, now);
        let _ = build_result_witness_unchecked(&ledger, &[submission], &r_shape, now);
        let _ = mediate_batch(&ledger, &[request], &m_shape, now);
        let _ = build_mediation_witness_unchecked(&ledger, &[request], &m_shape, now);
        for committees in [committees, &[]] {
            let _ = decide_batch(&ledger, std::slice::from_ref(&v), committees, &v_shape);
            let _ = build_verdict_witness_unchecked(&ledger, std::slice::from_ref(&v), committees, &v_shape);
        }
        let s = [Settlement { deal_id }];
        let _ = settle_batch(&ledger, &s, &s_shape, now);
        let _ = build_settle_witness_unchecked(&ledger, &s, &s_shape, now);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Every outcome of every valid deal pays out exactly the deposit plus
    /// the collaterals, with nothing negative.
    #[test]
    fn value_is_conserved_on_random_settlements(
        k in 1usize..6,
        price in 0u64..1_000_000,
        fee in 0u64..1_000_000,
        extra_collateral in 0u64..1_000_000,
        extra_deposit in 0u64..1_000_000,
        matched in proptest::collection::vec(any::<bool>(), 6),
        mediated in any::<bool>(),
        share in (0u64..10, 1u64..10),
        burn in any::<bool>(),
    ) {
        let deal = Deal {
            id: 1, client: 0, nodes: (1..=k as u64).collect(), job: Fr::from(1u64), price,
            deposit: k as u64 * price + fee + extra_deposit, collateral: fee + extra_collateral,
            mediators: Fr::from(0u64), mediation_fee: fee, deadline: 0,
        };
        prop_assume!(share.0 <= share.1);
        let rules = SettlementRules { client_share: share, burn_remainder: burn, treasury: 9 };
        let matched = if mediated { matched[..k].to_vec() } else { vec![true; k] };
        let pay = payouts(&deal, &Outcome { matched, mediated }, &rules);
        prop_assert_eq!(pay.total(), u128::from(deal.deposit) + k as u128 * u128::from(deal.collateral));
        prop_assert!(burn || pay.burned == 0);
    }
}

fn params() -> Params {
    Params {
        price: 100,
        collateral: 300,
        k: 3,
        mediation_fee: 20,
        compute_cost: 40,
        mediation_probability: 0.2,
        committee: 7,
        pool: 50,
        colluders: 5,
        rules: default_rules(),
        quorum: QUORUM,
        deals: 20_000,
        seed: 1,
    }
}

fn gain(reports: &[simulate::StrategyReport], name: &str) -> f64 {
    reports.iter().find(|r| r.strategy == name).unwrap().gain()
}

#[test]
fn with_enough_collateral_and_checking_honesty_pays() {
    let r = run(&params()).unwrap();
    for name in ["lazy node", "colluding nodes", "client + mediators"] {
        assert!(gain(&r, name) < 0.0, "{name} gains {}", gain(&r, name));
    }
    // Colluding nodes gain (1 − p)·price − p·collateral against honest
    // price − cost: p·(price + collateral) = cost, p = 0.1, is the edge;
    // at p = 0.05 collusion pays, at 0.15 it does not.
    let at = |p: f64| {
        gain(&run(&Params { mediation_probability: p, ..params() }).unwrap(), "colluding nodes")
    };
    assert!(at(0.05) > 0.0);
    assert!(at(0.15) < 0.0);
    // A captured committee makes disputing honest nodes pay off.
    let captured = Params { colluders: 45, ..params() };
    assert!(gain(&run(&captured).unwrap(), "client + mediators") > 0.0);
}

#[test]
fn bad_parameters_are_errors() {
    assert!(run(&Params { k: 0, ..params() }).is_err());
    assert!(run(&Params { committee: 60, ..params() }).is_err());
    assert!(run(&Params { mediation_probability: 1.5, ..params() }).is_err());
    assert!(run(&Params { collateral: 10, ..params() }).is_err(), "collateral below the fee");
}

mod opening {
    use super::*;
    use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystem};

    fn satisfied(w: &OpenWitness) -> bool {
        let cs = ConstraintSystem::<Fr>::new_ref();
        OpenDealsCircuit { witness: w.clone() }.generate_constraints(cs.clone()).unwrap();
        cs.is_satisfied().unwrap()
    }

    fn two_deals(committee: &SampleChain) -> Vec<(Deal, Vec<Signature>)> {
        let a = terms(committee);
        let b = Deal { id: 3, client: 4, nodes: vec![5, 1, 2], ..terms(committee) };
        [a, b]
            .into_iter()
            .map(|d| {
                let s = signatures(&d);
                (d, s)
            })
            .collect()
    }

    /// The native rule rejects, and the witness a cheating prover forces in
    /// does not satisfy the circuit.
    fn rejected(ledger: &Ledger, deals: &[(Deal, Vec<Signature>)]) {
        assert!(open_batch(ledger, deals, 3, 3).is_err(), "native rules accepted");
        let forced = build_open_witness_unchecked(ledger, deals, 3, 3).unwrap();
        assert!(!satisfied(&forced), "circuit accepted");
    }

    #[test]
    fn a_valid_batch_satisfies_the_circuit_and_moves_the_root() {
        let (ledger, committee, _) = setup();
        let deals = two_deals(&committee);
        let (next, w) = open_batch(&ledger, &deals, 3, 3).unwrap();
        assert_eq!(w.old_root, ledger.root());
        assert_eq!(w.new_root, next.root());
        assert!(!w.slots[2].used);
        assert!(satisfied(&w));
        assert_eq!(next.accounts.account(1).unwrap().balance, 10_000 - 2 * 250);
        assert_eq!(next.total_value(), ledger.total_value());
    }

    #[test]
    fn the_member_root_passes_through_unchanged() {
        let (mut ledger, committee, _) = setup();
        ledger.members_root = Fr::from(77u64);
        let (next, w) = open_batch(&ledger, &two_deals(&committee), 3, 3).unwrap();
        assert_eq!(next.members_root, ledger.members_root);
        assert_eq!(w.new_root, next.root());
        assert!(satisfied(&w));
        // An opening that also moved the member root is unsatisfiable.
        let moved = next.roots().with_members(Fr::from(78u64)).root();
        assert!(!satisfied(&OpenWitness { new_root: moved, ..w.clone() }));
        assert!(!satisfied(&OpenWitness { members_root: Fr::from(78u64), ..w }));
    }

    #[test]
    fn each_broken_opening_rule_is_unsatisfiable() {
        let (ledger, committee, _) = setup();
        let good = two_deals(&committee);
        // Unsigned: node 2's signature made by the outsider.
        let mut unsigned = good.clone();
        unsigned[0].1[2] = sample_key(4).sign(unsigned[0].0.hash());
        rejected(&ledger, &unsigned);
        // Overdrawn deposit (re-signed, so only the balance is wrong).
        let mut overdrawn = good.clone();
        overdrawn[1].0.deposit = 10_001;
        overdrawn[1].1 = signatures(&overdrawn[1].0);
        rejected(&ledger, &overdrawn);
        // A deposit that cannot pay k·price + fee.
        let mut thin = good.clone();
        thin[0].0.deposit = 359;
        thin[0].1 = signatures(&thin[0].0);
        rejected(&ledger, &thin);
        // A node twice.
        let mut twice = good.clone();
        twice[0].0.nodes = vec![1, 1, 2];
        twice[0].1 = signatures(&twice[0].0);
        rejected(&ledger, &twice);
        // The same deal id opened twice.
        let mut again = good.clone();
        again[1] = again[0].clone();
        rejected(&ledger, &again);
    }

    #[test]
    fn public_inputs_are_allocated_in_the_declared_order() {
        let (ledger, committee, _) = setup();
        let (_, w) = open_batch(&ledger, &two_deals(&committee), 3, 2).unwrap();
        crate::circuit::check_input_order(OpenDealsCircuit { witness: w }).unwrap();
    }

    #[test]
    fn constraints_per_opening_slot() {
        let count = |slots| {
            let cs = ConstraintSystem::<Fr>::new_ref();
            OpenDealsCircuit::for_setup(16, 16, 3, slots).generate_constraints(cs.clone()).unwrap();
            cs.num_constraints()
        };
        let per_slot = count(2) - count(1);
        eprintln!("deal opening, k = 3, depths 16/16: {per_slot} constraints per slot");
        // Four signatures (5,776 each) and five 16-level path updates.
        assert!((4 * 5_776..70_000).contains(&per_slot), "{per_slot}");
    }

    #[test]
    fn no_witness_variable_of_a_used_slot_is_free() {
        use crate::soundness::{default_deltas, free_witness_variables};
        let (ledger, committee, _) = setup();
        let deals = two_deals(&committee);
        let (_, w) = open_batch(&ledger, &deals, 3, 2).unwrap();
        let report =
            free_witness_variables(OpenDealsCircuit { witness: w }, &default_deltas()).unwrap();
        assert!(report.free.is_empty(), "free variables: {:?}", report.free);
    }
}

mod recording {
    use super::*;
    use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystem};

    const SHAPE: ResultShape = ResultShape { depth: 4, deal_depth: 4, k: 3, slots: 3 };

    fn satisfied(w: &ResultWitness) -> bool {
        let cs = ConstraintSystem::<Fr>::new_ref();
        SubmitResultsCircuit { witness: w.clone() }.generate_constraints(cs.clone()).unwrap();
        cs.is_satisfied().unwrap()
    }

    fn opened() -> (Ledger, Deal) {
        let (mut ledger, committee, _) = setup();
        let deal = terms(&committee);
        ledger.open(&deal, &signatures(&deal)).unwrap();
        (ledger, deal)
    }

    /// The native rules refuse `subs` at `now`, and the witness a cheating
    /// prover forces in does not satisfy the circuit.
    fn rejected(ledger: &Ledger, subs: &[ResultSubmission], now: u64) {
        assert!(submit_batch(ledger, subs, &SHAPE, now).is_err(), "native accepted");
        let forced = build_result_witness_unchecked(ledger, subs, &SHAPE, now).unwrap();
        assert!(!satisfied(&forced), "circuit accepted");
    }

    #[test]
    fn results_go_on_the_record_and_move_the_root() {
        let (ledger, deal) = opened();
        let subs = submissions(&deal, &[Some(5), None, Some(6)]);
        let (next, w) = submit_batch(&ledger, &subs, &SHAPE, 10).unwrap();
        assert_eq!((w.old_root, w.new_root), (ledger.root(), next.root()));
        assert_eq!(next.results(7).unwrap(), [Some(Fr::from(5u64)), None, Some(Fr::from(6u64))]);
        assert_eq!(next.accounts.root(), ledger.accounts.root(), "no account moves");
        assert!(!w.slots[2].used);
        assert!(satisfied(&w));
        // The last node, in a later batch (and the last second before the deadline).
        let late = submissions(&deal, &[None, Some(5), None]);
        let (after, w) = submit_batch(&next, &late, &SHAPE, 999).unwrap();
        assert!(satisfied(&w));
        assert_eq!(after.results(7).unwrap().iter().flatten().count(), 3);
    }

    #[test]
    fn each_broken_result_rule_is_unsatisfiable() {
        let (ledger, deal) = opened();
        let good = submissions(&deal, &[Some(5), Some(5), Some(5)]);
        // Signed by a non-party; by another node of the deal for this position.
        let outsider = SignedResult::sign(&sample_key(4), &deal, Fr::from(5u64));
        rejected(&ledger, &[ResultSubmission { signed: outsider, ..good[1] }], 10);
        rejected(&ledger, &[ResultSubmission { node: 1, ..good[2] }], 10);
        // At or after the deadline.
        rejected(&ledger, &good[..1], 1_000);
        rejected(&ledger, &good[..1], u64::MAX);
        // A result of 0.
        let zero = SignedResult::sign(&sample_key(1), &deal, Fr::from(0u64));
        rejected(&ledger, &[ResultSubmission { signed: zero, ..good[0] }], 10);
        // Twice for one node: in one batch, and after it is recorded.
        let other = SignedResult::sign(&sample_key(1), &deal, Fr::from(6u64));
        let twice = [good[0], ResultSubmission { signed: other, ..good[0] }];
        rejected(&ledger, &twice, 10);
        let (recorded, _) = submit_batch(&ledger, &good[..1], &SHAPE, 10).unwrap();
        rejected(&recorded, &twice[1..], 10);
        // To a settled deal.
        let (mut settled, committee, rules) = setup();
        settled.open(&deal, &signatures(&deal)).unwrap();
        record(&mut settled, &deal, &[Some(5), Some(5), None]);
        mediate(&mut settled, &deal, 1_000);
        decide(&mut settled, &deal, &committee, 5);
        settled.settle(7, 1_000, &rules).unwrap();
        rejected(&settled, &good[2..], 10);
        // To a deal in mediation (node 3's entry still empty; before the deadline).
        let (mut early, ..) = setup();
        early.open(&deal, &signatures(&deal)).unwrap();
        record(&mut early, &deal, &[Some(5), Some(5), None]);
        mediate(&mut early, &deal, 1_000);
        assert!(early.submit(&good[2], 10).is_err());
        let forced = build_result_witness_unchecked(&early, &good[2..], &SHAPE, 10).unwrap();
        assert!(!satisfied(&forced), "a result recorded on a deal in mediation");
    }

    #[test]
    fn public_inputs_are_allocated_in_the_declared_order() {
        use crate::circuit::{AnyShape, CircuitShape};
        let (ledger, deal) = opened();
        let (_, w) = submit_batch(&ledger, &submissions(&deal, &[Some(5)]), &SHAPE, 10).unwrap();
        crate::circuit::check_input_order(SubmitResultsCircuit { witness: w }).unwrap();
        assert_eq!(AnyShape::parse("compute-result", &SHAPE.params()).unwrap(), SHAPE.into());
    }

    #[test]
    fn no_witness_variable_of_a_used_slot_is_free() {
        use crate::soundness::{default_deltas, free_witness_variables};
        let (ledger, deal) = opened();
        let subs = submissions(&deal, &[None, Some(5), None]);
        let shape = ResultShape { slots: 1, ..SHAPE };
        let (_, w) = submit_batch(&ledger, &subs, &shape, 10).unwrap();
        let report =
            free_witness_variables(SubmitResultsCircuit { witness: w }, &default_deltas()).unwrap();
        assert!(report.free.is_empty(), "free variables: {:?}", report.free);
    }

    #[test]
    fn constraints_per_result_slot() {
        let shape = ResultShape { depth: 16, deal_depth: 16, k: 3, slots: 1 };
        let count = |slots| {
            let cs = ConstraintSystem::<Fr>::new_ref();
            SubmitResultsCircuit::for_setup(ResultShape { slots, ..shape })
                .generate_constraints(cs.clone())
                .unwrap();
            cs.num_constraints()
        };
        let per_slot = count(2) - count(1);
        eprintln!("result submission, k = 3, depths 16/16: {per_slot} constraints per slot");
        // One signature (5,776) and a 16-level path read and update.
        assert!((5_776..40_000).contains(&per_slot), "{per_slot}");
    }
}

mod mediation {
    use super::*;
    use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystem};

    const SHAPE: MediationShape = MediationShape { depth: 4, deal_depth: 4, k: 3, slots: 2 };

    fn satisfied(w: &MediationWitness) -> bool {
        let cs = ConstraintSystem::<Fr>::new_ref();
        RequestMediationCircuit { witness: w.clone() }.generate_constraints(cs.clone()).unwrap();
        cs.is_satisfied().unwrap()
    }

    /// Deal 7 open with `values` on the record.
    fn recorded(values: &[Option<u64>]) -> (Ledger, Deal) {
        let (mut ledger, committee, _) = setup();
        let deal = terms(&committee);
        ledger.open(&deal, &signatures(&deal)).unwrap();
        record(&mut ledger, &deal, values);
        (ledger, deal)
    }

    fn rejected(ledger: &Ledger, requests: &[MediationRequest], now: u64) {
        assert!(mediate_batch(ledger, requests, &SHAPE, now).is_err(), "native accepted");
        let forced = build_mediation_witness_unchecked(ledger, requests, &SHAPE, now).unwrap();
        assert!(!satisfied(&forced), "circuit accepted");
    }

    #[test]
    fn a_client_calls_for_mediation_after_the_results() {
        // Every result in, before the deadline; or one missing, at the deadline.
        for (values, now) in [([Some(5), Some(6), Some(5)], 10), ([Some(5), None, Some(5)], 1_000)]
        {
            let (ledger, deal) = recorded(&values);
            let request = MediationRequest::sign(&sample_key(0), &deal);
            let (next, w) = mediate_batch(&ledger, &[request], &SHAPE, now).unwrap();
            assert_eq!((w.old_root, w.new_root), (ledger.root(), next.root()));
            assert_eq!(next.deal(7).unwrap().1, DealStatus::Mediating);
            assert_eq!(next.results(7), ledger.results(7), "the record stays");
            assert_eq!(next.accounts.root(), ledger.accounts.root());
            assert_eq!(next.total_value(), ledger.total_value(), "still locked");
            assert!(!w.slots[1].used);
            assert!(satisfied(&w));
        }
    }

    #[test]
    fn each_broken_mediation_rule_is_unsatisfiable() {
        let (ledger, deal) = recorded(&[Some(5), None, Some(5)]);
        let request = MediationRequest::sign(&sample_key(0), &deal);
        // Before the results are in (one missing, before the deadline).
        rejected(&ledger, &[request], 999);
        // Signed by a node, or by an outsider, not the client.
        for signer in [1, 4] {
            rejected(&ledger, &[MediationRequest::sign(&sample_key(signer), &deal)], 1_000);
        }
        // Twice: in one batch, and once it is in mediation.
        rejected(&ledger, &[request, request], 1_000);
        let (mediating, _) = mediate_batch(&ledger, &[request], &SHAPE, 1_000).unwrap();
        rejected(&mediating, &[request], 1_000);
        // For a settled deal.
        let (mut settled, _, rules) = setup();
        settled.open(&deal, &signatures(&deal)).unwrap();
        record(&mut settled, &deal, &[Some(5); 3]);
        settled.settle(7, 10, &rules).unwrap();
        rejected(&settled, &[request], 10);
    }

    #[test]
    fn public_inputs_are_allocated_in_the_declared_order() {
        use crate::circuit::{AnyShape, CircuitShape};
        let (ledger, deal) = recorded(&[Some(5); 3]);
        let request = MediationRequest::sign(&sample_key(0), &deal);
        let (_, w) = mediate_batch(&ledger, &[request], &SHAPE, 10).unwrap();
        crate::circuit::check_input_order(RequestMediationCircuit { witness: w }).unwrap();
        assert_eq!(AnyShape::parse("compute-mediation", &SHAPE.params()).unwrap(), SHAPE.into());
    }

    #[test]
    fn no_witness_variable_of_a_used_slot_is_free() {
        use crate::soundness::{default_deltas, free_witness_variables};
        let (ledger, deal) = recorded(&[Some(5), None, Some(5)]);
        let request = MediationRequest::sign(&sample_key(0), &deal);
        let shape = MediationShape { slots: 1, ..SHAPE };
        let (_, w) = mediate_batch(&ledger, &[request], &shape, 1_000).unwrap();
        let report =
            free_witness_variables(RequestMediationCircuit { witness: w }, &default_deltas())
                .unwrap();
        assert!(report.free.is_empty(), "free variables: {:?}", report.free);
    }

    #[test]
    fn constraints_per_mediation_slot() {
        let shape = MediationShape { depth: 16, deal_depth: 16, k: 3, slots: 1 };
        let count = |slots| {
            let cs = ConstraintSystem::<Fr>::new_ref();
            RequestMediationCircuit::for_setup(MediationShape { slots, ..shape })
                .generate_constraints(cs.clone())
                .unwrap();
            cs.num_constraints()
        };
        let per_slot = count(2) - count(1);
        eprintln!("mediation request, k = 3, depths 16/16: {per_slot} constraints per slot");
        assert!((5_776..40_000).contains(&per_slot), "{per_slot}");
    }
}

mod deciding {
    use super::*;
    use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystem};

    const SHAPE: VerdictShape = VerdictShape {
        depth: 4,
        deal_depth: 4,
        committee_depth: 3,
        k: 3,
        mediator_slots: 4,
        slots: 2,
        threshold: QUORUM,
    };

    fn satisfied(w: &VerdictWitness) -> bool {
        let cs = ConstraintSystem::<Fr>::new_ref();
        RecordVerdictsCircuit { witness: w.clone() }.generate_constraints(cs.clone()).unwrap();
        cs.is_satisfied().unwrap()
    }

    /// Deal 7 with `values` on the record, in mediation when `mediating`.
    fn recorded(values: &[Option<u64>], mediating: bool) -> (Ledger, SampleChain, Deal) {
        let (mut ledger, committee, _) = setup();
        let deal = terms(&committee);
        ledger.open(&deal, &signatures(&deal)).unwrap();
        record(&mut ledger, &deal, values);
        if mediating {
            mediate(&mut ledger, &deal, 1_000);
        }
        (ledger, committee, deal)
    }

    fn rejected(ledger: &Ledger, c: &SampleChain, verdicts: &[Verdict]) {
        let committees = std::slice::from_ref(&c.set);
        assert!(decide_batch(ledger, verdicts, committees, &SHAPE).is_err(), "native accepted");
        let forced = build_verdict_witness_unchecked(ledger, verdicts, committees, &SHAPE).unwrap();
        assert!(!satisfied(&forced), "circuit accepted");
    }

    #[test]
    fn a_verdict_goes_on_the_record_of_a_deal_in_mediation() {
        let (ledger, c, deal) = recorded(&[Some(5), Some(6), None], true);
        let v = verdict(&deal, &c, 5, &[0, 1, 2]);
        let committees = std::slice::from_ref(&c.set);
        let (next, w) = decide_batch(&ledger, &[v], committees, &SHAPE).unwrap();
        assert_eq!((w.old_root, w.new_root), (ledger.root(), next.root()));
        assert_ne!(next.root(), ledger.root());
        assert_eq!(next.deal(7).unwrap().1, DealStatus::Decided);
        assert_eq!(next.verdict(7), Some(Fr::from(5u64)));
        assert_eq!(next.results(7), ledger.results(7), "the record stays");
        assert_eq!(next.accounts.root(), ledger.accounts.root(), "no funds move");
        assert_eq!(next.total_value(), ledger.total_value());
        assert!(!w.slots[1].used);
        assert!(satisfied(&w));
    }

    #[test]
    fn the_account_and_member_roots_pass_through_a_verdict() {
        let (mut ledger, c, deal) = recorded(&[Some(5), Some(6), Some(5)], true);
        ledger.members_root = Fr::from(77u64);
        let v = verdict(&deal, &c, 5, &[0, 1, 2]);
        let (next, w) = decide_batch(&ledger, &[v], std::slice::from_ref(&c.set), &SHAPE).unwrap();
        assert_eq!(next.members_root, ledger.members_root);
        let moved = [
            next.roots().with_members(Fr::from(78u64)),
            next.roots().with_accounts(Fr::from(1u64)),
        ];
        for roots in moved {
            assert!(!satisfied(&VerdictWitness { new_root: roots.root(), ..w.clone() }));
        }
    }

    #[test]
    fn each_broken_verdict_rule_is_unsatisfiable() {
        let (ledger, c, deal) = recorded(&[Some(5), Some(6), Some(5)], true);
        // A quorum short by one (2 of 4 equal stakes is not > 2/3).
        rejected(&ledger, &c, &[verdict(&deal, &c, 5, &[0, 1])]);
        // Signed over another result than the one recorded.
        let mut swapped = verdict(&deal, &c, 6, &[0, 1, 2]);
        swapped.result = Fr::from(5u64);
        rejected(&ledger, &c, &[swapped]);
        // A verdict of 0, the record's mark for none.
        rejected(&ledger, &c, &[verdict(&deal, &c, 0, &[0, 1, 2, 3])]);
        // A quorum of another committee than the deal names.
        let other = SampleChain::new(3, 5).unwrap();
        let foreign = verdict(&deal, &other, 5, &[0, 1, 2, 3]);
        let committees = std::slice::from_ref(&other.set);
        assert!(decide_batch(&ledger, std::slice::from_ref(&foreign), committees, &SHAPE).is_err());
        let forced =
            build_verdict_witness_unchecked(&ledger, &[foreign], committees, &SHAPE).unwrap();
        assert!(!satisfied(&forced), "circuit accepted another committee");
        // A deal the client did not call mediation for.
        let (open, ..) = recorded(&[Some(5), Some(6), Some(5)], false);
        rejected(&open, &c, &[verdict(&deal, &c, 5, &[0, 1, 2])]);
        // Twice: in one batch, and once decided.
        let v = verdict(&deal, &c, 5, &[0, 1, 2]);
        rejected(&ledger, &c, &[v.clone(), v.clone()]);
        let (decided, _) =
            decide_batch(&ledger, std::slice::from_ref(&v), std::slice::from_ref(&c.set), &SHAPE)
                .unwrap();
        rejected(&decided, &c, std::slice::from_ref(&v));
        // For a settled deal.
        let (mut settled, ..) = recorded(&[Some(5); 3], false);
        settled.settle(7, 10, &default_rules()).unwrap();
        rejected(&settled, &c, &[v]);
    }

    #[test]
    fn public_inputs_are_allocated_in_the_declared_order() {
        use crate::circuit::{AnyShape, CircuitShape};
        let (ledger, c, deal) = recorded(&[Some(5); 3], true);
        let v = verdict(&deal, &c, 5, &[0, 1, 2]);
        let (_, w) = decide_batch(&ledger, &[v], std::slice::from_ref(&c.set), &SHAPE).unwrap();
        crate::circuit::check_input_order(RecordVerdictsCircuit { witness: w }).unwrap();
        assert_eq!(AnyShape::parse("compute-verdict", &SHAPE.params()).unwrap(), SHAPE.into());
    }

    /// A verdict every mediator signed has no free witness variable (a
    /// quorum's unused signer slots are free, as in the finality circuit).
    #[test]
    fn no_witness_variable_of_a_used_slot_is_free() {
        use crate::soundness::{default_deltas, free_witness_variables};
        let (ledger, c, deal) = recorded(&[Some(5), Some(6), None], true);
        let v = verdict(&deal, &c, 5, &[0, 1, 2, 3]);
        let shape = VerdictShape { slots: 1, ..SHAPE };
        let (_, w) = decide_batch(&ledger, &[v], std::slice::from_ref(&c.set), &shape).unwrap();
        let report =
            free_witness_variables(RecordVerdictsCircuit { witness: w }, &default_deltas())
                .unwrap();
        assert!(report.free.is_empty(), "free variables: {:?}", report.free);
    }

    #[test]
    fn constraints_per_verdict_slot() {
        let shape = VerdictShape {
            depth: 16,
            deal_depth: 16,
            committee_depth: 8,
            k: 3,
            mediator_slots: 5,
            slots: 1,
            threshold: QUORUM,
        };
        let count = |slots| {
            let cs = ConstraintSystem::<Fr>::new_ref();
            RecordVerdictsCircuit::for_setup(VerdictShape { slots, ..shape })
                .generate_constraints(cs.clone())
                .unwrap();
            cs.num_constraints()
        };
        let per_slot = count(2) - count(1);
        eprintln!(
            "verdict, k = 3, 5 mediator slots, depths 16/16/8: {per_slot} constraints per slot"
        );
        // Five signatures (5,776 each) and their committee paths.
        assert!(per_slot > 5 * 5_776, "{per_slot}");
    }
}

mod settling {
    use super::*;
    use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystem};

    const SHAPE: SettleShape =
        SettleShape { depth: 4, deal_depth: 4, k: 3, slots: 2, rules: default_rules() };

    fn satisfied(w: &SettleWitness) -> bool {
        let cs = ConstraintSystem::<Fr>::new_ref();
        SettleDealsCircuit { witness: w.clone() }.generate_constraints(cs.clone()).unwrap();
        cs.is_satisfied().unwrap()
    }

    /// The ledger with deal 7 open and the given results on the record.
    fn opened(values: &[Option<u64>]) -> (Ledger, SampleChain, SettlementRules, Deal) {
        let (mut ledger, committee, rules) = setup();
        let deal = terms(&committee);
        ledger.open(&deal, &signatures(&deal)).unwrap();
        record(&mut ledger, &deal, values);
        (ledger, committee, rules, deal)
    }

    /// [`opened`], then the client's call for mediation at `now`.
    fn mediating(values: &[Option<u64>], now: u64) -> (Ledger, SampleChain, SettlementRules, Deal) {
        let (mut ledger, committee, rules, deal) = opened(values);
        mediate(&mut ledger, &deal, now);
        (ledger, committee, rules, deal)
    }

    /// [`mediating`], then the verdict `result` recorded.
    fn decided(
        values: &[Option<u64>],
        now: u64,
        result: u64,
    ) -> (Ledger, SampleChain, SettlementRules, Deal) {
        let (mut ledger, committee, rules, deal) = mediating(values, now);
        decide(&mut ledger, &deal, &committee, result);
        (ledger, committee, rules, deal)
    }

    fn settlement(deal: &Deal) -> Settlement {
        Settlement { deal_id: deal.id }
    }

    fn accepted(ledger: &Ledger, rules: &SettlementRules, s: &[Settlement], now: u64) -> Ledger {
        let (next, w) =
            settle_batch(ledger, s, &SettleShape { rules: *rules, ..SHAPE }, now).unwrap();
        assert_eq!((w.old_root, w.new_root), (ledger.root(), next.root()));
        assert!(satisfied(&w), "circuit rejected a valid settlement");
        next
    }

    fn rejected(ledger: &Ledger, rules: &SettlementRules, s: &[Settlement], now: u64) {
        let shape = SettleShape { rules: *rules, ..SHAPE };
        assert!(settle_batch(ledger, s, &shape, now).is_err(), "native accepted");
        let forced = build_settle_witness_unchecked(ledger, s, &shape, now).unwrap();
        assert!(!satisfied(&forced), "circuit accepted");
    }

    #[test]
    fn valid_settlements_satisfy_the_circuit() {
        let (ledger, _, rules, deal) = opened(&[Some(5); 3]);
        let before = ledger.total_value();
        // Unanimous.
        let next = accepted(&ledger, &rules, &[settlement(&deal)], 10);
        assert_eq!(next.total_value(), before);
        assert_eq!(next.results(7).unwrap(), ledger.results(7).unwrap(), "the record stays");
        // A dispute: node 2 wrong, node 3 silent after the deadline.
        let (disputed, ..) = decided(&[Some(5), Some(6), None], 1_000, 5);
        let next = accepted(&disputed, &rules, &[settlement(&deal)], 1_000);
        assert_eq!(next.total_value() + next.burned, before);
        assert_eq!(next.verdict(7), Some(Fr::from(5u64)), "the verdict stays");
        assert_eq!(next.accounts.account(1).unwrap().balance, 10_000 + 100);
        assert_eq!(next.accounts.account(2).unwrap().balance, 10_000 - 250);
        // A needless mediation, with the remainder to the treasury instead.
        let jackpot = SettlementRules { burn_remainder: false, ..rules };
        let (needless, ..) = decided(&[Some(5); 3], 10, 5);
        accepted(&needless, &jackpot, &[settlement(&deal)], 10);
    }

    #[test]
    fn the_member_root_passes_through_a_settlement() {
        let (mut ledger, _, rules, deal) = opened(&[Some(5); 3]);
        ledger.members_root = Fr::from(77u64);
        let next = accepted(&ledger, &rules, &[settlement(&deal)], 10);
        assert_eq!(next.members_root, ledger.members_root);
        let shape = SettleShape { rules, ..SHAPE };
        let (_, w) = settle_batch(&ledger, &[settlement(&deal)], &shape, 10).unwrap();
        let moved = next.roots().with_members(Fr::from(78u64)).root();
        assert!(!satisfied(&SettleWitness { new_root: moved, ..w }));
    }

    #[test]
    fn each_broken_settlement_rule_is_unsatisfiable() {
        // Disagreement without mediation.
        let (split, _, rules, deal) = opened(&[Some(5), Some(6), Some(5)]);
        rejected(&split, &rules, &[settlement(&deal)], 10);
        // A missing result before the deadline.
        let (missing, ..) = opened(&[Some(5), None, Some(5)]);
        rejected(&missing, &rules, &[settlement(&deal)], 999);
        // A deal in mediation with no verdict yet (its results agreeing or not).
        let (in_mediation, ..) = mediating(&[Some(5), Some(6), Some(5)], 10);
        rejected(&in_mediation, &rules, &[settlement(&deal)], 10);
        let (agreed, ..) = mediating(&[Some(5); 3], 10);
        rejected(&agreed, &rules, &[settlement(&deal)], 10);
        // Settling twice, in one batch and after a settlement.
        let (ledger, ..) = opened(&[Some(5); 3]);
        let once = settlement(&deal);
        rejected(&ledger, &rules, &[once, once], 10);
        let settled = accepted(&ledger, &rules, &[once], 10);
        rejected(&settled, &rules, &[once], 10);
    }

    /// The gap the record closes: a settler cannot leave out (or change) a
    /// result or the verdict on the record. Natively a settlement takes
    /// neither. In the circuit, a settler of ledger A (node 2's result 5
    /// recorded, verdict 5) builds the whole witness from ledger B, the
    /// same ledger with node 2's entry empty (node 2 silent, so slashed) or
    /// another, or with another verdict: every payout, path and balance is
    /// consistent, and only the deal leaf differs from A's. Presented with
    /// A's old root, it is unsatisfiable.
    #[test]
    fn a_settlement_that_omits_a_recorded_result_or_verdict_is_unsatisfiable() {
        let (a, _, rules, deal) = decided(&[Some(5), Some(5), Some(5)], 1_000, 5);
        let shape = SettleShape { rules, ..SHAPE };
        let s = [settlement(&deal)];
        let (honest, _) = settle_batch(&a, &s, &shape, 1_000).unwrap();
        assert_eq!(honest.accounts.account(2).unwrap().balance, 10_000 + 100);
        let forgeries =
            [([Some(5), None, Some(5)], 5), ([Some(5), Some(6), Some(5)], 5), ([Some(5); 3], 6)];
        for (values, verdict) in forgeries {
            let (b, ..) = decided(&values, 1_000, verdict);
            assert_eq!(a.accounts.root(), b.accounts.root());
            let (paid, wb) = settle_batch(&b, &s, &shape, 1_000).unwrap();
            assert!(satisfied(&wb), "the forged witness is consistent in itself");
            assert_ne!(paid.accounts.root(), honest.accounts.root());
            let cheat =
                SettleWitness { deals_root: a.deal_tree().root(), old_root: a.root(), ..wb };
            assert!(!satisfied(&cheat), "settled A against another record");
        }
    }

    #[test]
    fn public_inputs_are_allocated_in_the_declared_order() {
        use crate::circuit::{AnyShape, CircuitShape};
        let (ledger, _, rules, deal) = opened(&[Some(5); 3]);
        let shape = SettleShape { rules, ..SHAPE };
        let (_, w) = settle_batch(&ledger, &[settlement(&deal)], &shape, 10).unwrap();
        crate::circuit::check_input_order(SettleDealsCircuit { witness: w }).unwrap();
        assert_eq!(AnyShape::parse("compute-settle", &shape.params()).unwrap(), shape.into());
    }

    #[test]
    fn a_payout_to_a_wrong_account_is_unsatisfiable() {
        let (ledger, _, rules, deal) = opened(&[Some(5); 3]);
        let shape = SettleShape { rules, ..SHAPE };
        let (_, w) = settle_batch(&ledger, &[settlement(&deal)], &shape, 10).unwrap();
        // The client's refund credited to the outsider's account instead.
        let mut wrong = w.clone();
        let outsider = ledger.accounts.account(4).unwrap();
        let credit = &mut wrong.slots[0].credits[0];
        credit.index = 4;
        credit.public_key = outsider.public_key.0;
        credit.balance = Fr::from(outsider.balance);
        credit.path = ledger.accounts.tree().proof(4).unwrap().siblings;
        assert!(!satisfied(&wrong));
        // A node paid more than its price and collateral: the root moves
        // differently from the committed one.
        let mut greedy = w;
        greedy.slots[0].credits[1].balance += Fr::from(1u64);
        assert!(!satisfied(&greedy));
    }

    /// A settlement, unanimous or by a recorded verdict, has no free
    /// witness variable.
    #[test]
    fn no_witness_variable_of_a_used_slot_is_free() {
        use crate::soundness::{default_deltas, free_witness_variables};
        let (unanimous, _, _, deal) = opened(&[Some(5); 3]);
        let (disputed, ..) = decided(&[Some(5), Some(6), None], 1_000, 5);
        let shape = SettleShape { slots: 1, ..SHAPE };
        for (ledger, now) in [(&unanimous, 10), (&disputed, 1_000)] {
            let (_, w) = settle_batch(ledger, &[settlement(&deal)], &shape, now).unwrap();
            let report =
                free_witness_variables(SettleDealsCircuit { witness: w }, &default_deltas())
                    .unwrap();
            assert!(report.free.is_empty(), "free variables: {:?}", report.free);
        }
    }

    #[test]
    fn constraints_per_settlement_slot() {
        let shape =
            SettleShape { depth: 16, deal_depth: 16, k: 3, slots: 1, rules: default_rules() };
        let count = |slots| {
            let cs = ConstraintSystem::<Fr>::new_ref();
            SettleDealsCircuit::for_setup(SettleShape { slots, ..shape })
                .generate_constraints(cs.clone())
                .unwrap();
            cs.num_constraints()
        };
        let per_slot = count(2) - count(1);
        eprintln!("deal settlement, k = 3, depths 16/16: {per_slot} constraints per slot");
        // Five 16-level account updates and a deal leaf update, no signature.
        assert!((10_000..60_000).contains(&per_slot), "{per_slot}");
    }
}
