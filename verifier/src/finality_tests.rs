//! The finality client's rules, one test each, on real Groth16 proofs of a
//! circuit with the finality key's six public inputs. What the inputs mean
//! (a quorum signed the header) is the circuits crate's concern and is
//! tested there and end to end; here the inputs are free so that every
//! sequencing case can be built.

use crate::finality::*;
use crate::spec::FINALITY_QUORUM;
use crate::test_support::key_of;
use crate::*;
use ark_bn254::Bn254;
use ark_groth16::{Groth16, ProvingKey};
use ark_r1cs_std::fields::fp::FpVar;
use ark_r1cs_std::prelude::*;
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError};
use ark_std::rand::{rngs::StdRng, SeedableRng};

#[derive(Clone, Copy)]
struct Inputs([Fr; 6]);

impl ConstraintSynthesizer<Fr> for Inputs {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        for x in self.0 {
            let v = FpVar::new_input(cs.clone(), || Ok(x))?;
            let w = FpVar::new_witness(cs.clone(), || Ok(x))?;
            v.enforce_equal(&w)?;
        }
        Ok(())
    }
}

struct Fixture {
    pk: ProvingKey<Bn254>,
    vk: VerifyingKey,
    rng: StdRng,
}

/// A header: (height, prev, state root, next set), hashed to a tag the test
/// picks (the circuit here does not hash).
#[derive(Clone, Copy)]
struct H {
    height: u64,
    prev: Fr,
    state: Fr,
    next_set: Fr,
    hash: Fr,
}

fn fixture(circuit_id: &str) -> Fixture {
    let mut rng = StdRng::seed_from_u64(11);
    let pk = Groth16::<Bn254>::generate_random_parameters_with_reduction(
        Inputs([Fr::from(0u64); 6]),
        &mut rng,
    )
    .unwrap();
    let vk = key_of(circuit_id, &[("set_depth", 4), ("slots", 4)], FINALITY_QUORUM.inputs, &pk.vk);
    Fixture { pk, vk, rng }
}

impl Fixture {
    fn update(&mut self, set_root: Fr, h: H) -> CompressedUpdate {
        self.update_raw(set_root, Fr::from(h.height), h)
    }

    fn update_raw(&mut self, set_root: Fr, height: Fr, h: H) -> CompressedUpdate {
        let inputs = [set_root, height, h.prev, h.state, h.next_set, h.hash];
        let p = Groth16::<Bn254>::create_random_proof_with_reduction(
            Inputs(inputs),
            &self.pk,
            &mut self.rng,
        )
        .unwrap();
        CompressedUpdate {
            circuit_id: self.vk.circuit_id.clone(),
            params: self.vk.params.clone(),
            vk_fingerprint: self.vk.fingerprint(),
            public_inputs: FINALITY_QUORUM.inputs.iter().map(|n| (*n).into()).zip(inputs).collect(),
            proof: Proof { a: p.a, b: p.b, c: p.c },
        }
    }
}

const SET_A: u64 = 100;
const SET_B: u64 = 200;

fn f(x: u64) -> Fr {
    Fr::from(x)
}

/// Genesis (height 0, hash 1000) naming set A; header 1 signed by A naming
/// A; header 2 signed by A rotating to B; header 3 signed by B.
fn chain() -> (Checkpoint, [H; 3], [Fr; 3]) {
    let checkpoint =
        Checkpoint { height: 0, header_hash: f(1000), state_root: f(1), set_root: f(SET_A) };
    let h1 = H { height: 1, prev: f(1000), state: f(11), next_set: f(SET_A), hash: f(1001) };
    let h2 = H { height: 2, prev: f(1001), state: f(12), next_set: f(SET_B), hash: f(1002) };
    let h3 = H { height: 3, prev: f(1002), state: f(13), next_set: f(SET_B), hash: f(1003) };
    (checkpoint, [h1, h2, h3], [f(SET_A), f(SET_A), f(SET_B)])
}

fn client(fx: &Fixture, checkpoint: Checkpoint) -> FinalityClient {
    FinalityClient::new(fx.vk.clone(), checkpoint).unwrap()
}

#[test]
fn follows_a_chain_through_a_rotation() {
    let mut fx = fixture(FINALITY_QUORUM.id);
    let (cp, hs, signers) = chain();
    let mut c = client(&fx, cp);
    for (h, set) in hs.iter().zip(signers) {
        let u = fx.update(set, *h);
        let done = c.apply(&u).unwrap();
        assert_eq!((done.height, done.header_hash, done.state_root), (h.height, h.hash, h.state));
        assert_eq!(done.rotated, h.height == 2);
    }
    assert_eq!(c.state().height, 3);
    assert_eq!(c.state().set_root, f(SET_B));
    assert_eq!(c.state().state_root, f(13));
}

#[test]
fn rejects_a_gap() {
    let mut fx = fixture(FINALITY_QUORUM.id);
    let (cp, hs, signers) = chain();
    let mut c = client(&fx, cp);
    let u2 = fx.update(signers[1], hs[1]);
    assert_eq!(c.apply(&u2).unwrap_err(), Error::Gap { expected: 1, found: 2 });
    assert_eq!(c.state().height, 0);
}

#[test]
fn rejects_reordering() {
    let mut fx = fixture(FINALITY_QUORUM.id);
    let (cp, hs, signers) = chain();
    let mut c = client(&fx, cp);
    let u1 = fx.update(signers[0], hs[0]);
    let u2 = fx.update(signers[1], hs[1]);
    c.apply(&u1).unwrap();
    c.apply(&u2).unwrap();
    // Height 1 after height 2.
    assert_eq!(c.apply(&u1).unwrap_err(), Error::Stale { height: 1, current: 2 });
}

#[test]
fn rejects_a_proof_for_a_different_set() {
    let mut fx = fixture(FINALITY_QUORUM.id);
    let (cp, hs, _) = chain();
    let mut c = client(&fx, cp);
    let before = *c.state();
    // Header 1 proven by set B's quorum: the client holds A.
    let u = fx.update(f(SET_B), hs[0]);
    assert_eq!(c.apply(&u).unwrap_err(), Error::WrongSet);
    assert_eq!(c.state(), &before, "a rejected update leaves the client unchanged");
}

#[test]
fn rejects_a_replayed_update() {
    let mut fx = fixture(FINALITY_QUORUM.id);
    let (cp, hs, signers) = chain();
    let mut c = client(&fx, cp);
    let u1 = fx.update(signers[0], hs[0]);
    c.apply(&u1).unwrap();
    assert_eq!(c.apply(&u1).unwrap_err(), Error::Replay { height: 1 });
    // A fresh proof of the same header is a replay too (proofs are
    // malleable: the header, not the proof, is what counts).
    let again = fx.update(signers[0], hs[0]);
    assert_ne!(again.proof, u1.proof);
    assert_eq!(c.apply(&again).unwrap_err(), Error::Replay { height: 1 });
}

#[test]
fn rejects_an_update_that_does_not_extend_the_header() {
    let mut fx = fixture(FINALITY_QUORUM.id);
    let (cp, hs, signers) = chain();
    let mut c = client(&fx, cp);
    let orphan = H { prev: f(999), ..hs[0] };
    assert_eq!(c.apply(&fx.update(signers[0], orphan)).unwrap_err(), Error::DoesNotExtend);
}

#[test]
fn reports_a_fork_and_halts() {
    let mut fx = fixture(FINALITY_QUORUM.id);
    let (cp, hs, signers) = chain();
    let mut c = client(&fx, cp);
    c.apply(&fx.update(signers[0], hs[0])).unwrap();
    let conflicting = H { state: f(66), hash: f(6001), ..hs[0] };
    let evidence =
        ForkEvidence { height: 1, set_root: f(SET_A), accepted: hs[0].hash, conflicting: f(6001) };
    assert_eq!(c.apply(&fx.update(signers[0], conflicting)).unwrap_err(), Error::Fork(evidence));
    assert_eq!(c.state().fork, Some(evidence));
    // Halted: even the valid next header is refused, and the halt survives
    // a save and resume.
    let u2 = fx.update(signers[1], hs[1]);
    assert_eq!(c.apply(&u2).unwrap_err(), Error::Halted { height: 1 });
    let mut resumed = FinalityClient::resume(fx.vk.clone(), &c.state_bytes()).unwrap();
    assert_eq!(resumed.apply(&u2).unwrap_err(), Error::Halted { height: 1 });
}

#[test]
fn an_update_that_does_not_verify_changes_nothing() {
    let mut fx = fixture(FINALITY_QUORUM.id);
    let (cp, hs, signers) = chain();
    let mut c = client(&fx, cp);
    let mut u = fx.update(signers[0], hs[0]);
    u.public_inputs[3].1 += f(1); // another state root than the one proven
    assert_eq!(c.apply(&u).unwrap_err(), Error::InvalidProof);
    // An invalid conflicting update is not fork evidence.
    c.apply(&fx.update(signers[0], hs[0])).unwrap();
    let mut forged = fx.update(signers[0], H { hash: f(7), ..hs[0] });
    forged.public_inputs[5].1 = f(8);
    assert_eq!(c.apply(&forged).unwrap_err(), Error::InvalidProof);
    assert_eq!(c.state().fork, None);
}

#[test]
fn rejects_other_keys_and_heights_beyond_u64() {
    let fx = fixture("transfer-batch");
    let (cp, hs, signers) = chain();
    assert_eq!(FinalityClient::new(fx.vk.clone(), cp).unwrap_err(), Error::NotFinalityKey);
    let mut fx = fixture(FINALITY_QUORUM.id);
    let mut c = client(&fx, cp);
    let big = fx.update_raw(signers[0], Fr::from(u64::MAX) + f(2), hs[0]);
    assert_eq!(c.apply(&big).unwrap_err(), Error::HeightOutOfRange);
    // An update made under another finality key.
    let mut other = fixture(FINALITY_QUORUM.id);
    other.pk = Groth16::<Bn254>::generate_random_parameters_with_reduction(
        Inputs([f(0); 6]),
        &mut StdRng::seed_from_u64(12),
    )
    .unwrap();
    other.vk.gamma_abc_g1 = other.pk.vk.gamma_abc_g1.clone();
    other.vk.alpha_g1 = other.pk.vk.alpha_g1;
    other.vk.beta_g2 = other.pk.vk.beta_g2;
    other.vk.gamma_g2 = other.pk.vk.gamma_g2;
    other.vk.delta_g2 = other.pk.vk.delta_g2;
    let foreign = other.update(signers[0], hs[0]);
    assert_eq!(c.apply(&foreign).unwrap_err(), Error::FingerprintMismatch);
}

#[test]
fn state_saves_resumes_and_rejects_hostile_bytes() {
    let mut fx = fixture(FINALITY_QUORUM.id);
    let (cp, hs, signers) = chain();
    let mut c = client(&fx, cp);
    c.apply(&fx.update(signers[0], hs[0])).unwrap();
    let bytes = c.state_bytes();
    assert!(bytes.len() < 256, "state is {} bytes", bytes.len());
    let mut resumed = FinalityClient::resume(fx.vk.clone(), &bytes).unwrap();
    assert_eq!(resumed.state(), c.state());
    resumed.apply(&fx.update(signers[1], hs[1])).unwrap();

    for cut in 0..bytes.len() {
        assert!(ClientState::from_bytes(&bytes[..cut]).is_err(), "truncated at {cut}");
    }
    let mut trailing = bytes.clone();
    trailing.push(0);
    assert_eq!(ClientState::from_bytes(&trailing).unwrap_err(), Error::TrailingBytes(1));
    let mut flag = bytes.clone();
    let flag_at = 4 + 2 + 32 + 8 + 3 * 32;
    flag[flag_at] = 2;
    assert!(ClientState::from_bytes(&flag).is_err());
    let mut non_canonical = bytes.clone();
    non_canonical[4 + 2 + 32 + 8..4 + 2 + 32 + 8 + 32].fill(0xff);
    assert!(ClientState::from_bytes(&non_canonical).is_err());
    // Saved under another key.
    let mut other_key = bytes;
    other_key[6] ^= 1;
    assert_eq!(
        FinalityClient::resume(fx.vk.clone(), &other_key).unwrap_err(),
        Error::FingerprintMismatch
    );
}

#[test]
fn catch_up_follows_a_rotation_in_one_check() {
    let mut fx = fixture(FINALITY_QUORUM.id);
    let (cp, hs, signers) = chain();
    let updates: Vec<_> = hs.iter().zip(signers).map(|(h, set)| fx.update(set, *h)).collect();
    let mut one = client(&fx, cp);
    let expected: Vec<Finalized> = updates.iter().map(|u| one.apply(u).unwrap()).collect();
    let mut batched = client(&fx, cp);
    assert_eq!(batched.catch_up(&updates), CatchUp { accepted: expected, rejected: None });
    assert_eq!(batched.state(), one.state());
}

#[test]
fn catch_up_stops_at_a_bad_proof_and_at_a_fork() {
    let mut fx = fixture(FINALITY_QUORUM.id);
    let (cp, hs, signers) = chain();
    let mut updates: Vec<_> = hs.iter().zip(signers).map(|(h, set)| fx.update(set, *h)).collect();

    // A state root the proof was not made for, at height 2.
    let mut forged = updates.clone();
    forged[1].public_inputs[3].1 += f(1);
    let mut c = client(&fx, cp);
    let done = c.catch_up(&forged);
    assert_eq!(done.accepted.len(), 1);
    assert_eq!(done.rejected, Some((1, Error::InvalidProof)));
    assert_eq!(c.state().height, 1);

    // A second valid header at height 1 in the run: reported and halting.
    let conflicting = H { state: f(66), hash: f(6001), ..hs[0] };
    updates.insert(1, fx.update(signers[0], conflicting));
    let mut c = client(&fx, cp);
    let done = c.catch_up(&updates);
    let evidence =
        ForkEvidence { height: 1, set_root: f(SET_A), accepted: hs[0].hash, conflicting: f(6001) };
    assert_eq!(done.accepted.len(), 1);
    assert_eq!(done.rejected, Some((1, Error::Fork(evidence))));
    assert_eq!(c.state().fork, Some(evidence));
    assert_eq!(c.catch_up(&updates[2..]).rejected, Some((0, Error::Halted { height: 1 })));
}
