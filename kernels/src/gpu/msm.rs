//! The G1 MSM on the GPU: Pippenger with signed-digit windows, buckets
//! grouped by a counting sort on the device, load-balanced segmented bucket
//! accumulation, and a parallel running-sum reduction; only the final
//! combination of the windows (a few hundred doublings) runs on the host.
//! The passes are described in `wgsl/msm.wgsl`.
//!
//! [`GpuMsm`] implements [`MsmBackend`]: G1 bases are uploaded once by
//! [`MsmBackend::prepare_g1`] and stay resident; G2 MSMs run on the CPU
//! backend (the prover runs them concurrently with the G1 MSMs; see
//! kernels/README.md for why).

use super::decompose::{self, windows};
use super::ntt::{grid, to_bytes, MAX_GROUPS_X};
use super::{curve::g1_wgsl, GpuContext};
use crate::cpu::{CpuBackend, HostBases};
use crate::{Error, MsmBackend, PreparedBases, Result};
use ark_bn254::{Fq, Fr, G1Affine, G1Projective, G2Affine, G2Projective};
use ark_ec::{AdditiveGroup, AffineRepr};
use ark_ff::{BigInt, Field, Zero};
use std::sync::{Arc, Mutex};
use wgpu::util::DeviceExt;

const MSM_WGSL: &str = include_str!("wgsl/msm.wgsl");
const SCAN_WGSL: &str = include_str!("wgsl/scan.wgsl");
const PRECOMPUTE_WGSL: &str = include_str!("wgsl/precompute.wgsl");
/// Bytes of one base on the device: x, y (Montgomery limbs) and an
/// infinity flag, as curve.wgsl's `Affine`.
const AFFINE_BYTES: u64 = 68;
/// Bytes of one XYZZ point on the device.
const XYZZ_BYTES: u64 = 128;
/// Threads per workgroup in msm.wgsl and decompose.wgsl.
const WG: usize = 64;
/// Elements one scan workgroup covers (scan.wgsl: 256 threads × 4).
const SCAN_BLOCK: usize = 1024;
/// The most additions one thread makes in a bucket-accumulation level.
pub const SEGMENT: u32 = 32;
/// Buckets per thread in the running-sum reduction.
pub const PER_GROUP: u32 = 16;
/// Group results summed per thread when collapsing groups into windows.
const RUN: u32 = 32;

/// Window size in bits for an MSM of `n` points: ⌈log2 n⌉ − 3, clamped to
/// 4..=16. With W = ⌈255 / c⌉ windows, a pass makes about n·W mixed
/// additions into buckets and 2·W·2^(c−1) additions reducing them; this
/// choice keeps the second term at most an eighth of the first from 2^7
/// points up, and 16 is the most a u32 entry and the decomposition allow.
pub fn window_bits(n: usize) -> u32 {
    let log = usize::BITS - n.saturating_sub(1).leading_zeros();
    log.saturating_sub(3).clamp(4, 16)
}

/// The shape of one MSM pass over `n` points, and the device memory it needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PassShape {
    /// Points (and scalars) in the pass.
    pub n: usize,
    /// Window bits.
    pub c: u32,
    /// Windows (signed digits) per scalar.
    pub windows: usize,
    /// Bucket windows: `windows`, or ⌈windows / copies⌉ with precomputed
    /// copies of the bases (see [`GpuMsm::with_precompute`]).
    pub copy_windows: usize,
    /// Buckets per window, 2^(c−1).
    pub buckets: usize,
    /// Accumulation levels: 1 if a bucket holds at most SEGMENT points
    /// (at most n·copies), else 1 + the least L with SEGMENT^L ≥
    /// ⌈n·copies / SEGMENT⌉ + 1 (level 1's runs may cut a bucket once more
    /// than its size needs).
    pub levels: u32,
}

impl PassShape {
    /// The shape for `n` points.
    pub fn new(n: usize) -> Self {
        Self::with_copies(n, window_bits(n), 1)
    }

    /// The shape for these scalars over plain bases: windows sized by
    /// `window_bits` of the number of scalars other than 0 and 1. Those add
    /// at most one digit each (Groth16's scalars are mostly 0 and 1), while
    /// the reduction's cost grows with the windows' buckets, so sizing the
    /// windows by the dense scalars keeps the two in proportion. On
    /// llvmpipe this took Groth16-like MSMs of 2^12 and 2^16 points from
    /// 0.82 and 0.70 of a uniform MSM's time to 0.55 and 0.56
    /// (kernels/README.md). Smaller windows mean more digits: c grows back
    /// towards `window_bits(n)` until the pass fits bindings of `max` bytes.
    pub fn for_scalars(scalars: &[Fr], max: u64) -> Self {
        let n = scalars.len();
        let dense = scalars.iter().filter(|s| !s.is_zero() && **s != Fr::ONE).count();
        let mut c = window_bits(dense.max(1));
        while c < window_bits(n) && !Self::with_copies(n, c, 1).fits(max) {
            c += 1;
        }
        Self::with_copies(n, c, 1)
    }

    /// The shape for `n` points in windows of `c` bits over bases held in
    /// `copies` shifted copies (1: plain bases).
    pub fn with_copies(n: usize, c: u32, copies: usize) -> Self {
        let windows = windows(c) as usize;
        let copy_windows = windows.div_ceil(copies.clamp(1, windows));
        // A bucket holds at most one point per scalar and copy. One level
        // sums buckets of up to SEGMENT points; otherwise level 1 (in runs)
        // leaves a bucket of m points at most ⌈m / SEGMENT⌉ + 1 partial
        // sums, and each later level (aligned) divides that by SEGMENT.
        let most = n * windows.div_ceil(copy_windows);
        let seg = SEGMENT as usize;
        let mut levels = 1;
        if most > seg {
            let mut left = most.div_ceil(seg) + 1;
            while left > 1 {
                left = left.div_ceil(seg);
                levels += 1;
            }
        }
        Self { n, c, windows, copy_windows, buckets: 1 << (c - 1), levels }
    }

    /// Copies of the bases the windows need: ⌈windows / copy_windows⌉.
    pub fn copies(&self) -> usize {
        self.windows.div_ceil(self.copy_windows)
    }

    /// Doublings between one copy of a base and the next: copy j is
    /// 2^(j·shift_bits)·P.
    pub fn shift_bits(&self) -> u32 {
        self.copy_windows as u32 * self.c
    }

    /// Buckets over all bucket windows.
    pub fn total_buckets(&self) -> usize {
        self.copy_windows * self.buckets
    }

    /// Upper bounds on the items of accumulation levels 1 and 2: a level
    /// over m items in at most `total` buckets makes at most
    /// min(m, ⌈m / SEGMENT⌉ + total) segments.
    fn items(&self) -> (usize, usize) {
        let total = self.total_buckets();
        let next = |m: usize| m.min(m.div_ceil(SEGMENT as usize) + total);
        let first = next(self.n * self.windows);
        (first, next(first))
    }

    /// The size in bytes of every buffer of the pass (label, bytes), bases
    /// excluded.
    pub fn buffers(&self) -> Vec<(&'static str, u64)> {
        let n = self.n as u64;
        let words = |count: usize| 4 * (count as u64 + 1);
        let groups = (self.copy_windows * (self.buckets / self.per_group())) as u64;
        let (first, second) = self.items();
        let second = if self.levels > 1 { second as u64 } else { 0 };
        vec![
            ("MSM scalars", 32 * n),
            ("MSM digits", 4 * n * self.windows as u64),
            ("MSM entries", 4 * n * self.windows as u64),
            ("MSM bucket counts", 6 * words(self.total_buckets())),
            ("MSM segment sums A", XYZZ_BYTES * (first as u64).max(groups)),
            ("MSM segment sums B", XYZZ_BYTES * second.max(groups)),
        ]
    }

    fn per_group(&self) -> usize {
        (PER_GROUP as usize).min(self.buckets)
    }

    /// Whether every buffer fits one binding of `max` bytes (the six count
    /// arrays are separate buffers).
    pub fn fits(&self, max: u64) -> bool {
        self.buffers().iter().all(|&(label, bytes)| {
            if label == "MSM bucket counts" {
                bytes / 6 <= max
            } else {
                bytes <= max
            }
        })
    }
}

/// The most points a pass takes on any adapter: 2^22 (1.02 GiB of working
/// buffers by `PassShape::buffers`, bases excluded). Larger passes save only a few window combinations on
/// the host, and adapters with multi-GiB bindings would otherwise be asked
/// for tens of GiB at once.
pub const MAX_PASS_POINTS: usize = 1 << 22;

/// The most points one pass takes on an adapter whose storage bindings
/// hold `max_binding` bytes: a power of two, so every pass over at most
/// this many points fits.
pub fn max_pass_points(max_binding: u64) -> usize {
    let mut n = MAX_PASS_POINTS;
    while n > 1 && (!PassShape::new(n).fits(max_binding) || n as u64 * AFFINE_BYTES > max_binding) {
        n /= 2;
    }
    n
}

/// The largest storage binding (and buffer) the adapter takes.
fn max_binding(ctx: &GpuContext) -> u64 {
    ctx.limits.max_storage_buffer_binding_size.min(ctx.limits.max_buffer_size)
}

/// Pipelines of the MSM, compiled once per context.
pub(crate) struct Kernels {
    decompose: wgpu::ComputePipeline,
    count: wgpu::ComputePipeline,
    scatter: wgpu::ComputePipeline,
    segment_counts: wgpu::ComputePipeline,
    accumulate_bases: wgpu::ComputePipeline,
    run_counts: wgpu::ComputePipeline,
    accumulate_runs: wgpu::ComputePipeline,
    accumulate_sums: wgpu::ComputePipeline,
    bucket_groups: wgpu::ComputePipeline,
    sum_runs: wgpu::ComputePipeline,
    scan_block: wgpu::ComputePipeline,
    scan_add: wgpu::ComputePipeline,
}

impl Kernels {
    fn build(ctx: &GpuContext) -> Result<Self> {
        let msm =
            format!("{}\n{MSM_WGSL}", g1_wgsl(ctx.mul_variant).map_err(Error::ShaderCompile)?);
        let msm = ctx.compile("msm", &msm)?;
        let scan = ctx.compile("scan", SCAN_WGSL)?;
        let digits = ctx.compile("decompose", &decompose::wgsl(ctx.mul_variant)?)?;
        let p = |module, entry| ctx.pipeline(module, entry);
        Ok(Self {
            decompose: p(&digits, "decompose")?,
            count: p(&msm, "count")?,
            scatter: p(&msm, "scatter")?,
            segment_counts: p(&msm, "segment_counts")?,
            accumulate_bases: p(&msm, "accumulate_bases")?,
            run_counts: p(&msm, "run_counts")?,
            accumulate_runs: p(&msm, "accumulate_runs")?,
            accumulate_sums: p(&msm, "accumulate_sums")?,
            bucket_groups: p(&msm, "bucket_groups")?,
            sum_runs: p(&msm, "sum_runs")?,
            scan_block: p(&scan, "scan_block")?,
            scan_add: p(&scan, "scan_add")?,
        })
    }
}

/// msm.wgsl's `Params`.
#[repr(C)]
#[derive(Clone, Copy, Default, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    n: u32,
    windows: u32,
    buckets: u32,
    total: u32,
    seg: u32,
    base_offset: u32,
    per_group: u32,
    count: u32,
    run: u32,
    copy_windows: u32,
    stride: u32,
    pad: u32,
}

/// A pass's working buffers, by role.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Slot {
    Scalars,
    Digits,
    Entries,
    Counts,
    Offsets,
    Cursor,
    SegmentCounts(usize),
    SegmentOffsets(usize),
    Sums(usize),
    /// Block totals of a scan at this recursion depth.
    ScanSums(usize),
}

/// The working buffers of MSM passes, kept from one pass to the next (and
/// across proofs): a slot is reallocated only when a pass needs more than
/// it holds, so repeated MSMs of one size allocate nothing after the first.
/// Passes bind whole buffers; every kernel reads its sizes from its
/// parameters, so a buffer larger than the pass needs is harmless, and the
/// one array the kernels expect zeroed (the bucket counters) is cleared by
/// the pass itself.
#[derive(Debug, Default)]
struct Workspace {
    slots: std::collections::HashMap<Slot, wgpu::Buffer>,
}

impl Workspace {
    /// The buffer of `slot`, holding at least `bytes` (and 4) bytes.
    fn get(&mut self, ctx: &GpuContext, slot: Slot, bytes: u64) -> Result<wgpu::Buffer> {
        let bytes = bytes.max(4);
        if let Some(b) = self.slots.get(&slot).filter(|b| b.size() >= bytes) {
            return Ok(b.clone());
        }
        // Drop the smaller buffer first, so the device never holds both.
        self.slots.remove(&slot);
        let buffer = ctx.storage(slot.label(), bytes)?;
        self.slots.insert(slot, buffer.clone());
        Ok(buffer)
    }
}

impl Slot {
    fn label(self) -> &'static str {
        match self {
            Slot::Scalars => "MSM scalars",
            Slot::Digits => "MSM digits",
            Slot::Entries => "MSM entries",
            Slot::Counts => "MSM bucket counts",
            Slot::Offsets => "MSM bucket offsets",
            Slot::Cursor => "MSM bucket cursor",
            Slot::SegmentCounts(_) => "MSM segment counts",
            Slot::SegmentOffsets(_) => "MSM segment offsets",
            Slot::Sums(_) => "MSM segment sums",
            Slot::ScanSums(_) => "MSM scan sums",
        }
    }
}

/// Workspaces kept per backend: one per MSM running at once, up to this
/// many (the prover runs its G1 MSMs concurrently).
const KEPT_WORKSPACES: usize = 4;

/// Records the passes of one MSM into a single command buffer.
struct Recorder<'a> {
    ctx: &'a GpuContext,
    encoder: wgpu::CommandEncoder,
    workspace: &'a mut Workspace,
}

impl<'a> Recorder<'a> {
    fn new(ctx: &'a GpuContext, workspace: &'a mut Workspace) -> Self {
        Self { ctx, encoder: ctx.device.create_command_encoder(&Default::default()), workspace }
    }

    /// The workspace buffer of `slot`, at least `bytes` long.
    fn buffer(&mut self, slot: Slot, bytes: u64) -> Result<wgpu::Buffer> {
        self.workspace.get(self.ctx, slot, bytes)
    }

    fn uniform(&self, bytes: &[u8]) -> wgpu::Buffer {
        self.ctx.device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some("msm params"),
            contents: bytes,
            usage: wgpu::BufferUsages::UNIFORM,
        })
    }

    /// One dispatch of `threads` threads (in workgroups of `wg`), with
    /// `uniform` at binding 0 and `buffers` at their bindings.
    fn dispatch(
        &mut self,
        pipeline: &wgpu::ComputePipeline,
        uniform: &wgpu::Buffer,
        buffers: &[(u32, &wgpu::Buffer)],
        threads: usize,
        wg: usize,
    ) {
        let mut entries =
            vec![wgpu::BindGroupEntry { binding: 0, resource: uniform.as_entire_binding() }];
        entries.extend(buffers.iter().map(|&(binding, b)| wgpu::BindGroupEntry {
            binding,
            resource: b.as_entire_binding(),
        }));
        let bind = self.ctx.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: None,
            layout: &pipeline.get_bind_group_layout(0),
            entries: &entries,
        });
        let (x, y) = grid(threads.div_ceil(wg), MAX_GROUPS_X);
        let mut pass = self.encoder.begin_compute_pass(&Default::default());
        pass.set_pipeline(pipeline);
        pass.set_bind_group(0, &bind, &[]);
        pass.dispatch_workgroups(x, y, 1);
    }

    /// A msm.wgsl dispatch with `p` as its parameters.
    fn run(
        &mut self,
        pipeline: &wgpu::ComputePipeline,
        p: Params,
        buffers: &[(u32, &wgpu::Buffer)],
        threads: usize,
    ) {
        let uniform = self.uniform(bytemuck::bytes_of(&p));
        self.dispatch(pipeline, &uniform, buffers, threads, WG);
    }

    fn copy(&mut self, from: &wgpu::Buffer, to: &wgpu::Buffer, bytes: u64) {
        self.encoder.copy_buffer_to_buffer(from, 0, to, 0, bytes);
    }

    /// Exclusive prefix sums of the first `len` words of `data`, in place.
    fn scan(&mut self, k: &Kernels, data: &wgpu::Buffer, len: usize) -> Result<()> {
        self.scan_at(k, data, len, 0)
    }

    fn scan_at(
        &mut self,
        k: &Kernels,
        data: &wgpu::Buffer,
        len: usize,
        depth: usize,
    ) -> Result<()> {
        let blocks = len.div_ceil(SCAN_BLOCK);
        let sums = self.buffer(Slot::ScanSums(depth), 4 * blocks as u64)?;
        let shape = self.uniform(bytemuck::cast_slice(&[len as u32, blocks as u32, 0, 0]));
        let threads = blocks * 256;
        self.dispatch(&k.scan_block, &shape, &[(1, data), (2, &sums)], threads, 256);
        if blocks > 1 {
            self.scan_at(k, &sums, blocks, depth + 1)?;
            self.dispatch(&k.scan_add, &shape, &[(1, data), (2, &sums)], threads, 256);
        }
        Ok(())
    }
}

/// G1 bases resident on the device, in chunks of at most `chunk` points
/// (one buffer and one binding each). With precomputed multiples, a chunk
/// of m points holds `copies` copies, copy j of point i at j·m + i.
pub struct GpuBases {
    chunks: Vec<wgpu::Buffer>,
    chunk: usize,
    len: usize,
    /// Copies of each base (1: the bases alone).
    copies: usize,
    /// The window bits the copies were made for (with copies > 1).
    c: u32,
}

impl GpuBases {
    /// Copies held of each base: 1 without precomputation.
    pub fn copies(&self) -> usize {
        self.copies
    }

    /// The shape of a pass over these bases with `scalars`: windows of the
    /// size the copies were made for, or [`PassShape::for_scalars`].
    fn shape(&self, scalars: &[Fr], max_binding: u64) -> PassShape {
        if self.copies > 1 {
            PassShape::with_copies(scalars.len(), self.c, self.copies)
        } else {
            PassShape::for_scalars(scalars, max_binding)
        }
    }

    /// Points in chunk `index` (the distance between its copies).
    fn points_in(&self, index: usize) -> usize {
        self.chunk.min(self.len - index * self.chunk)
    }
}

impl PreparedBases for GpuBases {
    fn len(&self) -> usize {
        self.len
    }
}

impl std::fmt::Debug for GpuBases {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GpuBases")
            .field("len", &self.len)
            .field("chunks", &self.chunks.len())
            .field("copies", &self.copies)
            .finish()
    }
}

/// curve.wgsl's `Affine` for each point (the identity as zeros, flagged).
pub(crate) fn affine_bytes(points: &[G1Affine]) -> Vec<u8> {
    let mut out = Vec::with_capacity(points.len() * AFFINE_BYTES as usize);
    for p in points {
        let (x, y) = p.xy().unwrap_or((Fq::zero(), Fq::zero()));
        for limb in x.0 .0.iter().chain(y.0 .0.iter()) {
            out.extend_from_slice(&limb.to_le_bytes());
        }
        out.extend_from_slice(&(p.is_zero() as u32).to_le_bytes());
    }
    out
}

/// A device XYZZ point (X, Y, ZZ, ZZZ) = (X/ZZ, Y/ZZZ) as a host point.
/// Limbs come from the device unchecked; the prover's self-check catches a
/// device that returns garbage.
pub(crate) fn xyzz_from_bytes(bytes: &[u8]) -> G1Projective {
    let fq = |k: usize| {
        Fq::new_unchecked(BigInt(std::array::from_fn(|i| {
            let at = 32 * k + 8 * i;
            u64::from_le_bytes(bytes[at..at + 8].try_into().expect("8 bytes"))
        })))
    };
    let (x, y, zz, zzz) = (fq(0), fq(1), fq(2), fq(3));
    match (zz.inverse(), zzz.inverse()) {
        (Some(zz_inv), Some(zzz_inv)) => {
            G1Affine::new_unchecked(x * zz_inv, y * zzz_inv).into_group()
        }
        _ => G1Projective::zero(),
    }
}

/// The GPU MSM backend (G1 on the device, G2 on the CPU). Clones share the
/// kept workspaces.
#[derive(Clone, Debug)]
pub struct GpuMsm {
    ctx: Arc<GpuContext>,
    chunk: usize,
    precompute: usize,
    workspaces: Arc<Mutex<Vec<Workspace>>>,
}

/// The environment variable setting [`GpuMsm`]'s precompute factor.
pub const PRECOMPUTE_ENV: &str = "STATEPROOF_MSM_PRECOMPUTE";

/// The largest precompute factor [`GpuMsm::with_precompute`] accepts.
pub const MAX_PRECOMPUTE: usize = 8;

/// The precompute factor on hardware adapters unless the environment says
/// otherwise: on llvmpipe, the only adapter measured so far, G1 MSMs of
/// 2^12 to 2^16 points took 0.68–0.72 of factor 1's time with factor 8 on
/// uniform scalars and 0.64–0.71 on Groth16-like ones (factor 4: 0.70–0.80;
/// kernels/README.md), for up to 8x the bases' device memory.
pub const HARDWARE_PRECOMPUTE: usize = 8;

impl GpuMsm {
    /// The backend on `ctx`, with passes as large as the adapter's
    /// bindings allow. The precompute factor is `STATEPROOF_MSM_PRECOMPUTE`
    /// if set, else [`HARDWARE_PRECOMPUTE`] on a hardware adapter and 1 (no
    /// copies) on a software one, where the copies' preparation costs more
    /// than the MSMs it speeds up in a short-lived process (kernels/README.md).
    pub fn new(ctx: Arc<GpuContext>) -> Self {
        let chunk = max_pass_points(max_binding(&ctx));
        let default = if ctx.is_hardware { HARDWARE_PRECOMPUTE } else { 1 };
        let precompute = match std::env::var(PRECOMPUTE_ENV) {
            Ok(v) => match v.parse::<usize>() {
                Ok(f) if (1..=MAX_PRECOMPUTE).contains(&f) => f,
                _ => {
                    eprintln!(
                        "warning: {PRECOMPUTE_ENV}={v:?} is not a factor in 1..={MAX_PRECOMPUTE}; \
                         using {default}"
                    );
                    default
                }
            },
            Err(_) => default,
        };
        Self { ctx, chunk, precompute, workspaces: Default::default() }
    }

    /// The backend with bases prepared in `factor` copies (clamped to
    /// 1..=[`MAX_PRECOMPUTE`]): copy j of base P is 2^(j·s)·P for a shift s
    /// of ⌈W / factor⌉ windows, so an MSM over those bases sums digits of
    /// all W windows into the buckets of ⌈W / factor⌉ windows. The bucket
    /// reduction and the host's window combination shrink by the factor;
    /// the bucket additions do not (each digit still adds a point); the
    /// bases take `factor` times the device memory. The copies are made on
    /// the device by `prepare_g1`, once per key. Chunks shrink so that all
    /// copies of a chunk fit one binding.
    pub fn with_precompute(mut self, factor: usize) -> Self {
        self.precompute = factor.clamp(1, MAX_PRECOMPUTE);
        self
    }

    /// The precompute factor (1: none).
    pub fn precompute(&self) -> usize {
        self.precompute
    }

    /// The backend with bases split every `points` points (and passes no
    /// larger), whatever the adapter allows: lets tests exercise MSMs that
    /// span several base chunks.
    pub fn with_chunk(ctx: Arc<GpuContext>, points: usize) -> Self {
        let mut msm = Self::new(ctx);
        msm.chunk = msm.chunk.min(points.max(1));
        msm
    }

    /// The context this backend runs on.
    pub fn context(&self) -> &Arc<GpuContext> {
        &self.ctx
    }

    /// `prepare_g1` with precomputed copies: the window size is fixed here,
    /// from the points of a full chunk, and the chunk halves until its
    /// copies fit one binding.
    fn prepare_copies(&self, bases: &[G1Affine], factor: usize) -> Result<GpuBases> {
        let max = max_binding(&self.ctx);
        let mut chunk = self.chunk;
        let shape = loop {
            let points = chunk.min(bases.len());
            let shape = PassShape::with_copies(points, window_bits(points), factor);
            if shape.copies() as u64 * points as u64 * AFFINE_BYTES <= max || chunk == 1 {
                break shape;
            }
            chunk /= 2;
        };
        let pipeline = self.precompute_pipeline()?;
        let copies = shape.copies();
        let chunks = bases
            .chunks(chunk)
            .map(|part| {
                let m = part.len();
                let buffer =
                    self.ctx.storage("MSM bases", copies as u64 * m as u64 * AFFINE_BYTES)?;
                self.ctx.queue.write_buffer(&buffer, 0, &affine_bytes(part));
                let groups = grid(m.div_ceil(WG), MAX_GROUPS_X);
                for copy in 1..copies as u32 {
                    let words = [m as u32, m as u32, copy, shape.shift_bits()];
                    let uniform = self.ctx.uniform("MSM precompute", &words);
                    self.ctx.dispatch_once(&pipeline, &[&uniform, &buffer], groups)?;
                }
                Ok(buffer)
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(GpuBases { chunks, chunk, len: bases.len(), copies, c: shape.c })
    }

    fn precompute_pipeline(&self) -> Result<Arc<wgpu::ComputePipeline>> {
        let ctx = &self.ctx;
        ctx.msm_precompute
            .get_or_init(|| {
                let g1 = g1_wgsl(ctx.mul_variant).map_err(Error::ShaderCompile)?;
                let module = ctx.compile("msm precompute", &format!("{g1}\n{PRECOMPUTE_WGSL}"))?;
                ctx.pipeline(&module, "shift_copies").map(Arc::new)
            })
            .clone()
    }

    fn kernels(&self) -> Result<Arc<Kernels>> {
        self.ctx.msm_kernels.get_or_init(|| Kernels::build(&self.ctx).map(Arc::new)).clone()
    }

    /// One pass: `Σ scalars[i] · P[offset + i]` over the bases of chunk
    /// `index`.
    fn pass(
        &self,
        k: &Kernels,
        workspace: &mut Workspace,
        bases: &GpuBases,
        index: usize,
        offset: usize,
        scalars: &[Fr],
    ) -> Result<G1Projective> {
        let ctx = &*self.ctx;
        let shape = bases.shape(scalars, max_binding(ctx));
        // Bucket windows: the digit windows, fewer with precomputed copies.
        let (n, w, total) = (shape.n, shape.copy_windows, shape.total_buckets());
        let digits_per_scalar = shape.windows;
        let groups = shape.buckets / shape.per_group();
        let (first, second) = shape.items();
        let words = 4 * (total as u64 + 1);

        let mut r = Recorder::new(ctx, workspace);
        let scalar_bytes = to_bytes(scalars);
        let scalar_buf = r.buffer(Slot::Scalars, scalar_bytes.len() as u64)?;
        ctx.queue.write_buffer(&scalar_buf, 0, &scalar_bytes);
        let digits = r.buffer(Slot::Digits, 4 * (n * digits_per_scalar) as u64)?;
        let entries = r.buffer(Slot::Entries, 4 * (n * digits_per_scalar) as u64)?;
        let counts = r.buffer(Slot::Counts, words)?;
        let offsets = r.buffer(Slot::Offsets, words)?;
        let cursor = r.buffer(Slot::Cursor, words)?;
        let cnt =
            [r.buffer(Slot::SegmentCounts(0), words)?, r.buffer(Slot::SegmentCounts(1), words)?];
        let off =
            [r.buffer(Slot::SegmentOffsets(0), words)?, r.buffer(Slot::SegmentOffsets(1), words)?];
        let sums = [
            r.buffer(Slot::Sums(0), XYZZ_BYTES * first.max(w * groups) as u64)?,
            r.buffer(
                Slot::Sums(1),
                XYZZ_BYTES * (if shape.levels > 1 { second } else { 0 }).max(w * groups) as u64,
            )?,
        ];

        let p = Params {
            n: n as u32,
            windows: digits_per_scalar as u32,
            buckets: shape.buckets as u32,
            total: total as u32,
            seg: SEGMENT,
            base_offset: offset as u32,
            per_group: shape.per_group() as u32,
            copy_windows: w as u32,
            stride: bases.points_in(index) as u32,
            ..Default::default()
        };
        // Digits, bucket sizes (from zeroed counters: the workspace is
        // reused), bucket offsets, then the points by bucket.
        r.encoder.clear_buffer(&counts, 0, Some(words));
        let decompose_shape = [n as u32, shape.c, digits_per_scalar as u32, 0];
        let shape_uniform = r.uniform(bytemuck::cast_slice(&decompose_shape));
        r.dispatch(&k.decompose, &shape_uniform, &[(1, &scalar_buf), (2, &digits)], n, WG);
        // decompose.wgsl binds its uniform at 2, not 0: see `decompose::wgsl`.
        r.run(&k.count, p, &[(1, &digits), (2, &counts)], n);
        r.copy(&counts, &offsets, words);
        r.scan(k, &offsets, total + 1)?;
        r.copy(&offsets, &cursor, words);
        r.run(&k.scatter, p, &[(1, &digits), (2, &cursor), (3, &entries)], n);

        // Level 1 sums the bases in runs of equal length (bucket-aligned
        // segments when it is the only level); later levels sum the partial
        // sums of each bucket in bucket-aligned segments.
        let (mut in_cnt, mut in_off) = (&counts, &offsets);
        let items = n * digits_per_scalar;
        let mut upper = items;
        for level in 0..shape.levels as usize {
            let (out_cnt, out_off, out) = (&cnt[level % 2], &off[level % 2], &sums[level % 2]);
            let in_runs = level == 0 && shape.levels > 1;
            if in_runs {
                r.run(&k.run_counts, p, &[(5, in_cnt), (6, in_off), (8, out_cnt)], total + 1);
            } else {
                r.run(&k.segment_counts, p, &[(5, in_cnt), (8, out_cnt)], total + 1);
            }
            r.copy(out_cnt, out_off, words);
            r.scan(k, out_off, total + 1)?;
            upper = upper.min(upper.div_ceil(SEGMENT as usize) + total);
            if level == 0 {
                let chunk = &bases.chunks[index];
                let b =
                    [(3, &entries), (4, chunk), (5, in_cnt), (6, in_off), (7, out_off), (10, out)];
                if in_runs {
                    r.run(&k.accumulate_runs, p, &b, items.div_ceil(SEGMENT as usize));
                } else {
                    r.run(&k.accumulate_bases, p, &b, upper);
                }
            } else {
                let input = &sums[(level + 1) % 2];
                let b = [(5, in_cnt), (6, in_off), (7, out_off), (9, input), (10, out)];
                r.run(&k.accumulate_sums, p, &b, upper);
            }
            (in_cnt, in_off) = (out_cnt, out_off);
        }

        // Running sums per group of buckets, then groups into windows.
        let last = (shape.levels as usize + 1) % 2;
        let (mut from, mut to) = (&sums[last], &sums[(last + 1) % 2]);
        r.run(&k.bucket_groups, p, &[(5, in_cnt), (6, in_off), (9, from), (10, to)], w * groups);
        let mut per = groups;
        while per > 1 {
            (from, to) = (to, from);
            let run = (RUN as usize).min(per);
            let q = Params { count: (w * per) as u32, run: run as u32, ..p };
            r.run(&k.sum_runs, q, &[(9, from), (10, to)], w * per / run);
            per /= run;
        }
        ctx.submit(r.encoder)?;

        let bytes = ctx.download(to, XYZZ_BYTES * w as u64)?;
        // Σ_k 2^(c·k) · window_k over the bucket windows, by Horner from the
        // top window (copies supply the higher digit windows).
        let mut acc = G1Projective::zero();
        for window in bytes.chunks_exact(XYZZ_BYTES as usize).rev() {
            for _ in 0..shape.c {
                acc.double_in_place();
            }
            acc += xyzz_from_bytes(window);
        }
        Ok(acc)
    }
}

impl MsmBackend for GpuMsm {
    type G1Bases = GpuBases;
    type G2Bases = HostBases<G2Affine>;

    fn name(&self) -> &'static str {
        "gpu"
    }

    fn prepare_g1(&self, bases: &[G1Affine]) -> Result<GpuBases> {
        if let Some(e) = super::injected_error() {
            return Err(e);
        }
        // Where device memory runs out, half the copies, down to none.
        let mut factor = self.precompute;
        while factor > 1 && !bases.is_empty() {
            match self.prepare_copies(bases, factor) {
                Err(Error::OutOfMemory(e)) => {
                    factor /= 2;
                    eprintln!("warning: {e}: MSM bases in {factor} precomputed copies instead");
                }
                prepared => return prepared,
            }
        }
        let chunks = bases
            .chunks(self.chunk)
            .map(|c| self.ctx.upload("MSM bases", &affine_bytes(c)))
            .collect::<Result<Vec<_>>>()?;
        Ok(GpuBases { chunks, chunk: self.chunk, len: bases.len(), copies: 1, c: 0 })
    }

    fn prepare_g2(&self, bases: &[G2Affine]) -> Result<Self::G2Bases> {
        CpuBackend.prepare_g2(bases)
    }

    fn msm_g1_unchecked(
        &self,
        bases: &GpuBases,
        offset: usize,
        scalars: &[Fr],
    ) -> Result<G1Projective> {
        if let Some(e) = super::injected_error() {
            return Err(e);
        }
        let k = self.kernels()?;
        let kept = || {
            self.workspaces.lock().map_err(|_| Error::DeviceLost("MSM workspaces poisoned".into()))
        };
        let mut workspace = kept()?.pop().unwrap_or_default();
        let mut acc = G1Projective::zero();
        let mut done = 0;
        while done < scalars.len() {
            let at = offset + done;
            let (index, local) = (at / bases.chunk, at % bases.chunk);
            let take = (bases.chunk - local).min(scalars.len() - done).min(self.chunk);
            let part = &scalars[done..done + take];
            // A failed pass drops its workspace: the device may be gone.
            acc += self.pass(&k, &mut workspace, bases, index, local, part)?;
            done += take;
        }
        let mut kept = kept()?;
        if kept.len() < KEPT_WORKSPACES {
            kept.push(workspace);
        }
        drop(kept);
        if super::injected_fault().as_deref() == Some("garbage") {
            acc += G1Affine::generator();
        }
        Ok(acc)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gpu::context_for_tests;
    use crate::workload::{random_points, scalar_sets};
    use ark_bn254::G1Projective;
    use ark_ec::{CurveGroup, VariableBaseMSM};
    use ark_ff::UniformRand;
    use ark_std::rand::{rngs::StdRng, SeedableRng};

    fn check(msm: &GpuMsm, bases: &[G1Affine], offset: usize, scalars: &[Fr], what: &str) {
        let prepared = msm.prepare_g1(bases).unwrap();
        let want = G1Projective::msm_unchecked(&bases[offset..offset + scalars.len()], scalars);
        let got = msm.msm_g1(&prepared, offset, scalars).unwrap();
        assert_eq!(got.into_affine(), want.into_affine(), "{what}, n = {}", scalars.len());
    }

    #[test]
    fn window_sizes_and_levels_follow_the_documented_rule() {
        let table = [
            (1, 4),
            (2, 4),
            (128, 4),
            (129, 5),
            (1 << 10, 7),
            (1 << 16, 13),
            (1 << 19, 16),
            (1 << 24, 16),
        ];
        for (n, c) in table {
            assert_eq!(window_bits(n), c, "n = {n}");
        }
        assert_eq!(PassShape::new(32).levels, 1);
        assert_eq!(PassShape::new(33).levels, 2);
        assert_eq!(PassShape::new(1 << 20).levels, 5);
        assert_eq!(PassShape::new(1 << 10).levels, 3);
        assert_eq!(PassShape::new(992).levels, 2);
        let shape = PassShape::new(1 << 20);
        assert_eq!((shape.windows, shape.buckets), (16, 1 << 15));
        // A 128 MiB binding holds a pass of 2^20 points, not 2^21; 4 GiB
        // bindings are capped at MAX_PASS_POINTS.
        assert_eq!(max_pass_points(128 << 20), 1 << 20);
        assert_eq!(max_pass_points(4 << 30), MAX_PASS_POINTS);
        let total: u64 = PassShape::new(MAX_PASS_POINTS).buffers().iter().map(|b| b.1).sum();
        assert!(total < 3 << 29, "{total} bytes at the cap"); // 1,096,810,520
        assert!(PassShape::new(1 << 20).fits(128 << 20));
        assert!(!PassShape::new(1 << 21).fits(128 << 20));
        // Precomputed copies: 16 windows in 2, 3 or 4 copies.
        for (factor, copy_windows, copies) in [(1, 16, 1), (2, 8, 2), (3, 6, 3), (4, 4, 4)] {
            let shape = PassShape::with_copies(1 << 20, 16, factor);
            assert_eq!((shape.copy_windows, shape.copies()), (copy_windows, copies));
            assert_eq!(shape.shift_bits(), 16 * copy_windows as u32);
            assert_eq!(shape.total_buckets(), copy_windows << 15);
        }
        // 37 windows of 7 bits in factor 8: 5 bucket windows, 8 copies;
        // 20 windows of 13 bits in factor 8: 3 bucket windows, 7 copies.
        assert_eq!(PassShape::with_copies(1 << 10, 7, 8).copies(), 8);
        assert_eq!(PassShape::with_copies(1 << 16, 13, 8).copies(), 7);
        // A bucket may hold a point from every copy: 1000 scalars in two
        // copies make up to 2000, 64 partial sums after level 1.
        assert_eq!(PassShape::with_copies(1000, 7, 1).levels, 3);
        assert_eq!(PassShape::with_copies(1000, 7, 2).levels, 3);
        assert_eq!(PassShape::with_copies(1 << 20, 16, 8).levels, 5);
    }

    #[test]
    fn windows_are_sized_by_the_scalars_other_than_0_and_1() {
        let mut rng = StdRng::seed_from_u64(15);
        let max = 128 << 20;
        let mut scalars: Vec<Fr> = (0..1 << 12).map(|_| Fr::rand(&mut rng)).collect();
        assert_eq!(PassShape::for_scalars(&scalars, max), PassShape::new(1 << 12));
        // Three quarters 0 or 1: windows for 2^10 points, buffers for 2^12.
        for (i, s) in scalars.iter_mut().enumerate().filter(|(i, _)| i % 4 != 0) {
            *s = if i % 2 == 0 { Fr::ZERO } else { Fr::ONE };
        }
        let shape = PassShape::for_scalars(&scalars, max);
        assert_eq!((shape.n, shape.c), (1 << 12, window_bits(1 << 10)));
        assert_eq!(PassShape::for_scalars(&[Fr::ZERO; 5], max).c, window_bits(1));
        // 2^20 scalars, all 1: 4-bit windows would need 256 MiB of digits;
        // the windows grow until every buffer fits 128 MiB.
        let ones = vec![Fr::ONE; 1 << 20];
        let shape = PassShape::for_scalars(&ones, max);
        assert!(shape.fits(max) && shape.c > 4 && shape.c <= 16, "c = {}", shape.c);
        assert!(!PassShape::with_copies(1 << 20, shape.c - 1, 1).fits(max));
    }

    #[test]
    fn gpu_msm_matches_arkworks_on_adversarial_scalars() {
        let Some(ctx) = context_for_tests() else { return };
        let msm = GpuMsm::new(ctx);
        let mut rng = StdRng::seed_from_u64(5);
        for n in [1usize, 2, 3, 7, 100, 1000] {
            let bases = random_points::<G1Projective>(n, &mut rng);
            for (what, scalars) in scalar_sets(n, &mut rng) {
                check(&msm, &bases, 0, &scalars, what);
            }
        }
    }

    #[test]
    fn gpu_msm_handles_infinity_repeated_and_opposite_bases() {
        let Some(ctx) = context_for_tests() else { return };
        let msm = GpuMsm::new(ctx);
        let mut rng = StdRng::seed_from_u64(6);
        let p = G1Projective::rand(&mut rng).into_affine();
        let q = G1Projective::rand(&mut rng).into_affine();
        let o = G1Affine::identity();
        // P, P (doubling in a bucket), P, −P (cancellation), the identity.
        let bases = vec![p, p, p, -p, o, q, o, -q, q, p];
        let sets: Vec<(&str, Vec<Fr>)> = vec![
            ("ones", vec![Fr::ONE; 10]),
            ("equal", vec![Fr::from(12345u64); 10]),
            ("random", (0..10).map(|_| Fr::rand(&mut rng)).collect()),
            ("r - 1 and 1", (0..10).map(|i| if i % 2 == 0 { -Fr::ONE } else { Fr::ONE }).collect()),
        ];
        for (what, scalars) in sets {
            check(&msm, &bases, 0, &scalars, what);
        }
        let all_infinity = vec![o; 5];
        check(&msm, &all_infinity, 0, &[Fr::ONE; 5], "all bases at infinity");
    }

    #[test]
    fn msms_spanning_base_chunks_and_offsets_match() {
        let Some(ctx) = context_for_tests() else { return };
        // Chunks of 64 points: an MSM of 300 at offset 37 spans six passes.
        let msm = GpuMsm::with_chunk(ctx, 64);
        let mut rng = StdRng::seed_from_u64(7);
        let bases = random_points::<G1Projective>(400, &mut rng);
        for (what, scalars) in scalar_sets(300, &mut rng) {
            check(&msm, &bases, 37, &scalars, what);
        }
        let prepared = msm.prepare_g1(&bases).unwrap();
        assert!(msm.msm_g1(&prepared, 399, &[Fr::ONE; 2]).is_err());
        assert_eq!(msm.msm_g1(&prepared, 400, &[]).unwrap(), G1Projective::zero());
    }

    #[test]
    fn precomputed_copies_match_arkworks_for_every_factor() {
        let Some(ctx) = context_for_tests() else { return };
        let mut rng = StdRng::seed_from_u64(12);
        let bases = {
            let mut b = random_points::<G1Projective>(1000, &mut rng);
            // The identity, a repeated point and its negation among the bases.
            (b[3], b[4], b[5]) = (G1Affine::identity(), b[0], -b[0]);
            b
        };
        for factor in [2, 3, 4, 8] {
            let msm = GpuMsm::new(ctx.clone()).with_precompute(factor);
            let prepared = msm.prepare_g1(&bases).unwrap();
            assert!(prepared.copies() > 1 && prepared.copies() <= factor);
            for n in [1usize, 2, 3, 7, 100, 1000] {
                for (what, scalars) in scalar_sets(n, &mut rng) {
                    let want = G1Projective::msm_unchecked(&bases[..n], &scalars);
                    let got = msm.msm_g1(&prepared, 0, &scalars).unwrap();
                    assert_eq!(got, want, "factor {factor}, {what}, n = {n}");
                }
            }
            // An MSM that starts inside the bases uses the same copies.
            let scalars: Vec<Fr> = (0..500).map(|_| Fr::rand(&mut rng)).collect();
            let want = G1Projective::msm_unchecked(&bases[321..821], &scalars);
            assert_eq!(msm.msm_g1(&prepared, 321, &scalars).unwrap(), want, "factor {factor}");
        }
        // Copies of chunks of 64 points: passes over chunk boundaries, with
        // a short last chunk (its copies lie closer together).
        let msm = GpuMsm::with_chunk(ctx, 64).with_precompute(3);
        let prepared = msm.prepare_g1(&bases[..300]).unwrap();
        for (what, scalars) in scalar_sets(250, &mut rng) {
            let want = G1Projective::msm_unchecked(&bases[37..287], &scalars);
            assert_eq!(msm.msm_g1(&prepared, 37, &scalars).unwrap(), want, "chunked {what}");
        }
    }

    #[test]
    fn kept_workspaces_serve_larger_smaller_and_concurrent_msms() {
        let Some(ctx) = context_for_tests() else { return };
        let msm = GpuMsm::new(ctx);
        let mut rng = StdRng::seed_from_u64(11);
        let bases = random_points::<G1Projective>(3000, &mut rng);
        let prepared = msm.prepare_g1(&bases).unwrap();
        let scalars: Vec<Fr> = (0..3000).map(|_| Fr::rand(&mut rng)).collect();
        let want = |n: usize| G1Projective::msm_unchecked(&bases[..n], &scalars[..n]);
        // Growing, then smaller passes in the grown buffers (stale counters,
        // digits and sums from the larger pass must not leak in).
        for n in [1000, 3000, 10, 1, 2999, 1000] {
            assert_eq!(msm.msm_g1(&prepared, 0, &scalars[..n]).unwrap(), want(n), "n = {n}");
        }
        // Clones share the kept workspaces; concurrent MSMs take one each.
        let results: Vec<_> = std::thread::scope(|s| {
            let handles: Vec<_> = [3000, 700, 2048, 5, 3000, 1500]
                .into_iter()
                .map(|n| {
                    let (msm, prepared, scalars) = (msm.clone(), &prepared, &scalars);
                    s.spawn(move || (n, msm.msm_g1(prepared, 0, &scalars[..n]).unwrap()))
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for (n, got) in results {
            assert_eq!(got, want(n), "concurrent n = {n}");
        }
        assert!(msm.workspaces.lock().unwrap().len() <= KEPT_WORKSPACES);
    }

    #[test]
    fn gpu_msm_at_2_16_uniform_and_skewed() {
        let Some(ctx) = context_for_tests() else { return };
        let msm = GpuMsm::new(ctx);
        let mut rng = StdRng::seed_from_u64(8);
        let n = 1 << 16;
        let bases = random_points::<G1Projective>(n, &mut rng);
        let sets = scalar_sets(n, &mut rng);
        for (what, scalars) in
            sets.iter().filter(|(w, _)| ["uniform", "all equal", "groth16-like"].contains(w))
        {
            check(&msm, &bases, 0, scalars, what);
        }
    }

    #[test]
    fn measured_auto_msm_decides_once_per_size_class_with_identical_results() {
        use crate::FallbackMsm;
        let Some(ctx) = context_for_tests() else { return };
        let auto = FallbackMsm::measured(GpuMsm::new(ctx));
        let mut rng = StdRng::seed_from_u64(10);
        let bases = random_points::<G1Projective>(2100, &mut rng);
        let prepared = auto.prepare_g1(&bases).unwrap();
        for n in [5usize, 1100, 1500, 2049] {
            let scalars: Vec<Fr> = (0..n).map(|_| Fr::rand(&mut rng)).collect();
            let want = G1Projective::msm_unchecked(&bases[3..3 + n], &scalars);
            assert_eq!(auto.msm_g1(&prepared, 3, &scalars).unwrap(), want, "n = {n}");
        }
        // Below AUTO_MIN_MSM nothing is measured; 1100 and 1500 share ⌈log2⌉ = 11.
        let classes: Vec<u32> = auto.decisions().iter().map(|d| d.0).collect();
        assert_eq!(classes, vec![11, 12]);
        assert_eq!(auto.fallbacks(), 0);
    }

    /// Not a benchmark (see benches/): an interleaved comparison of
    /// precompute factors on this adapter, run by hand. Sizes from
    /// `STATEPROOF_TUNING_LOGS` (comma-separated, default 12,14,16).
    #[test]
    #[ignore = "tuning aid: cargo test --release -p stateproof-kernels tuning_precompute -- --ignored --nocapture"]
    fn tuning_precompute_factors() {
        use std::time::Instant;
        let Some(ctx) = context_for_tests() else { return };
        let logs: Vec<u32> = std::env::var("STATEPROOF_TUNING_LOGS")
            .unwrap_or_else(|_| "12,14,16".into())
            .split(',')
            .map(|l| l.trim().parse().expect("a log2 size"))
            .collect();
        let mut rng = StdRng::seed_from_u64(13);
        println!("adapter: {}", ctx.adapter.name);
        for log in logs {
            let n = 1usize << log;
            let bases = random_points::<G1Projective>(n, &mut rng);
            let sets = scalar_sets(n, &mut rng);
            let factors = [1usize, 2, 4, 8];
            let prepared: Vec<_> = factors
                .iter()
                .map(|&f| {
                    let msm = GpuMsm::new(ctx.clone()).with_precompute(f);
                    let t = Instant::now();
                    let b = msm.prepare_g1(&bases).unwrap();
                    (msm, b, t.elapsed().as_secs_f64())
                })
                .collect();
            for (what, scalars) in
                sets.iter().filter(|(w, _)| ["uniform", "groth16-like"].contains(w))
            {
                let want = G1Projective::msm_unchecked(&bases, scalars);
                let mut times = vec![vec![]; factors.len()];
                for _ in 0..5 {
                    for (i, (msm, b, _)) in prepared.iter().enumerate() {
                        let t = Instant::now();
                        let got = msm.msm_g1(b, 0, scalars).unwrap();
                        times[i].push(t.elapsed().as_secs_f64());
                        assert_eq!(got, want);
                    }
                }
                for (i, (_, b, prep)) in prepared.iter().enumerate() {
                    times[i].sort_by(f64::total_cmp);
                    println!(
                        "2^{log} {what} factor {} ({} copies): msm {:.1} ms (median of 5), \
                         prepare {:.1} ms, ratio to factor 1 {:.2}",
                        factors[i],
                        b.copies(),
                        times[i][2] * 1e3,
                        prep * 1e3,
                        times[i][2] / times[0][2]
                    );
                }
            }
        }
    }

    #[test]
    #[ignore = "large: run with --ignored (minutes on a software adapter)"]
    fn gpu_msm_up_to_2_20() {
        let Some(ctx) = context_for_tests() else { return };
        let msm = GpuMsm::new(ctx);
        let mut rng = StdRng::seed_from_u64(9);
        for log in [18, 20] {
            let bases = random_points::<G1Projective>(1 << log, &mut rng);
            for (what, scalars) in scalar_sets(1 << log, &mut rng) {
                check(&msm, &bases, 0, &scalars, what);
            }
        }
    }
}
