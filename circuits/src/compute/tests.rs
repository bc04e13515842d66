use super::simulate::{default_rules, run, Params};
use super::*;
use crate::finality::{Statement, Threshold};
use crate::ledger::{Account, State};
use crate::primitives::eddsa::Signature;
use crate::sample::{sample_key, SampleChain};
use crate::Fr;
use proptest::prelude::*;

const TREASURY: u64 = 9;

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

fn results(deal: &Deal, values: &[Option<u64>]) -> Vec<Option<SignedResult>> {
    values
        .iter()
        .zip(&deal.nodes)
        .map(|(v, n)| v.map(|v| SignedResult::sign(&sample_key(*n), deal, Fr::from(v))))
        .collect()
}

fn verdict(deal: &Deal, committee: &SampleChain, result: u64, signers: &[u64]) -> Verdict {
    let st = Statement::Data(verdict_commitment(deal, Fr::from(result)));
    Verdict { result: Fr::from(result), attestations: committee.attest(&st, signers) }
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
    let pay = ledger
        .settle(7, 10, &results(&deal, &[Some(5), Some(5), Some(5)]), None, &committee.set, &rules)
        .unwrap();
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
    let rs = results(&deal, &[Some(5), Some(6), None]);
    let v = verdict(&deal, &committee, 5, &[0, 1, 2]);
    let pay = ledger.settle(7, 1_000, &rs, Some(&v), &committee.set, &rules).unwrap();
    // Forfeited 500, fee 60 to the treasury, 440 left: 220 to the client, 220 burned.
    assert_eq!(
        pay,
        Payouts { client: 300 + 220, nodes: vec![350, 0, 0], treasury: 60, burned: 220 }
    );
    assert_eq!(ledger.total_value() + ledger.burned, before);
    assert_eq!(ledger.accounts.account(TREASURY).unwrap().balance, 10_060);
}

#[test]
fn a_needless_mediation_is_paid_by_the_client() {
    let (mut ledger, committee, rules) = setup();
    let deal = terms(&committee);
    ledger.open(&deal, &signatures(&deal)).unwrap();
    let rs = results(&deal, &[Some(5), Some(5), Some(5)]);
    let v = verdict(&deal, &committee, 5, &[0, 1, 2]);
    let pay = ledger.settle(7, 10, &rs, Some(&v), &committee.set, &rules).unwrap();
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
    let good = results(&deal, &[Some(5), Some(5), Some(5)]);
    // A result by a non-party: node 3's slot signed by the outsider.
    let mut forged = good.clone();
    forged[2] = Some(SignedResult::sign(&sample_key(4), &deal, Fr::from(5u64)));
    let e = l.settle(7, 10, &forged, None, &committee.set, &rules).unwrap_err();
    broken(e, ComputeRule::ResultByNonParty { node: 2 });
    // Disagreement without a verdict; missing results before the deadline.
    let split = results(&deal, &[Some(5), Some(6), Some(5)]);
    let e = l.settle(7, 10, &split, None, &committee.set, &rules).unwrap_err();
    broken(e, ComputeRule::MediationRequired);
    let missing = results(&deal, &[Some(5), None, Some(5)]);
    let v = verdict(&deal, &committee, 5, &[0, 1, 2]);
    let e = l.settle(7, 999, &missing, Some(&v), &committee.set, &rules).unwrap_err();
    broken(e, ComputeRule::TooEarly);
    // A mediator quorum short by one (2 of 4 equal-stake members is not > 2/3).
    let members: Vec<u64> = committee.set.members().keys().copied().collect();
    let signed_stake = |n: usize| {
        members[..n].iter().map(|i| committee.set.member(*i).unwrap().stake).sum::<u64>()
    };
    let needed = (1..=members.len())
        .find(|n| Threshold::TWO_THIRDS.met(signed_stake(*n), committee.set.total_stake()))
        .unwrap();
    let short = verdict(&deal, &committee, 5, &members[..needed - 1]);
    let e = l.settle(7, 10, &split, Some(&short), &committee.set, &rules).unwrap_err();
    broken(e, ComputeRule::MediatorQuorum);
    assert_eq!(l.accounts.root(), opened);
    // Settles once, then not again.
    l.settle(7, 10, &good, None, &committee.set, &rules).unwrap();
    let e = l.settle(7, 10, &good, None, &committee.set, &rules).unwrap_err();
    broken(e, ComputeRule::AlreadySettled(7));
    broken(l.open(&deal, &signatures(&deal)).unwrap_err(), ComputeRule::DealExists(7));
    broken(
        l.settle(8, 10, &good, None, &committee.set, &rules).unwrap_err(),
        ComputeRule::UnknownDeal(8),
    );
}

#[test]
fn payouts_go_to_the_deal_accounts_only() {
    // A payout to a wrong account would change an outsider's balance.
    let (mut ledger, committee, rules) = setup();
    let deal = terms(&committee);
    ledger.open(&deal, &signatures(&deal)).unwrap();
    let rs = results(&deal, &[Some(5), Some(6), Some(5)]);
    let v = verdict(&deal, &committee, 5, &[0, 1, 2]);
    ledger.settle(7, 10, &rs, Some(&v), &committee.set, &rules).unwrap();
    assert_eq!(ledger.accounts.account(4).unwrap().balance, 10_000);
    assert_eq!(ledger.accounts.account(5).unwrap().balance, 10_000);
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
        let rules = SettlementRules {
            client_share: share, burn_remainder: burn, treasury: 9,
            mediator_threshold: Threshold::TWO_THIRDS,
        };
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

mod settling {
    use super::*;
    use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystem};

    const SHAPE: SettleShape = SettleShape {
        depth: 4,
        deal_depth: 4,
        committee_depth: 3,
        k: 3,
        mediator_slots: 4,
        slots: 2,
        rules: default_rules(),
    };

    fn satisfied(w: &SettleWitness) -> bool {
        let cs = ConstraintSystem::<Fr>::new_ref();
        SettleDealsCircuit { witness: w.clone() }.generate_constraints(cs.clone()).unwrap();
        cs.is_satisfied().unwrap()
    }

    /// The ledger with deal 7 open.
    fn opened() -> (Ledger, SampleChain, SettlementRules, Deal) {
        let (mut ledger, committee, rules) = setup();
        let deal = terms(&committee);
        ledger.open(&deal, &signatures(&deal)).unwrap();
        (ledger, committee, rules, deal)
    }

    fn settlement(deal: &Deal, values: &[Option<u64>], verdict: Option<Verdict>) -> Settlement {
        Settlement { deal_id: deal.id, results: results(deal, values), verdict }
    }

    fn accepted(
        ledger: &Ledger,
        c: &SampleChain,
        rules: &SettlementRules,
        s: &[Settlement],
        now: u64,
    ) -> Ledger {
        let (next, w) = settle_batch(
            ledger,
            s,
            std::slice::from_ref(&c.set),
            &SettleShape { rules: *rules, ..SHAPE },
            now,
        )
        .unwrap();
        assert_eq!((w.old_root, w.new_root), (ledger.root(), next.root()));
        assert!(satisfied(&w), "circuit rejected a valid settlement");
        next
    }

    fn rejected(
        ledger: &Ledger,
        c: &SampleChain,
        rules: &SettlementRules,
        s: &[Settlement],
        now: u64,
    ) {
        assert!(
            settle_batch(
                ledger,
                s,
                std::slice::from_ref(&c.set),
                &SettleShape { rules: *rules, ..SHAPE },
                now
            )
            .is_err(),
            "native accepted"
        );
        let forced = build_settle_witness_unchecked(
            ledger,
            s,
            std::slice::from_ref(&c.set),
            &SettleShape { rules: *rules, ..SHAPE },
            now,
        )
        .unwrap();
        assert!(!satisfied(&forced), "circuit accepted");
    }

    #[test]
    fn valid_settlements_satisfy_the_circuit() {
        let (ledger, c, rules, deal) = opened();
        let before = ledger.total_value();
        // Unanimous.
        let next = accepted(&ledger, &c, &rules, &[settlement(&deal, &[Some(5); 3], None)], 10);
        assert_eq!(next.total_value(), before);
        // A dispute: node 2 wrong, node 3 silent after the deadline.
        let v = verdict(&deal, &c, 5, &[0, 1, 2]);
        let s = settlement(&deal, &[Some(5), Some(6), None], Some(v.clone()));
        let next = accepted(&ledger, &c, &rules, &[s], 1_000);
        assert_eq!(next.total_value() + next.burned, before);
        // A needless mediation, with the remainder to the treasury instead.
        let jackpot = SettlementRules { burn_remainder: false, ..rules };
        let s = settlement(&deal, &[Some(5); 3], Some(v));
        accepted(&ledger, &c, &jackpot, &[s], 10);
    }

    #[test]
    fn each_broken_settlement_rule_is_unsatisfiable() {
        let (ledger, c, rules, deal) = opened();
        let v = verdict(&deal, &c, 5, &[0, 1, 2]);
        // A result by a non-party.
        let mut forged = settlement(&deal, &[Some(5); 3], None);
        forged.results[1] = Some(SignedResult::sign(&sample_key(4), &deal, Fr::from(5u64)));
        rejected(&ledger, &c, &rules, &[forged], 10);
        // Disagreement without mediation.
        rejected(&ledger, &c, &rules, &[settlement(&deal, &[Some(5), Some(6), Some(5)], None)], 10);
        // A missing result before the deadline.
        rejected(
            &ledger,
            &c,
            &rules,
            &[settlement(&deal, &[Some(5), None, Some(5)], Some(v.clone()))],
            999,
        );
        // A mediator quorum short by one (2 of 4 equal stakes is not > 2/3).
        let short = verdict(&deal, &c, 5, &[0, 1]);
        rejected(
            &ledger,
            &c,
            &rules,
            &[settlement(&deal, &[Some(5), Some(6), Some(5)], Some(short))],
            10,
        );
        // Settling twice, in one batch and after a settlement.
        let once = settlement(&deal, &[Some(5); 3], None);
        rejected(&ledger, &c, &rules, &[once.clone(), once.clone()], 10);
        let settled = accepted(&ledger, &c, &rules, std::slice::from_ref(&once), 10);
        rejected(&settled, &c, &rules, &[once], 10);
    }

    #[test]
    fn public_inputs_are_allocated_in_the_declared_order() {
        use crate::circuit::{AnyShape, CircuitShape};
        let (ledger, c, rules, deal) = opened();
        let s = settlement(&deal, &[Some(5); 3], None);
        let shape = SettleShape { rules, ..SHAPE };
        let (_, w) = settle_batch(&ledger, &[s], std::slice::from_ref(&c.set), &shape, 10).unwrap();
        crate::circuit::check_input_order(SettleDealsCircuit { witness: w }).unwrap();
        assert_eq!(AnyShape::parse("compute-settle", &shape.params()).unwrap(), shape.into());
    }

    #[test]
    fn a_payout_to_a_wrong_account_is_unsatisfiable() {
        let (ledger, c, rules, deal) = opened();
        let s = settlement(&deal, &[Some(5); 3], None);
        let (_, w) = settle_batch(
            &ledger,
            &[s],
            std::slice::from_ref(&c.set),
            &SettleShape { rules, ..SHAPE },
            10,
        )
        .unwrap();
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

    #[test]
    fn constraints_per_settlement_slot() {
        let shape = SettleShape {
            depth: 16,
            deal_depth: 16,
            committee_depth: 8,
            k: 3,
            mediator_slots: 5,
            slots: 1,
            rules: default_rules(),
        };
        let count = |slots| {
            let cs = ConstraintSystem::<Fr>::new_ref();
            SettleDealsCircuit::for_setup(SettleShape { slots, ..shape })
                .generate_constraints(cs.clone())
                .unwrap();
            cs.num_constraints()
        };
        let per_slot = count(2) - count(1);
        eprintln!("deal settlement, k = 3, 5 mediator slots, depths 16/16/8: {per_slot} constraints per slot");
        assert!(per_slot > 8 * 5_776, "{per_slot}");
    }
}
