//! Choosing a backend, and falling back to the CPU when the GPU fails.

use crate::cpu::CpuBackend;
use crate::{NttBackend, NttKind, Result};
use ark_bn254::Fr;
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
    route: Route,
    /// Measured decisions: (log2 size, whole quotient?) → GPU faster.
    decisions: Mutex<HashMap<(u32, bool), bool>>,
    warned: AtomicBool,
    fallbacks: AtomicUsize,
    description: String,
}

impl FallbackNtt {
    fn with_route(route: Route, description: String) -> Self {
        Self {
            #[cfg(feature = "gpu")]
            gpu: None,
            route,
            decisions: Mutex::new(HashMap::new()),
            warned: AtomicBool::new(false),
            fallbacks: AtomicUsize::new(0),
            description,
        }
    }

    /// The backend for `choice`, on adapter `device` (an index from
    /// `stateproof devices`) or the default one.
    pub fn new(choice: BackendChoice, device: Option<usize>) -> Self {
        let cpu = || Self::with_route(Route::Cpu, "cpu".to_string());
        if choice == BackendChoice::Cpu {
            return cpu();
        }
        #[cfg(feature = "gpu")]
        {
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
                        BackendChoice::Auto => (
                            Route::Measured,
                            format!("auto: gpu {name} where measured faster, else cpu"),
                        ),
                        _ => (Route::Gpu, format!("gpu {name}")),
                    };
                    let mut ntt = Self::with_route(route, description);
                    ntt.gpu = Some(crate::gpu::GpuNtt::new(ctx));
                    ntt
                }
                Err(e) => {
                    if choice == BackendChoice::Gpu {
                        eprintln!("warning: {e}; using the CPU backend");
                    }
                    cpu()
                }
            }
        }
        #[cfg(not(feature = "gpu"))]
        {
            let _ = device;
            if choice == BackendChoice::Gpu {
                eprintln!("warning: built without the `gpu` feature; using the CPU backend");
            }
            cpu()
        }
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
        self.fallbacks.load(Ordering::SeqCst)
    }

    /// The measured decisions so far: (log2 size, whole quotient?, GPU chosen).
    pub fn decisions(&self) -> Vec<(u32, bool, bool)> {
        let map = self.decisions.lock().map(|m| m.clone()).unwrap_or_default();
        let mut v: Vec<_> = map.into_iter().map(|((l, q), g)| (l, q, g)).collect();
        v.sort_unstable();
        v
    }

    /// What computes the NTTs, for reports.
    pub fn description(&self) -> &str {
        &self.description
    }

    fn warn(&self, what: &str, e: &crate::Error) {
        self.fallbacks.fetch_add(1, Ordering::SeqCst);
        if !self.warned.swap(true, Ordering::SeqCst) {
            eprintln!("warning: GPU {what} failed ({e}); computing on the CPU");
        }
    }

    /// Whether an operation of `len` elements goes to the GPU, measuring
    /// on first use under `Auto`.
    #[cfg(feature = "gpu")]
    fn use_gpu(&self, gpu: &crate::gpu::GpuNtt, len: usize, quotient: bool) -> bool {
        match self.route {
            Route::Cpu => false,
            Route::Gpu => true,
            Route::Measured if len < AUTO_MIN_NTT => false,
            Route::Measured => {
                let key = (len.trailing_zeros(), quotient);
                if let Some(&d) = self.decisions.lock().ok().as_ref().and_then(|m| m.get(&key)) {
                    return d;
                }
                let faster = measure_gpu_faster(gpu, len, quotient);
                if let Ok(mut m) = self.decisions.lock() {
                    m.insert(key, faster);
                }
                faster
            }
        }
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
        match self.route {
            Route::Cpu => "cpu",
            Route::Gpu => "gpu",
            Route::Measured => "auto",
        }
    }

    fn ntt_unchecked(&self, values: &mut [Fr], kind: NttKind) -> Result<()> {
        #[cfg(feature = "gpu")]
        if let Some(gpu) = self.gpu.as_ref().filter(|g| self.use_gpu(g, values.len(), false)) {
            // The GPU writes `values` only after a complete, successful run.
            match gpu.ntt_unchecked(values, kind) {
                Ok(()) => return Ok(()),
                Err(e) => self.warn("NTT", &e),
            }
        }
        CpuBackend.ntt_unchecked(values, kind)
    }

    fn quotient(&self, a: Vec<Fr>, b: Vec<Fr>, c: Vec<Fr>) -> Result<Vec<Fr>> {
        #[cfg(feature = "gpu")]
        if let Some(gpu) = self.gpu.as_ref().filter(|g| self.use_gpu(g, a.len(), true)) {
            match gpu.quotient_ref(&a, &b, &c) {
                Ok(h) => return Ok(h),
                Err(e) => self.warn("quotient", &e),
            }
        }
        CpuBackend.quotient(a, b, c)
    }
}
