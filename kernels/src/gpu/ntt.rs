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
/// Tiles of the coalesced bit-reversal are 2^TILE_BITS × 2^TILE_BITS
/// (ntt.wgsl's TILE_BITS): 256 elements, one per thread.
const TILE_BITS: u32 = 4;
/// Bytes of one field element.
const FE_BYTES: u64 = 32;
/// The most workgroups a dispatch dimension takes (WebGPU's minimum limit).
pub(crate) const MAX_GROUPS_X: u32 = 65_535;

/// Pipelines and resident tables, built on first use and kept.
#[derive(Default)]
pub(crate) struct NttCache {
    /// Pipelines per (chunks per vector, log of chunk length).
    kernels: HashMap<(usize, u32), Arc<Kernels>>,
    /// Twiddles ω^t (t < n/2) for (log n, inverse, log chunk).
    twiddles: HashMap<(u32, bool, u32), Arc<DeviceVec>>,
    /// Power tables for (log n, kind, log chunk), with their log L.
    powers: HashMap<(u32, NttKind, u32), Arc<(DeviceVec, u32)>>,
}

/// A vector of field elements on the device, in chunks of at most
/// 2^log_chunk elements, one buffer (and one binding) each.
pub(crate) struct DeviceVec {
    chunks: Vec<wgpu::Buffer>,
    len: usize,
}

impl DeviceVec {
    fn upload(ctx: &GpuContext, label: &str, values: &[Fr], log_chunk: u32) -> Result<Self> {
        let chunks = values
            .chunks(1 << log_chunk)
            .map(|c| ctx.upload(label, &to_bytes(c)))
            .collect::<Result<Vec<_>>>()?;
        Ok(Self { chunks, len: values.len() })
    }

    fn download(&self, ctx: &GpuContext, out: &mut [Fr], log_chunk: u32) -> Result<()> {
        for (buffer, part) in self.chunks.iter().zip(out.chunks_mut(1 << log_chunk)) {
            from_bytes(&ctx.download(buffer, part.len() as u64 * FE_BYTES)?, part);
        }
        Ok(())
    }
}

struct Kernels {
    /// Chunks per vector: bindings per vector in every kernel.
    chunks: usize,
    layout: wgpu::BindGroupLayout,
    bit_reverse: wgpu::ComputePipeline,
    bit_reverse_tiled: wgpu::ComputePipeline,
    stages_block: wgpu::ComputePipeline,
    mul_powers: wgpu::ComputePipeline,
    quotient_combine: wgpu::ComputePipeline,
    /// One-element buffers bound where a kernel uses no aux vector, no
    /// table chunk or no constant (distinct buffers: one buffer may not be
    /// bound read-write and read-only in one dispatch).
    dummy_rw: Vec<wgpu::Buffer>,
    dummy_ro: Vec<wgpu::Buffer>,
}

/// The GPU NTT backend.
#[derive(Clone, Debug)]
pub struct GpuNtt {
    ctx: Arc<GpuContext>,
    log_chunk: u32,
    max_groups_x: u32,
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
    log_groups: u32,
    pad: u32,
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

/// WGSL bindings and `load_*`/`store_*` functions for `data`, `aux` (both
/// read-write) and `table` (read-only), each split into `chunks` bindings of
/// 2^log_chunk elements.
fn accessors(chunks: usize, log_chunk: u32) -> String {
    let mut out = String::new();
    for (v, (name, access)) in
        [("data", "read_write"), ("aux", "read_write"), ("table", "read")].iter().enumerate()
    {
        for c in 0..chunks {
            out += &format!(
                "@group(0) @binding({}) var<storage, {access}> {name}{c}: array<Fe>;\n",
                v * chunks + c
            );
        }
        let cases = |body: &dyn Fn(usize) -> String| -> String {
            if chunks == 1 {
                return body(0);
            }
            let mut sw = format!("    switch (i >> {log_chunk}u) {{\n");
            for c in 0..chunks {
                let label =
                    if c + 1 == chunks { "default".to_string() } else { format!("case {c}u") };
                sw += &format!("        {label}: {{ {} }}\n", body(c));
            }
            sw + "    }\n"
        };
        let mask = if chunks == 1 {
            "i".to_string()
        } else {
            format!("(i & {}u)", (1u64 << log_chunk) - 1)
        };
        out += &format!(
            "fn load_{name}(i: u32) -> Fe {{\n{}}}\n",
            cases(&|c| format!("return {name}{c}[{mask}];"))
        );
        if *access == "read_write" {
            out += &format!(
                "fn store_{name}(i: u32, v: Fe) {{\n{}}}\n",
                cases(&|c| format!("{name}{c}[{mask}] = v;"))
            );
        }
    }
    out
}

impl Kernels {
    fn build(ctx: &GpuContext, chunks: usize, log_chunk: u32) -> Result<Self> {
        let field = field_wgsl::<Fr>("BN254 Fr", ctx.mul_variant).map_err(Error::ShaderCompile)?;
        let ntt = super::field::substitute(
            NTT_WGSL,
            &[
                ("FIELD", "BN254 Fr".into()),
                ("ACCESSORS", accessors(chunks, log_chunk)),
                ("CONSTS_BINDING", (3 * chunks).to_string()),
                ("PARAMS_BINDING", (3 * chunks + 1).to_string()),
            ],
        )
        .map_err(Error::ShaderCompile)?;
        let module = ctx.compile("ntt", &format!("{field}\n{ntt}"))?;
        let storage = |read_only| wgpu::BufferBindingType::Storage { read_only };
        let mut entries: Vec<_> = (0..3 * chunks as u32)
            .map(|b| bgl_entry(b, storage(b >= 2 * chunks as u32), false))
            .collect();
        entries.push(bgl_entry(3 * chunks as u32, storage(true), false));
        entries.push(bgl_entry(3 * chunks as u32 + 1, wgpu::BufferBindingType::Uniform, true));
        let layout = ctx.device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("ntt"),
            entries: &entries,
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
        let dummy = |label| ctx.upload(label, &[0u8; FE_BYTES as usize]);
        Ok(Self {
            chunks,
            bit_reverse: pipeline("bit_reverse")?,
            bit_reverse_tiled: pipeline("bit_reverse_tiled")?,
            stages_block: pipeline("stages_block")?,
            mul_powers: pipeline("mul_powers")?,
            quotient_combine: pipeline("quotient_combine")?,
            dummy_rw: (0..chunks).map(|_| dummy("unused aux")).collect::<Result<_>>()?,
            dummy_ro: (0..=chunks).map(|_| dummy("unused table")).collect::<Result<_>>()?,
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
    /// The NTT backend on `ctx`, splitting vectors at the adapter's largest
    /// storage binding.
    pub fn new(ctx: Arc<GpuContext>) -> Self {
        let max = ctx.limits.max_storage_buffer_binding_size.min(ctx.limits.max_buffer_size);
        // Elements per binding: a power of two, at most 2^27 so indices stay
        // far inside u32.
        let log_chunk = (max / FE_BYTES).max(1).ilog2().min(27);
        Self { ctx, log_chunk, max_groups_x: MAX_GROUPS_X }
    }

    /// The same backend with at most `max` workgroups per grid dimension,
    /// so tests can exercise two-dimensional grids at small sizes.
    pub fn with_max_groups_x(mut self, max: u32) -> Self {
        self.max_groups_x = max.clamp(1, MAX_GROUPS_X);
        self
    }

    /// The same backend with vectors split every 2^log_chunk elements,
    /// whatever the adapter allows: lets tests exercise the multi-binding
    /// path at small sizes.
    pub fn with_chunk_log(ctx: Arc<GpuContext>, log_chunk: u32) -> Self {
        let mut ntt = Self::new(ctx);
        ntt.log_chunk = log_chunk.min(ntt.log_chunk);
        ntt
    }

    /// The context.
    pub fn context(&self) -> &Arc<GpuContext> {
        &self.ctx
    }

    fn cache(&self) -> Result<std::sync::MutexGuard<'_, NttCache>> {
        self.ctx.ntt_cache.lock().map_err(|_| Error::DeviceLost("NTT cache poisoned".into()))
    }

    /// Chunks per vector for an NTT of `n`, checked against the bindings
    /// the adapter allows per shader stage (3 vectors, a constant, params).
    fn chunks_for(&self, n: usize) -> Result<usize> {
        let chunks = n.div_ceil(1 << self.log_chunk).max(1);
        let max_bindings = self.ctx.limits.max_storage_buffers_per_shader_stage as usize;
        if 3 * chunks + 1 > max_bindings {
            return Err(Error::BindingTooLarge {
                what: format!("NTT of 2^{} ({chunks} bindings per vector)", n.trailing_zeros()),
                size: n as u64 * FE_BYTES,
                max: ((max_bindings - 1) / 3) as u64 * (FE_BYTES << self.log_chunk),
            });
        }
        Ok(chunks)
    }

    fn kernels(&self, chunks: usize) -> Result<Arc<Kernels>> {
        if let Some(k) = self.cache()?.kernels.get(&(chunks, self.log_chunk)) {
            return Ok(k.clone());
        }
        let k = Arc::new(Kernels::build(&self.ctx, chunks, self.log_chunk)?);
        self.cache()?.kernels.insert((chunks, self.log_chunk), k.clone());
        Ok(k)
    }

    fn twiddles(&self, log_n: u32, inverse: bool) -> Result<Arc<DeviceVec>> {
        let key = (log_n, inverse, self.log_chunk);
        if let Some(b) = self.cache()?.twiddles.get(&key) {
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
        let v = Arc::new(DeviceVec::upload(&self.ctx, "twiddles", &tw, self.log_chunk)?);
        self.cache()?.twiddles.insert(key, v.clone());
        Ok(v)
    }

    /// The table a `mul_powers` dispatch needs before (coset forward) or
    /// after (inverse, coset inverse) the butterflies, if any.
    fn powers(&self, log_n: u32, kind: NttKind) -> Result<Option<Arc<(DeviceVec, u32)>>> {
        let n = 1usize << log_n;
        let n_inv = || Fr::from(n as u64).inverse().ok_or(Error::UnsupportedSize { len: n });
        let (g, c) = match kind {
            NttKind::Forward => return Ok(None),
            NttKind::Inverse => (Fr::ONE, n_inv()?),
            NttKind::CosetForward => (Fr::GENERATOR, Fr::ONE),
            NttKind::OddCosetForward => (crate::odd_coset_shift(n)?, Fr::ONE),
            NttKind::CosetInverse => {
                (Fr::GENERATOR.inverse().ok_or(Error::UnsupportedSize { len: n })?, n_inv()?)
            }
        };
        let key = (log_n, kind, self.log_chunk);
        if let Some(b) = self.cache()?.powers.get(&key) {
            return Ok(Some(b.clone()));
        }
        let (table, log_l) = power_tables(n, g, c);
        let entry =
            Arc::new((DeviceVec::upload(&self.ctx, "powers", &table, self.log_chunk)?, log_l));
        self.cache()?.powers.insert(key, entry.clone());
        Ok(Some(entry))
    }

    /// Records the dispatches of one transform of `data` (n elements).
    fn encode_ntt(&self, plan: &mut Plan<'_>, data: &DeviceVec, kind: NttKind) -> Result<()> {
        let n = data.len;
        let log_n = n.trailing_zeros();
        let inverse = matches!(kind, NttKind::Inverse | NttKind::CosetInverse);
        let powers = self.powers(log_n, kind)?;
        let p = |log_l| Params { n: n as u32, log_n, log_l, ..Default::default() };
        if let (NttKind::CosetForward | NttKind::OddCosetForward, Some(pw)) = (kind, &powers) {
            plan.dispatch(Kernel::MulPowers, data, None, Some(&pw.0), None, n, p(pw.1));
        }
        if n > 1 {
            let twiddles = self.twiddles(log_n, inverse)?;
            if log_n >= 2 * TILE_BITS {
                let tiles = n >> (2 * TILE_BITS);
                plan.dispatch_grid(Kernel::BitReverseTiled, data, &twiddles, tiles, p(0));
            } else {
                plan.dispatch(Kernel::BitReverse, data, None, Some(&twiddles), None, n, p(0));
            }
            // Spread the stages evenly over as few passes as blocks of 512
            // allow (2^20: 7 + 7 + 6), each workgroup holding 512 elements.
            let passes = log_n.div_ceil(LOG_BLOCK);
            let mut stage = 0;
            for pass in 0..passes {
                let local = (log_n - stage).div_ceil(passes - pass);
                let log_groups = LOG_BLOCK.min(log_n) - local;
                let workgroups = n >> (local + log_groups);
                let params = Params { stage, local_stages: local, log_groups, ..p(0) };
                plan.dispatch_grid(Kernel::StagesBlock, data, &twiddles, workgroups, params);
                stage += local;
            }
        }
        if let (true, Some(pw)) = (inverse, &powers) {
            plan.dispatch(Kernel::MulPowers, data, None, Some(&pw.0), None, n, p(pw.1));
        }
        Ok(())
    }
}

#[derive(Clone, Copy)]
enum Kernel {
    BitReverse,
    BitReverseTiled,
    StagesBlock,
    MulPowers,
    QuotientCombine,
}

/// Dispatches recorded for one submission; their params go into one uniform
/// buffer read at dynamic offsets.
struct Plan<'a> {
    ctx: &'a GpuContext,
    kernels: &'a Kernels,
    params: Vec<Params>,
    stride: u64,
    max_groups_x: u32,
    pending: Vec<(Kernel, Vec<wgpu::Buffer>, (u32, u32))>,
}

/// Workgroups for `groups` groups, split into x·y under the per-dimension
/// limit; x·y may exceed `groups`, and every kernel bounds-checks.
pub(crate) fn grid(groups: usize, max_x: u32) -> (u32, u32) {
    let groups = groups.max(1) as u32;
    if groups <= max_x {
        (groups, 1)
    } else {
        (max_x, groups.div_ceil(max_x))
    }
}

impl<'a> Plan<'a> {
    fn new(ctx: &'a GpuContext, kernels: &'a Kernels, max_groups_x: u32) -> Self {
        let stride = (ctx.limits.min_uniform_buffer_offset_alignment as u64)
            .max(std::mem::size_of::<Params>() as u64);
        Self { ctx, kernels, params: Vec::new(), stride, max_groups_x, pending: Vec::new() }
    }

    /// The buffers for one dispatch, in binding order, dummies where unused.
    fn bindings(
        &self,
        data: &DeviceVec,
        aux: Option<&DeviceVec>,
        table: Option<&DeviceVec>,
        consts: Option<&wgpu::Buffer>,
    ) -> Vec<wgpu::Buffer> {
        let k = self.kernels.chunks;
        let mut out = Vec::with_capacity(3 * k + 1);
        out.extend((0..k).map(|c| data.chunks[c].clone()));
        out.extend((0..k).map(|c| {
            aux.and_then(|a| a.chunks.get(c)).unwrap_or(&self.kernels.dummy_rw[c]).clone()
        }));
        out.extend((0..k).map(|c| {
            table.and_then(|t| t.chunks.get(c)).unwrap_or(&self.kernels.dummy_ro[c]).clone()
        }));
        out.push(consts.unwrap_or(&self.kernels.dummy_ro[k]).clone());
        out
    }

    #[allow(clippy::too_many_arguments)]
    fn dispatch(
        &mut self,
        kernel: Kernel,
        data: &DeviceVec,
        aux: Option<&DeviceVec>,
        table: Option<&DeviceVec>,
        consts: Option<&wgpu::Buffer>,
        threads: usize,
        mut params: Params,
    ) {
        params.threads = threads as u32;
        let buffers = self.bindings(data, aux, table, consts);
        self.params.push(params);
        self.pending.push((
            kernel,
            buffers,
            grid(threads.div_ceil(WG as usize), self.max_groups_x),
        ));
    }

    /// A dispatch of exactly `groups` workgroups (kernels that index by
    /// workgroup, not by thread).
    fn dispatch_grid(
        &mut self,
        kernel: Kernel,
        data: &DeviceVec,
        table: &DeviceVec,
        groups: usize,
        mut params: Params,
    ) {
        params.threads = groups as u32;
        let buffers = self.bindings(data, None, Some(table), None);
        self.params.push(params);
        self.pending.push((kernel, buffers, grid(groups, self.max_groups_x)));
    }

    /// Encodes every recorded dispatch into one compute pass and submits.
    fn run(self) -> Result<()> {
        let psize = std::mem::size_of::<Params>();
        let mut bytes = vec![0u8; self.stride as usize * self.params.len().max(1)];
        for (i, p) in self.params.iter().enumerate() {
            let at = i * self.stride as usize;
            bytes[at..at + psize].copy_from_slice(bytemuck::bytes_of(p));
        }
        let uniform = wgpu::util::DeviceExt::create_buffer_init(
            &self.ctx.device,
            &wgpu::util::BufferInitDescriptor {
                label: Some("ntt params"),
                contents: &bytes,
                usage: wgpu::BufferUsages::UNIFORM,
            },
        );
        let params_binding = 3 * self.kernels.chunks as u32 + 1;
        let steps: Vec<_> = self
            .pending
            .iter()
            .map(|(kernel, buffers, groups)| {
                let mut entries: Vec<wgpu::BindGroupEntry<'_>> = buffers
                    .iter()
                    .enumerate()
                    .map(|(i, b)| wgpu::BindGroupEntry {
                        binding: i as u32,
                        resource: b.as_entire_binding(),
                    })
                    .collect();
                entries.push(wgpu::BindGroupEntry {
                    binding: params_binding,
                    resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                        buffer: &uniform,
                        offset: 0,
                        size: wgpu::BufferSize::new(psize as u64),
                    }),
                });
                let bind_group = self.ctx.device.create_bind_group(&wgpu::BindGroupDescriptor {
                    label: None,
                    layout: &self.kernels.layout,
                    entries: &entries,
                });
                (*kernel, bind_group, *groups)
            })
            .collect();
        let mut encoder = self.ctx.device.create_command_encoder(&Default::default());
        {
            let mut pass = encoder.begin_compute_pass(&Default::default());
            for (i, (kernel, bind_group, (x, y))) in steps.iter().enumerate() {
                pass.set_pipeline(match kernel {
                    Kernel::BitReverse => &self.kernels.bit_reverse,
                    Kernel::BitReverseTiled => &self.kernels.bit_reverse_tiled,
                    Kernel::StagesBlock => &self.kernels.stages_block,
                    Kernel::MulPowers => &self.kernels.mul_powers,
                    Kernel::QuotientCombine => &self.kernels.quotient_combine,
                });
                pass.set_bind_group(0, bind_group, &[(i as u64 * self.stride) as u32]);
                pass.dispatch_workgroups(*x, *y, 1);
            }
        }
        self.ctx.submit(encoder)
    }
}

impl NttBackend for GpuNtt {
    fn name(&self) -> &'static str {
        "gpu"
    }

    fn ntt_unchecked(&self, values: &mut [Fr], kind: NttKind) -> Result<()> {
        if let Some(e) = super::injected_error() {
            return Err(e);
        }
        let n = values.len();
        let kernels = self.kernels(self.chunks_for(n)?)?;
        let data = DeviceVec::upload(&self.ctx, "ntt data", values, self.log_chunk)?;
        let mut plan = Plan::new(&self.ctx, &kernels, self.max_groups_x);
        self.encode_ntt(&mut plan, &data, kind)?;
        plan.run()?;
        data.download(&self.ctx, values, self.log_chunk)?;
        corrupt_if_injected(values);
        Ok(())
    }

    fn quotient(&self, a: Vec<Fr>, b: Vec<Fr>, c: Vec<Fr>) -> Result<Vec<Fr>> {
        self.quotient_ref(&a, &b, &c)
    }

    fn odd_coset_quotient(&self, a: Vec<Fr>, b: Vec<Fr>, c: Vec<Fr>) -> Result<Vec<Fr>> {
        self.odd_coset_quotient_ref(&a, &b, &c)
    }
}

impl GpuNtt {
    /// [`NttBackend::quotient`] on borrowed inputs, so a caller can fall
    /// back to the CPU with them when the device fails.
    pub fn quotient_ref(&self, a: &[Fr], b: &[Fr], c: &[Fr]) -> Result<Vec<Fr>> {
        self.device_quotient(a, b, c, false)
    }

    /// [`NttBackend::odd_coset_quotient`] on borrowed inputs.
    pub fn odd_coset_quotient_ref(&self, a: &[Fr], b: &[Fr], c: &[Fr]) -> Result<Vec<Fr>> {
        self.device_quotient(a, b, c, true)
    }

    /// Both quotients with the three vectors resident: one upload each, one
    /// command buffer for every transform, one download. `odd` selects
    /// snarkjs's variant (odd coset, no division, no final transform).
    fn device_quotient(&self, a: &[Fr], b: &[Fr], c: &[Fr], odd: bool) -> Result<Vec<Fr>> {
        if let Some(e) = super::injected_error() {
            return Err(e);
        }
        let n = crate::check_quotient_shape(a, b, c)?;
        let kernels = self.kernels(self.chunks_for(n)?)?;
        let upload = |label, v| DeviceVec::upload(&self.ctx, label, v, self.log_chunk);
        let vecs = [upload("a", a)?, upload("b", b)?, upload("c", c)?];
        let (coset, z_inv) = if odd {
            (NttKind::OddCosetForward, Fr::ONE)
        } else {
            (NttKind::CosetForward, crate::coset_vanishing_inverse(n)?)
        };
        let consts = self.ctx.upload("z_inv", &to_bytes(&[z_inv]))?;
        let mut plan = Plan::new(&self.ctx, &kernels, self.max_groups_x);
        for v in &vecs {
            self.encode_ntt(&mut plan, v, NttKind::Inverse)?;
            self.encode_ntt(&mut plan, v, coset)?;
        }
        let params = Params { n: n as u32, log_n: n.trailing_zeros(), ..Default::default() };
        plan.dispatch(
            Kernel::QuotientCombine,
            &vecs[0],
            Some(&vecs[1]),
            Some(&vecs[2]),
            Some(&consts),
            n,
            params,
        );
        if !odd {
            self.encode_ntt(&mut plan, &vecs[0], NttKind::CosetInverse)?;
        }
        plan.run()?;
        let mut h = vec![<Fr as ark_ff::AdditiveGroup>::ZERO; n];
        vecs[0].download(&self.ctx, &mut h, self.log_chunk)?;
        corrupt_if_injected(&mut h);
        Ok(h)
    }
}

/// With `STATEPROOF_GPU_FAULT=garbage`, returns a wrong result the way a
/// faulty device would: silently.
fn corrupt_if_injected(values: &mut [Fr]) {
    if super::injected_fault().as_deref() == Some("garbage") {
        if let Some(v) = values.first_mut() {
            *v += Fr::ONE;
        }
    }
}
