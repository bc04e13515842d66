//! Choosing a backend, and falling back to the CPU when the GPU fails.

use crate::cpu::CpuBackend;
use crate::{NttBackend, NttKind, Result};
use ark_bn254::Fr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// Which backend a user asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BackendChoice {
    /// The rayon CPU backend.
    Cpu,
    /// The GPU, falling back to the CPU (with a warning) if it fails.
    Gpu,
    /// The GPU where it is expected to be faster, else the CPU.
    Auto,
}

/// The smallest NTT that `Auto` sends to a hardware GPU. Not yet measured
/// on real hardware (no GPU was available when it was set): the MSM issue
/// replaces it with thresholds measured on the adapter. On a software
/// adapter (llvmpipe) `Auto` never picks the GPU: it is slower than rayon.
pub const AUTO_MIN_NTT: usize = 1 << 16;

/// An NTT backend that runs on the GPU when one was chosen and works, and
/// on the CPU otherwise, with the same results either way (both are
/// bit-identical to ark-poly). Any GPU error — no adapter, a missing
/// feature, out of memory, a lost device, a shader that does not compile,
/// an array larger than a binding — prints one warning line and computes on
/// the CPU instead.
pub struct FallbackNtt {
    #[cfg(feature = "gpu")]
    gpu: Option<crate::gpu::GpuNtt>,
    min_gpu_len: usize,
    warned: AtomicBool,
    fallbacks: AtomicUsize,
    description: String,
}

impl FallbackNtt {
    /// The backend for `choice`, on adapter `device` (an index from
    /// `stateproof devices`) or the default one.
    pub fn new(choice: BackendChoice, device: Option<usize>) -> Self {
        let cpu = || Self {
            #[cfg(feature = "gpu")]
            gpu: None,
            min_gpu_len: usize::MAX,
            warned: AtomicBool::new(false),
            fallbacks: AtomicUsize::new(0),
            description: "cpu".to_string(),
        };
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
                    let min_gpu_len = match choice {
                        BackendChoice::Auto if !ctx.is_hardware => usize::MAX,
                        BackendChoice::Auto => AUTO_MIN_NTT,
                        _ => 1,
                    };
                    let description = if min_gpu_len == usize::MAX {
                        format!("cpu (auto: {} is a software adapter)", ctx.adapter.name)
                    } else {
                        format!("gpu ({}, {})", ctx.adapter.name, ctx.adapter.backend)
                    };
                    Self {
                        gpu: Some(crate::gpu::GpuNtt::new(ctx)),
                        min_gpu_len,
                        warned: AtomicBool::new(false),
                        fallbacks: AtomicUsize::new(0),
                        description,
                    }
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
        let description = format!("gpu ({})", gpu.context().adapter.name);
        Self {
            gpu: Some(gpu),
            min_gpu_len: 1,
            warned: AtomicBool::new(false),
            fallbacks: AtomicUsize::new(0),
            description,
        }
    }

    /// How many operations fell back from the GPU to the CPU.
    pub fn fallbacks(&self) -> usize {
        self.fallbacks.load(Ordering::SeqCst)
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
}

impl NttBackend for FallbackNtt {
    fn name(&self) -> &'static str {
        #[cfg(feature = "gpu")]
        if self.gpu.is_some() && self.min_gpu_len != usize::MAX {
            return "gpu";
        }
        "cpu"
    }

    fn ntt_unchecked(&self, values: &mut [Fr], kind: NttKind) -> Result<()> {
        #[cfg(feature = "gpu")]
        if let Some(gpu) = self.gpu.as_ref().filter(|_| values.len() >= self.min_gpu_len) {
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
        if let Some(gpu) = self.gpu.as_ref().filter(|_| a.len() >= self.min_gpu_len) {
            match gpu.quotient_ref(&a, &b, &c) {
                Ok(h) => return Ok(h),
                Err(e) => self.warn("quotient", &e),
            }
        }
        CpuBackend.quotient(a, b, c)
    }
}
