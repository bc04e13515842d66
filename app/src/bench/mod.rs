//! `stateproof bench`: MSM, NTT and whole proofs on every backend and on
//! plain arkworks, interleaved in one run. Every backend's result is
//! checked against arkworks' before any of its times count; the report is
//! Markdown, JSON and a plot ([`report`], [`plot`]).

pub mod plot;
pub mod report;

use crate::progress::{step, Progress};
use crate::{AppError, Result};
use ark_bn254::{Bn254, Fr, G1Affine, G1Projective, G2Affine, G2Projective};
use ark_ec::{CurveGroup, VariableBaseMSM};
use ark_ff::UniformRand;
use ark_groth16::Groth16;
use ark_poly::{EvaluationDomain, Radix2EvaluationDomain};
use ark_serialize::CanonicalSerialize;
use ark_std::rand::{rngs::StdRng, SeedableRng};
use serde::Serialize;
use stateproof_circuits::sample::SampleLedger;
use stateproof_circuits::transfer::{apply_batch, TransferBatchCircuit};
use stateproof_kernels::cpu::CpuBackend;
use stateproof_kernels::gpu::{GpuConfig, GpuDevice, GpuMsm, GpuNtt};
use stateproof_kernels::workload::{random_points, skewed_scalars};
use stateproof_kernels::{Backends, FallbackMsm};
use stateproof_kernels::{MsmBackend, NttBackend, NttKind};
use stateproof_prover::{keys, Prover};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// What to run.
#[derive(Clone, Debug)]
pub struct BenchPlan {
    /// log2 sizes for MSM and NTT.
    pub log_sizes: Vec<u32>,
    /// Transfer slots per proof (depth 16), one proof size each.
    pub proof_slots: Vec<usize>,
    /// Repetitions of each measurement.
    pub reps: usize,
    /// Whether to include the GPU when an adapter exists.
    pub gpu: bool,
    /// The GPU's configuration.
    pub gpu_config: GpuConfig,
}

/// One measured (operation, size, backend).
#[derive(Clone, Debug, Serialize)]
pub struct Series {
    /// What was measured.
    pub operation: String,
    /// Its size: points, elements or constraints.
    pub size: usize,
    /// The backend.
    pub backend: String,
    /// Every repetition's time.
    pub seconds: Vec<f64>,
    /// Their median.
    pub median: f64,
    /// Their least.
    pub min: f64,
    /// Their greatest.
    pub max: f64,
    /// This backend's median over arkworks' median for the same operation
    /// and size.
    pub ratio_to_arkworks: Option<f64>,
}

/// A job's output, reduced to bytes that must equal arkworks'.
type Output = Vec<u8>;
type Job<'a> = Box<dyn FnMut() -> std::result::Result<Output, String> + 'a>;

/// A benchmark case: several backends computing the same thing at one size.
struct Case<'a> {
    operation: String,
    size: usize,
    runs: Vec<(String, Job<'a>)>,
}

impl Case<'_> {
    /// Its size as the report writes it: 2^k, or a count of constraints.
    fn label(&self) -> String {
        report::size_label(&self.operation, self.size)
    }
}

/// Backends that failed or computed something other than arkworks did.
/// Each is dropped from its case and named in the report, so that one
/// broken backend (a GPU on its first hardware run, say) costs its own
/// figures and not everyone's; the run still ends in an error.
#[derive(Default)]
struct Failures(Vec<String>);

impl Failures {
    fn record(&mut self, case: &Case<'_>, backend: &str, what: &str) {
        self.0.push(format!(
            "{} at {} on {backend}: {what} (dropped from the figures)",
            case.operation,
            case.label()
        ));
    }
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

fn encode(value: &impl CanonicalSerialize) -> Output {
    let mut out = Vec::new();
    // Serializing into a Vec cannot fail.
    let _ = value.serialize_compressed(&mut out);
    out
}

fn g1(p: G1Projective) -> Output {
    encode(&p.into_affine())
}

fn g2(p: G2Projective) -> Output {
    encode(&p.into_affine())
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
    // Where there is no repository (a binary carried to a GPU host), the
    // commit it was built from, as scripts/gpu-check.sh passes it.
    let commit = git(&["rev-parse", "--short", "HEAD"])
        .or_else(|| std::env::var("STATEPROOF_COMMIT").ok().filter(|c| !c.is_empty()))
        .unwrap_or_else(|| "unknown".into());
    let dirty =
        git(&["status", "--porcelain", "--untracked-files=no"]).is_some_and(|s| !s.is_empty());
    let date = std::process::Command::new("date")
        .args(["-u", "+%Y-%m-%d %H:%M UTC"])
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    serde_json::json!({
        "cpu": cpu,
        "cores": cores,
        "gpu": gpu,
        "commit": if dirty { format!("{commit} (with uncommitted changes)") } else { commit },
        "date": date,
    })
}

/// The GPU backends under test: the devices' own, without fallback, so
/// that a GPU failure is an error and never a CPU time in the GPU's column.
struct Gpu {
    ntt: GpuNtt,
    msm: GpuMsm,
}

struct ProofData {
    slots: usize,
    constraints: usize,
    circuit: TransferBatchCircuit,
    pk: ark_groth16::ProvingKey<Bn254>,
    cpu: Prover<CpuBackend, CpuBackend>,
    /// The CPU prover as a node or worker runs it with `--msm-tables-mb`:
    /// fixed-base tables for its G1 MSMs (made once, before timing).
    tables: Prover<FallbackMsm, CpuBackend>,
    gpu: Option<Prover<GpuMsm, GpuNtt>>,
}

struct BenchData {
    uniform: Vec<Vec<Fr>>,
    skewed: Vec<Vec<Fr>>,
    g1: Vec<Vec<G1Affine>>,
    g2: Vec<Vec<G2Affine>>,
    proofs: Vec<ProofData>,
}

fn msm_cases<'a>(
    cases: &mut Vec<Case<'a>>,
    gpu: Option<&'a Gpu>,
    data: &'a BenchData,
    i: usize,
    n: usize,
) {
    for (name, scalars) in [("uniform", &data.uniform[i]), ("skewed", &data.skewed[i])] {
        let bases = &data.g1[i];
        let prepared = CpuBackend.prepare_g1(bases).ok();
        let mut runs: Vec<(String, Job<'a>)> = vec![(
            "stateproof-cpu".into(),
            Box::new(move || {
                let b = prepared.as_ref().ok_or("bases")?;
                CpuBackend.msm_g1(b, 0, scalars).map(g1).map_err(|e| e.to_string())
            }),
        )];
        if let Some(gpu) = gpu {
            // Bases uploaded once, outside the timing, as the prover keeps them.
            let resident = gpu.msm.prepare_g1(bases).map_err(|e| e.to_string());
            runs.push((
                "stateproof-gpu".into(),
                Box::new(move || {
                    let b = resident.as_ref().map_err(Clone::clone)?;
                    gpu.msm.msm_g1(b, 0, scalars).map(g1).map_err(|e| e.to_string())
                }),
            ));
        }
        runs.push((
            "arkworks".into(),
            Box::new(move || Ok(g1(G1Projective::msm_unchecked(bases, scalars)))),
        ));
        cases.push(Case { operation: format!("MSM G1 ({name})"), size: n, runs });
    }
    let bases = &data.g2[i];
    let scalars = &data.uniform[i];
    let prepared = CpuBackend.prepare_g2(bases).ok();
    cases.push(Case {
        operation: "MSM G2 (uniform)".into(),
        size: n,
        runs: vec![
            (
                "stateproof-cpu".into(),
                Box::new(move || {
                    let b = prepared.as_ref().ok_or("bases")?;
                    CpuBackend.msm_g2(b, 0, scalars).map(g2).map_err(|e| e.to_string())
                }),
            ),
            (
                "arkworks".into(),
                Box::new(move || Ok(g2(G2Projective::msm_unchecked(bases, scalars)))),
            ),
        ],
    });
}

fn ntt_case<'a>(gpu: Option<&'a Gpu>, values: &'a [Fr], n: usize) -> Case<'a> {
    let mut runs: Vec<(String, Job<'a>)> = vec![(
        "stateproof-cpu".into(),
        Box::new(move || {
            let mut v = values.to_vec();
            CpuBackend.ntt(&mut v, NttKind::Forward).map_err(|e| e.to_string())?;
            Ok(encode(&v))
        }),
    )];
    if let Some(gpu) = gpu {
        runs.push((
            "stateproof-gpu".into(),
            Box::new(move || {
                let mut v = values.to_vec();
                gpu.ntt.ntt(&mut v, NttKind::Forward).map_err(|e| e.to_string())?;
                Ok(encode(&v))
            }),
        ));
    }
    runs.push((
        "arkworks".into(),
        Box::new(move || {
            let domain = Radix2EvaluationDomain::<Fr>::new(values.len()).ok_or("domain")?;
            let mut v = values.to_vec();
            domain.fft_in_place(&mut v);
            Ok(encode(&v))
        }),
    ));
    Case { operation: "NTT".into(), size: n, runs }
}

fn proof_case(proof: &ProofData) -> Case<'_> {
    let (r, s) = (Fr::from(3u64), Fr::from(5u64));
    let circuit = &proof.circuit;
    let mut runs: Vec<(String, Job<'_>)> = Vec::new();
    let cpu = &proof.cpu;
    runs.push((
        "stateproof-cpu".into(),
        Box::new(move || {
            cpu.prove(circuit.clone(), r, s).map(|p| encode(&p.0)).map_err(|e| e.to_string())
        }),
    ));
    let tables = &proof.tables;
    runs.push((
        "stateproof-cpu-tables".into(),
        Box::new(move || {
            tables.prove(circuit.clone(), r, s).map(|p| encode(&p.0)).map_err(|e| e.to_string())
        }),
    ));
    if let Some(gpu) = &proof.gpu {
        runs.push((
            "stateproof-gpu".into(),
            Box::new(move || {
                gpu.prove(circuit.clone(), r, s).map(|p| encode(&p.0)).map_err(|e| e.to_string())
            }),
        ));
    }
    let pk = &proof.pk;
    runs.push((
        "arkworks".into(),
        Box::new(move || {
            Groth16::<Bn254>::create_proof_with_reduction(circuit.clone(), pk, r, s)
                .map(|p| encode(&p))
                .map_err(|e| e.to_string())
        }),
    ));
    Case {
        operation: format!(
            "Groth16 proof, transfer batch ({}, depth 16)",
            crate::text::count(proof.slots, "slot")
        ),
        size: proof.constraints,
        runs,
    }
}

fn build_cases<'a>(plan: &BenchPlan, gpu: Option<&'a Gpu>, data: &'a BenchData) -> Vec<Case<'a>> {
    let mut cases = Vec::new();
    for (i, &log) in plan.log_sizes.iter().enumerate() {
        let n = 1usize << log;
        msm_cases(&mut cases, gpu, data, i, n);
        cases.push(ntt_case(gpu, &data.uniform[i], n));
    }
    cases.extend(data.proofs.iter().map(proof_case));
    cases
}

/// What a bench run measured, and where it wrote its report.
#[derive(Clone, Debug, Serialize)]
pub struct BenchReport {
    /// The machine.
    pub machine: serde_json::Value,
    /// The repetitions asked for.
    pub reps: usize,
    /// Every series.
    pub series: Vec<Series>,
    /// Notes on what was left out and why.
    pub notes: Vec<String>,
    /// The Markdown report.
    #[serde(skip)]
    pub markdown: String,
    /// The directory written.
    #[serde(skip)]
    pub dir: PathBuf,
}

impl std::fmt::Display for BenchReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "{}", self.markdown)?;
        write!(f, "wrote report.md, report.json and plot.svg to {}", self.dir.display())
    }
}

fn prepare(
    progress: &dyn Progress,
    plan: &BenchPlan,
    gpu: Option<&Gpu>,
    notes: &mut Vec<String>,
) -> Result<BenchData> {
    let unusable = |e: &dyn std::fmt::Display| AppError::unusable(e.to_string());
    let mut rng = StdRng::seed_from_u64(2026);
    let mut d =
        BenchData { uniform: vec![], skewed: vec![], g1: vec![], g2: vec![], proofs: vec![] };
    let total = (plan.log_sizes.len() + 5 * plan.proof_slots.len()) as u64;
    let mut done = 0;
    let mut say = |what: String| {
        progress.advance(done, total, &what);
        done += 1;
    };
    for &log in &plan.log_sizes {
        say(format!("scalars and bases of 2^{log}"));
        let n = 1usize << log;
        d.uniform.push((0..n).map(|_| Fr::rand(&mut rng)).collect());
        d.skewed.push(skewed_scalars(n, &mut rng));
        d.g1.push(random_points::<G1Projective>(n, &mut rng));
        d.g2.push(random_points::<G2Projective>(n, &mut rng));
    }
    for &slots in &plan.proof_slots {
        let of = crate::text::count(slots, "slot");
        say(format!("witness of {of}"));
        let ledger =
            SampleLedger::new(16, slots.max(2) as u64, 1_000_000).map_err(|e| unusable(&e))?;
        let (_, witness) = apply_batch(&ledger.state, &ledger.roots(), &ledger.batch(slots), slots)
            .map_err(|e| unusable(&e))?;
        let circuit = TransferBatchCircuit { witness };
        let constraints = keys::count_constraints(circuit.clone())?;
        say(format!("keys of {of} ({constraints} constraints)"));
        let pk = keys::setup(circuit.clone(), &mut rng)?;
        say(format!("CPU prover of {of}"));
        let cpu = Prover::new(CpuBackend, CpuBackend, &pk)?;
        say(format!("CPU prover with tables of {of}"));
        let msm = Backends::cpu().with_table_budget(usize::MAX).msm;
        let tables = Prover::new(msm, CpuBackend, &pk)?;
        say(format!("GPU prover of {of}"));
        // Whole proofs on a software adapter take minutes and say nothing
        // about a GPU; its primitives already show the path works.
        let gpu = match gpu.filter(|g| g.msm.device().is_hardware) {
            Some(g) => match Prover::new(g.msm.clone(), g.ntt.clone(), &pk) {
                Ok(p) => Some(p),
                Err(e) => {
                    notes.push(format!(
                        "no GPU proof at {}: preparing the key on the GPU failed: {e}",
                        crate::text::count(slots, "slot")
                    ));
                    None
                }
            },
            None => None,
        };
        d.proofs.push(ProofData { slots, constraints, circuit, pk, cpu, tables, gpu });
    }
    Ok(d)
}

/// Runs the plan and writes `report.md`, `report.json` and `plot.svg` to
/// `dir`.
pub fn run(progress: &dyn Progress, plan: &BenchPlan, dir: &Path) -> Result<BenchReport> {
    if plan.reps == 0 || plan.log_sizes.iter().any(|&l| !(1..=24).contains(&l)) {
        return Err(AppError::unusable("--reps must be at least 1 and --sizes 1 to 24"));
    }
    if plan.proof_slots.iter().any(|&s| !(1..=64).contains(&s)) {
        return Err(AppError::unusable("--proof-slots must be 1 to 64"));
    }
    crate::files::ensure_dir(dir)?;
    let mut notes = Vec::new();
    let gpu = if plan.gpu {
        match GpuDevice::for_config(&plan.gpu_config) {
            Ok(dev) => {
                let msm = GpuMsm::new(dev.clone());
                let msm = match plan.gpu_config.precompute {
                    Some(f) => msm.with_precompute(f),
                    None => msm,
                };
                Some(Gpu { ntt: GpuNtt::new(dev), msm })
            }
            Err(e) => {
                notes.push(format!("no GPU benchmarked: {e}"));
                None
            }
        }
    } else {
        None
    };
    if let Some(g) = &gpu {
        notes.push(format!(
            "GPU MSM bases in {} precomputed cop{} (--precompute to change)",
            g.msm.precompute(),
            if g.msm.precompute() == 1 { "y" } else { "ies" }
        ));
        if !g.msm.device().is_hardware {
            notes.push(format!(
                "{} is a software adapter: its MSM and NTT are measured, whole proofs on it are not",
                g.msm.device().adapter.name
            ));
        }
    }
    let data =
        step(progress, "preparing inputs", || prepare(progress, plan, gpu.as_ref(), &mut notes))?;
    let mut cases = step(progress, "preparing bases for each backend", || {
        build_cases(plan, gpu.as_ref(), &data)
    });
    let mut failures = Failures::default();
    let reps = step(progress, "warming up and checking results", || {
        warm_up(progress, plan, &mut cases, &mut failures)
    })?;
    let machine = machine();
    let write_report = |cases: &[Case<'_>], times: &[Vec<Vec<f64>>], failures: &Failures| {
        let series = summarise(cases, times);
        let notes: Vec<String> = notes.iter().chain(&failures.0).cloned().collect();
        let markdown = report::markdown(&machine, plan, &series, &notes);
        let write = |name: &str, bytes: &[u8]| crate::files::write(&dir.join(name), bytes);
        write("report.md", markdown.as_bytes())?;
        let raw = serde_json::json!({
            "machine": machine, "reps": plan.reps, "series": series, "notes": notes,
        });
        write("report.json", format!("{raw:#}\n").as_bytes())?;
        write("plot.svg", plot::svg(&series)?.as_bytes())?;
        Ok::<_, AppError>((series, notes, markdown))
    };
    let times = measure(progress, &mut cases, &reps, &mut failures, |c, t, f| {
        write_report(c, t, f).map(drop)
    })?;
    let (series, notes, markdown) = write_report(&cases, &times, &failures)?;
    if !failures.0.is_empty() {
        return Err(AppError::invalid(format!(
            "{} in {}; the other figures are in report.md",
            crate::text::count(failures.0.len(), "backend failure"),
            dir.display()
        )));
    }
    Ok(BenchReport { machine, reps: plan.reps, series, notes, markdown, dir: dir.to_path_buf() })
}

/// One untimed pass first: shader compilation, resident tables and caches
/// stay out of the figures, and every backend's output is compared with
/// arkworks' (a backend that computes something else is an error, not a
/// time). It also sizes the repetitions: a case whose slowest backend took
/// under 50 ms runs until each backend has had about 0.25 s (at most 10x
/// `reps`), so millisecond cases get medians steady enough to compare on a
/// shared machine.
fn warm_up(
    progress: &dyn Progress,
    plan: &BenchPlan,
    cases: &mut [Case<'_>],
    failures: &mut Failures,
) -> Result<Vec<usize>> {
    let mut reps = Vec::new();
    let total = cases.len() as u64;
    for (i, case) in cases.iter_mut().enumerate() {
        let mut slowest = 0f64;
        let mut outputs = Vec::new();
        let label = case.label();
        for (name, job) in case.runs.iter_mut() {
            progress.advance(i as u64, total, &format!("{} {label} {name}", case.operation));
            let start = Instant::now();
            let out = job();
            slowest = slowest.max(start.elapsed().as_secs_f64());
            outputs.push(out);
        }
        let reference = case.runs.iter().position(|(n, _)| n == "arkworks");
        let reference = match reference.map(|i| &outputs[i]) {
            Some(Ok(out)) => out.clone(),
            Some(Err(e)) => {
                return Err(AppError::unusable(format!("{} on arkworks: {e}", case.operation)))
            }
            None => return Err(AppError::unusable(format!("{} has no reference", case.operation))),
        };
        let verdicts: Vec<Option<String>> = outputs
            .iter()
            .map(|out| match out {
                Ok(o) if *o == reference => None,
                Ok(_) => Some("computed a different result than arkworks".to_string()),
                Err(e) => Some(format!("failed: {e}")),
            })
            .collect();
        for (i, verdict) in verdicts.iter().enumerate() {
            if let Some(what) = verdict {
                failures.record(case, &case.runs[i].0, what);
            }
        }
        let mut i = 0;
        case.runs.retain(|_| {
            i += 1;
            verdicts[i - 1].is_none()
        });
        let wanted = (0.25 / slowest.max(1e-6)).ceil() as usize;
        reps.push(if slowest < 0.05 { wanted.clamp(plan.reps, 10 * plan.reps) } else { plan.reps });
    }
    Ok(reps)
}

/// Interleaved: every repetition runs every backend of every case once,
/// so drifting machine load spreads over all of them alike; the order
/// rotates each repetition, because the first backend of a case meets
/// caches filled by the previous case (measured: 1.2–1.4x at 2^10 for two
/// runs of the same function).
///
/// After each repetition `each_rep` gets the times so far, so a run cut
/// short (a device lease ending, say) still leaves its report behind.
fn measure(
    progress: &dyn Progress,
    cases: &mut [Case<'_>],
    reps: &[usize],
    failures: &mut Failures,
    mut each_rep: impl FnMut(&[Case<'_>], &[Vec<Vec<f64>>], &Failures) -> Result<()>,
) -> Result<Vec<Vec<Vec<f64>>>> {
    let total: usize = cases.iter().zip(reps).map(|(c, r)| c.runs.len() * r).sum();
    let mut done = 0u64;
    let mut times: Vec<Vec<Vec<f64>>> =
        cases.iter().map(|c| vec![Vec::new(); c.runs.len()]).collect();
    let mut dead: Vec<Vec<bool>> = cases.iter().map(|c| vec![false; c.runs.len()]).collect();
    progress.begin("benchmarking");
    for rep in 0..reps.iter().copied().max().unwrap_or(0) {
        for (ci, case) in cases.iter_mut().enumerate() {
            if rep >= reps[ci] {
                continue;
            }
            let count = case.runs.len();
            for step in 0..count {
                let bi = (step + rep) % count;
                done += 1;
                if dead[ci][bi] {
                    continue;
                }
                let (name, job) = &mut case.runs[bi];
                let message = format!(
                    "{} {} {name}",
                    case.operation,
                    report::size_label(&case.operation, case.size)
                );
                progress.advance(done - 1, total as u64, &message);
                let start = Instant::now();
                match job() {
                    Ok(_) => times[ci][bi].push(start.elapsed().as_secs_f64()),
                    Err(e) => {
                        let name = name.clone();
                        dead[ci][bi] = true;
                        failures.record(case, &name, &format!("failed: {e}"));
                    }
                }
            }
        }
        each_rep(cases, &times, failures)?;
    }
    progress.end();
    Ok(times)
}

fn summarise(cases: &[Case<'_>], times: &[Vec<Vec<f64>>]) -> Vec<Series> {
    let mut series = Vec::new();
    for (ci, case) in cases.iter().enumerate() {
        let medians: Vec<f64> = times[ci].iter().map(|t| median(&mut t.clone())).collect();
        let ark = case
            .runs
            .iter()
            .position(|(n, _)| n == "arkworks")
            .filter(|&i| !times[ci][i].is_empty())
            .map(|i| medians[i]);
        for (bi, (name, _)) in case.runs.iter().enumerate() {
            let t = &times[ci][bi];
            if t.is_empty() {
                continue;
            }
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
    series
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
