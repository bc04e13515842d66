//! Criterion benchmarks of the proving primitives: stateproof's CPU backend
//! against plain arkworks, over 2^k sizes.
//!
//! The `ntt` group includes the GPU backend when an adapter exists (on a
//! software adapter such as llvmpipe its timings mean nothing).
//!
//! Sizes come from the environment: `STATEPROOF_BENCH_LOG_MIN` and
//! `STATEPROOF_BENCH_LOG_MAX` (default 10..=14). Run with
//! `cargo bench --bench primitives`.

use ark_bn254::{Fr, G1Affine, G1Projective};
use ark_ec::{CurveGroup, VariableBaseMSM};
use ark_ff::UniformRand;
use ark_poly::{EvaluationDomain, Radix2EvaluationDomain};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use stateproof_kernels::cpu::CpuBackend;
use stateproof_kernels::{MsmBackend, NttBackend, NttKind};

fn log_range() -> std::ops::RangeInclusive<u32> {
    let var = |name: &str, default: u32| {
        std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
    };
    var("STATEPROOF_BENCH_LOG_MIN", 10)..=var("STATEPROOF_BENCH_LOG_MAX", 14)
}

fn msm_g1(c: &mut Criterion) {
    let mut rng = ark_std::test_rng();
    let mut group = c.benchmark_group("msm_g1");
    group.sample_size(10);
    for log in log_range() {
        let n = 1usize << log;
        let bases: Vec<G1Affine> = (0..n)
            .map(|_| G1Projective::rand(&mut rng))
            .collect::<Vec<_>>()
            .iter()
            .map(|p| p.into_affine())
            .collect();
        let scalars: Vec<Fr> = (0..n).map(|_| Fr::rand(&mut rng)).collect();
        let prepared = CpuBackend.prepare_g1(&bases).expect("host bases");
        group.bench_with_input(BenchmarkId::new("stateproof-cpu", log), &n, |b, _| {
            b.iter(|| CpuBackend.msm_g1(&prepared, 0, &scalars).expect("sizes match"))
        });
        group.bench_with_input(BenchmarkId::new("arkworks", log), &n, |b, _| {
            b.iter(|| G1Projective::msm_unchecked(&bases, &scalars))
        });
    }
    group.finish();
}

fn ntt(c: &mut Criterion) {
    let mut rng = ark_std::test_rng();
    // The GPU when an adapter exists (its name goes into the benchmark id).
    let gpu = match stateproof_kernels::gpu::GpuContext::shared() {
        Ok(ctx) => Some(stateproof_kernels::gpu::GpuNtt::new(ctx)),
        Err(e) => {
            eprintln!("ntt: no GPU benchmarked: {e}");
            None
        }
    };
    let mut group = c.benchmark_group("ntt");
    group.sample_size(10);
    for log in log_range() {
        let n = 1usize << log;
        let values: Vec<Fr> = (0..n).map(|_| Fr::rand(&mut rng)).collect();
        let domain = Radix2EvaluationDomain::<Fr>::new(n).expect("radix-2 size");
        group.bench_with_input(BenchmarkId::new("stateproof-cpu", log), &n, |b, _| {
            b.iter_batched_ref(
                || values.clone(),
                |v| CpuBackend.ntt(v, NttKind::Forward).expect("power of two"),
                criterion::BatchSize::LargeInput,
            )
        });
        if let Some(gpu) = &gpu {
            let id = format!("stateproof-gpu ({})", gpu.context().adapter.name);
            group.bench_with_input(BenchmarkId::new(id, log), &n, |b, _| {
                b.iter_batched_ref(
                    || values.clone(),
                    |v| gpu.ntt(v, NttKind::Forward).expect("fits the adapter"),
                    criterion::BatchSize::LargeInput,
                )
            });
        }
        group.bench_with_input(BenchmarkId::new("ark-poly", log), &n, |b, _| {
            b.iter_batched_ref(
                || values.clone(),
                |v| domain.fft_in_place(v),
                criterion::BatchSize::LargeInput,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, msm_g1, ntt);
criterion_main!(benches);
