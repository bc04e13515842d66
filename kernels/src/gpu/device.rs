//! The device: adapter discovery and selection, and the one open device
//! with its queue and the limits the kernels plan with. Nothing else lives
//! here: pipelines and buffers belong to the [`super::runtime`], and each
//! primitive's backend owns its own.
//!
//! Selection: the adapter with the index asked for in [`list_adapters`]'s
//! order, otherwise the first discrete GPU, then integrated, virtual, and
//! last a CPU implementation (such as Mesa's llvmpipe, which runs the
//! kernels on the CPU for testing).

use super::GpuConfig;
use crate::{Error, Result};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

/// What `stateproof devices` prints about one adapter.
#[derive(Clone, Debug)]
pub struct AdapterReport {
    /// Index for `--device`.
    pub index: usize,
    /// Adapter name.
    pub name: String,
    /// Backend (Vulkan, Metal, ...).
    pub backend: String,
    /// Device type (discrete, integrated, CPU, ...).
    pub device_type: String,
    /// Driver name and version.
    pub driver: String,
    /// Whether 64-bit integers are available in shaders.
    pub shader_int64: bool,
    /// Largest storage binding, bytes.
    pub max_storage_binding: u64,
    /// Largest buffer, bytes.
    pub max_buffer: u64,
    /// Workgroup memory, bytes.
    pub max_workgroup_storage: u32,
    /// Invocations per workgroup.
    pub max_invocations: u32,
    /// Subgroup sizes the adapter may run, smallest and largest.
    pub subgroup_sizes: (u32, u32),
}

/// The limits the kernels plan with: the adapter's, lowered by the
/// caller's caps ([`GpuConfig::caps`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeviceLimits {
    /// Largest storage binding (and buffer), bytes.
    pub max_binding: u64,
    /// Storage buffers one shader stage may bind.
    pub max_storage_buffers: u32,
    /// Workgroup memory, bytes.
    pub max_workgroup_storage: u32,
    /// Invocations per workgroup.
    pub max_invocations: u32,
    /// Required alignment of uniform-buffer offsets, bytes.
    pub uniform_offset_alignment: u32,
}

/// How field products are computed in WGSL, chosen from the adapter's
/// features (see [`super::field::MulVariant`]).
pub use super::field::MulVariant;

/// An open device and its queue, shared by every backend that runs on it.
pub struct GpuDevice {
    /// The adapter's report.
    pub adapter: AdapterReport,
    /// The device.
    pub device: wgpu::Device,
    /// Its queue.
    pub queue: wgpu::Queue,
    /// The limits the kernels plan with.
    pub limits: DeviceLimits,
    /// Whether the device is a real GPU rather than a CPU implementation.
    pub is_hardware: bool,
    /// The multiplication variant the field code uses.
    pub mul_variant: MulVariant,
    lost: Arc<AtomicBool>,
    /// What the runtime compiles once per device (pipelines), opaque here.
    pub(super) kept: super::runtime::Kept,
}

impl std::fmt::Debug for GpuDevice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GpuDevice").field("adapter", &self.adapter.name).finish()
    }
}

/// Compute runs on the primary backends (Vulkan, Metal, DX12); OpenGL has
/// no 64-bit integers and probing it prints display-server noise.
fn instance() -> wgpu::Instance {
    let mut desc = wgpu::InstanceDescriptor::new_without_display_handle();
    desc.backends = wgpu::Backends::PRIMARY;
    wgpu::Instance::new(desc)
}

fn rank(t: wgpu::DeviceType) -> u8 {
    match t {
        wgpu::DeviceType::DiscreteGpu => 0,
        wgpu::DeviceType::IntegratedGpu => 1,
        wgpu::DeviceType::VirtualGpu => 2,
        wgpu::DeviceType::Cpu => 3,
        wgpu::DeviceType::Other => 4,
    }
}

fn adapters() -> Vec<wgpu::Adapter> {
    let mut list = pollster::block_on(instance().enumerate_adapters(wgpu::Backends::PRIMARY));
    // Compute needs storage buffers; adapters without them are useless here.
    list.retain(|a| a.limits().max_storage_buffers_per_shader_stage >= 4);
    list
}

fn report(index: usize, a: &wgpu::Adapter) -> AdapterReport {
    let info = a.get_info();
    let limits = a.limits();
    AdapterReport {
        index,
        name: info.name.clone(),
        backend: format!("{:?}", info.backend),
        device_type: format!("{:?}", info.device_type),
        driver: format!("{} {}", info.driver, info.driver_info).trim().to_string(),
        shader_int64: a.features().contains(wgpu::Features::SHADER_INT64),
        max_storage_binding: limits.max_storage_buffer_binding_size,
        max_buffer: limits.max_buffer_size,
        max_workgroup_storage: limits.max_compute_workgroup_storage_size,
        max_invocations: limits.max_compute_invocations_per_workgroup,
        subgroup_sizes: (info.subgroup_min_size, info.subgroup_max_size),
    }
}

/// Every usable adapter, in selection-index order.
pub fn list_adapters() -> Vec<AdapterReport> {
    adapters().iter().enumerate().map(|(i, a)| report(i, a)).collect()
}

/// The least the kernels need of an adapter: what every WebGPU adapter
/// offers (16 KiB of workgroup memory, 256 invocations, 8 storage buffers).
const MIN_WORKGROUP_STORAGE: u32 = 16 * 1024;
const MIN_INVOCATIONS: u32 = 256;

impl GpuDevice {
    /// Opens the adapter `config.device` (or the best one), with its limits
    /// lowered by `config.caps`.
    pub fn open(config: &GpuConfig) -> Result<Arc<Self>> {
        let list = adapters();
        let index = match config.device {
            Some(i) if i < list.len() => i,
            Some(i) => {
                return Err(Error::NoAdapter(format!(
                    "adapter {i} asked for, {} available",
                    list.len()
                )))
            }
            None => (0..list.len())
                .min_by_key(|&i| rank(list[i].get_info().device_type))
                .ok_or_else(|| Error::NoAdapter("no adapter with compute support".into()))?,
        };
        let adapter = &list[index];
        let report = report(index, adapter);
        let features = adapter.features();
        let adapter_limits = adapter.limits();
        let caps = &config.caps;
        let cap = |limit: u64, cap: Option<u64>| cap.map_or(limit, |c| c.min(limit));
        let limits = DeviceLimits {
            max_binding: cap(
                adapter_limits.max_storage_buffer_binding_size.min(adapter_limits.max_buffer_size),
                caps.max_binding,
            ),
            max_storage_buffers: cap(
                adapter_limits.max_storage_buffers_per_shader_stage.into(),
                caps.max_storage_buffers.map(u64::from),
            ) as u32,
            max_workgroup_storage: cap(
                adapter_limits.max_compute_workgroup_storage_size.into(),
                caps.max_workgroup_storage.map(u64::from),
            ) as u32,
            max_invocations: cap(
                adapter_limits.max_compute_invocations_per_workgroup.into(),
                caps.max_invocations.map(u64::from),
            ) as u32,
            uniform_offset_alignment: adapter_limits.min_uniform_buffer_offset_alignment,
        };
        if limits.max_workgroup_storage < MIN_WORKGROUP_STORAGE
            || limits.max_invocations < MIN_INVOCATIONS
        {
            return Err(Error::MissingFeature(format!(
                "{} offers {} bytes of workgroup memory and {} invocations; the kernels need {} and {}",
                report.name,
                limits.max_workgroup_storage,
                limits.max_invocations,
                MIN_WORKGROUP_STORAGE,
                MIN_INVOCATIONS
            )));
        }
        let mul_variant = if features.contains(wgpu::Features::SHADER_INT64) {
            MulVariant::U32Digits
        } else {
            MulVariant::U16Digits
        };
        let required_features = features & wgpu::Features::SHADER_INT64;
        let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
            label: Some("stateproof"),
            required_features,
            required_limits: adapter_limits.clone(),
            ..Default::default()
        }))
        .map_err(|e| Error::MissingFeature(format!("device request refused: {e}")))?;
        let lost = Arc::new(AtomicBool::new(false));
        let flag = lost.clone();
        device.set_device_lost_callback(move |_, _| flag.store(true, Ordering::SeqCst));
        let is_hardware = matches!(
            adapter.get_info().device_type,
            wgpu::DeviceType::DiscreteGpu | wgpu::DeviceType::IntegratedGpu
        );
        Ok(Arc::new(Self {
            adapter: report,
            device,
            queue,
            limits,
            is_hardware,
            mul_variant,
            lost,
            kept: Default::default(),
        }))
    }

    /// The best adapter with its own limits, opened once per process and
    /// shared (what `open` with a default config gives, without opening a
    /// second device).
    pub fn shared() -> Result<Arc<Self>> {
        static SHARED: OnceLock<std::result::Result<Arc<GpuDevice>, Error>> = OnceLock::new();
        SHARED.get_or_init(|| Self::open(&GpuConfig::default())).clone()
    }

    /// The device for `config`: the shared one when the config asks for the
    /// default adapter with its own limits, a new one otherwise.
    pub fn for_config(config: &GpuConfig) -> Result<Arc<Self>> {
        if config.device.is_none() && config.caps == Default::default() {
            Self::shared()
        } else {
            Self::open(config)
        }
    }

    /// Submits `encoder` and waits for the device, surfacing validation
    /// errors and device loss.
    pub fn submit(&self, encoder: wgpu::CommandEncoder) -> Result<()> {
        let scope = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        self.queue.submit([encoder.finish()]);
        if let Some(e) = pollster::block_on(scope.pop()) {
            return Err(Error::Dispatch(e.to_string()));
        }
        self.wait()
    }

    /// Waits for the queue to drain; an error if the device was lost.
    pub fn wait(&self) -> Result<()> {
        self.device
            .poll(wgpu::PollType::wait_indefinitely())
            .map_err(|e| Error::DeviceLost(e.to_string()))?;
        if self.lost.load(Ordering::SeqCst) {
            return Err(Error::DeviceLost("the device was lost".into()));
        }
        Ok(())
    }
}
