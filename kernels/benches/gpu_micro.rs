//! Microbenchmarks behind three design choices of the GPU kernels, each a
//! criterion group on the adapter `device_for_tests` finds:
//!
//! - `field_mul_chain`: 32-bit digits with 64-bit products against 16-bit
//!   digits (kernels/README.md, "Limb representation");
//! - `accumulate_chain`: XYZZ, Jacobian and batch-affine bucket additions
//!   (kernels/README.md, "Point representation");
//! - `msm_g1_precompute`: the G1 MSM with 1, 2, 4 and 8 precomputed copies
//!   of its bases, on uniform and Groth16-like scalars.
//!
//! `cargo bench -p stateproof-kernels --features microbench --bench gpu_micro`
//! (`STATEPROOF_BENCH_LOGS=12,14,16` sets the MSM sizes).

use ark_bn254::{Fr, G1Projective};
use ark_ec::CurveGroup;
use ark_ff::UniformRand;
use ark_std::rand::{rngs::StdRng, SeedableRng};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use stateproof_kernels::gpu::microbench::{
    self, compile, g1_affine_bytes, pipeline, storage, upload,
};
use stateproof_kernels::gpu::{device_for_tests, GpuMsm, MulVariant};
use stateproof_kernels::workload::{random_points, skewed_scalars};
use stateproof_kernels::MsmBackend;

fn field_mul_chain(c: &mut Criterion) {
    let Some(dev) = device_for_tests() else { return };
    let mut rng = StdRng::seed_from_u64(15);
    let (n, chain) = (1usize << 14, 256u32);
    let limbs = |rng: &mut StdRng| -> Vec<u8> {
        (0..n).flat_map(|_| Fr::rand(rng).0 .0).flat_map(u64::to_le_bytes).collect()
    };
    let (a, b) = (
        upload(&dev, "lhs", &limbs(&mut rng)).unwrap(),
        upload(&dev, "rhs", &limbs(&mut rng)).unwrap(),
    );
    let out = storage(&dev, "out", 32 * n as u64).unwrap();
    let mut group = c.benchmark_group("field_mul_chain");
    let mut variants = vec![MulVariant::U16Digits];
    if dev.mul_variant == MulVariant::U32Digits {
        variants.push(MulVariant::U32Digits);
    }
    for variant in variants {
        let src = microbench::field_test_source::<Fr>(variant).unwrap();
        let module = compile(&dev, "field test", &src).unwrap();
        let p = pipeline(&dev, &module, "mul_chain").unwrap();
        let groups = ((n as u32).div_ceil(64), 1);
        group.bench_function(format!("{variant:?}, {n} threads x {chain} muls"), |bench| {
            bench.iter(|| {
                microbench::dispatch(&dev, &p, &[&a, &b, &out], [0, n as u32, chain, 0], groups)
                    .unwrap()
            })
        });
    }
    group.finish();
}

fn accumulate_chain(c: &mut Criterion) {
    let Some(dev) = device_for_tests() else { return };
    let mut rng = StdRng::seed_from_u64(25);
    let n = 1 << 12;
    let points = |rng: &mut StdRng| {
        let p: Vec<G1Projective> = (0..n).map(|_| G1Projective::rand(rng)).collect();
        G1Projective::normalize_batch(&p)
    };
    let lhs = upload(&dev, "lhs", &g1_affine_bytes(&points(&mut rng))).unwrap();
    let rhs = upload(&dev, "rhs", &g1_affine_bytes(&points(&mut rng))).unwrap();
    let threads = 1usize << 14;
    let out = storage(&dev, "out", 128 * threads as u64).unwrap();
    let mut group = c.benchmark_group("accumulate_chain");
    for batch in [16u32, 64] {
        let src = microbench::accumulate_bench_source(dev.mul_variant, batch).unwrap();
        let module = compile(&dev, "accumulate bench", &src).unwrap();
        for entry in ["chain_xyzz", "chain_jacobian", "chain_affine"] {
            if batch != 16 && entry != "chain_affine" {
                continue;
            }
            // Six rounds of the batch-affine chain stay under llvmpipe's
            // 65,535 loop iterations per invocation (kernels/README.md).
            let chain = if entry == "chain_affine" { 6 * batch } else { 256 };
            let p = pipeline(&dev, &module, entry).unwrap();
            let groups = ((threads as u32).div_ceil(64), 1);
            let params = [threads as u32, chain, n as u32, 0];
            group.bench_function(format!("{entry}, batch {batch}, {chain} additions"), |bench| {
                bench.iter(|| {
                    microbench::dispatch(&dev, &p, &[&lhs, &rhs, &out], params, groups).unwrap()
                })
            });
        }
    }
    group.finish();
}

fn msm_g1_precompute(c: &mut Criterion) {
    let Some(dev) = device_for_tests() else { return };
    let logs: Vec<u32> = std::env::var("STATEPROOF_BENCH_LOGS")
        .ok()
        .map(|v| v.split(',').filter_map(|l| l.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![12, 14]);
    let mut rng = StdRng::seed_from_u64(13);
    let mut group = c.benchmark_group("msm_g1_precompute");
    group.sample_size(10);
    for log in logs {
        let n = 1usize << log;
        let bases = random_points::<G1Projective>(n, &mut rng);
        let uniform: Vec<Fr> = (0..n).map(|_| Fr::rand(&mut rng)).collect();
        let skewed = skewed_scalars(n, &mut rng);
        for factor in [1usize, 2, 4, 8] {
            let msm = GpuMsm::new(dev.clone()).with_precompute(factor);
            let prepared = msm.prepare_g1(&bases).unwrap();
            for (what, scalars) in [("uniform", &uniform), ("groth16-like", &skewed)] {
                let id = BenchmarkId::new(format!("factor {factor}, {what}"), format!("2^{log}"));
                group.bench_with_input(id, scalars, |bench, s| {
                    bench.iter(|| msm.msm_g1(&prepared, 0, s).unwrap())
                });
            }
        }
    }
    group.finish();
}

criterion_group!(benches, field_mul_chain, accumulate_chain, msm_g1_precompute);
criterion_main!(benches);
