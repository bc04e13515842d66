//! The wgpu backends, in rooms:
//!
//! - [`device`]: adapter discovery and selection, the open device, its
//!   queue and the limits the kernels plan with;
//! - `runtime`: shader compilation and pipelines, buffers, one way to
//!   record and submit dispatches, kept workspaces, and the checked byte
//!   codecs between host values and the device's layout;
//! - [`field`] and [`curve`]: WGSL arithmetic generated from arkworks'
//!   field and curve types (the shared partials of every kernel);
//! - [`msm`] and [`ntt`]: each primitive's pipelines, plan and backend.
//!
//! The library reads no environment variables and prints nothing: a
//! [`GpuConfig`] comes in, warnings go out as `tracing` events.
//!
//! **Device output is validated before use**: every field element read
//! back must be canonical and every MSM window sum on the curve, or the
//! operation fails with [`crate::Error::DeviceFault`], which the fallback
//! backends treat like any other GPU failure (the CPU computes instead).

pub mod curve;
pub mod device;
mod faults;
pub mod field;
#[cfg(any(test, feature = "microbench"))]
pub mod microbench;
pub mod msm;
pub mod ntt;
pub(crate) mod runtime;

pub use device::{list_adapters, AdapterReport, DeviceLimits, GpuDevice};
#[cfg(feature = "test-hooks")]
pub use faults::Fault;
pub use field::MulVariant;
pub use msm::GpuMsm;
pub use ntt::GpuNtt;

/// What the caller decides about the GPU.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GpuConfig {
    /// The adapter, by its index in [`list_adapters`]; `None`: the best one.
    pub device: Option<usize>,
    /// The MSM's precompute factor, 1 to [`msm::MAX_PRECOMPUTE`]; `None`:
    /// [`msm::HARDWARE_PRECOMPUTE`] on a hardware adapter, 1 on a software
    /// one.
    pub precompute: Option<usize>,
    /// Caps on the adapter's limits: the kernels plan as if the adapter
    /// offered no more (tests run the chunked and multi-pass paths at small
    /// sizes this way).
    pub caps: LimitCaps,
}

/// Caps on an adapter's limits; `None` keeps the adapter's own.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LimitCaps {
    /// Largest storage binding, bytes.
    pub max_binding: Option<u64>,
    /// Workgroup memory, bytes.
    pub max_workgroup_storage: Option<u32>,
    /// Invocations per workgroup.
    pub max_invocations: Option<u32>,
    /// Storage buffers one shader stage may bind.
    pub max_storage_buffers: Option<u32>,
}

/// The environment variable that makes a missing adapter a test failure.
pub const REQUIRE_GPU_ENV: &str = "STATEPROOF_REQUIRE_GPU";

/// For tests: the shared device, or `None` with a printed reason; panics
/// (fails the test) when `STATEPROOF_REQUIRE_GPU=1` and there is none.
/// (Tests may read the environment and print; the library does neither.)
#[cfg(any(test, feature = "test-hooks"))]
pub fn device_for_tests() -> Option<std::sync::Arc<GpuDevice>> {
    match GpuDevice::shared() {
        Ok(dev) => Some(dev),
        Err(e) => {
            if std::env::var(REQUIRE_GPU_ENV).is_ok_and(|v| v == "1") {
                panic!("{REQUIRE_GPU_ENV}=1 but no GPU device: {e}");
            }
            eprintln!("skipping GPU test: {e} (set {REQUIRE_GPU_ENV}=1 to make this fail)");
            None
        }
    }
}

#[cfg(test)]
mod tests;
