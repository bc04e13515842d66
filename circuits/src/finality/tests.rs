use super::*;
use crate::circuit::{spec, Circuit};
use crate::primitives::babyjubjub::base8;
use crate::sample::{sample_validator_key, SampleChain};
use crate::Fr;
use ark_ec::CurveGroup;
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystem};
use proptest::prelude::*;

const DEPTH: usize = 3;

fn quorum_satisfied(witness: &QuorumWitness) -> bool {
    let cs = ConstraintSystem::<Fr>::new_ref();
    QuorumCircuit { witness: witness.clone() }.generate_constraints(cs.clone()).unwrap();
    cs.is_satisfied().unwrap()
}

fn slash_satisfied(witness: &SlashWitness) -> bool {
    let cs = ConstraintSystem::<Fr>::new_ref();
    DoubleSignCircuit { witness: witness.clone() }.generate_constraints(cs.clone()).unwrap();
    cs.is_satisfied().unwrap()
}

/// Three validators of stake 100 each (sample keys 0, 1, 2) and a fourth of
/// stake 1 (key 3): total 301, so more than 2/3 needs 201.
fn chain() -> SampleChain {
    let mut c = SampleChain::new(DEPTH, 4).unwrap();
    let members = (0..4u64).map(|i| {
        let stake = if i == 3 { 1 } else { 100 };
        (i, Validator { public_key: sample_validator_key(i).public_key(), stake })
    });
    c.set = ValidatorSet::new(DEPTH, members).unwrap();
    c
}

fn header(c: &SampleChain) -> Header {
    Header::genesis(Fr::from(7u64), c.set.root()).child(Fr::from(8u64), c.set.root())
}

/// The native rule rejects with `rule`, and the witness a cheating prover
/// builds from the same attestations does not satisfy the circuit.
fn assert_quorum_rejected(
    c: &SampleChain,
    statement: &Statement,
    attestations: &[Attestation],
    threshold: Threshold,
    rule: FinalityRule,
) {
    match check_quorum(&c.set, statement, attestations, threshold, 4) {
        Err(FinalityError::Rule(r)) => assert_eq!(r, rule),
        other => panic!("expected {rule:?}, got {other:?}"),
    }
    let forced =
        build_quorum_witness_unchecked(&c.set, statement, attestations, threshold, 4).unwrap();
    assert!(!quorum_satisfied(&forced), "circuit accepted what breaks {rule:?}");
}

#[test]
fn a_quorum_satisfies_the_circuit_and_its_inputs_are_the_header() {
    let c = chain();
    let st = Statement::Header(header(&c));
    // Given out of order: the rule sorts by index.
    let atts = c.attest(&st, &[2, 0, 3]);
    let w = check_quorum(&c.set, &st, &atts, Threshold::TWO_THIRDS, 4).unwrap();
    assert!(quorum_satisfied(&w));
    assert_eq!(w.slots.iter().filter(|s| s.used).map(|s| s.index).collect::<Vec<_>>(), [0, 2, 3]);
    let h = header(&c);
    assert_eq!(
        QuorumCircuit { witness: w.clone() }.public_inputs(),
        [c.set.root(), Fr::from(1u64), h.prev_hash, h.state_root, h.next_set_root, h.hash()]
    );
}

#[test]
fn a_quorum_one_unit_of_stake_short_is_rejected() {
    let c = chain();
    let st = Statement::Header(header(&c));
    // 100 + 100 = 200: exactly 2/3 of 301 is not more than 2/3... and 201 is.
    assert!(!Threshold::TWO_THIRDS.met(200, 301));
    assert!(Threshold::TWO_THIRDS.met(201, 301));
    let short = c.attest(&st, &[0, 1]);
    assert_quorum_rejected(
        &c,
        &st,
        &short,
        Threshold::TWO_THIRDS,
        FinalityRule::QuorumNotReached { signed: 200, total: 301 },
    );
    let enough = c.attest(&st, &[0, 1, 3]);
    let w = check_quorum(&c.set, &st, &enough, Threshold::TWO_THIRDS, 4).unwrap();
    assert!(quorum_satisfied(&w));
}

#[test]
fn exactly_two_thirds_is_not_more_than_two_thirds() {
    // Total 300, signed 200: the strict inequality's edge.
    let members = (0..3u64)
        .map(|i| (i, Validator { public_key: sample_validator_key(i).public_key(), stake: 100 }));
    let mut c = chain();
    c.set = ValidatorSet::new(DEPTH, members).unwrap();
    let st = Statement::Header(header(&c));
    let atts = c.attest(&st, &[0, 1]);
    assert_quorum_rejected(
        &c,
        &st,
        &atts,
        Threshold::TWO_THIRDS,
        FinalityRule::QuorumNotReached { signed: 200, total: 300 },
    );
}

#[test]
fn a_duplicated_signer_is_rejected() {
    let c = chain();
    let st = Statement::Header(header(&c));
    // 0 twice would count 300 > 2/3 of 301 if counted twice.
    let atts = c.attest(&st, &[0, 0, 1]);
    assert_quorum_rejected(
        &c,
        &st,
        &atts,
        Threshold::TWO_THIRDS,
        FinalityRule::DuplicateSigner { index: 0 },
    );
    // Out of order is no way around it: the circuit wants increasing indices.
    let unordered = c.attest(&st, &[1, 0, 2]);
    let forced =
        build_quorum_witness_unchecked(&c.set, &st, &unordered, Threshold::TWO_THIRDS, 4).unwrap();
    assert!(!quorum_satisfied(&forced));
}

#[test]
fn a_non_member_signer_is_rejected() {
    let c = chain();
    let st = Statement::Header(header(&c));
    let outsider = sample_validator_key(99);
    let atts = c.attest(&st, &[0, 1]);
    // At an empty index, and at a member's index with the wrong key.
    for index in [5u64, 2] {
        let mut with = atts.clone();
        with.push(Attestation::sign(&outsider, index, &st));
        assert_quorum_rejected(
            &c,
            &st,
            &with,
            Threshold::TWO_THIRDS,
            FinalityRule::NotMember { index },
        );
    }
}

#[test]
fn a_forged_signature_is_rejected() {
    let c = chain();
    let st = Statement::Header(header(&c));
    let mut atts = c.attest(&st, &[0, 1, 2]);
    atts[1].signature.r8 = (atts[1].signature.r8 + base8()).into_affine();
    assert_quorum_rejected(
        &c,
        &st,
        &atts,
        Threshold::TWO_THIRDS,
        FinalityRule::BadSignature { index: 1 },
    );
}

#[test]
fn a_wrong_next_set_root_is_rejected() {
    // The quorum signed a header naming one next set; a prover claiming
    // another next set (a different header) has no valid signatures for it.
    let c = chain();
    let signed = header(&c);
    let atts = c.attest(&Statement::Header(signed), &[0, 1, 2]);
    let claimed = Header { next_set_root: signed.next_set_root + Fr::from(1u64), ..signed };
    assert_quorum_rejected(
        &c,
        &Statement::Header(claimed),
        &atts,
        Threshold::TWO_THIRDS,
        FinalityRule::BadSignature { index: 0 },
    );
}

#[test]
fn another_set_cannot_finalise_for_this_one() {
    // A quorum of a different set, with the proof claiming this set's root.
    let c = chain();
    let other = SampleChain::new(DEPTH, 4).unwrap().rotated(0, 50).unwrap();
    let st = Statement::Header(header(&c));
    let atts = other.attest(&st, &[0, 1, 2, 3]);
    let mut w =
        build_quorum_witness_unchecked(&other.set, &st, &atts, Threshold::TWO_THIRDS, 4).unwrap();
    assert!(quorum_satisfied(&w));
    w.set_root = c.set.root();
    assert!(!quorum_satisfied(&w));
}

#[test]
fn unanimous_agreement_needs_every_authority() {
    let c = chain();
    let st = Statement::Data(data_commitment(&b"utxo set at height 800000"[..]).unwrap().1);
    let all = c.attest(&st, &[0, 1, 2, 3]);
    let w = check_quorum(&c.set, &st, &all, Threshold::ALL, 4).unwrap();
    assert!(quorum_satisfied(&w));
    assert_eq!(
        QuorumCircuit { witness: w.clone() }.public_inputs().len(),
        spec::DATA_AGREEMENT.inputs.len()
    );
    // Missing the smallest authority (stake 1): not unanimous.
    let three = c.attest(&st, &[0, 1, 2]);
    assert_quorum_rejected(
        &c,
        &st,
        &three,
        Threshold::ALL,
        FinalityRule::QuorumNotReached { signed: 300, total: 301 },
    );
    // A signature over a header hash equal in value is not a data signature:
    // the domains differ.
    assert_ne!(Statement::Data(Fr::from(5u64)).message(), Fr::from(5u64));
}

#[test]
fn no_attestation_is_no_quorum_even_for_an_empty_threshold() {
    let c = chain();
    let st = Statement::Header(header(&c));
    let zero = Threshold::new(0, 3).unwrap();
    assert_quorum_rejected(
        &c,
        &st,
        &[],
        zero,
        FinalityRule::QuorumNotReached { signed: 0, total: 301 },
    );
}

#[test]
fn thresholds_are_checked() {
    assert!(Threshold::new(3, 2).is_err());
    assert!(Threshold::new(1, 0).is_err());
    assert!(Threshold::new(1, MAX_THRESHOLD_DEN + 1).is_err());
    assert_eq!(Threshold::new(5, 5).unwrap(), Threshold::ALL);
    assert_eq!(Threshold::TWO_THIRDS.to_string(), "more than 2/3");
}

fn double_sign(c: &SampleChain, index: u64, a: Header, b: Header) -> DoubleSign {
    let key = c.key(index).unwrap();
    DoubleSign {
        index,
        public_key: key.public_key(),
        first: (a, key.sign(a.hash())),
        second: (b, key.sign(b.hash())),
    }
}

#[test]
fn double_signing_slashes_exactly_the_offender() {
    let c = chain();
    let h = header(&c);
    let fork = Header { state_root: Fr::from(9u64), ..h };
    let evidence = double_sign(&c, 1, h, fork);
    let (next, w) = check_double_sign(&c.set, &evidence).unwrap();
    assert!(slash_satisfied(&w));
    assert_eq!(next.total_stake(), 201);
    assert_eq!(next.member(1).unwrap().stake, 0);
    for i in [0u64, 2, 3] {
        assert_eq!(next.member(i), c.set.member(i));
    }
    assert_eq!(
        DoubleSignCircuit { witness: w.clone() }.public_inputs(),
        [c.set.root(), next.root(), Fr::from(1u64), Fr::from(1u64), h.hash(), fork.hash()]
    );
    // A prover naming another new set (say, slashing someone else too).
    let mut other = w.clone();
    other.new_set_root = c.set.slashed(1).unwrap().slashed(2).unwrap().root();
    assert!(!slash_satisfied(&other));
    // Slashing the same validator again: its stake is already 0.
    let again = check_double_sign(&next, &evidence);
    assert_eq!(again.unwrap_err(), FinalityError::Rule(FinalityRule::AlreadySlashed { index: 1 }));
    let forced = build_slash_witness_unchecked(&next, &evidence).unwrap();
    assert!(!slash_satisfied(&forced));
}

fn assert_slash_rejected(c: &SampleChain, evidence: &DoubleSign, rule: FinalityRule) {
    assert_eq!(check_double_sign(&c.set, evidence).unwrap_err(), FinalityError::Rule(rule));
    let forced = build_slash_witness_unchecked(&c.set, evidence).unwrap();
    assert!(!slash_satisfied(&forced), "circuit accepted evidence that breaks {rule:?}");
}

#[test]
fn signatures_at_different_heights_are_not_slashable() {
    let c = chain();
    let h = header(&c);
    let later = h.child(Fr::from(10u64), c.set.root());
    assert_slash_rejected(&c, &double_sign(&c, 0, h, later), FinalityRule::DifferentHeights);
}

#[test]
fn the_same_header_signed_twice_is_not_slashable() {
    let c = chain();
    let h = header(&c);
    assert_slash_rejected(&c, &double_sign(&c, 2, h, h), FinalityRule::SameHeader);
}

#[test]
fn slashing_needs_the_offenders_own_signatures() {
    let c = chain();
    let h = header(&c);
    let fork = Header { state_root: Fr::from(9u64), ..h };
    let mut evidence = double_sign(&c, 0, h, fork);
    // The second signature is validator 1's, presented as 0's.
    evidence.second.1 = c.key(1).unwrap().sign(fork.hash());
    assert_slash_rejected(&c, &evidence, FinalityRule::BadSignature { index: 0 });
    // Someone outside the set.
    let outsider = sample_validator_key(77);
    let e = DoubleSign {
        index: 5,
        public_key: outsider.public_key(),
        first: (h, outsider.sign(h.hash())),
        second: (fork, outsider.sign(fork.hash())),
    };
    assert_slash_rejected(&c, &e, FinalityRule::NotMember { index: 5 });
}

fn count(circuit: impl ConstraintSynthesizer<Fr>) -> usize {
    let cs = ConstraintSystem::<Fr>::new_ref();
    circuit.generate_constraints(cs.clone()).unwrap();
    cs.num_constraints()
}

#[test]
fn constraints_per_signer_slot() {
    for depth in [8usize, 16, 32] {
        let kind = StatementKind::Header;
        let one = count(QuorumCircuit::for_setup(depth, 1, Threshold::TWO_THIRDS, kind));
        let five = count(QuorumCircuit::for_setup(depth, 5, Threshold::TWO_THIRDS, kind));
        let per_slot = (five - one) / 4;
        let slash = count(DoubleSignCircuit::for_setup(depth));
        eprintln!(
            "set depth {depth}: {per_slot} constraints per signer slot, {} fixed; slashing {slash}",
            one - per_slot
        );
        // Per level: Poseidon(2) 240, the left/right select, the index bit
        // and its bit in the signer-order check. The rest: EdDSA 5,776, the
        // leaf hash, range checks, the order check and the stake sum.
        assert_eq!(per_slot, 6_109 + 243 * depth, "depth {depth}");
    }
}

fn witness_count(slots: usize) -> usize {
    let cs = ConstraintSystem::<Fr>::new_ref();
    QuorumCircuit::for_setup(DEPTH, slots, Threshold::TWO_THIRDS, StatementKind::Header)
        .generate_constraints(cs.clone())
        .unwrap();
    cs.num_witness_variables()
}

#[test]
fn free_witness_variables_lie_only_in_unused_slots() {
    use crate::soundness::{default_deltas, free_witness_variables};
    let c = chain();
    let st = Statement::Header(header(&c));
    let atts = c.attest(&st, &[0, 1, 3]);
    let w = check_quorum(&c.set, &st, &atts, Threshold::TWO_THIRDS, 4).unwrap();
    let report = free_witness_variables(QuorumCircuit { witness: w }, &default_deltas()).unwrap();
    let unused = witness_count(3)..witness_count(4);
    for v in &report.free {
        assert!(unused.contains(v), "variable {v} is free outside the unused slot {unused:?}");
    }
    let h = header(&c);
    let fork = Header { state_root: Fr::from(9u64), ..h };
    let (_, w) = check_double_sign(&c.set, &double_sign(&c, 1, h, fork)).unwrap();
    let report =
        free_witness_variables(DoubleSignCircuit { witness: w }, &default_deltas()).unwrap();
    assert!(report.free.is_empty(), "free variables in the slashing circuit: {:?}", report.free);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    /// Any subset of signers, possibly with one forged signature: the native
    /// rule accepts exactly when the circuit is satisfied.
    #[test]
    fn native_rule_and_circuit_agree(
        signers in proptest::collection::btree_set(0u64..4, 0..5),
        forge in proptest::option::of(0usize..4),
        all in any::<bool>(),
    ) {
        let c = chain();
        let st = Statement::Header(header(&c));
        let indices: Vec<u64> = signers.into_iter().collect();
        let mut atts = c.attest(&st, &indices);
        if let Some(i) = forge.filter(|i| *i < atts.len()) {
            atts[i].signature.s += Fr::from(1u64);
        }
        let threshold = if all { Threshold::ALL } else { Threshold::TWO_THIRDS };
        let native = check_quorum(&c.set, &st, &atts, threshold, 4);
        let forced = build_quorum_witness_unchecked(&c.set, &st, &atts, threshold, 4).unwrap();
        prop_assert_eq!(native.is_ok(), quorum_satisfied(&forced), "{:?}", native);
    }
}

#[test]
fn json_round_trips() {
    let c = chain().slashed(3).unwrap();
    let set = SetJson::from_set(&c.set);
    let back = set.to_set().unwrap();
    assert_eq!(back.root(), c.set.root());
    let h = header(&c);
    assert_eq!(HeaderJson::from_header(&h).to_header().unwrap(), h);
    let a = c.attest(&Statement::Header(h), &[1])[0];
    assert_eq!(AttestationJson::from_attestation(&a).to_attestation().unwrap(), a);
    let e = double_sign(&c, 0, h, Header { state_root: Fr::from(1u64), ..h });
    assert_eq!(EvidenceJson::from_evidence(&e).to_evidence().unwrap(), e);
}

#[test]
fn hostile_sets_are_errors() {
    let c = chain();
    let good = SetJson::from_set(&c.set);
    let mut twice = good.clone();
    twice.validators.push(twice.validators[0].clone());
    let mut same_key = good.clone();
    same_key.validators[1].public_key = same_key.validators[0].public_key.clone();
    let mut outside = good.clone();
    outside.validators[0].index = 1 << DEPTH;
    let mut overflow = good.clone();
    overflow.validators[0].stake = u64::MAX;
    let mut deep = good.clone();
    deep.depth = MAX_SET_DEPTH + 1;
    let mut empty = good.clone();
    empty.validators.clear();
    for bad in [twice, same_key, outside, overflow, deep, empty] {
        assert!(bad.to_set().is_err(), "{bad:?}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_is_an_error_not_a_panic(text in ".{0,200}") {
        let _ = serde_json::from_str::<SetJson>(&text).map(|s| s.to_set());
        let _ = serde_json::from_str::<HeaderJson>(&text).map(|h| h.to_header());
        let _ = serde_json::from_str::<EvidenceJson>(&text).map(|e| e.to_evidence());
    }

    #[test]
    fn hostile_validators_are_errors_not_panics(
        depth in 0usize..70,
        entries in proptest::collection::vec((any::<u64>(), any::<u64>(), 0u64..6), 0..5),
    ) {
        let validators = entries
            .iter()
            .map(|(index, stake, key)| {
                let pk = sample_validator_key(*key).public_key();
                ValidatorJson {
                    index: *index % 20,
                    public_key: [crate::primitives::field::fr_to_string(&pk.0.x), crate::primitives::field::fr_to_string(&pk.0.y)],
                    stake: *stake,
                }
            })
            .collect();
        let _ = SetJson { depth, validators }.to_set();
    }
}

#[test]
fn public_inputs_are_allocated_in_the_declared_order() {
    use crate::circuit::check_input_order;
    let c = chain();
    // A header that rotates the set, so that no two inputs are equal.
    let st = Statement::Header(Header { next_set_root: Fr::from(77u64), ..header(&c) });
    let w =
        check_quorum(&c.set, &st, &c.attest(&st, &[0, 1, 2]), Threshold::TWO_THIRDS, 4).unwrap();
    check_input_order(QuorumCircuit { witness: w }).unwrap();
    let st = Statement::Data(Fr::from(12345u64));
    let w = check_quorum(&c.set, &st, &c.attest(&st, &[0, 1, 2, 3]), Threshold::ALL, 4).unwrap();
    check_input_order(QuorumCircuit { witness: w }).unwrap();
    // Offender 2 at height 1, so that no two inputs are equal.
    let h = header(&c);
    let evidence = double_sign(&c, 2, h, Header { state_root: Fr::from(9u64), ..h });
    let (_, w) = check_double_sign(&c.set, &evidence).unwrap();
    check_input_order(DoubleSignCircuit { witness: w }).unwrap();
}

#[test]
fn quorum_shapes_name_their_circuit() {
    use crate::circuit::{AnyShape, CircuitShape};
    let shape =
        QuorumShape { depth: 8, slots: 4, threshold: Threshold::ALL, kind: StatementKind::Data };
    assert_eq!(shape.spec().id, "data-agreement");
    let back = AnyShape::parse("data-agreement", &shape.params()).unwrap();
    assert_eq!(back, AnyShape::Quorum(shape));
    let finality = QuorumShape { kind: StatementKind::Header, ..shape };
    assert_eq!(QuorumShape::parse("finality-quorum", &finality.params()).unwrap(), finality);
    let mut bad = shape.params();
    bad[2].1 = 5; // 5/1
    let e = QuorumShape::parse("data-agreement", &bad).unwrap_err().to_string();
    assert!(e.starts_with("data-agreement: invalid threshold: 5/1"), "{e}");
}
