//! Choosing a backend, and falling back to the CPU when the GPU fails.

use crate::cpu::{CpuBackend, HostBases};
use crate::{MsmBackend, NttBackend, NttKind, PreparedBases, Result};
use ark_bn254::{Fr, G1Affine, G1Projective, G2Affine, G2Projective};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
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

/// How `FallbackNtt` routes an operation of a given size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Route {
    /// Always the CPU.
    Cpu,
    /// Always the GPU (falling back on errors).
    Gpu,
    /// The faster of the two for each size, measured on first use.
    Measured,
}

/// Routing and fallback bookkeeping shared by [`FallbackNtt`] and
/// [`FallbackMsm`]: the route, the decisions measured under `Auto`, and the
/// count of operations that fell back to the CPU (warned about once).
struct Router {
    route: Route,
    /// Measured decisions: (log2 size, operation kind) → GPU faster.
    decisions: Mutex<HashMap<(u32, bool), bool>>,
    warned: AtomicBool,
    fallbacks: AtomicUsize,
    description: String,
}

impl Router {
    fn new(route: Route, description: String) -> Self {
        Self {
            route,
            decisions: Mutex::new(HashMap::new()),
            warned: AtomicBool::new(false),
            fallbacks: AtomicUsize::new(0),
            description,
        }
    }

    fn warn(&self, what: &str, e: &crate::Error) {
        self.fallbacks.fetch_add(1, Ordering::SeqCst);
        if !self.warned.swap(true, Ordering::SeqCst) {
            warn_once(&format!("GPU {what} failed ({e}); computing on the CPU"));
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

/// Prints `warning: {message}` unless a GPU warning was already printed by
/// this process: the NTT and MSM backends fail together when the device
/// does, and one line says it (their `fallbacks` counters say how often).
fn warn_once(message: &str) {
    static WARNED: AtomicBool = AtomicBool::new(false);
    if !WARNED.swap(true, Ordering::SeqCst) {
        eprintln!("warning: {message}");
    }
}

/// The route and description for `choice`, and the context to use: the
/// shared one, or adapter `device`. `None` when the CPU serves everything.
#[cfg(feature = "gpu")]
fn open_gpu(
    choice: BackendChoice,
    device: Option<usize>,
) -> Option<(Route, String, std::sync::Arc<crate::gpu::GpuContext>)> {
    if choice == BackendChoice::Cpu {
        return None;
    }
    let context = match device {
        None => crate::gpu::GpuContext::shared(),
        Some(_) => crate::gpu::GpuContext::new(device),
    };
    match context {
        Ok(ctx) => {
            let name = format!("{} ({})", ctx.adapter.name, ctx.adapter.backend);
            let (route, description) = match choice {
                BackendChoice::Auto if !ctx.is_hardware => {
                    (Route::Cpu, format!("cpu (auto: {name} is a software adapter)"))
                }
                BackendChoice::Auto => {
                    (Route::Measured, format!("auto: gpu {name} where measured faster, else cpu"))
                }
                _ => (Route::Gpu, format!("gpu {name}")),
            };
            Some((route, description, ctx))
        }
        Err(e) => {
            if choice == BackendChoice::Gpu {
                warn_once(&format!("{e}; using the CPU backend"));
            }
            None
        }
    }
}

#[cfg(not(feature = "gpu"))]
fn warn_no_gpu(choice: BackendChoice) {
    if choice == BackendChoice::Gpu {
        warn_once("built without the `gpu` feature; using the CPU backend");
    }
}

/// An NTT backend that runs on the GPU when one was chosen and works, and
/// on the CPU otherwise, with the same results either way (both are
/// bit-identical to ark-poly). Any GPU error — no adapter, a missing
/// feature, out of memory, a lost device, a shader that does not compile,
/// an array larger than the adapter can bind — prints one warning line and
/// computes on the CPU instead.
///
/// Under [`BackendChoice::Auto`] on a hardware adapter, the first operation
/// of each size (and kind: single NTT or whole quotient) is timed on both
/// the GPU and the CPU with random inputs, and the faster one serves that
/// size from then on. On a software adapter (a CPU emulating a GPU, such as
/// llvmpipe, measured 3.6–4.4x slower than the native CPU code in
/// BENCHMARKS.md) `Auto` stays on the CPU without measuring.
pub struct FallbackNtt {
    #[cfg(feature = "gpu")]
    gpu: Option<crate::gpu::GpuNtt>,
    router: Router,
}

impl FallbackNtt {
    fn with_route(route: Route, description: String) -> Self {
        Self {
            #[cfg(feature = "gpu")]
            gpu: None,
            router: Router::new(route, description),
        }
    }

    /// The backend for `choice`, on adapter `device` (an index from
    /// `stateproof devices`) or the default one.
    pub fn new(choice: BackendChoice, device: Option<usize>) -> Self {
        #[cfg(feature = "gpu")]
        if let Some((route, description, ctx)) = open_gpu(choice, device) {
            let mut ntt = Self::with_route(route, description);
            ntt.gpu = Some(crate::gpu::GpuNtt::new(ctx));
            return ntt;
        }
        #[cfg(not(feature = "gpu"))]
        {
            let _ = device;
            warn_no_gpu(choice);
        }
        Self::with_route(Route::Cpu, "cpu".to_string())
    }

    /// Always the given GPU backend (any size), falling back as usual.
    #[cfg(feature = "gpu")]
    pub fn from_gpu(gpu: crate::gpu::GpuNtt) -> Self {
        let description = format!("gpu {}", gpu.context().adapter.name);
        let mut ntt = Self::with_route(Route::Gpu, description);
        ntt.gpu = Some(gpu);
        ntt
    }

    /// The given GPU backend where it measures faster than the CPU, on any
    /// adapter (what `Auto` does on hardware ones).
    #[cfg(feature = "gpu")]
    pub fn measured(gpu: crate::gpu::GpuNtt) -> Self {
        let description =
            format!("auto: gpu {} where measured faster, else cpu", gpu.context().adapter.name);
        let mut ntt = Self::with_route(Route::Measured, description);
        ntt.gpu = Some(gpu);
        ntt
    }

    /// How many operations fell back from the GPU to the CPU.
    pub fn fallbacks(&self) -> usize {
        self.router.fallbacks.load(Ordering::SeqCst)
    }

    /// The measured decisions so far: (log2 size, whole quotient?, GPU chosen).
    pub fn decisions(&self) -> Vec<(u32, bool, bool)> {
        self.router.decisions()
    }

    /// What computes the NTTs, for reports.
    pub fn description(&self) -> &str {
        &self.router.description
    }
}

/// Times the GPU and the CPU on the same random input of `len` elements
/// (after an untimed GPU run that compiles pipelines and uploads tables);
/// a GPU error counts as "not faster".
#[cfg(feature = "gpu")]
fn measure_gpu_faster(gpu: &crate::gpu::GpuNtt, len: usize, quotient: bool) -> bool {
    use ark_ff::UniformRand;
    use ark_std::rand::{rngs::StdRng, SeedableRng};
    let mut rng = StdRng::seed_from_u64(len as u64);
    let v: Vec<Fr> = (0..len).map(|_| Fr::rand(&mut rng)).collect();
    let run_gpu = || -> Result<()> {
        if quotient {
            gpu.quotient_ref(&v, &v, &v).map(|_| ())
        } else {
            gpu.ntt_unchecked(&mut v.clone(), NttKind::Forward)
        }
    };
    if run_gpu().is_err() {
        return false;
    }
    let start = Instant::now();
    if run_gpu().is_err() {
        return false;
    }
    let t_gpu = start.elapsed();
    let start = Instant::now();
    let cpu = if quotient {
        CpuBackend.quotient(v.clone(), v.clone(), v.clone()).map(|_| ())
    } else {
        CpuBackend.ntt_unchecked(&mut v.clone(), NttKind::Forward)
    };
    cpu.is_ok() && t_gpu < start.elapsed()
}

impl NttBackend for FallbackNtt {
    fn name(&self) -> &'static str {
        self.router.name()
    }

    fn ntt_unchecked(&self, values: &mut [Fr], kind: NttKind) -> Result<()> {
        #[cfg(feature = "gpu")]
        if let Some(gpu) = self.gpu.as_ref().filter(|g| {
            self.router.use_gpu(values.len(), AUTO_MIN_NTT, false, || {
                measure_gpu_faster(g, values.len(), false)
            })
        }) {
            // The GPU writes `values` only after a complete, successful run.
            match gpu.ntt_unchecked(values, kind) {
                Ok(()) => return Ok(()),
                Err(e) => self.router.warn("NTT", &e),
            }
        }
        CpuBackend.ntt_unchecked(values, kind)
    }

    fn quotient(&self, a: Vec<Fr>, b: Vec<Fr>, c: Vec<Fr>) -> Result<Vec<Fr>> {
        #[cfg(feature = "gpu")]
        if let Some(gpu) = self.gpu_for_quotient(a.len()) {
            match gpu.quotient_ref(&a, &b, &c) {
                Ok(h) => return Ok(h),
                Err(e) => self.router.warn("quotient", &e),
            }
        }
        CpuBackend.quotient(a, b, c)
    }

    fn odd_coset_quotient(&self, a: Vec<Fr>, b: Vec<Fr>, c: Vec<Fr>) -> Result<Vec<Fr>> {
        #[cfg(feature = "gpu")]
        if let Some(gpu) = self.gpu_for_quotient(a.len()) {
            match gpu.odd_coset_quotient_ref(&a, &b, &c) {
                Ok(h) => return Ok(h),
                Err(e) => self.router.warn("quotient", &e),
            }
        }
        CpuBackend.odd_coset_quotient(a, b, c)
    }
}

impl FallbackNtt {
    /// The GPU, if it serves quotients of `len` elements (both variants
    /// share one decision per size: they cost the same within a transform).
    #[cfg(feature = "gpu")]
    fn gpu_for_quotient(&self, len: usize) -> Option<&crate::gpu::GpuNtt> {
        self.gpu.as_ref().filter(|g| {
            self.router.use_gpu(len, AUTO_MIN_NTT, true, || measure_gpu_faster(g, len, true))
        })
    }
}

/// MSMs below this size never go to the GPU under `Auto`.
pub const AUTO_MIN_MSM: usize = 1 << 10;

/// G1 bases for [`FallbackMsm`]: the host copy (for the CPU path and for
/// fallback) and, when the GPU serves this key, the resident device copy.
pub struct FallbackG1Bases {
    host: HostBases<G1Affine>,
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
pub struct FallbackMsm {
    #[cfg(feature = "gpu")]
    gpu: Option<crate::gpu::GpuMsm>,
    router: Router,
}

impl FallbackMsm {
    /// The backend for `choice`, on adapter `device` or the default one.
    pub fn new(choice: BackendChoice, device: Option<usize>) -> Self {
        #[cfg(feature = "gpu")]
        if let Some((route, description, ctx)) = open_gpu(choice, device) {
            return Self {
                gpu: Some(crate::gpu::GpuMsm::new(ctx)),
                router: Router::new(route, description),
            };
        }
        #[cfg(not(feature = "gpu"))]
        {
            let _ = device;
            warn_no_gpu(choice);
        }
        Self {
            #[cfg(feature = "gpu")]
            gpu: None,
            router: Router::new(Route::Cpu, "cpu".to_string()),
        }
    }

    /// The given GPU backend where it measures faster than the CPU, on any
    /// adapter (what `Auto` does on hardware ones).
    #[cfg(feature = "gpu")]
    pub fn measured(gpu: crate::gpu::GpuMsm) -> Self {
        let description =
            format!("auto: gpu {} where measured faster, else cpu", gpu.context().adapter.name);
        Self { gpu: Some(gpu), router: Router::new(Route::Measured, description) }
    }

    /// How many operations fell back from the GPU to the CPU.
    pub fn fallbacks(&self) -> usize {
        self.router.fallbacks.load(Ordering::SeqCst)
    }

    /// The measured decisions so far: (⌈log2 size⌉, false, GPU chosen).
    pub fn decisions(&self) -> Vec<(u32, bool, bool)> {
        self.router.decisions()
    }

    /// What computes the MSMs, for reports.
    pub fn description(&self) -> &str {
        &self.router.description
    }
}

/// Times the GPU and the CPU on one real MSM (after an untimed GPU run that
/// compiles pipelines); a GPU error counts as "not faster".
#[cfg(feature = "gpu")]
fn measure_msm_gpu_faster(
    gpu: &crate::gpu::GpuMsm,
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
            Ok(FallbackG1Bases { host, device })
        }
        #[cfg(not(feature = "gpu"))]
        Ok(FallbackG1Bases { host })
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
        CpuBackend.msm_g1_unchecked(&bases.host, offset, scalars)
    }

    fn msm_g2_unchecked(
        &self,
        bases: &Self::G2Bases,
        offset: usize,
        scalars: &[Fr],
    ) -> Result<G2Projective> {
        CpuBackend.msm_g2_unchecked(bases, offset, scalars)
    }
}
