//! Criterion benchmarks of the proving primitives: stateproof's CPU and GPU
//! backends against plain arkworks, over 2^k sizes; MSMs with uniform and
//! with Groth16-like skewed scalars.
//!
//! The `msm_g1` and `ntt` groups include the GPU backend when an adapter
//! exists (on a software adapter such as llvmpipe its timings say nothing
//! about a GPU).
//!
//! Sizes come from the environment: `STATEPROOF_BENCH_LOG_MIN` and
//! `STATEPROOF_BENCH_LOG_MAX` (default 10..=14). Run with
//! `cargo bench --bench primitives`.

use ark_bn254::{Fr, G1Projective, G2Projective};
use ark_ec::VariableBaseMSM;
use ark_ff::UniformRand;
use ark_poly::{EvaluationDomain, Radix2EvaluationDomain};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use stateproof_kernels::cpu::CpuBackend;
use stateproof_kernels::workload::{random_points, skewed_scalars};
use stateproof_kernels::{MsmBackend, NttBackend, NttKind};

fn log_range() -> std::ops::RangeInclusive<u32> {
    let var = |name: &str, default: u32| {
        std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
    };
    var("STATEPROOF_BENCH_LOG_MIN", 10)..=var("STATEPROOF_BENCH_LOG_MAX", 14)
}

fn gpu_msm() -> Option<stateproof_kernels::gpu::GpuMsm> {
    match stateproof_kernels::gpu::GpuDevice::shared() {
        Ok(dev) => Some(stateproof_kernels::gpu::GpuMsm::new(dev)),
        Err(e) => {
            eprintln!("msm: no GPU benchmarked: {e}");
            None
        }
    }
}

fn msm_g1(c: &mut Criterion) {
    let mut rng = ark_std::test_rng();
    let gpu = gpu_msm();
    let mut group = c.benchmark_group("msm_g1");
    group.sample_size(10);
    for log in log_range() {
        let n = 1usize << log;
        let bases = random_points::<G1Projective>(n, &mut rng);
        let prepared = CpuBackend.prepare_g1(&bases).expect("host bases");
        let resident = gpu.as_ref().map(|g| (g, g.prepare_g1(&bases).expect("bases fit")));
        let uniform: Vec<Fr> = (0..n).map(|_| Fr::rand(&mut rng)).collect();
        for (kind, scalars) in [("uniform", uniform), ("skewed", skewed_scalars(n, &mut rng))] {
            let id = |backend: &str| BenchmarkId::new(format!("{backend}/{kind}"), log);
            group.bench_function(id("stateproof-cpu"), |b| {
                b.iter(|| CpuBackend.msm_g1(&prepared, 0, &scalars).expect("sizes match"))
            });
            if let Some((gpu, bases)) = &resident {
                let name = format!(
                    "stateproof-gpu ({}, precompute {})",
                    gpu.device().adapter.name,
                    gpu.precompute()
                );
                group.bench_function(id(&name), |b| {
                    b.iter(|| gpu.msm_g1(bases, 0, &scalars).expect("fits the adapter"))
                });
            }
            group.bench_function(id("arkworks"), |b| {
                b.iter(|| G1Projective::msm_unchecked(&bases, &scalars))
            });
        }
    }
    group.finish();
}

/// G2 runs on the CPU in every backend (kernels/README.md says why).
fn msm_g2(c: &mut Criterion) {
    let mut rng = ark_std::test_rng();
    let mut group = c.benchmark_group("msm_g2");
    group.sample_size(10);
    for log in log_range() {
        let n = 1usize << log;
        let bases = random_points::<G2Projective>(n, &mut rng);
        let prepared = CpuBackend.prepare_g2(&bases).expect("host bases");
        let uniform: Vec<Fr> = (0..n).map(|_| Fr::rand(&mut rng)).collect();
        for (kind, scalars) in [("uniform", uniform), ("skewed", skewed_scalars(n, &mut rng))] {
            let id = |backend: &str| BenchmarkId::new(format!("{backend}/{kind}"), log);
            group.bench_function(id("stateproof-cpu"), |b| {
                b.iter(|| CpuBackend.msm_g2(&prepared, 0, &scalars).expect("sizes match"))
            });
            group.bench_function(id("arkworks"), |b| {
                b.iter(|| G2Projective::msm_unchecked(&bases, &scalars))
            });
        }
    }
    group.finish();
}

fn ntt(c: &mut Criterion) {
    let mut rng = ark_std::test_rng();
    // The GPU when an adapter exists (its name goes into the benchmark id).
    let gpu = match stateproof_kernels::gpu::GpuDevice::shared() {
        Ok(dev) => Some(stateproof_kernels::gpu::GpuNtt::new(dev)),
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
            let id = format!("stateproof-gpu ({})", gpu.device().adapter.name);
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

criterion_group!(benches, msm_g1, msm_g2, ntt);
criterion_main!(benches);
