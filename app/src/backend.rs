//! The backend a user chose, opened once and shared by every prover.

use crate::Result;
use stateproof_kernels::gpu::GpuConfig;
use stateproof_kernels::{BackendChoice, Backends, FallbackMsm, FallbackNtt};
use stateproof_prover::keys::Keys;
use stateproof_prover::Prover;

/// What the user asked of the backends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BackendOptions {
    /// CPU, GPU or auto.
    pub choice: BackendChoice,
    /// The GPU adapter, precompute factor and limits.
    pub gpu: GpuConfig,
    /// Bytes the CPU's G1 MSMs may spend on fixed-base tables (0: none);
    /// worth it only for a prover that keeps its key.
    pub msm_tables: usize,
}

impl Default for BackendOptions {
    fn default() -> Self {
        Self { choice: BackendChoice::Auto, gpu: GpuConfig::default(), msm_tables: 0 }
    }
}

impl BackendOptions {
    /// The CPU backends.
    pub fn cpu() -> Self {
        Self { choice: BackendChoice::Cpu, ..Self::default() }
    }

    /// Opens the backends (the GPU, where chosen and usable).
    pub fn open(&self) -> Backends {
        self.open_backends().with_table_budget(self.msm_tables)
    }

    fn open_backends(&self) -> Backends {
        #[cfg(feature = "test-hooks")]
        if let Some(fault) = hooks::fault() {
            return match fault {
                hooks::Injected::NoAdapter => {
                    let gpu = GpuConfig { device: Some(usize::MAX), ..self.gpu.clone() };
                    Backends::open(self.choice, &gpu)
                }
                hooks::Injected::Device(f) => Backends::open(self.choice, &self.gpu).with_fault(f),
            };
        }
        Backends::open(self.choice, &self.gpu)
    }
}

/// The provers of this application: on the chosen backends, with their
/// fallback to the CPU.
pub type AppProver = Prover<FallbackMsm, FallbackNtt>;

/// A prover for `keys` on `backends` (clones share the device).
pub fn prover(keys: &Keys, backends: &Backends) -> Result<AppProver> {
    Ok(Prover::new(backends.msm.clone(), backends.ntt.clone(), &keys.proving_key)?)
}

/// The GPU fault a test asked for (feature `test-hooks`).
#[cfg(feature = "test-hooks")]
pub(crate) mod hooks {
    use stateproof_kernels::gpu::Fault;
    use std::sync::OnceLock;

    /// A fault to simulate.
    #[derive(Clone, Copy, Debug)]
    pub enum Injected {
        /// No adapter opens.
        NoAdapter,
        /// The device fails this way.
        Device(Fault),
    }

    static FAULT: OnceLock<Option<Injected>> = OnceLock::new();

    /// Sets the fault from its name: `no-adapter`, `device-lost`,
    /// `out-of-memory`, `corrupt` (a corrupted readback) or `garbage`
    /// (well-formed wrong results).
    pub fn set(name: &str) {
        let fault = match name {
            "no-adapter" => Some(Injected::NoAdapter),
            "device-lost" => Some(Injected::Device(Fault::DeviceLost)),
            "out-of-memory" => Some(Injected::Device(Fault::OutOfMemory)),
            "corrupt" => Some(Injected::Device(Fault::CorruptReadback)),
            "garbage" => Some(Injected::Device(Fault::WrongResult)),
            _ => None,
        };
        let _ = FAULT.set(fault);
    }

    pub(crate) fn fault() -> Option<Injected> {
        FAULT.get().copied().flatten()
    }
}
