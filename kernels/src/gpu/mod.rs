//! The wgpu device layer: adapter discovery and selection, one context per
//! process holding the device, queue, compiled pipelines and resident
//! buffers, and the typed errors every GPU path reports.
//!
//! Selection: the adapter with index `STATEPROOF_GPU_DEVICE` in
//! [`list_adapters`]'s order when set, otherwise the first discrete GPU, then
//! integrated, virtual, and last a CPU implementation (such as Mesa's
//! llvmpipe, which runs the kernels on the CPU for testing).

pub mod curve;
pub mod decompose;
pub mod field;
pub mod msm;
mod ntt;

pub use field::MulVariant;
pub use msm::GpuMsm;
pub use ntt::GpuNtt;

use crate::{Error, Result};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use wgpu::util::DeviceExt;

/// Environment variable naming the adapter index to use.
pub const DEVICE_ENV: &str = "STATEPROOF_GPU_DEVICE";
/// Environment variable that makes a missing adapter a test failure.
pub const REQUIRE_GPU_ENV: &str = "STATEPROOF_REQUIRE_GPU";
/// Fault injection for tests: `no-adapter`, `device-lost`, `out-of-memory`
/// or `garbage` (kernels run, then one result element is corrupted, which
/// only the prover's self-check can catch). Unset in normal use.
pub const FAULT_ENV: &str = "STATEPROOF_GPU_FAULT";

/// The fault `STATEPROOF_GPU_FAULT` asks for, if any.
pub(crate) fn injected_fault() -> Option<String> {
    std::env::var(FAULT_ENV).ok().filter(|v| !v.is_empty())
}

/// The error an injected fault stands for (`None` for `garbage`, which
/// returns a wrong result instead of an error).
pub(crate) fn injected_error() -> Option<Error> {
    match injected_fault()?.as_str() {
        "no-adapter" => Some(Error::NoAdapter(format!("injected by {FAULT_ENV}"))),
        "device-lost" => Some(Error::DeviceLost(format!("injected by {FAULT_ENV}"))),
        "out-of-memory" => Some(Error::OutOfMemory(format!("injected by {FAULT_ENV}"))),
        _ => None,
    }
}

/// What `stateproof devices` prints about one adapter.
#[derive(Clone, Debug)]
pub struct AdapterReport {
    /// Index for `--device` / `STATEPROOF_GPU_DEVICE`.
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
}

/// Compute runs on the primary backends (Vulkan, Metal, DX12); OpenGL has
/// no 64-bit integers and probing it prints display-server noise. Setting
/// `WGPU_BACKEND` overrides the choice.
fn instance() -> wgpu::Instance {
    let mut desc = wgpu::InstanceDescriptor::new_without_display_handle_from_env();
    if std::env::var_os("WGPU_BACKEND").is_none() {
        desc.backends = wgpu::Backends::PRIMARY;
    }
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
    let instance = instance();
    let mut list = pollster::block_on(instance.enumerate_adapters(wgpu::Backends::all()));
    // Compute needs storage buffers; GL-only adapters without them are useless here.
    list.retain(|a| a.limits().max_storage_buffers_per_shader_stage >= 4);
    list
}

/// Every usable adapter, in selection-index order.
pub fn list_adapters() -> Vec<AdapterReport> {
    adapters()
        .iter()
        .enumerate()
        .map(|(index, a)| {
            let info = a.get_info();
            let limits = a.limits();
            AdapterReport {
                index,
                name: info.name,
                backend: format!("{:?}", info.backend),
                device_type: format!("{:?}", info.device_type),
                driver: format!("{} {}", info.driver, info.driver_info).trim().to_string(),
                shader_int64: a.features().contains(wgpu::Features::SHADER_INT64),
                max_storage_binding: limits.max_storage_buffer_binding_size,
                max_buffer: limits.max_buffer_size,
                max_workgroup_storage: limits.max_compute_workgroup_storage_size,
                max_invocations: limits.max_compute_invocations_per_workgroup,
            }
        })
        .collect()
}

/// A device, its queue and what the kernels need of it, built once and
/// shared. Pipelines and resident tables are cached inside.
pub struct GpuContext {
    /// The adapter's report.
    pub adapter: AdapterReport,
    /// The device.
    pub device: wgpu::Device,
    /// Its queue.
    pub queue: wgpu::Queue,
    /// The limits the device was created with (the adapter's own).
    pub limits: wgpu::Limits,
    /// Whether the device is a real GPU rather than a CPU implementation.
    pub is_hardware: bool,
    /// The multiplication variant the field code uses.
    pub mul_variant: MulVariant,
    lost: Arc<AtomicBool>,
    ntt_cache: Mutex<ntt::NttCache>,
    msm_kernels: OnceLock<Result<Arc<msm::Kernels>>>,
    msm_precompute: OnceLock<Result<Arc<wgpu::ComputePipeline>>>,
}

impl std::fmt::Debug for GpuContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GpuContext").field("adapter", &self.adapter.name).finish()
    }
}

impl GpuContext {
    /// Opens the selected adapter (see the module docs).
    pub fn new(index: Option<usize>) -> Result<Arc<Self>> {
        if injected_fault().as_deref() == Some("no-adapter") {
            return Err(Error::NoAdapter(format!("injected by {FAULT_ENV}")));
        }
        let list = adapters();
        let index = match index.or_else(|| std::env::var(DEVICE_ENV).ok()?.parse().ok()) {
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
        let report = list_adapters().swap_remove(index);
        let features = adapter.features();
        let limits = adapter.limits();
        if limits.max_compute_workgroup_storage_size < 16 * 1024
            || limits.max_compute_invocations_per_workgroup < 256
        {
            return Err(Error::MissingFeature(format!(
                "{} offers {} bytes of workgroup memory and {} invocations; the kernels need 16 KiB and 256",
                report.name,
                limits.max_compute_workgroup_storage_size,
                limits.max_compute_invocations_per_workgroup
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
            required_limits: limits.clone(),
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
            ntt_cache: Mutex::new(ntt::NttCache::default()),
            msm_kernels: OnceLock::new(),
            msm_precompute: OnceLock::new(),
        }))
    }

    /// The process-wide context, opened on first use.
    pub fn shared() -> Result<Arc<Self>> {
        if injected_fault().as_deref() == Some("no-adapter") {
            return Err(Error::NoAdapter(format!("injected by {FAULT_ENV}")));
        }
        static SHARED: OnceLock<std::result::Result<Arc<GpuContext>, Error>> = OnceLock::new();
        SHARED.get_or_init(|| Self::new(None)).clone()
    }

    /// Compiles a WGSL module, reporting compilation errors as
    /// [`Error::ShaderCompile`] instead of a panic.
    pub fn compile(&self, label: &str, source: &str) -> Result<wgpu::ShaderModule> {
        let scope = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let module = self.device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some(label),
            source: wgpu::ShaderSource::Wgsl(source.into()),
        });
        if let Some(e) = pollster::block_on(scope.pop()) {
            return Err(Error::ShaderCompile(format!("{label}: {e}")));
        }
        Ok(module)
    }

    /// A compute pipeline for `entry` of `module`, with an automatic layout.
    pub fn pipeline(
        &self,
        module: &wgpu::ShaderModule,
        entry: &str,
    ) -> Result<wgpu::ComputePipeline> {
        let scope = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let pipeline = self.device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
            label: Some(entry),
            layout: None,
            module,
            entry_point: Some(entry),
            compilation_options: Default::default(),
            cache: None,
        });
        if let Some(e) = pollster::block_on(scope.pop()) {
            return Err(Error::ShaderCompile(format!("{entry}: {e}")));
        }
        Ok(pipeline)
    }

    /// A storage buffer holding `bytes`, or [`Error::OutOfMemory`].
    pub fn upload(&self, label: &str, bytes: &[u8]) -> Result<wgpu::Buffer> {
        self.check_binding(label, bytes.len() as u64)?;
        let scope = self.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let buffer = self.device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some(label),
            contents: bytes,
            usage: wgpu::BufferUsages::STORAGE
                | wgpu::BufferUsages::COPY_SRC
                | wgpu::BufferUsages::COPY_DST,
        });
        if let Some(e) = pollster::block_on(scope.pop()) {
            return Err(Error::OutOfMemory(format!("{label}: {e}")));
        }
        Ok(buffer)
    }

    /// An uninitialised storage buffer of `size` bytes.
    pub fn storage(&self, label: &str, size: u64) -> Result<wgpu::Buffer> {
        self.check_binding(label, size)?;
        let scope = self.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let buffer = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some(label),
            size,
            usage: wgpu::BufferUsages::STORAGE
                | wgpu::BufferUsages::COPY_SRC
                | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        if let Some(e) = pollster::block_on(scope.pop()) {
            return Err(Error::OutOfMemory(format!("{label}: {e}")));
        }
        Ok(buffer)
    }

    fn check_binding(&self, label: &str, size: u64) -> Result<()> {
        let max = self.limits.max_storage_buffer_binding_size.min(self.limits.max_buffer_size);
        if size > max {
            return Err(Error::BindingTooLarge { what: label.to_string(), size, max });
        }
        Ok(())
    }

    /// Binds `buffers` to bindings 0, 1, ... of `pipeline`'s group 0 (in
    /// order), runs one dispatch of `groups` workgroups and waits for it.
    pub fn dispatch_once(
        &self,
        pipeline: &wgpu::ComputePipeline,
        buffers: &[&wgpu::Buffer],
        groups: (u32, u32),
    ) -> Result<()> {
        let entries: Vec<wgpu::BindGroupEntry<'_>> = buffers
            .iter()
            .enumerate()
            .map(|(i, b)| wgpu::BindGroupEntry {
                binding: i as u32,
                resource: b.as_entire_binding(),
            })
            .collect();
        let bind = self.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: None,
            layout: &pipeline.get_bind_group_layout(0),
            entries: &entries,
        });
        let mut encoder = self.device.create_command_encoder(&Default::default());
        {
            let mut pass = encoder.begin_compute_pass(&Default::default());
            pass.set_pipeline(pipeline);
            pass.set_bind_group(0, &bind, &[]);
            pass.dispatch_workgroups(groups.0, groups.1, 1);
        }
        self.submit(encoder)
    }

    /// A uniform buffer holding `words`.
    pub fn uniform(&self, label: &str, words: &[u32]) -> wgpu::Buffer {
        self.device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some(label),
            contents: bytemuck::cast_slice(words),
            usage: wgpu::BufferUsages::UNIFORM,
        })
    }

    /// Copies `size` bytes of `buffer` back to the host.
    pub fn download(&self, buffer: &wgpu::Buffer, size: u64) -> Result<Vec<u8>> {
        let staging = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("readback"),
            size,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let mut encoder = self.device.create_command_encoder(&Default::default());
        encoder.copy_buffer_to_buffer(buffer, 0, &staging, 0, size);
        self.submit(encoder)?;
        let slice = staging.slice(..);
        let (tx, rx) = std::sync::mpsc::channel();
        slice.map_async(wgpu::MapMode::Read, move |r| {
            let _ = tx.send(r);
        });
        self.wait()?;
        match rx.recv() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(Error::DeviceLost(format!("readback failed: {e}"))),
            Err(_) => return Err(Error::DeviceLost("readback never completed".into())),
        }
        let view =
            slice.get_mapped_range().map_err(|e| Error::DeviceLost(format!("readback: {e}")))?;
        let bytes = view.to_vec();
        drop(view);
        staging.unmap();
        Ok(bytes)
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

    fn wait(&self) -> Result<()> {
        self.device
            .poll(wgpu::PollType::wait_indefinitely())
            .map_err(|e| Error::DeviceLost(e.to_string()))?;
        if self.lost.load(Ordering::SeqCst) {
            return Err(Error::DeviceLost("the device was lost".into()));
        }
        Ok(())
    }
}

/// For tests: the shared context, or `None` with a printed reason; panics
/// (fails the test) when `STATEPROOF_REQUIRE_GPU=1` and there is none.
pub fn context_for_tests() -> Option<Arc<GpuContext>> {
    match GpuContext::shared() {
        Ok(ctx) => Some(ctx),
        Err(e) => {
            if std::env::var(REQUIRE_GPU_ENV).is_ok_and(|v| v == "1") {
                panic!("{REQUIRE_GPU_ENV}=1 but no GPU context: {e}");
            }
            eprintln!("skipping GPU test: {e} (set {REQUIRE_GPU_ENV}=1 to make this fail)");
            None
        }
    }
}

#[cfg(test)]
mod tests;
