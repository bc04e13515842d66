use super::*;
use crate::transfer::sample_key;

const RULES: AdmissionRules = AdmissionRules { suspension: 10, period: 5 };

fn ledger() -> TrustLedger {
    TrustLedger::new((0..4).map(|i| (i, sample_key(i).public_key())), RULES)
}

fn sponsorship(id: u64, sponsors: [u64; 2], epoch: u64) -> Sponsorship {
    let k = |i: u64| sample_key(i).public_key();
    Sponsorship {
        id,
        sponsors,
        candidate: k(100 + id),
        defector_keys: [[k(200 + id), k(300 + id)], [k(400 + id), k(500 + id)]],
        epoch,
    }
}

/// The sample-key seed of a member: genesis members use their index, later
/// ones the seed their key was made from.
fn seed_of(l: &TrustLedger, index: u64) -> u64 {
    let key = l.member(index).unwrap().public_key;
    (0..1000).find(|seed| sample_key(*seed).public_key() == key).unwrap()
}

fn play(l: &mut TrustLedger, s: &Sponsorship, choices: [Choice; 2]) -> Resolution {
    l.start(s.clone()).unwrap();
    for (slot, sponsor) in s.sponsors.iter().enumerate() {
        let salt = Fr::from(77 + slot as u64);
        let key = sample_key(seed_of(l, *sponsor));
        let (c, sig) = sign_commitment(&key, s.id, choices[slot], salt);
        l.commit(s.id, *sponsor, c, &sig).unwrap();
    }
    for (slot, sponsor) in s.sponsors.iter().enumerate() {
        l.reveal(s.id, *sponsor, choices[slot], Fr::from(77 + slot as u64)).unwrap();
    }
    l.resolve(s.id).unwrap()
}

fn broke(e: Error, r: TrustRule) {
    assert_eq!(e, rule(r), "expected {r:?}");
}

#[test]
fn the_four_outcomes() {
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

#[test]
fn a_suspended_sponsor_and_a_second_sponsorship_in_a_period_are_rejected() {
    use Choice::*;
    let mut l = ledger();
    play(&mut l, &sponsorship(1, [0, 1], 0), [Cooperate, Defect]);
    // Member 0 is suspended until epoch 10; member 1 sponsored in period 0.
    broke(l.start(sponsorship(2, [0, 2], 6)).unwrap_err(), TrustRule::Suspended(0));
    broke(l.start(sponsorship(3, [1, 2], 4)).unwrap_err(), TrustRule::SponsoredThisPeriod(1));
    // Next period: 1 may sponsor again; after the suspension, 0 may too.
    l.start(sponsorship(4, [1, 2], 5)).unwrap();
    l.start(sponsorship(5, [0, 3], 10)).unwrap();
    broke(l.start(sponsorship(6, [9, 3], 20)).unwrap_err(), TrustRule::NotMember(9));
    assert!(l.start(sponsorship(7, [3, 3], 20)).is_err());
}

#[test]
fn reveals_must_open_their_own_single_commitment() {
    let mut l = ledger();
    let s = sponsorship(1, [0, 1], 0);
    l.start(s.clone()).unwrap();
    // A reveal without a commitment.
    broke(
        l.reveal(1, 0, Choice::Cooperate, Fr::from(1u64)).unwrap_err(),
        TrustRule::RevealWithoutCommitment(0),
    );
    // A commitment signed by someone else, then a proper one.
    let (c, _) = sign_commitment(&sample_key(0), 1, Choice::Cooperate, Fr::from(1u64));
    let forged = sample_key(2).sign(c);
    broke(l.commit(1, 0, c, &forged).unwrap_err(), TrustRule::BadCommitment(0));
    let (c, sig) = sign_commitment(&sample_key(0), 1, Choice::Cooperate, Fr::from(1u64));
    l.commit(1, 0, c, &sig).unwrap();
    broke(l.commit(1, 0, c, &sig).unwrap_err(), TrustRule::BadCommitment(0));
    // A reveal of the other choice, or another salt, does not open it.
    broke(
        l.reveal(1, 0, Choice::Defect, Fr::from(1u64)).unwrap_err(),
        TrustRule::RevealMismatch(0),
    );
    broke(
        l.reveal(1, 0, Choice::Cooperate, Fr::from(2u64)).unwrap_err(),
        TrustRule::RevealMismatch(0),
    );
    l.reveal(1, 0, Choice::Cooperate, Fr::from(1u64)).unwrap();
    broke(
        l.reveal(1, 0, Choice::Cooperate, Fr::from(1u64)).unwrap_err(),
        TrustRule::SecondReveal(0),
    );
    // Not resolvable before the other sponsor reveals; not by an outsider.
    broke(l.resolve(1).unwrap_err(), TrustRule::NotRevealed(1));
    assert!(l.reveal(1, 3, Choice::Cooperate, Fr::from(1u64)).is_err());
    // A commitment binds the sponsorship id too.
    assert_ne!(
        commitment(1, Choice::Cooperate, Fr::from(1u64)),
        commitment(2, Choice::Cooperate, Fr::from(1u64))
    );
}
