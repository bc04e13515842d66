use super::*;
use crate::compute::*;
use crate::finality::{Statement, Threshold};
use crate::ledger::{Account, State};
use crate::sample::{sample_key, SampleChain};
use crate::trust::*;
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystem};
use proptest::prelude::*;

/// A witness of every kind this format carries, each from a real ledger:
/// a deal of two nodes opened, its results recorded, mediation called, the
/// verdict recorded and the deal settled; a sponsorship committed and
/// resolved.
struct Witnesses {
    open: OpenWitness,
    result: ResultWitness,
    mediation: MediationWitness,
    verdict: VerdictWitness,
    settle: SettleWitness,
    commit: CommitWitness,
    resolve: ResolveWitness,
}

fn witnesses() -> Witnesses {
    let mut state = State::new(3).unwrap();
    for i in 0..4 {
        let a = Account { public_key: sample_key(i).public_key(), balance: 1_000, nonce: 0 };
        state.set_account(i, a).unwrap();
    }
    let ledger = Ledger::new(state, 2).unwrap();
    let committee = SampleChain::new(2, 3).unwrap();
    let deal = Deal {
        id: 1,
        client: 0,
        nodes: vec![1, 2],
        job: Fr::from(9u64),
        price: 10,
        deposit: 40,
        collateral: 20,
        mediators: committee.set.root(),
        mediation_fee: 5,
        deadline: 4,
    };
    let sigs = [0u64, 1, 2].iter().map(|i| sample_key(*i).sign(deal.hash())).collect();
    let (opened, open) = open_batch(&ledger, &[(deal.clone(), sigs)], 2, 2).unwrap();
    let submissions: Vec<ResultSubmission> = [(0, 3u64), (1, 4)]
        .iter()
        .map(|(node, v)| ResultSubmission {
            deal_id: 1,
            node: *node,
            signed: SignedResult::sign(&sample_key(deal.nodes[*node]), &deal, Fr::from(*v)),
        })
        .collect();
    let shape = ResultShape { depth: 3, deal_depth: 2, k: 2, slots: 2 };
    let (recorded, result) = submit_batch(&opened, &submissions, &shape, 2).unwrap();
    let request = MediationRequest::sign(&sample_key(0), &deal);
    let shape = MediationShape { depth: 3, deal_depth: 2, k: 2, slots: 1 };
    let (mediating, mediation) = mediate_batch(&recorded, &[request], &shape, 3).unwrap();
    let statement = Statement::Data(verdict_commitment(&deal, Fr::from(3u64)));
    let attestations = committee.attest(&statement, &[0, 1, 2]);
    let v = Verdict { deal_id: 1, result: Fr::from(3u64), attestations };
    let shape = VerdictShape {
        depth: 3,
        deal_depth: 2,
        committee_depth: 2,
        k: 2,
        mediator_slots: 3,
        slots: 1,
        threshold: Threshold::TWO_THIRDS,
    };
    let committees = std::slice::from_ref(&committee.set);
    let (decided, verdict) = decide_batch(&mediating, &[v], committees, &shape).unwrap();
    let rules = SettlementRules { client_share: (1, 2), burn_remainder: true, treasury: 3 };
    let shape = SettleShape { depth: 3, deal_depth: 2, k: 2, slots: 1, rules };
    let (_, settle) = settle_batch(&decided, &[Settlement { deal_id: 1 }], &shape, 5).unwrap();

    let members = (0..2).map(|i| (i, sample_key(10 + i).public_key()));
    let rules = AdmissionRules { suspension: 3, period: 2 };
    let trust = TrustLedger::new(3, members, rules).unwrap();
    let k = |i: u64| sample_key(i).public_key();
    let sponsorship = Sponsorship {
        id: 1,
        sponsors: [0, 1],
        candidate: k(20),
        defector_keys: [[k(21), k(22)], [k(23), k(24)]],
        epoch: 0,
    };
    let choices = [Choice::Cooperate, Choice::Defect];
    let commits: Vec<Commit> = (0..2u64)
        .map(|i| {
            let (key, salt) = (sample_key(10 + i), Fr::from(5 + i));
            Commit::sign(&key, i, &sponsorship, choices[i as usize], salt)
        })
        .collect();
    let (committed, commit) = commit_batch(&trust, &commits, 0, 2).unwrap();
    let openings = [(choices[0], Fr::from(5u64)), (choices[1], Fr::from(6u64))];
    let (_, resolve) = resolve_batch(&committed, &[Reveal { sponsorship, openings }], 1).unwrap();
    Witnesses { open, result, mediation, verdict, settle, commit, resolve }
}

fn satisfied<W: JobWitness>(w: W) -> bool
where
    W::Circuit: ConstraintSynthesizer<Fr>,
{
    let cs = ConstraintSystem::<Fr>::new_ref();
    w.into_circuit().generate_constraints(cs.clone()).is_ok() && cs.is_satisfied().unwrap()
}

/// Encodes `w`, decodes it back, and checks every way the bytes can be cut
/// short or run long is an error naming what it is.
fn round_trip<W: JobWitness + PartialEq + fmt::Debug>(w: &W)
where
    W::Circuit: ConstraintSynthesizer<Fr>,
{
    let bytes = to_bytes(w);
    let back: W = from_bytes(&bytes).unwrap();
    assert_eq!(&back, w, "{}", W::SPEC.id);
    assert!(satisfied(back), "{}: the decoded witness satisfies its circuit", W::SPEC.id);
    for cut in (0..bytes.len()).step_by(7).chain([bytes.len() - 1]) {
        let e = from_bytes::<W>(&bytes[..cut]).unwrap_err();
        let short = matches!(
            e.kind,
            WireErrorKind::Header | WireErrorKind::Truncated | WireErrorKind::Length(_)
        );
        assert!(short, "{cut}: {e}");
    }
    let mut long = bytes.clone();
    long.push(0);
    assert_eq!(from_bytes::<W>(&long).unwrap_err().kind, WireErrorKind::Trailing(1));
}

#[test]
fn every_kind_round_trips_and_short_or_long_bytes_are_errors() {
    let w = witnesses();
    round_trip(&w.open);
    round_trip(&w.result);
    round_trip(&w.mediation);
    round_trip(&w.verdict);
    round_trip(&w.settle);
    round_trip(&w.commit);
    round_trip(&w.resolve);
}

#[test]
fn a_witness_of_another_circuit_or_format_is_refused_by_name() {
    let w = witnesses();
    let bytes = to_bytes(&w.open);
    let e = from_bytes::<SettleWitness>(&bytes).unwrap_err();
    assert_eq!(
        e.kind,
        WireErrorKind::Circuit { found: "compute-open".into(), expected: "compute-settle" }
    );
    assert!(e.to_string().contains("compute-open"), "{e}");
    let transfer_job = b"SPTW2\x01\x00\x00\x00";
    assert_eq!(from_bytes::<OpenWitness>(transfer_job).unwrap_err().kind, WireErrorKind::Header);
    let mut other_version = bytes.clone();
    other_version[4] = 2;
    assert_eq!(from_bytes::<OpenWitness>(&other_version).unwrap_err().kind, WireErrorKind::Header);
}

#[test]
fn bad_values_are_refused_and_named_by_field() {
    let w = witnesses();
    let header = 4 + 1 + 1 + "compute-settle".len();
    let bytes = to_bytes(&w.settle);
    // The shape comes first: a count of 8, then the account depth.
    let mut deep = bytes.clone();
    deep[header + 4..header + 12].copy_from_slice(&99u64.to_le_bytes());
    let e = from_bytes::<SettleWitness>(&deep).unwrap_err();
    assert!(matches!(e.kind, WireErrorKind::Shape(_)) && e.path == "shape", "{e}");
    // `now` follows the shape; the accounts root after it: a field element
    // at the modulus is not canonical.
    let at = header + 4 + 8 * 8 + 8;
    let mut high = bytes.clone();
    high[at..at + 32].copy_from_slice(&[0xff; 32]);
    let e = from_bytes::<SettleWitness>(&high).unwrap_err();
    assert_eq!((e.kind.clone(), e.path.as_str()), (WireErrorKind::Field, "accounts_root"), "{e}");
    // The slot list's length, claiming more slots than the bytes hold.
    let at = header + 4 + 8 * 8 + 8 + 6 * 32;
    let mut many = bytes.clone();
    many[at..at + 4].copy_from_slice(&u32::MAX.to_le_bytes());
    let e = from_bytes::<SettleWitness>(&many).unwrap_err();
    assert_eq!((e.kind, e.path.as_str()), (WireErrorKind::Length(u32::MAX.into()), "slots"));
    // The first slot's `used` flag.
    let mut flag = bytes;
    flag[at + 4] = 2;
    let e = from_bytes::<SettleWitness>(&flag).unwrap_err();
    assert_eq!((e.kind, e.path.as_str()), (WireErrorKind::Flag, "slots[0].used"));
    // A point off the curve: the first party's key in an opening.
    let mut open = w.open.clone();
    open.slots[0].parties[0].public_key = Point::new_unchecked(Fr::from(1u64), Fr::from(2u64));
    let e = from_bytes::<OpenWitness>(&to_bytes(&open)).unwrap_err();
    assert_eq!((e.kind, e.path.as_str()), (WireErrorKind::Point, "slots[0].parties[0].public_key"));
}

/// Bytes that decode but do not fit their own shape (a path one short, a
/// slot with a node too few) are refused by the circuit, not a panic.
#[test]
fn decoded_witnesses_that_do_not_fit_their_shape_are_refused_not_a_panic() {
    let w = witnesses();
    let mut open = w.open.clone();
    open.slots[0].deal_path.pop();
    assert!(!satisfied(from_bytes::<OpenWitness>(&to_bytes(&open)).unwrap()));
    let mut result = w.result.clone();
    result.slots[0].entries.pop();
    assert!(!satisfied(from_bytes::<ResultWitness>(&to_bytes(&result)).unwrap()));
    let mut mediation = w.mediation.clone();
    mediation.slots[0].client_path.pop();
    assert!(!satisfied(from_bytes::<MediationWitness>(&to_bytes(&mediation)).unwrap()));
    let mut verdict = w.verdict.clone();
    verdict.slots[0].mediators[0].path.pop();
    assert!(!satisfied(from_bytes::<VerdictWitness>(&to_bytes(&verdict)).unwrap()));
    let mut verdict = w.verdict.clone();
    verdict.slots[0].mediators.pop();
    assert!(!satisfied(from_bytes::<VerdictWitness>(&to_bytes(&verdict)).unwrap()));
    let mut settle = w.settle.clone();
    settle.slots[0].credits.pop();
    assert!(!satisfied(from_bytes::<SettleWitness>(&to_bytes(&settle)).unwrap()));
    let mut commit = w.commit.clone();
    commit.slots[0].sponsor.path.pop();
    assert!(!satisfied(from_bytes::<CommitWitness>(&to_bytes(&commit)).unwrap()));
    let mut resolve = w.resolve.clone();
    resolve.slots[0].inserts[1].1.pop();
    assert!(!satisfied(from_bytes::<ResolveWitness>(&to_bytes(&resolve)).unwrap()));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Any byte of a witness replaced by any value decodes to an error or
    /// to a witness that synthesizes without panicking.
    #[test]
    fn a_changed_byte_is_an_error_or_a_witness_never_a_panic(
        kind in 0usize..7,
        at in any::<prop::sample::Index>(),
        value in any::<u8>(),
    ) {
        let w = witnesses();
        fn poke<W: JobWitness>(w: &W, at: &prop::sample::Index, value: u8)
        where
            W::Circuit: ConstraintSynthesizer<Fr>,
        {
            let mut bytes = to_bytes(w);
            let i = at.index(bytes.len());
            bytes[i] = value;
            if let Ok(w) = from_bytes::<W>(&bytes) {
                let _ = satisfied(w);
            }
        }
        match kind {
            0 => poke(&w.open, &at, value),
            1 => poke(&w.result, &at, value),
            2 => poke(&w.mediation, &at, value),
            3 => poke(&w.verdict, &at, value),
            4 => poke(&w.settle, &at, value),
            5 => poke(&w.commit, &at, value),
            _ => poke(&w.resolve, &at, value),
        }
    }
}
