//! Batched verification against one-by-one verification, on real proofs of
//! a small chain circuit, valid and broken in the ways a hostile node could
//! break them.

use crate::batch::{verify_batch, verify_each, Statement};
use crate::test_support::key_of;
use crate::*;
use ark_bn254::{Bn254, G1Affine, G1Projective};
use ark_ec::pairing::Pairing;
use ark_ec::{AffineRepr, CurveGroup};
use ark_ff::{UniformRand, Zero};
use ark_groth16::{Groth16, ProvingKey};
use ark_r1cs_std::fields::fp::FpVar;
use ark_r1cs_std::prelude::*;
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError};
use ark_std::rand::{rngs::StdRng, Rng, SeedableRng};

/// Public (old_root, new_root, batch_digest) with `new = old + digest²`.
#[derive(Clone, Copy)]
struct Step {
    old: Fr,
    digest: Fr,
}

impl Step {
    fn new_root(&self) -> Fr {
        self.old + self.digest * self.digest
    }
}

impl ConstraintSynthesizer<Fr> for Step {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        let old = FpVar::new_input(cs.clone(), || Ok(self.old))?;
        let new = FpVar::new_input(cs.clone(), || Ok(self.new_root()))?;
        let digest = FpVar::new_input(cs.clone(), || Ok(self.digest))?;
        let d = FpVar::new_witness(cs, || Ok(self.digest))?;
        d.enforce_equal(&digest)?;
        (old + d.square()?).enforce_equal(&new)
    }
}

struct Fixture {
    pk: ProvingKey<Bn254>,
    vk: VerifyingKey,
    rng: StdRng,
}

fn fixture(seed: u64) -> Fixture {
    let mut rng = StdRng::seed_from_u64(seed);
    let zero = Step { old: Fr::zero(), digest: Fr::zero() };
    let pk = Groth16::<Bn254>::generate_random_parameters_with_reduction(zero, &mut rng).unwrap();
    let inputs = ["old_root", "new_root", "batch_digest"];
    let vk = key_of("chain", &[("depth", 4)], &inputs, &pk.vk);
    Fixture { pk, vk, rng }
}

impl Fixture {
    fn update(&mut self, step: Step) -> CompressedUpdate {
        let p = Groth16::<Bn254>::create_random_proof_with_reduction(step, &self.pk, &mut self.rng)
            .unwrap();
        CompressedUpdate {
            circuit_id: self.vk.circuit_id.clone(),
            params: self.vk.params.clone(),
            vk_fingerprint: self.vk.fingerprint(),
            public_inputs: vec![
                ("old_root".into(), step.old),
                ("new_root".into(), step.new_root()),
                ("batch_digest".into(), step.digest),
            ],
            proof: Proof { a: p.a, b: p.b, c: p.c },
        }
    }

    /// `n` updates chaining from `root`.
    fn chain(&mut self, root: Fr, n: usize) -> Vec<CompressedUpdate> {
        let mut old = root;
        (0..n)
            .map(|i| {
                let step = Step { old, digest: Fr::from(i as u64 + 2) };
                old = step.new_root();
                self.update(step)
            })
            .collect()
    }
}

fn inputs(u: &CompressedUpdate) -> Vec<Fr> {
    u.public_inputs.iter().map(|(_, v)| *v).collect()
}

fn statements<'a>(values: &'a [Vec<Fr>], updates: &'a [CompressedUpdate]) -> Vec<Statement<'a>> {
    values.iter().zip(updates).map(|(x, u)| (&x[..], &u.proof)).collect()
}

/// Ways to break one update so that its proof no longer verifies.
fn break_update(u: &mut CompressedUpdate, how: usize, other: &CompressedUpdate) {
    match how {
        0 => u.public_inputs[2].1 += Fr::from(1u64), // an input the proof was not made for
        1 => u.proof = other.proof,                  // another statement's proof
        2 => u.proof.a = (-u.proof.a.into_group()).into_affine(),
        3 => std::mem::swap(&mut u.proof.a, &mut u.proof.c),
        _ => u.proof.c = (u.proof.c + G1Affine::generator()).into_affine(),
    }
}

#[test]
fn valid_runs_verify_in_one_check() {
    let mut fx = fixture(1);
    let updates = fx.chain(Fr::from(5u64), 9);
    let values: Vec<Vec<Fr>> = updates.iter().map(inputs).collect();
    for k in [0, 1, 2, 3, 9] {
        let batch = statements(&values[..k], &updates[..k]);
        assert_eq!(verify_batch(&fx.vk, &batch), Ok(()), "k = {k}");
        assert!(verify_each(&fx.vk, &batch).iter().all(Result::is_ok));
    }
    assert!(verify_updates(&fx.vk, &updates).iter().all(Result::is_ok));
}

#[test]
fn each_verdict_is_the_single_checks() {
    let mut fx = fixture(2);
    let clean = fx.chain(Fr::from(7u64), 8);
    let mut rng = StdRng::seed_from_u64(3);
    for trial in 0..12 {
        let mut updates = clean.clone();
        // One to three broken updates, anywhere, in any of the ways.
        for _ in 0..rng.gen_range(1..=3) {
            let at = rng.gen_range(0..updates.len());
            let other = clean[(at + 1) % clean.len()].clone();
            break_update(&mut updates[at], rng.gen_range(0..5), &other);
        }
        let values: Vec<Vec<Fr>> = updates.iter().map(inputs).collect();
        let batch = statements(&values, &updates);
        let one_by_one: Vec<Result<()>> =
            batch.iter().map(|(x, p)| verify_proof(&fx.vk, x, p)).collect();
        assert!(one_by_one.iter().any(Result::is_err), "trial {trial} broke nothing");
        assert_eq!(verify_batch(&fx.vk, &batch), Err(Error::InvalidProof), "trial {trial}");
        assert_eq!(verify_each(&fx.vk, &batch), one_by_one, "trial {trial}");
        let by_update: Vec<Result<()>> = updates.iter().map(|u| u.verify(&fx.vk)).collect();
        let batched: Vec<Result<()>> =
            verify_updates(&fx.vk, &updates).into_iter().map(|v| v.map(|_| ())).collect();
        assert_eq!(batched, by_update, "trial {trial}");
    }
}

/// Two proofs broken so that their errors cancel: `C₁ + D` and `C₂ − D`.
/// With every coefficient 1 the combined equation holds; the hashed
/// coefficients catch it.
#[test]
fn errors_that_cancel_under_equal_weights_are_caught() {
    let mut fx = fixture(4);
    let mut updates = fx.chain(Fr::from(9u64), 4);
    let d = G1Projective::rand(&mut fx.rng);
    updates[1].proof.c = (updates[1].proof.c + d).into_affine();
    updates[2].proof.c = (updates[2].proof.c - d).into_affine();
    let values: Vec<Vec<Fr>> = updates.iter().map(inputs).collect();
    let batch = statements(&values, &updates);

    // The same check with unit weights accepts the pair: the attack is real.
    let vk = &fx.vk;
    let mut g1 = Vec::new();
    let mut g2 = Vec::new();
    let (mut vk_x, mut c) = (G1Projective::zero(), G1Projective::zero());
    for (x, p) in &batch {
        g1.push(p.a);
        g2.push(p.b);
        vk_x += vk.gamma_abc_g1[0];
        for (xi, base) in x.iter().zip(&vk.gamma_abc_g1[1..]) {
            vk_x += *base * xi;
        }
        c += p.c;
    }
    let alpha = vk.alpha_g1 * Fr::from(batch.len() as u64);
    g1.extend(G1Projective::normalize_batch(&[-alpha, -vk_x, -c]));
    g2.extend([vk.beta_g2, vk.gamma_g2, vk.delta_g2]);
    assert!(Bn254::multi_pairing(g1, g2).is_zero(), "unit weights should be fooled");

    assert_eq!(verify_batch(vk, &batch), Err(Error::InvalidProof));
    let verdicts = verify_each(vk, &batch);
    assert_eq!(verdicts, vec![Ok(()), Err(Error::InvalidProof), Err(Error::InvalidProof), Ok(())]);
}

#[test]
fn wrong_input_counts_are_named_not_batched() {
    let mut fx = fixture(5);
    let updates = fx.chain(Fr::from(1u64), 3);
    let mut values: Vec<Vec<Fr>> = updates.iter().map(inputs).collect();
    values[1].pop();
    let batch = statements(&values, &updates);
    let short = Error::InputCount { expected: 3, found: 2 };
    assert_eq!(verify_batch(&fx.vk, &batch), Err(short.clone()));
    assert_eq!(verify_each(&fx.vk, &batch), vec![Ok(()), Err(short), Ok(())]);
}

#[test]
fn labels_are_checked_before_the_batch() {
    let mut fx = fixture(6);
    let mut updates = fx.chain(Fr::from(1u64), 4);
    updates[0].vk_fingerprint[0] ^= 1;
    updates[2].public_inputs[0].0 = "new_root".into();
    let verdicts: Vec<Result<()>> =
        verify_updates(&fx.vk, &updates).into_iter().map(|v| v.map(|_| ())).collect();
    assert_eq!(
        verdicts,
        vec![Err(Error::FingerprintMismatch), Ok(()), Err(Error::InputNames), Ok(())]
    );
}

#[test]
fn light_client_catch_up_stops_where_apply_would() {
    let mut fx = fixture(8);
    let genesis = Fr::from(3u64);
    let clean = fx.chain(genesis, 10);
    let mut rng = StdRng::seed_from_u64(9);
    for trial in 0..8 {
        let mut updates = clean.clone();
        if trial > 0 {
            let at = rng.gen_range(0..updates.len());
            let other = clean[(at + 3) % clean.len()].clone();
            break_update(&mut updates[at], rng.gen_range(0..5), &other);
        }
        let mut one = LightClient::new(fx.vk.clone(), genesis);
        let mut expected = CatchUp { accepted: Vec::new(), rejected: None };
        for (i, u) in updates.iter().enumerate() {
            match one.apply(u) {
                Ok(root) => expected.accepted.push(root),
                Err(e) => {
                    expected.rejected = Some((i, e));
                    break;
                }
            }
        }
        let mut batched = LightClient::new(fx.vk.clone(), genesis);
        assert_eq!(batched.catch_up(&updates), expected, "trial {trial}");
        assert_eq!(batched.root(), one.root(), "trial {trial}");
    }
}

#[test]
fn light_client_catch_up_rejects_a_run_that_does_not_chain() {
    let mut fx = fixture(10);
    let genesis = Fr::from(3u64);
    let mut updates = fx.chain(genesis, 4);
    let foreign = fx.chain(Fr::from(77u64), 1);
    updates.insert(2, foreign[0].clone());
    let mut client = LightClient::new(fx.vk.clone(), genesis);
    let done = client.catch_up(&updates);
    assert_eq!(done.accepted.len(), 2);
    assert_eq!(done.rejected, Some((2, Error::RootMismatch)));
    assert_eq!(client.root(), updates[1].input("new_root").unwrap());
}

#[test]
fn a_verified_update_is_bound_to_its_key() {
    let mut fx = fixture(11);
    let other = fixture(12);
    let updates = fx.chain(Fr::from(3u64), 1);
    let verified = updates[0].verified(&fx.vk).unwrap();
    let mut client = LightClient::new(other.vk.clone(), Fr::from(3u64));
    assert_eq!(client.apply_verified(&verified), Err(Error::FingerprintMismatch));
    assert_eq!(client.root(), Fr::from(3u64));
}
