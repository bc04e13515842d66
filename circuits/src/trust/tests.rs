use super::*;
use crate::ledger::LedgerRoots;
use crate::sample::{sample_key, sample_sponsorship};
use crate::Fr;
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystem};

const RULES: AdmissionRules = AdmissionRules { suspension: 10, period: 5 };
const DEPTH: usize = 4;

fn ledger() -> TrustLedger {
    TrustLedger::new(DEPTH, (0..4).map(|i| (i, sample_key(i).public_key())), RULES).unwrap()
}

fn sponsorship(id: u64, sponsors: [u64; 2], epoch: u64) -> Sponsorship {
    sample_sponsorship(id, sponsors, epoch)
}

/// The sample-key seed of a member (genesis members use their index).
fn seed_of(l: &TrustLedger, index: u64) -> u64 {
    let key = l.member(index).unwrap().public_key;
    (0..1000).find(|seed| sample_key(*seed).public_key() == key).unwrap()
}

fn commits(l: &TrustLedger, s: &Sponsorship, choices: [Choice; 2]) -> Vec<Commit> {
    (0..2)
        .map(|i| {
            let key = sample_key(seed_of(l, s.sponsors[i]));
            Commit::sign(&key, s.sponsors[i], s, choices[i], Fr::from(77 + i as u64))
        })
        .collect()
}

fn reveal(s: &Sponsorship, choices: [Choice; 2]) -> Reveal {
    Reveal {
        sponsorship: *s,
        openings: [(choices[0], Fr::from(77u64)), (choices[1], Fr::from(78u64))],
    }
}

fn commit_ok(w: &CommitWitness) -> bool {
    let cs = ConstraintSystem::<Fr>::new_ref();
    CommitCircuit { witness: w.clone() }.generate_constraints(cs.clone()).unwrap();
    cs.is_satisfied().unwrap()
}

fn resolve_ok(w: &ResolveWitness) -> bool {
    let cs = ConstraintSystem::<Fr>::new_ref();
    ResolveCircuit { witness: w.clone() }.generate_constraints(cs.clone()).unwrap();
    cs.is_satisfied().unwrap()
}

/// Commits and resolves through both circuits, checking each batch.
fn play(l: &mut TrustLedger, s: &Sponsorship, choices: [Choice; 2]) -> Resolution {
    let cs = commits(l, s, choices);
    let (next, w) = commit_batch(l, &cs, s.epoch, 2).unwrap();
    assert!(commit_ok(&w), "commit circuit rejected valid commits");
    let mut check = next.clone();
    let resolution = check.resolve(&reveal(s, choices)).unwrap();
    let (after, w) = resolve_batch(&next, &[reveal(s, choices)], 1).unwrap();
    assert!(resolve_ok(&w), "resolve circuit rejected a valid resolution");
    assert_eq!(after.root(), check.root());
    *l = after;
    resolution
}

#[test]
fn the_four_outcomes_through_both_circuits() {
    use Choice::*;
    let mut l = ledger();
    let s = sponsorship(1, [0, 1], 0);
    let r = play(&mut l, &s, [Cooperate, Cooperate]);
    assert_eq!(r.admitted, vec![(4, s.candidate)]);
    assert!(r.suspended.is_empty());

    let s = sponsorship(2, [2, 3], 0);
    let r = play(&mut l, &s, [Cooperate, Defect]);
    assert_eq!(r.admitted, vec![(5, s.defector_keys[1][0]), (6, s.defector_keys[1][1])]);
    assert_eq!(r.suspended, vec![2]);
    assert_eq!(l.member(2).unwrap().suspended_until, 10);

    let s = sponsorship(3, [0, 4], 5);
    let r = play(&mut l, &s, [Defect, Cooperate]);
    assert_eq!(r.admitted.len(), 2);
    assert_eq!(r.suspended, vec![4]);

    let s = sponsorship(4, [1, 5], 5);
    let r = play(&mut l, &s, [Defect, Defect]);
    assert!(r.admitted.is_empty());
    assert_eq!(r.suspended, vec![1, 5]);
    assert_eq!(l.members().len(), 4 + 1 + 2 + 2);
}

/// Native rules reject, and the forced witness is unsatisfiable.
fn commit_rejected(l: &TrustLedger, c: &[Commit], epoch: u64, expect: TrustRule) {
    let e = commit_batch(l, c, epoch, 2).unwrap_err();
    assert_eq!(e, TrustError::Rule(expect));
    assert!(
        !commit_ok(&build_commit_witness_unchecked(l, c, epoch, 2).unwrap()),
        "circuit accepted {expect:?}"
    );
}

fn resolve_rejected(l: &TrustLedger, r: &Reveal, expect: TrustRule) {
    let e = resolve_batch(l, std::slice::from_ref(r), 1).unwrap_err();
    assert_eq!(e, TrustError::Rule(expect));
    assert!(
        !resolve_ok(&build_resolve_witness_unchecked(l, std::slice::from_ref(r), 1).unwrap()),
        "circuit accepted {expect:?}"
    );
}

/// Members restored with their admission state give the same tree.
#[test]
fn a_restored_member_tree_is_the_one_it_was_stored_from() {
    let mut l = ledger();
    let s = sponsorship(1, [0, 1], 0);
    play(&mut l, &s, [Choice::Defect, Choice::Cooperate]);
    let depth = l.tree().depth();
    let restored =
        TrustLedger::restore(depth, l.members().iter().map(|(i, m)| (*i, *m)), l.rules()).unwrap();
    assert_eq!(restored.tree().root(), l.tree().root());
    assert_eq!(restored.members(), l.members());
}

#[test]
fn a_suspended_sponsor_and_a_second_sponsorship_in_a_period_are_rejected() {
    use Choice::*;
    let mut l = ledger();
    play(&mut l, &sponsorship(1, [0, 1], 0), [Cooperate, Defect]);
    // Member 0 is suspended until epoch 10.
    let s = sponsorship(2, [0, 2], 6);
    commit_rejected(&l, &commits(&l, &s, [Cooperate, Cooperate])[..1], 6, TrustRule::Suspended(0));
    // Member 1 sponsored in period 0 (epochs 0-4).
    let s = sponsorship(3, [1, 2], 4);
    commit_rejected(
        &l,
        &commits(&l, &s, [Cooperate, Cooperate])[..1],
        4,
        TrustRule::SponsoredThisPeriod(1),
    );
    // Next period 1 may sponsor again; after the suspension 0 may too.
    let s = sponsorship(4, [1, 2], 5);
    commit_batch(&l, &commits(&l, &s, [Cooperate, Cooperate]), 5, 2).unwrap();
    let s = sponsorship(5, [0, 3], 10);
    commit_batch(&l, &commits(&l, &s, [Cooperate, Cooperate]), 10, 2).unwrap();
}

#[test]
fn commitments_must_be_signed_and_single() {
    let l = ledger();
    let s = sponsorship(1, [0, 1], 0);
    let mut c = commits(&l, &s, [Choice::Cooperate; 2]);
    // Signed by someone else.
    let mut forged = c[0];
    forged.signature = sample_key(2).sign(forged.commitment);
    commit_rejected(&l, &[forged], 0, TrustRule::UnsignedCommitment(0));
    // A second commitment while one is pending (another period, so only
    // the pending rule applies).
    let (next, _) = commit_batch(&l, &c[..1], 0, 2).unwrap();
    let s2 = sponsorship(2, [0, 2], 5);
    c = commits(&next, &s2, [Choice::Cooperate; 2]);
    commit_rejected(&next, &c[..1], 5, TrustRule::Pending(0));
}

#[test]
fn reveals_must_open_their_commitments_once() {
    use Choice::*;
    let l = ledger();
    let s = sponsorship(1, [0, 1], 0);
    // A reveal without a commitment.
    resolve_rejected(
        &l,
        &reveal(&s, [Cooperate, Cooperate]),
        TrustRule::RevealWithoutCommitment(0),
    );
    let (committed, _) = commit_batch(&l, &commits(&l, &s, [Cooperate, Defect]), 0, 2).unwrap();
    // Another choice than committed, or another salt.
    resolve_rejected(&committed, &reveal(&s, [Cooperate, Cooperate]), TrustRule::RevealMismatch(1));
    let mut salty = reveal(&s, [Cooperate, Defect]);
    salty.openings[0].1 = Fr::from(1u64);
    resolve_rejected(&committed, &salty, TrustRule::RevealMismatch(0));
    // A reveal for another sponsorship (another candidate) does not open it.
    let other = Sponsorship { candidate: sample_key(999).public_key(), ..s };
    resolve_rejected(
        &committed,
        &reveal(&other, [Cooperate, Defect]),
        TrustRule::RevealMismatch(0),
    );
    // A second reveal: the commitments were cleared.
    let (resolved, _) = resolve_batch(&committed, &[reveal(&s, [Cooperate, Defect])], 1).unwrap();
    resolve_rejected(
        &resolved,
        &reveal(&s, [Cooperate, Defect]),
        TrustRule::RevealWithoutCommitment(0),
    );
}

#[test]
fn constraints_per_slot() {
    let count = |c: &dyn Fn(ark_relations::gr1cs::ConstraintSystemRef<Fr>)| {
        let cs = ConstraintSystem::<Fr>::new_ref();
        c(cs.clone());
        cs.num_constraints()
    };
    let commit =
        |n| count(&|cs| CommitCircuit::for_setup(16, 5, n).generate_constraints(cs).unwrap());
    let resolve =
        |n| count(&|cs| ResolveCircuit::for_setup(16, 10, n).generate_constraints(cs).unwrap());
    let (c, r) = (commit(2) - commit(1), resolve(2) - resolve(1));
    eprintln!("admission at depth 16: commit {c} constraints per slot, resolve {r}");
    assert!(c > 5_776 && r > 4 * 2 * 16 * 240, "{c} {r}");
}

#[test]
fn no_witness_variable_of_a_used_slot_is_free() {
    use crate::soundness::{default_deltas, free_witness_variables};
    use Choice::*;
    let l = ledger();
    let s = sponsorship(1, [0, 1], 0);
    let (committed, w) = commit_batch(&l, &commits(&l, &s, [Defect, Cooperate]), 0, 2).unwrap();
    let report = free_witness_variables(CommitCircuit { witness: w }, &default_deltas()).unwrap();
    assert!(report.free.is_empty(), "commit: {:?}", report.free);
    let (_, w) = resolve_batch(&committed, &[reveal(&s, [Defect, Cooperate])], 1).unwrap();
    let report = free_witness_variables(ResolveCircuit { witness: w }, &default_deltas()).unwrap();
    assert!(report.free.is_empty(), "resolve: {:?}", report.free);
}

#[test]
fn public_inputs_are_allocated_in_the_declared_order() {
    use crate::circuit::check_input_order;
    let l = ledger();
    let s = sponsorship(1, [0, 1], 7);
    let choices = [Choice::Cooperate, Choice::Defect];
    let (next, w) = commit_batch(&l, &commits(&l, &s, choices), s.epoch, 2).unwrap();
    check_input_order(CommitCircuit { witness: w }).unwrap();
    let (_, w) = resolve_batch(&next, &[reveal(&s, choices)], 1).unwrap();
    check_input_order(ResolveCircuit { witness: w }).unwrap();
}

#[test]
fn the_account_and_deal_roots_pass_through_commits_and_reveals() {
    use Choice::*;
    let mut l = ledger();
    (l.accounts_root, l.deals_root) = (Fr::from(31u64), Fr::from(32u64));
    let s = sponsorship(1, [0, 1], 0);
    let (committed, cw) = commit_batch(&l, &commits(&l, &s, [Cooperate, Cooperate]), 0, 2).unwrap();
    let (resolved, rw) =
        resolve_batch(&committed, &[reveal(&s, [Cooperate, Cooperate])], 1).unwrap();
    for next in [&committed, &resolved] {
        assert_eq!((next.accounts_root, next.deals_root), (l.accounts_root, l.deals_root));
    }
    assert_eq!(
        (cw.old_root, cw.new_root, rw.new_root),
        (l.root(), committed.root(), resolved.root())
    );
    assert!(commit_ok(&cw) && resolve_ok(&rw));
    // A batch that also moved the account or the deal root is unsatisfiable.
    let moved = |r: LedgerRoots| {
        [r.with_accounts(Fr::from(1u64)).root(), r.with_deals(Fr::from(1u64)).root()]
    };
    for root in moved(committed.roots()) {
        assert!(!commit_ok(&CommitWitness { new_root: root, ..cw.clone() }));
    }
    for root in moved(resolved.roots()) {
        assert!(!resolve_ok(&ResolveWitness { new_root: root, ..rw.clone() }));
    }
}
