//! One batched pairing check against single checks: `k` updates under one
//! key shaped like the finality key (its six public inputs; what a
//! verifier pays depends on the key's input count, not on the circuit
//! behind it), for k = 4, 16, 32 and 64, all valid and with one bad proof
//! (the bisection's cost). `cargo bench -p stateproof-verifier --bench
//! verify`; the target is k = 32 in at most half the single checks'
//! time.

use ark_bn254::{Bn254, G1Affine};
use ark_ec::{AffineRepr, CurveGroup};
use ark_groth16::Groth16;
use ark_r1cs_std::fields::fp::FpVar;
use ark_r1cs_std::prelude::*;
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError};
use ark_std::rand::{rngs::StdRng, SeedableRng};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use stateproof_verifier::spec::FINALITY_QUORUM;
use stateproof_verifier::{verify_updates, CompressedUpdate, Fr, Proof, VerifyingKey};
use std::time::Duration;

/// Six public inputs, each tied to a witness.
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

fn updates(k: usize) -> (VerifyingKey, Vec<CompressedUpdate>) {
    let mut rng = StdRng::seed_from_u64(32);
    let pk = Groth16::<Bn254>::generate_random_parameters_with_reduction(
        Inputs([Fr::from(0u64); 6]),
        &mut rng,
    )
    .expect("setup");
    let vk = VerifyingKey {
        circuit_id: FINALITY_QUORUM.id.into(),
        params: vec![("set_depth".into(), 6), ("slots".into(), 64)],
        input_names: FINALITY_QUORUM.inputs.iter().map(|n| (*n).into()).collect(),
        alpha_g1: pk.vk.alpha_g1,
        beta_g2: pk.vk.beta_g2,
        gamma_g2: pk.vk.gamma_g2,
        delta_g2: pk.vk.delta_g2,
        gamma_abc_g1: pk.vk.gamma_abc_g1.clone(),
    };
    let updates = (0..k as u64)
        .map(|h| {
            // Header-like values: full-width hashes, a small height.
            let x = [Fr::from(7u64) * Fr::from(h + 99).pow_u64(40), Fr::from(h + 1)]
                .into_iter()
                .chain((0..4).map(|i| Fr::from(h * 10 + i + 3).pow_u64(41)))
                .collect::<Vec<_>>();
            let inputs = Inputs([x[0], x[1], x[2], x[3], x[4], x[5]]);
            let p = Groth16::<Bn254>::create_random_proof_with_reduction(inputs, &pk, &mut rng)
                .expect("prove");
            CompressedUpdate {
                circuit_id: vk.circuit_id.clone(),
                params: vk.params.clone(),
                vk_fingerprint: vk.fingerprint(),
                public_inputs: vk.input_names.iter().cloned().zip(x).collect(),
                proof: Proof { a: p.a, b: p.b, c: p.c },
            }
        })
        .collect();
    (vk, updates)
}

trait PowU64 {
    fn pow_u64(self, e: u64) -> Self;
}

impl PowU64 for Fr {
    fn pow_u64(self, e: u64) -> Self {
        ark_ff::Field::pow(&self, [e])
    }
}

fn batch(c: &mut Criterion) {
    let mut group = c.benchmark_group("verify");
    group.sample_size(10).warm_up_time(Duration::from_secs(1));
    let (vk, all) = updates(64);
    for k in [4usize, 16, 32, 64] {
        let run = &all[..k];
        group.bench_with_input(BenchmarkId::new("single", k), &k, |b, _| {
            b.iter(|| run.iter().all(|u| u.verify(&vk).is_ok()))
        });
        group.bench_with_input(BenchmarkId::new("batched", k), &k, |b, _| {
            b.iter(|| verify_updates(&vk, run).iter().all(Result::is_ok))
        });
        let mut bad = run.to_vec();
        bad[k / 2].proof.c = (bad[k / 2].proof.c + G1Affine::generator()).into_affine();
        group.bench_with_input(BenchmarkId::new("batched-one-bad", k), &k, |b, _| {
            b.iter(|| verify_updates(&vk, &bad).iter().filter(|v| v.is_err()).count() == 1)
        });
    }
    group.finish();
}

criterion_group!(benches, batch);
criterion_main!(benches);
