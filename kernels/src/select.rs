//! Choosing a backend, and falling back to the CPU when the GPU fails.
//!
//! [`Backends::open`] gives the MSM and NTT backends for a user's choice;
//! both run on the GPU where it was chosen and works, on the CPU otherwise,
//! with the same results either way. Any GPU error (no adapter, a missing
//! feature, out of memory, a lost device, a shader that does not compile,
//! an array larger than the adapter can bind, output that fails
//! validation) is logged once as a `tracing` warning and the CPU computes
//! instead.

// Without the GPU, routes and fallbacks are never used.
#![cfg_attr(not(feature = "gpu"), allow(dead_code))]

use crate::cpu::{CpuBackend, HostBases};
#[cfg(feature = "gpu")]
use crate::gpu::{GpuConfig, GpuDevice, GpuMsm, GpuNtt};
use crate::{MsmBackend, NttBackend, NttStep, PreparedBases, Result};
use ark_bn254::{Fr, G1Affine, G1Projective, G2Affine, G2Projective};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
#[cfg(feature = "gpu")]
use std::time::Instant;

/// Which backend a user asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BackendChoice {
    /// The rayon CPU backend.
    Cpu,
    /// The GPU, falling back to the CPU (with a warning) if it fails.
    Gpu,
    /// The GPU for the sizes where it measured faster than the CPU on this
    /// adapter, the CPU elsewhere.
    Auto,
}

/// NTTs below this size never go to the GPU under `Auto`: launch and
/// transfer overheads dominate, and measuring them would cost more than
/// they take.
pub const AUTO_MIN_NTT: usize = 1 << 10;
/// MSMs below this size never go to the GPU under `Auto`.
pub const AUTO_MIN_MSM: usize = 1 << 10;

/// How an operation of a given size is routed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Route {
    /// Always the CPU.
    Cpu,
    /// Always the GPU (falling back on errors).
    Gpu,
    /// The faster of the two for each size, measured on first use.
    Measured,
}

/// Routing and fallback bookkeeping of one backend: the route, the
/// decisions measured under `Auto`, the count of operations that fell back
/// to the CPU, and a flag shared with the sibling backend so that one
/// failing device makes one warning.
struct Router {
    route: Route,
    /// Measured decisions: (⌈log2 size⌉, whole program?) → GPU faster.
    decisions: Mutex<HashMap<(u32, bool), bool>>,
    fallbacks: AtomicUsize,
    warned: Arc<AtomicBool>,
    description: String,
}

impl Router {
    fn new(route: Route, description: String, warned: Arc<AtomicBool>) -> Arc<Self> {
        Arc::new(Self {
            route,
            decisions: Mutex::new(HashMap::new()),
            fallbacks: AtomicUsize::new(0),
            warned,
            description,
        })
    }

    fn warn(&self, what: &str, e: &crate::Error) {
        self.fallbacks.fetch_add(1, Ordering::SeqCst);
        if !self.warned.swap(true, Ordering::SeqCst) {
            tracing::warn!("GPU {what} failed ({e}); computing on the CPU");
        }
    }

    fn decisions(&self) -> Vec<(u32, bool, bool)> {
        let map = self.decisions.lock().map(|m| m.clone()).unwrap_or_default();
        let mut v: Vec<_> = map.into_iter().map(|((l, q), g)| (l, q, g)).collect();
        v.sort_unstable();
        v
    }

    /// Whether an operation of `len` elements goes to the GPU; under
    /// `Auto`, nothing below `min` does and `gpu_faster` measures once per
    /// (size class, kind).
    #[cfg_attr(not(feature = "gpu"), allow(dead_code))]
    fn use_gpu(
        &self,
        len: usize,
        min: usize,
        kind: bool,
        gpu_faster: impl FnOnce() -> bool,
    ) -> bool {
        match self.route {
            Route::Cpu => false,
            Route::Gpu => true,
            Route::Measured if len < min.max(1) => false,
            Route::Measured => {
                let key = (usize::BITS - (len - 1).leading_zeros(), kind);
                if let Some(&d) = self.decisions.lock().ok().as_ref().and_then(|m| m.get(&key)) {
                    return d;
                }
                let faster = gpu_faster();
                if let Ok(mut m) = self.decisions.lock() {
                    m.insert(key, faster);
                }
                faster
            }
        }
    }

    fn name(&self) -> &'static str {
        match self.route {
            Route::Cpu => "cpu",
            Route::Gpu => "gpu",
            Route::Measured => "auto",
        }
    }
}

/// The MSM and NTT backends for a user's choice, sharing one device.
/// Clones share everything (pipelines, resident tables, measured
/// decisions), so a process makes one and hands clones to its provers.
#[derive(Clone)]
pub struct Backends {
    /// The MSM backend.
    pub msm: FallbackMsm,
    /// The NTT backend.
    pub ntt: FallbackNtt,
}

impl Backends {
    /// Both backends on the CPU.
    pub fn cpu() -> Self {
        let warned = Arc::new(AtomicBool::new(false));
        Self { msm: FallbackMsm::cpu_only(warned.clone()), ntt: FallbackNtt::cpu_only(warned) }
    }

    /// The backends for `choice`, on the adapter and with the settings of
    /// `config`. When no usable GPU exists, both run on the CPU (with a
    /// warning if the GPU was asked for explicitly).
    #[cfg(feature = "gpu")]
    pub fn open(choice: BackendChoice, config: &GpuConfig) -> Self {
        if choice == BackendChoice::Cpu {
            return Self::cpu();
        }
        let gpu = match shared_gpu(config) {
            Ok(gpu) => gpu,
            Err(e) => {
                let backends = Self::cpu();
                if choice == BackendChoice::Gpu {
                    tracing::warn!("{e}; using the CPU backend");
                }
                return backends;
            }
        };
        let (msm, ntt) = gpu;
        let dev = ntt.device().clone();
        let name = format!("{} ({})", dev.adapter.name, dev.adapter.backend);
        let (route, description) = match choice {
            BackendChoice::Auto if !dev.is_hardware => {
                (Route::Cpu, format!("cpu (auto: {name} is a software adapter)"))
            }
            BackendChoice::Auto => {
                (Route::Measured, format!("auto: gpu {name} where measured faster, else cpu"))
            }
            _ => (Route::Gpu, format!("gpu {name}")),
        };
        let warned = Arc::new(AtomicBool::new(false));
        Self {
            msm: Fallback::routed(msm, route, description.clone(), warned.clone()),
            ntt: Fallback::routed(ntt, route, description, warned),
        }
    }

    /// The backends for `choice` in a build without the `gpu` feature: the
    /// CPU, with a warning if the GPU was asked for.
    #[cfg(not(feature = "gpu"))]
    pub fn open(choice: BackendChoice) -> Self {
        if choice == BackendChoice::Gpu {
            tracing::warn!("built without the `gpu` feature; using the CPU backend");
        }
        Self::cpu()
    }

    /// The same backends with fixed-base tables for the CPU's G1 MSMs
    /// within `bytes` ([`Fallback::with_table_budget`]).
    pub fn with_table_budget(mut self, bytes: usize) -> Self {
        self.msm = self.msm.with_table_budget(bytes);
        self
    }

    /// The same backends simulating `fault` on the GPU (tests only).
    #[cfg(feature = "test-hooks")]
    pub fn with_fault(mut self, fault: crate::gpu::Fault) -> Self {
        self.msm.gpu = self.msm.gpu.take().map(|g| g.with_fault(fault));
        self.ntt.gpu = self.ntt.gpu.take().map(|g| g.with_fault(fault));
        self
    }

    /// What computes what, for reports: `NTT …, G1 MSM …, G2 MSM cpu`.
    pub fn description(&self) -> String {
        let tables = match &self.msm.tables {
            Some(_) => " (fixed-base tables on the CPU)",
            None => "",
        };
        format!(
            "NTT {}, G1 MSM {}{tables}, G2 MSM cpu",
            self.ntt.description(),
            self.msm.description()
        )
    }

    /// Operations that fell back from the GPU to the CPU, both backends.
    pub fn fallbacks(&self) -> usize {
        self.msm.fallbacks() + self.ntt.fallbacks()
    }
}

/// The GPU backends for `config`. On the shared device (the default
/// adapter with its own limits) they are made once per process, so that
/// every prover shares their compiled pipelines and resident tables.
#[cfg(feature = "gpu")]
fn shared_gpu(config: &GpuConfig) -> Result<(GpuMsm, GpuNtt)> {
    use std::sync::OnceLock;
    static SHARED: OnceLock<Result<(GpuMsm, GpuNtt)>> = OnceLock::new();
    let with_precompute = |msm: GpuMsm| match config.precompute {
        Some(f) => msm.with_precompute(f),
        None => msm,
    };
    let on_shared_device = GpuConfig { precompute: None, ..config.clone() } == GpuConfig::default();
    if on_shared_device {
        let (msm, ntt) = SHARED
            .get_or_init(|| {
                let dev = GpuDevice::shared()?;
                Ok((GpuMsm::new(dev.clone()), GpuNtt::new(dev)))
            })
            .clone()?;
        return Ok((with_precompute(msm), ntt));
    }
    let dev = GpuDevice::for_config(config)?;
    Ok((with_precompute(GpuMsm::new(dev.clone())), GpuNtt::new(dev)))
}

/// A backend that runs on the GPU (`G`) when one was chosen and works, and
/// on the CPU otherwise, with its routing: [`FallbackMsm`] and
/// [`FallbackNtt`] are its two instances.
#[derive(Clone)]
pub struct Fallback<G> {
    gpu: Option<G>,
    router: Arc<Router>,
    /// MSM only: the memory the CPU path may still spend on fixed-base
    /// tables (none: no tables).
    tables: Option<Arc<TableBudget>>,
}

/// Memory left for fixed-base tables, shared by every key a backend
/// prepares; a table gives its bytes back when its bases are dropped.
#[derive(Debug)]
struct TableBudget {
    left: AtomicUsize,
}

impl TableBudget {
    /// Takes `bytes` if that many are left.
    fn take(&self, bytes: usize) -> bool {
        self.left
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| left.checked_sub(bytes))
            .is_ok()
    }
}

/// G1 MSMs below this many bases keep the plain batch-affine Pippenger
/// (single MSMs over tables measured at 2^16 and 2^18, kernels/README.md;
/// whole proofs with this threshold, BENCHMARKS.md).
pub const TABLE_MIN_BASES: usize = 1 << 14;

/// Window width of the fixed-base tables: one bit under log2 n, at most
/// 15 (wider windows' buckets leave the cache; measured at 2^16 and 2^18).
fn table_window(n: usize) -> u32 {
    (usize::BITS - n.leading_zeros()).saturating_sub(2).clamp(4, 15)
}

/// A fixed-base table over a key's G1 bases, holding its share of the
/// budget until dropped.
struct Table {
    fixed: crate::pippenger::FixedBases<ark_bn254::g1::Config>,
    budget: Arc<TableBudget>,
}

impl Drop for Table {
    fn drop(&mut self) {
        self.budget.left.fetch_add(self.fixed.bytes(), Ordering::SeqCst);
    }
}

/// What a fallback backend's GPU half can say of itself.
#[cfg(feature = "gpu")]
pub trait OnDevice {
    /// The device it runs on.
    fn device(&self) -> &Arc<GpuDevice>;
}

#[cfg(feature = "gpu")]
impl OnDevice for GpuMsm {
    fn device(&self) -> &Arc<GpuDevice> {
        GpuMsm::device(self)
    }
}

#[cfg(feature = "gpu")]
impl OnDevice for GpuNtt {
    fn device(&self) -> &Arc<GpuDevice> {
        GpuNtt::device(self)
    }
}

/// No GPU backend (a build without the `gpu` feature).
#[cfg(not(feature = "gpu"))]
#[derive(Clone, Copy, Debug)]
pub enum NoGpu {}

#[cfg(feature = "gpu")]
type MsmGpu = GpuMsm;
#[cfg(feature = "gpu")]
type NttGpu = GpuNtt;
#[cfg(not(feature = "gpu"))]
type MsmGpu = NoGpu;
#[cfg(not(feature = "gpu"))]
type NttGpu = NoGpu;

impl<G> Fallback<G> {
    fn cpu_only(warned: Arc<AtomicBool>) -> Self {
        Self { gpu: None, router: Router::new(Route::Cpu, "cpu".to_string(), warned), tables: None }
    }

    fn routed(gpu: G, route: Route, description: String, warned: Arc<AtomicBool>) -> Self {
        Self { gpu: Some(gpu), router: Router::new(route, description, warned), tables: None }
    }

    /// How many operations fell back from the GPU to the CPU.
    pub fn fallbacks(&self) -> usize {
        self.router.fallbacks.load(Ordering::SeqCst)
    }

    /// The same backend, whose CPU G1 MSMs over bases of
    /// [`TABLE_MIN_BASES`] or more run over fixed-base tables (every
    /// window's multiple of every base precomputed: about 17 times the
    /// bases' memory, made once per key) within `bytes` in all; keys
    /// prepared once the budget is spent keep the plain MSM. For provers
    /// that keep their keys (the node, workers): a one-shot proof would
    /// spend longer making the tables than they save.
    pub fn with_table_budget(mut self, bytes: usize) -> Self {
        self.tables = (bytes > 0).then(|| Arc::new(TableBudget { left: AtomicUsize::new(bytes) }));
        self
    }

    /// The measured decisions so far: (⌈log2 size⌉, a multi-step NTT
    /// program?, GPU chosen).
    pub fn decisions(&self) -> Vec<(u32, bool, bool)> {
        self.router.decisions()
    }

    /// What computes, for reports.
    pub fn description(&self) -> &str {
        &self.router.description
    }
}

#[cfg(feature = "gpu")]
impl<G: OnDevice> Fallback<G> {
    /// Always the given GPU backend (any size), falling back as usual.
    pub fn from_gpu(gpu: G) -> Self {
        let description = format!("gpu {}", gpu.device().adapter.name);
        Self::routed(gpu, Route::Gpu, description, Default::default())
    }

    /// The given GPU backend where it measures faster than the CPU, on any
    /// adapter (what `Auto` does on hardware ones).
    pub fn measured(gpu: G) -> Self {
        let description =
            format!("auto: gpu {} where measured faster, else cpu", gpu.device().adapter.name);
        Self::routed(gpu, Route::Measured, description, Default::default())
    }
}

/// An NTT backend that runs on the GPU when one was chosen and works, and
/// on the CPU otherwise, with the same results either way (both are
/// bit-identical to ark-poly).
///
/// Under [`BackendChoice::Auto`] on a hardware adapter, the first operation
/// of each size (and kind: single transform or multi-step program) is timed
/// on both the GPU and the CPU with random inputs, and the faster one
/// serves that size from then on. On a software adapter (a CPU emulating a
/// GPU, such as llvmpipe, measured 3.6–4.4x slower than the native CPU code
/// in BENCHMARKS.md) `Auto` stays on the CPU without measuring.
pub type FallbackNtt = Fallback<NttGpu>;

/// Times the GPU and the CPU on the same program over random vectors of
/// `len` elements (after an untimed GPU run that compiles pipelines and
/// uploads tables); a GPU error counts as "not faster".
#[cfg(feature = "gpu")]
fn measure_gpu_faster(gpu: &GpuNtt, len: usize, count: usize, steps: &[NttStep]) -> bool {
    use ark_ff::UniformRand;
    use ark_std::rand::{rngs::StdRng, SeedableRng};
    let mut rng = StdRng::seed_from_u64(len as u64);
    let v: Vec<Fr> = (0..len).map(|_| Fr::rand(&mut rng)).collect();
    let vectors = || vec![v.clone(); count];
    if gpu.run_unchecked(vectors(), steps, 0).is_err() {
        return false;
    }
    let start = Instant::now();
    if gpu.run_unchecked(vectors(), steps, 0).is_err() {
        return false;
    }
    let t_gpu = start.elapsed();
    let start = Instant::now();
    let cpu = CpuBackend.run_unchecked(vectors(), steps, 0);
    cpu.is_ok() && t_gpu < start.elapsed()
}

impl NttBackend for FallbackNtt {
    fn name(&self) -> &'static str {
        self.router.name()
    }

    fn run_unchecked(
        &self,
        vectors: Vec<Vec<Fr>>,
        steps: &[NttStep],
        out: usize,
    ) -> Result<Vec<Fr>> {
        #[cfg(feature = "gpu")]
        if let Some(gpu) = self.gpu.as_ref() {
            let (len, count) = (vectors[0].len(), vectors.len());
            let use_gpu = self.router.use_gpu(len, AUTO_MIN_NTT, steps.len() > 1, || {
                measure_gpu_faster(gpu, len, count, steps)
            });
            if use_gpu {
                // The GPU keeps its own copies; these stay for a fallback.
                match gpu.run_unchecked(vectors.clone(), steps, out) {
                    Ok(v) => return Ok(v),
                    Err(e) => self.router.warn("NTT", &e),
                }
            }
        }
        CpuBackend.run_unchecked(vectors, steps, out)
    }
}

/// G1 bases for [`FallbackMsm`]: the host copy (for the CPU path and for
/// fallback) and, when the GPU serves this key, the resident device copy.
pub struct FallbackG1Bases {
    host: HostBases<G1Affine>,
    /// The CPU path's fixed-base table, where the budget allowed one.
    table: Option<Table>,
    #[cfg(feature = "gpu")]
    device: Option<crate::gpu::msm::GpuBases>,
}

impl PreparedBases for FallbackG1Bases {
    fn len(&self) -> usize {
        self.host.len()
    }
}

/// An MSM backend with G1 on the GPU when one was chosen and works, and on
/// the CPU otherwise; G2 always on the CPU (see kernels/README.md). Results
/// are the same group elements either way. GPU errors fall back to the CPU
/// with one warning, as [`FallbackNtt`]'s do; under [`BackendChoice::Auto`]
/// on a hardware adapter, the first G1 MSM of each size class (⌈log2 n⌉)
/// runs on both and the faster serves that class from then on.
pub type FallbackMsm = Fallback<MsmGpu>;

/// Times the GPU and the CPU on one real MSM (after an untimed GPU run that
/// compiles pipelines); a GPU error counts as "not faster".
#[cfg(feature = "gpu")]
fn measure_msm_gpu_faster(
    gpu: &GpuMsm,
    device: &crate::gpu::msm::GpuBases,
    host: &HostBases<G1Affine>,
    offset: usize,
    scalars: &[Fr],
) -> bool {
    if gpu.msm_g1_unchecked(device, offset, scalars).is_err() {
        return false;
    }
    let start = Instant::now();
    if gpu.msm_g1_unchecked(device, offset, scalars).is_err() {
        return false;
    }
    let t_gpu = start.elapsed();
    let start = Instant::now();
    let cpu = CpuBackend.msm_g1_unchecked(host, offset, scalars);
    cpu.is_ok() && t_gpu < start.elapsed()
}

impl FallbackMsm {
    /// A fixed-base table over `bases` if the budget has room for it.
    fn table(&self, bases: &[G1Affine]) -> Option<Table> {
        let budget = self.tables.as_ref()?;
        let c = table_window(bases.len());
        let bytes =
            crate::pippenger::FixedBases::<ark_bn254::g1::Config>::bytes_for(bases.len(), c);
        if bases.len() < TABLE_MIN_BASES || !budget.take(bytes) {
            return None;
        }
        let start = std::time::Instant::now();
        let fixed = crate::pippenger::FixedBases::new(bases, c);
        tracing::info!(
            "fixed-base table for {} G1 bases: {} MiB, windows of {c} bits, made in {:.1} s",
            bases.len(),
            bytes >> 20,
            start.elapsed().as_secs_f64()
        );
        Some(Table { fixed, budget: budget.clone() })
    }

    /// Whether `bases` are served by a fixed-base table.
    #[cfg(test)]
    fn has_table(bases: &FallbackG1Bases) -> bool {
        bases.table.is_some()
    }
}

impl MsmBackend for FallbackMsm {
    type G1Bases = FallbackG1Bases;
    type G2Bases = HostBases<G2Affine>;

    fn name(&self) -> &'static str {
        self.router.name()
    }

    fn prepare_g1(&self, bases: &[G1Affine]) -> Result<FallbackG1Bases> {
        let host = CpuBackend.prepare_g1(bases)?;
        #[cfg(feature = "gpu")]
        {
            let device = match self.gpu.as_ref().filter(|_| self.router.route != Route::Cpu) {
                Some(gpu) => match gpu.prepare_g1(bases) {
                    Ok(d) => Some(d),
                    Err(e) => {
                        self.router.warn("base upload", &e);
                        None
                    }
                },
                None => None,
            };
            let table = if device.is_none() { self.table(bases) } else { None };
            Ok(FallbackG1Bases { host, table, device })
        }
        #[cfg(not(feature = "gpu"))]
        Ok(FallbackG1Bases { host, table: self.table(bases) })
    }

    fn prepare_g2(&self, bases: &[G2Affine]) -> Result<Self::G2Bases> {
        CpuBackend.prepare_g2(bases)
    }

    fn msm_g1_unchecked(
        &self,
        bases: &FallbackG1Bases,
        offset: usize,
        scalars: &[Fr],
    ) -> Result<G1Projective> {
        #[cfg(feature = "gpu")]
        if let (Some(gpu), Some(device)) = (self.gpu.as_ref(), bases.device.as_ref()) {
            let use_gpu = !scalars.is_empty()
                && self.router.use_gpu(scalars.len(), AUTO_MIN_MSM, false, || {
                    measure_msm_gpu_faster(gpu, device, &bases.host, offset, scalars)
                });
            if use_gpu {
                match gpu.msm_g1_unchecked(device, offset, scalars) {
                    Ok(p) => return Ok(p),
                    Err(e) => self.router.warn("MSM", &e),
                }
            }
        }
        match &bases.table {
            Some(t) => Ok(t.fixed.msm_at(offset, scalars)),
            None => CpuBackend.msm_g1_unchecked(&bases.host, offset, scalars),
        }
    }

    fn msm_g2_unchecked(
        &self,
        bases: &Self::G2Bases,
        offset: usize,
        scalars: &[Fr],
    ) -> Result<G2Projective> {
        CpuBackend.msm_g2_unchecked(bases, offset, scalars)
    }

    fn host_g1<'a>(&self, bases: &'a Self::G1Bases) -> Option<&'a HostBases<G1Affine>> {
        Some(&bases.host)
    }

    fn host_g2<'a>(&self, bases: &'a Self::G2Bases) -> Option<&'a HostBases<G2Affine>> {
        Some(bases)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ec::{CurveGroup, VariableBaseMSM};
    use ark_std::rand::{rngs::StdRng, SeedableRng};
    use ark_std::UniformRand;

    #[test]
    fn fixed_base_tables_match_arkworks_within_their_budget_and_give_it_back() {
        let mut rng = StdRng::seed_from_u64(7);
        let n = TABLE_MIN_BASES;
        let all: Vec<G1Projective> = (0..n).map(|_| G1Projective::rand(&mut rng)).collect();
        let bases = G1Projective::normalize_batch(&all);
        let scalars: Vec<Fr> = (0..n).map(|_| Fr::rand(&mut rng)).collect();
        let bytes =
            crate::pippenger::FixedBases::<ark_bn254::g1::Config>::bytes_for(n, table_window(n));
        let msm = FallbackMsm::cpu_only(Default::default()).with_table_budget(bytes);

        let prepared = msm.prepare_g1(&bases).unwrap();
        assert!(FallbackMsm::has_table(&prepared));
        for (offset, len) in [(0, n), (1, n - 1), (n / 2, n / 4), (n - 1, 1), (n, 0)] {
            let got = msm.msm_g1(&prepared, offset, &scalars[..len]).unwrap();
            let want = G1Projective::msm_unchecked(&bases[offset..offset + len], &scalars[..len]);
            assert_eq!(got, want, "offset {offset}, {len} scalars");
        }
        // The budget is spent: a second key keeps the plain MSM, and still
        // agrees; below the minimum size no table is made at all.
        let second = msm.prepare_g1(&bases).unwrap();
        assert!(!FallbackMsm::has_table(&second));
        assert_eq!(
            msm.msm_g1(&second, 3, &scalars[..100]).unwrap(),
            G1Projective::msm_unchecked(&bases[3..103], &scalars[..100])
        );
        drop(prepared);
        assert!(FallbackMsm::has_table(&msm.prepare_g1(&bases).unwrap()));
        let small = FallbackMsm::cpu_only(Default::default()).with_table_budget(usize::MAX);
        assert!(!FallbackMsm::has_table(&small.prepare_g1(&bases[..n - 1]).unwrap()));
    }
}
