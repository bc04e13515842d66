//! The NTT on the GPU: [`GpuNtt`] implements [`NttBackend`], and overrides
//! [`NttBackend::quotient`] to run all seven transforms of a Groth16 witness
//! map on three device-resident vectors, with one upload and one download.

use super::field::field_wgsl;
use super::GpuContext;
use crate::{Error, NttBackend, NttKind, Result};
use ark_bn254::Fr;
use ark_ff::{BigInt, FftField, Field};
use ark_poly::{EvaluationDomain, Radix2EvaluationDomain};
use std::collections::HashMap;
use std::sync::Arc;

const NTT_WGSL: &str = include_str!("wgsl/ntt.wgsl");
/// Threads per workgroup in every NTT kernel (ntt.wgsl's WG).
const WG: u32 = 256;
/// Largest block the workgroup-memory kernel transforms: 512 elements of
/// 32 bytes is 16 KiB, within every adapter's 16 KiB minimum.
const LOG_BLOCK: u32 = 9;
/// Bytes of one field element.
const FE_BYTES: u64 = 32;
/// The most workgroups a dispatch dimension takes (WebGPU's minimum limit).
const MAX_GROUPS_X: u32 = 65_535;

/// Pipelines and resident tables, built on first use and kept.
#[derive(Default)]
pub(crate) struct NttCache {
    kernels: Option<Arc<Kernels>>,
    /// Twiddles ω^t (t < n/2) for (log n, inverse).
    twiddles: HashMap<(u32, bool), Arc<wgpu::Buffer>>,
    /// Power tables for (log n, kind).
    powers: HashMap<(u32, NttKind), Arc<(wgpu::Buffer, u32)>>,
}

struct Kernels {
    layout: wgpu::BindGroupLayout,
    bit_reverse: wgpu::ComputePipeline,
    stages_local: wgpu::ComputePipeline,
    stage_global: wgpu::ComputePipeline,
    mul_powers: wgpu::ComputePipeline,
    quotient_combine: wgpu::ComputePipeline,
    /// One-element buffers bound where a kernel uses no aux vector or
    /// constant (two: a buffer may not be bound read-write and read-only in
    /// one dispatch).
    dummy_rw: wgpu::Buffer,
    dummy_ro: wgpu::Buffer,
}

/// The GPU NTT backend.
#[derive(Clone, Debug)]
pub struct GpuNtt {
    ctx: Arc<GpuContext>,
}

#[repr(C)]
#[derive(Clone, Copy, Default, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    n: u32,
    log_n: u32,
    stage: u32,
    local_stages: u32,
    log_l: u32,
    threads: u32,
}

/// Field elements to their Montgomery limbs as bytes (what the kernels read).
pub(crate) fn to_bytes(values: &[Fr]) -> Vec<u8> {
    let mut out = Vec::with_capacity(values.len() * FE_BYTES as usize);
    for v in values {
        for limb in v.0 .0 {
            out.extend_from_slice(&limb.to_le_bytes());
        }
    }
    out
}

/// The inverse of [`to_bytes`]. Limbs come from the device unchecked; the
/// prover's self-check catches a device that returns garbage.
pub(crate) fn from_bytes(bytes: &[u8], out: &mut [Fr]) {
    for (v, chunk) in out.iter_mut().zip(bytes.chunks_exact(FE_BYTES as usize)) {
        let mut limbs = [0u64; 4];
        for (l, b) in limbs.iter_mut().zip(chunk.chunks_exact(8)) {
            *l = u64::from_le_bytes(b.try_into().expect("8-byte chunk"));
        }
        *v = Fr::new_unchecked(BigInt(limbs));
    }
}

fn bgl_entry(
    binding: u32,
    ty: wgpu::BufferBindingType,
    dynamic: bool,
) -> wgpu::BindGroupLayoutEntry {
    wgpu::BindGroupLayoutEntry {
        binding,
        visibility: wgpu::ShaderStages::COMPUTE,
        ty: wgpu::BindingType::Buffer { ty, has_dynamic_offset: dynamic, min_binding_size: None },
        count: None,
    }
}

impl Kernels {
    fn build(ctx: &GpuContext) -> Result<Self> {
        let field = field_wgsl::<Fr>("BN254 Fr", ctx.mul_variant).map_err(Error::ShaderCompile)?;
        let ntt = super::field::substitute(NTT_WGSL, &[("FIELD", "BN254 Fr".into())])
            .map_err(Error::ShaderCompile)?;
        let module = ctx.compile("ntt", &format!("{field}\n{ntt}"))?;
        let storage = |read_only| wgpu::BufferBindingType::Storage { read_only };
        let layout = ctx.device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("ntt"),
            entries: &[
                bgl_entry(0, storage(false), false),
                bgl_entry(1, storage(false), false),
                bgl_entry(2, storage(true), false),
                bgl_entry(3, storage(true), false),
                bgl_entry(4, wgpu::BufferBindingType::Uniform, true),
            ],
        });
        let pipeline_layout = ctx.device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("ntt"),
            bind_group_layouts: &[Some(&layout)],
            immediate_size: 0,
        });
        let pipeline = |entry: &str| -> Result<wgpu::ComputePipeline> {
            let scope = ctx.device.push_error_scope(wgpu::ErrorFilter::Validation);
            let p = ctx.device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some(entry),
                layout: Some(&pipeline_layout),
                module: &module,
                entry_point: Some(entry),
                compilation_options: Default::default(),
                cache: None,
            });
            match pollster::block_on(scope.pop()) {
                Some(e) => Err(Error::ShaderCompile(format!("{entry}: {e}"))),
                None => Ok(p),
            }
        };
        Ok(Self {
            bit_reverse: pipeline("bit_reverse")?,
            stages_local: pipeline("stages_local")?,
            stage_global: pipeline("stage_global")?,
            mul_powers: pipeline("mul_powers")?,
            quotient_combine: pipeline("quotient_combine")?,
            dummy_rw: ctx.upload("dummy aux", &[0u8; FE_BYTES as usize])?,
            dummy_ro: ctx.upload("dummy consts", &[0u8; FE_BYTES as usize])?,
            layout,
        })
    }
}

/// Powers `c·g^i` for `i < n` as two tables: `lo[j] = g^j` (`j < L`) and
/// `hi[k] = c·g^(kL)` (`k < n/L`), with `L = 2^⌈log n / 2⌉`.
fn power_tables(n: usize, g: Fr, c: Fr) -> (Vec<Fr>, u32) {
    let log_n = n.trailing_zeros();
    let log_l = log_n.div_ceil(2);
    let l = 1usize << log_l;
    let mut table = Vec::with_capacity(l + n / l);
    let mut x = Fr::ONE;
    for _ in 0..l {
        table.push(x);
        x *= g;
    }
    let g_l = x;
    let mut y = c;
    for _ in 0..(n / l).max(1) {
        table.push(y);
        y *= g_l;
    }
    (table, log_l)
}

impl GpuNtt {
    /// The NTT backend on `ctx`.
    pub fn new(ctx: Arc<GpuContext>) -> Self {
        Self { ctx }
    }

    /// The context.
    pub fn context(&self) -> &Arc<GpuContext> {
        &self.ctx
    }

    fn kernels(&self) -> Result<Arc<Kernels>> {
        let mut cache =
            self.ctx.ntt_cache.lock().map_err(|_| Error::DeviceLost("poisoned".into()))?;
        if let Some(k) = &cache.kernels {
            return Ok(k.clone());
        }
        let k = Arc::new(Kernels::build(&self.ctx)?);
        cache.kernels = Some(k.clone());
        Ok(k)
    }

    fn twiddles(&self, log_n: u32, inverse: bool) -> Result<Arc<wgpu::Buffer>> {
        let mut cache =
            self.ctx.ntt_cache.lock().map_err(|_| Error::DeviceLost("poisoned".into()))?;
        if let Some(b) = cache.twiddles.get(&(log_n, inverse)) {
            return Ok(b.clone());
        }
        let n = 1usize << log_n;
        let domain =
            Radix2EvaluationDomain::<Fr>::new(n).ok_or(Error::UnsupportedSize { len: n })?;
        let w = if inverse { domain.group_gen_inv } else { domain.group_gen };
        let mut tw = Vec::with_capacity((n / 2).max(1));
        let mut x = Fr::ONE;
        for _ in 0..(n / 2).max(1) {
            tw.push(x);
            x *= w;
        }
        let buffer = Arc::new(self.ctx.upload("twiddles", &to_bytes(&tw))?);
        cache.twiddles.insert((log_n, inverse), buffer.clone());
        Ok(buffer)
    }

    /// The table a `mul_powers` dispatch needs before (coset forward) or
    /// after (inverse, coset inverse) the butterflies, if any.
    fn powers(&self, log_n: u32, kind: NttKind) -> Result<Option<Arc<(wgpu::Buffer, u32)>>> {
        let n = 1usize << log_n;
        let n_inv = || Fr::from(n as u64).inverse().ok_or(Error::UnsupportedSize { len: n });
        let (g, c) = match kind {
            NttKind::Forward => return Ok(None),
            NttKind::Inverse => (Fr::ONE, n_inv()?),
            NttKind::CosetForward => (Fr::GENERATOR, Fr::ONE),
            NttKind::CosetInverse => {
                (Fr::GENERATOR.inverse().ok_or(Error::UnsupportedSize { len: n })?, n_inv()?)
            }
        };
        let mut cache =
            self.ctx.ntt_cache.lock().map_err(|_| Error::DeviceLost("poisoned".into()))?;
        if let Some(b) = cache.powers.get(&(log_n, kind)) {
            return Ok(Some(b.clone()));
        }
        let (table, log_l) = power_tables(n, g, c);
        let entry = Arc::new((self.ctx.upload("powers", &to_bytes(&table))?, log_l));
        cache.powers.insert((log_n, kind), entry.clone());
        Ok(Some(entry))
    }

    fn check_size(&self, n: usize) -> Result<()> {
        let bytes = n as u64 * FE_BYTES;
        let max =
            self.ctx.limits.max_storage_buffer_binding_size.min(self.ctx.limits.max_buffer_size);
        if bytes > max {
            return Err(Error::BindingTooLarge {
                what: format!("NTT of 2^{}", n.trailing_zeros()),
                size: bytes,
                max,
            });
        }
        Ok(())
    }

    /// Records the dispatches of one transform of `data` (n elements).
    fn encode_ntt(
        &self,
        plan: &mut Plan<'_>,
        data: &wgpu::Buffer,
        n: usize,
        kind: NttKind,
    ) -> Result<()> {
        let log_n = n.trailing_zeros();
        let inverse = matches!(kind, NttKind::Inverse | NttKind::CosetInverse);
        let powers = self.powers(log_n, kind)?;
        if kind == NttKind::CosetForward {
            if let Some(p) = &powers {
                plan.mul_powers(data, &p.0, p.1, n);
            }
        }
        if n > 1 {
            let twiddles = self.twiddles(log_n, inverse)?;
            plan.dispatch(
                Kernel::BitReverse,
                data,
                None,
                &twiddles,
                None,
                n as u32,
                Params { n: n as u32, log_n, ..Default::default() },
            );
            let local = log_n.min(LOG_BLOCK);
            plan.dispatch_groups(
                Kernel::StagesLocal,
                data,
                &twiddles,
                (n >> local) as u32,
                Params { n: n as u32, log_n, local_stages: local, ..Default::default() },
            );
            for stage in local..log_n {
                plan.dispatch(
                    Kernel::StageGlobal,
                    data,
                    None,
                    &twiddles,
                    None,
                    (n / 2) as u32,
                    Params { n: n as u32, log_n, stage, ..Default::default() },
                );
            }
        }
        if inverse {
            if let Some(p) = &powers {
                plan.mul_powers(data, &p.0, p.1, n);
            }
        }
        Ok(())
    }

    fn upload_values(&self, label: &str, values: &[Fr]) -> Result<wgpu::Buffer> {
        self.ctx.upload(label, &to_bytes(values))
    }
}

#[derive(Clone, Copy)]
enum Kernel {
    BitReverse,
    StagesLocal,
    StageGlobal,
    MulPowers,
    QuotientCombine,
}

/// Dispatches recorded for one submission: bind groups, groups and params;
/// the params go into one uniform buffer read at dynamic offsets.
struct Plan<'a> {
    ctx: &'a GpuContext,
    kernels: &'a Kernels,
    steps: Vec<(Kernel, wgpu::BindGroup, (u32, u32))>,
    params: Vec<Params>,
    uniform: Option<wgpu::Buffer>,
    stride: u64,
    pending: Vec<(Kernel, [wgpu::Buffer; 4], (u32, u32))>,
}

impl<'a> Plan<'a> {
    fn new(ctx: &'a GpuContext, kernels: &'a Kernels) -> Self {
        let stride = (ctx.limits.min_uniform_buffer_offset_alignment as u64)
            .max(std::mem::size_of::<Params>() as u64);
        Self {
            ctx,
            kernels,
            steps: Vec::new(),
            params: Vec::new(),
            uniform: None,
            stride,
            pending: Vec::new(),
        }
    }

    /// Workgroups for `threads` threads, split into x·y under the limit.
    fn groups_for(threads: u32) -> (u32, u32) {
        let groups = threads.div_ceil(WG).max(1);
        if groups <= MAX_GROUPS_X {
            (groups, 1)
        } else {
            (MAX_GROUPS_X, groups.div_ceil(MAX_GROUPS_X))
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn dispatch(
        &mut self,
        kernel: Kernel,
        data: &wgpu::Buffer,
        aux: Option<&wgpu::Buffer>,
        table: &wgpu::Buffer,
        consts: Option<&wgpu::Buffer>,
        threads: u32,
        mut params: Params,
    ) {
        params.threads = threads;
        let buffers = [
            data.clone(),
            aux.unwrap_or(&self.kernels.dummy_rw).clone(),
            table.clone(),
            consts.unwrap_or(&self.kernels.dummy_ro).clone(),
        ];
        self.params.push(params);
        self.pending.push((kernel, buffers, Self::groups_for(threads)));
    }

    fn dispatch_groups(
        &mut self,
        kernel: Kernel,
        data: &wgpu::Buffer,
        table: &wgpu::Buffer,
        groups: u32,
        params: Params,
    ) {
        let buffers = [
            data.clone(),
            self.kernels.dummy_rw.clone(),
            table.clone(),
            self.kernels.dummy_ro.clone(),
        ];
        self.params.push(params);
        let g = if groups <= MAX_GROUPS_X {
            (groups, 1)
        } else {
            (MAX_GROUPS_X, groups.div_ceil(MAX_GROUPS_X))
        };
        self.pending.push((kernel, buffers, g));
    }

    fn mul_powers(&mut self, data: &wgpu::Buffer, table: &wgpu::Buffer, log_l: u32, n: usize) {
        let log_n = n.trailing_zeros();
        self.dispatch(
            Kernel::MulPowers,
            data,
            None,
            table,
            None,
            n as u32,
            Params { n: n as u32, log_n, log_l, ..Default::default() },
        );
    }

    /// Encodes every recorded dispatch into one compute pass and submits.
    fn run(mut self) -> Result<()> {
        let mut bytes = vec![0u8; self.stride as usize * self.params.len().max(1)];
        for (i, p) in self.params.iter().enumerate() {
            let at = i * self.stride as usize;
            bytes[at..at + std::mem::size_of::<Params>()].copy_from_slice(bytemuck::bytes_of(p));
        }
        let uniform = wgpu::util::DeviceExt::create_buffer_init(
            &self.ctx.device,
            &wgpu::util::BufferInitDescriptor {
                label: Some("ntt params"),
                contents: &bytes,
                usage: wgpu::BufferUsages::UNIFORM,
            },
        );
        for (kernel, buffers, groups) in std::mem::take(&mut self.pending) {
            let entries: Vec<wgpu::BindGroupEntry<'_>> = buffers
                .iter()
                .enumerate()
                .map(|(i, b)| wgpu::BindGroupEntry {
                    binding: i as u32,
                    resource: b.as_entire_binding(),
                })
                .chain([wgpu::BindGroupEntry {
                    binding: 4,
                    resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                        buffer: &uniform,
                        offset: 0,
                        size: wgpu::BufferSize::new(std::mem::size_of::<Params>() as u64),
                    }),
                }])
                .collect();
            let bind_group = self.ctx.device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: None,
                layout: &self.kernels.layout,
                entries: &entries,
            });
            self.steps.push((kernel, bind_group, groups));
        }
        let mut encoder = self.ctx.device.create_command_encoder(&Default::default());
        {
            let mut pass = encoder.begin_compute_pass(&Default::default());
            for (i, (kernel, bind_group, (x, y))) in self.steps.iter().enumerate() {
                let pipeline = match kernel {
                    Kernel::BitReverse => &self.kernels.bit_reverse,
                    Kernel::StagesLocal => &self.kernels.stages_local,
                    Kernel::StageGlobal => &self.kernels.stage_global,
                    Kernel::MulPowers => &self.kernels.mul_powers,
                    Kernel::QuotientCombine => &self.kernels.quotient_combine,
                };
                pass.set_pipeline(pipeline);
                pass.set_bind_group(0, bind_group, &[(i as u64 * self.stride) as u32]);
                pass.dispatch_workgroups(*x, *y, 1);
            }
        }
        self.uniform = Some(uniform);
        self.ctx.submit(encoder)
    }
}

impl NttBackend for GpuNtt {
    fn name(&self) -> &'static str {
        "gpu"
    }

    fn ntt_unchecked(&self, values: &mut [Fr], kind: NttKind) -> Result<()> {
        let n = values.len();
        self.check_size(n)?;
        let kernels = self.kernels()?;
        let data = self.upload_values("ntt data", values)?;
        let mut plan = Plan::new(&self.ctx, &kernels);
        self.encode_ntt(&mut plan, &data, n, kind)?;
        plan.run()?;
        from_bytes(&self.ctx.download(&data, n as u64 * FE_BYTES)?, values);
        Ok(())
    }

    fn quotient(&self, a: Vec<Fr>, b: Vec<Fr>, c: Vec<Fr>) -> Result<Vec<Fr>> {
        self.quotient_ref(&a, &b, &c)
    }
}

impl GpuNtt {
    /// [`NttBackend::quotient`] on borrowed inputs, so a caller can fall
    /// back to the CPU with them when the device fails.
    pub fn quotient_ref(&self, a: &[Fr], b: &[Fr], c: &[Fr]) -> Result<Vec<Fr>> {
        let n = a.len();
        crate::check_ntt_len(n)?;
        if b.len() != n || c.len() != n {
            return Err(Error::QuotientShape { a: n, b: b.len(), c: c.len() });
        }
        self.check_size(n)?;
        let kernels = self.kernels()?;
        let bufs =
            [self.upload_values("a", a)?, self.upload_values("b", b)?, self.upload_values("c", c)?];
        let z_inv = (Fr::GENERATOR.pow([n as u64]) - Fr::ONE)
            .inverse()
            .ok_or(Error::UnsupportedSize { len: n })?;
        let consts = self.ctx.upload("z_inv", &to_bytes(&[z_inv]))?;
        let mut plan = Plan::new(&self.ctx, &kernels);
        for buf in &bufs {
            self.encode_ntt(&mut plan, buf, n, NttKind::Inverse)?;
            self.encode_ntt(&mut plan, buf, n, NttKind::CosetForward)?;
        }
        plan.dispatch(
            Kernel::QuotientCombine,
            &bufs[0],
            Some(&bufs[1]),
            &bufs[2],
            Some(&consts),
            n as u32,
            Params { n: n as u32, log_n: n.trailing_zeros(), ..Default::default() },
        );
        self.encode_ntt(&mut plan, &bufs[0], n, NttKind::CosetInverse)?;
        plan.run()?;
        let mut h = vec![<Fr as ark_ff::AdditiveGroup>::ZERO; n];
        from_bytes(&self.ctx.download(&bufs[0], n as u64 * FE_BYTES)?, &mut h);
        Ok(h)
    }
}
