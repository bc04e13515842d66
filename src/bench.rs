//! `stateproof bench`: MSM, NTT and whole proofs on every available backend
//! and on plain arkworks, interleaved in one run, written up as Markdown,
//! JSON and an SVG plot.

use crate::commands::CliError;
use crate::output::Output;
use ark_bn254::{Bn254, Fr, G1Affine, G1Projective, G2Affine, G2Projective};
use ark_ec::VariableBaseMSM;
use ark_ff::UniformRand;
use ark_groth16::Groth16;
use ark_poly::{EvaluationDomain, Radix2EvaluationDomain};
use ark_std::rand::{rngs::StdRng, SeedableRng};
use serde::Serialize;
use serde_json::json;
use stateproof_circuits::transfer::{apply_batch, SampleLedger, TransferBatchCircuit};
use stateproof_kernels::cpu::CpuBackend;
use stateproof_kernels::gpu::{GpuMsm, GpuNtt};
use stateproof_kernels::workload::{random_points, skewed_scalars};
use stateproof_kernels::{MsmBackend, NttBackend, NttKind};
use stateproof_prover::{keys, Prover};
use std::path::Path;
use std::time::{Duration, Instant};

/// What to run.
pub struct BenchPlan {
    /// log2 sizes for MSM and NTT.
    pub log_sizes: Vec<u32>,
    /// Transfer slots per proof (depth 16), one proof size each.
    pub proof_slots: Vec<usize>,
    /// Repetitions of each measurement.
    pub reps: usize,
    /// Whether to include the GPU when an adapter exists.
    pub gpu: bool,
}

/// One measured (operation, size, backend).
#[derive(Clone, Debug, Serialize)]
pub struct Series {
    pub operation: String,
    pub size: usize,
    pub backend: String,
    pub seconds: Vec<f64>,
    pub median: f64,
    pub min: f64,
    pub max: f64,
    /// This backend's median over arkworks' median for the same operation and size.
    pub ratio_to_arkworks: Option<f64>,
}

type Job<'a> = Box<dyn FnMut() -> Result<(), String> + 'a>;

/// A benchmark case: several backends computing the same thing at one size.
struct Case<'a> {
    operation: String,
    size: usize,
    runs: Vec<(String, Job<'a>)>,
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// The machine a report was made on.
pub fn machine() -> serde_json::Value {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split_once(':').map(|x| x.1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into());
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let gpu: Vec<String> = stateproof_kernels::gpu::list_adapters()
        .iter()
        .map(|a| format!("{} ({}, {}, driver {})", a.name, a.backend, a.device_type, a.driver))
        .collect();
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    let commit = git(&["rev-parse", "--short", "HEAD"]).unwrap_or_else(|| "unknown".into());
    let dirty =
        git(&["status", "--porcelain", "--untracked-files=no"]).is_some_and(|s| !s.is_empty());
    let date = std::process::Command::new("date")
        .args(["-u", "+%Y-%m-%d %H:%M UTC"])
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    json!({
        "cpu": cpu,
        "cores": cores,
        "gpu": gpu,
        "commit": if dirty { format!("{commit} (with uncommitted changes)") } else { commit },
        "date": date,
    })
}

/// The GPU backends under test.
struct Gpu {
    ntt: GpuNtt,
    msm: GpuMsm,
}

fn build_cases<'a>(plan: &BenchPlan, gpu: Option<&'a Gpu>, data: &'a BenchData) -> Vec<Case<'a>> {
    let mut cases = Vec::new();
    for (i, &log) in plan.log_sizes.iter().enumerate() {
        let n = 1usize << log;
        for (name, scalars) in [("uniform", &data.uniform[i]), ("skewed", &data.skewed[i])] {
            let g1 = &data.g1[i];
            let prepared = CpuBackend.prepare_g1(g1).ok();
            let mut runs: Vec<(String, Job<'a>)> = vec![(
                "stateproof-cpu".into(),
                Box::new(move || {
                    let bases = prepared.as_ref().ok_or("bases")?;
                    CpuBackend.msm_g1(bases, 0, scalars).map(|_| ()).map_err(|e| e.to_string())
                }),
            )];
            if let Some(gpu) = gpu {
                // Bases uploaded once, outside the timing, as the prover keeps them.
                let resident = gpu.msm.prepare_g1(g1).map_err(|e| e.to_string());
                runs.push((
                    "stateproof-gpu".into(),
                    Box::new(move || {
                        let bases = resident.as_ref().map_err(Clone::clone)?;
                        gpu.msm.msm_g1(bases, 0, scalars).map(|_| ()).map_err(|e| e.to_string())
                    }),
                ));
            }
            runs.push((
                "arkworks".into(),
                Box::new(move || {
                    let _ = std::hint::black_box(G1Projective::msm_unchecked(g1, scalars));
                    Ok(())
                }),
            ));
            cases.push(Case { operation: format!("MSM G1 ({name})"), size: n, runs });
        }
        let g2 = &data.g2[i];
        let scalars = &data.uniform[i];
        let prepared = CpuBackend.prepare_g2(g2).ok();
        cases.push(Case {
            operation: "MSM G2 (uniform)".into(),
            size: n,
            runs: vec![
                (
                    "stateproof-cpu".into(),
                    Box::new(move || {
                        let bases = prepared.as_ref().ok_or("bases")?;
                        CpuBackend.msm_g2(bases, 0, scalars).map(|_| ()).map_err(|e| e.to_string())
                    }),
                ),
                (
                    "arkworks".into(),
                    Box::new(move || {
                        let _ = std::hint::black_box(G2Projective::msm_unchecked(g2, scalars));
                        Ok(())
                    }),
                ),
            ],
        });
        let values = &data.uniform[i];
        let mut runs: Vec<(String, Job<'a>)> = vec![(
            "stateproof-cpu".into(),
            Box::new(move || {
                let mut v = values.clone();
                CpuBackend.ntt(&mut v, NttKind::Forward).map_err(|e| e.to_string())
            }),
        )];
        if let Some(gpu) = gpu {
            runs.push((
                "stateproof-gpu".into(),
                Box::new(move || {
                    let mut v = values.clone();
                    gpu.ntt.ntt(&mut v, NttKind::Forward).map_err(|e| e.to_string())
                }),
            ));
        }
        runs.push((
            "arkworks".into(),
            Box::new(move || {
                let domain = Radix2EvaluationDomain::<Fr>::new(values.len()).ok_or("domain")?;
                let mut v = values.clone();
                domain.fft_in_place(&mut v);
                Ok(())
            }),
        ));
        cases.push(Case { operation: "NTT".into(), size: n, runs });
    }
    for proof in &data.proofs {
        let mut runs: Vec<(String, Job<'a>)> = Vec::new();
        let circuit = &proof.circuit;
        let pk = &proof.pk;
        let cpu = &proof.cpu;
        runs.push((
            "stateproof-cpu".into(),
            Box::new(move || {
                cpu.prove(circuit.clone(), Fr::from(3u64), Fr::from(5u64))
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            }),
        ));
        if let Some(gpu_prover) = &proof.gpu {
            runs.push((
                "stateproof-gpu".into(),
                Box::new(move || {
                    gpu_prover
                        .prove(circuit.clone(), Fr::from(3u64), Fr::from(5u64))
                        .map(|_| ())
                        .map_err(|e| e.to_string())
                }),
            ));
        }
        runs.push((
            "arkworks".into(),
            Box::new(move || {
                Groth16::<Bn254>::create_proof_with_reduction(
                    circuit.clone(),
                    pk,
                    Fr::from(3u64),
                    Fr::from(5u64),
                )
                .map(|_| ())
                .map_err(|e| e.to_string())
            }),
        ));
        cases.push(Case {
            operation: format!(
                "Groth16 proof, transfer batch ({} slot{}, depth 16)",
                proof.slots,
                if proof.slots == 1 { "" } else { "s" }
            ),
            size: proof.constraints,
            runs,
        });
    }
    cases
}

struct ProofData {
    slots: usize,
    constraints: usize,
    circuit: TransferBatchCircuit,
    pk: ark_groth16::ProvingKey<Bn254>,
    cpu: Prover<CpuBackend, CpuBackend>,
    gpu: Option<Prover<GpuMsm, GpuNtt>>,
}

struct BenchData {
    uniform: Vec<Vec<Fr>>,
    skewed: Vec<Vec<Fr>>,
    g1: Vec<Vec<G1Affine>>,
    g2: Vec<Vec<G2Affine>>,
    proofs: Vec<ProofData>,
}

/// Runs the plan and writes `report.md`, `report.json` and `plot.svg`.
pub fn run(out: &Output, plan: &BenchPlan, dir: &Path) -> Result<(), CliError> {
    let unusable = |m: String| CliError { code: 2, message: m };
    if plan.reps == 0 || plan.log_sizes.iter().any(|&l| !(1..=24).contains(&l)) {
        return Err(unusable("--reps must be at least 1 and sizes 2^1..2^24".into()));
    }
    if plan.proof_slots.iter().any(|&s| !(1..=64).contains(&s)) {
        return Err(unusable("--proof-slots must be 1 to 64".into()));
    }
    std::fs::create_dir_all(dir).map_err(|e| unusable(format!("{}: {e}", dir.display())))?;
    let gpu = if plan.gpu {
        match stateproof_kernels::gpu::GpuContext::shared() {
            Ok(ctx) => Some(Gpu { ntt: GpuNtt::new(ctx.clone()), msm: GpuMsm::new(ctx) }),
            Err(e) => {
                out.line(format!("no GPU benchmarked: {e}"));
                None
            }
        }
    } else {
        None
    };
    if let Some(g) = &gpu {
        out.line(format!(
            "GPU MSM bases in {} precomputed cop{} (set {} to change)",
            g.msm.precompute(),
            if g.msm.precompute() == 1 { "y" } else { "ies" },
            stateproof_kernels::gpu::msm::PRECOMPUTE_ENV
        ));
    }
    if let Some(g) = gpu.as_ref().filter(|g| !g.msm.context().is_hardware) {
        out.line(format!(
            "{} is a software adapter: its MSM and NTT are measured, whole proofs on it are not",
            g.msm.context().adapter.name
        ));
    }
    let mut rng = StdRng::seed_from_u64(2026);
    let data = out.step("preparing inputs", || -> Result<BenchData, CliError> {
        let mut d =
            BenchData { uniform: vec![], skewed: vec![], g1: vec![], g2: vec![], proofs: vec![] };
        for &log in &plan.log_sizes {
            let n = 1usize << log;
            d.uniform.push((0..n).map(|_| Fr::rand(&mut rng)).collect());
            d.skewed.push(skewed_scalars(n, &mut rng));
            d.g1.push(random_points::<G1Projective>(n, &mut rng));
            d.g2.push(random_points::<G2Projective>(n, &mut rng));
        }
        for &slots in &plan.proof_slots {
            let ledger = SampleLedger::new(16, slots.max(2) as u64, 1_000_000)
                .map_err(|e| unusable(e.to_string()))?;
            let (_, witness) = apply_batch(&ledger.state, &ledger.batch(slots), slots)
                .map_err(|e| unusable(e.to_string()))?;
            let circuit = TransferBatchCircuit { witness };
            let constraints =
                keys::count_constraints(circuit.clone()).map_err(|e| unusable(e.to_string()))?;
            let pk = keys::setup(circuit.clone(), &mut rng).map_err(|e| unusable(e.to_string()))?;
            let cpu =
                Prover::new(CpuBackend, CpuBackend, &pk).map_err(|e| unusable(e.to_string()))?;
            // Whole proofs on a software adapter take minutes and say nothing
            // about a GPU; its primitives above already show the path works.
            let gpu = match gpu.as_ref().filter(|g| g.msm.context().is_hardware) {
                Some(g) => Some(
                    Prover::new(g.msm.clone(), g.ntt.clone(), &pk)
                        .map_err(|e| unusable(e.to_string()))?,
                ),
                None => None,
            };
            d.proofs.push(ProofData { slots, constraints, circuit, pk, cpu, gpu });
        }
        Ok(d)
    })?;
    let mut cases = build_cases(plan, gpu.as_ref(), &data);
    // One untimed pass first: shader compilation, resident tables and caches
    // stay out of the figures. It also sizes the repetitions: a case whose
    // slowest backend took under 50 ms runs until each backend has had about
    // 0.25 s (at most 10x --reps), so millisecond cases get medians steady
    // enough to compare on a shared machine.
    let reps: Vec<usize> = out.step("warming up", || -> Result<Vec<usize>, CliError> {
        let mut reps = Vec::new();
        for case in cases.iter_mut() {
            let mut slowest = 0f64;
            for (name, job) in case.runs.iter_mut() {
                let start = Instant::now();
                job().map_err(|e| unusable(format!("{} on {name}: {e}", case.operation)))?;
                slowest = slowest.max(start.elapsed().as_secs_f64());
            }
            let wanted = (0.25 / slowest.max(1e-6)).ceil() as usize;
            reps.push(if slowest < 0.05 {
                wanted.clamp(plan.reps, 10 * plan.reps)
            } else {
                plan.reps
            });
        }
        Ok(reps)
    })?;
    let total: usize = cases.iter().zip(&reps).map(|(c, r)| c.runs.len() * r).sum();
    let bar = out.progress(total as u64, "benchmarking");
    let mut times: Vec<Vec<Vec<f64>>> =
        cases.iter().map(|c| vec![Vec::new(); c.runs.len()]).collect();
    // Interleaved: every repetition runs every backend of every case once,
    // so drifting machine load spreads over all of them alike; the order
    // rotates each repetition, because the first backend of a case meets
    // caches filled by the previous case (measured: 1.2–1.4x at 2^10 for
    // two runs of the same function).
    for rep in 0..reps.iter().copied().max().unwrap_or(0) {
        for (ci, case) in cases.iter_mut().enumerate() {
            if rep >= reps[ci] {
                continue;
            }
            let count = case.runs.len();
            for step in 0..count {
                let bi = (step + rep) % count;
                let (name, job) = &mut case.runs[bi];
                if let Some(bar) = &bar {
                    bar.set_message(format!(
                        "{} 2^{} {name}",
                        case.operation,
                        case.size.trailing_zeros()
                    ));
                }
                let start = Instant::now();
                job().map_err(|e| unusable(format!("{} on {name}: {e}", case.operation)))?;
                times[ci][bi].push(start.elapsed().as_secs_f64());
                if let Some(bar) = &bar {
                    bar.inc(1);
                }
            }
        }
    }
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let mut series = Vec::new();
    for (ci, case) in cases.iter().enumerate() {
        let medians: Vec<f64> = times[ci].iter().map(|t| median(&mut t.clone())).collect();
        let ark = case.runs.iter().position(|(n, _)| n == "arkworks").map(|i| medians[i]);
        for (bi, (name, _)) in case.runs.iter().enumerate() {
            let t = &times[ci][bi];
            series.push(Series {
                operation: case.operation.clone(),
                size: case.size,
                backend: name.clone(),
                seconds: t.clone(),
                median: medians[bi],
                min: t.iter().copied().fold(f64::INFINITY, f64::min),
                max: t.iter().copied().fold(0.0, f64::max),
                ratio_to_arkworks: ark.map(|a| medians[bi] / a),
            });
        }
    }
    let machine = machine();
    let report = crate::bench_report::markdown(&machine, plan, &series);
    let write = |name: &str, bytes: &[u8]| {
        stateproof_prover::files::write_atomic(&dir.join(name), bytes)
            .map_err(|e| unusable(e.to_string()))
    };
    write("report.md", report.as_bytes())?;
    let raw = json!({ "machine": machine, "reps": plan.reps, "series": series });
    write("report.json", format!("{raw:#}\n").as_bytes())?;
    write("plot.svg", crate::bench_report::svg(&series).as_bytes())?;
    out.line(report);
    out.line(format!("wrote report.md, report.json and plot.svg to {}", dir.display()));
    out.json(raw);
    Ok(())
}

/// Seconds in a readable unit.
pub fn human(seconds: f64) -> String {
    let d = Duration::from_secs_f64(seconds.max(0.0));
    if d.as_secs_f64() >= 1.0 {
        format!("{:.3} s", d.as_secs_f64())
    } else if d.as_micros() >= 1000 {
        format!("{:.2} ms", d.as_secs_f64() * 1e3)
    } else {
        format!("{:.1} µs", d.as_secs_f64() * 1e6)
    }
}
