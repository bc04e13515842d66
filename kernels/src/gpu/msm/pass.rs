//! One MSM pass on the device, from scalars to one sum per bucket window,
//! recorded as one submission; the host then combines the windows. The
//! stages are described in `wgsl/msm.wgsl`.

use super::super::runtime::{
    self, fr_to_bytes, g1_from_xyzz_bytes, grid, BufferRole, Commands, Workspace, MAX_GROUPS_X,
    XYZZ_BYTES,
};
use super::super::GpuDevice;
use super::bases::GpuBases;
use super::pipelines::{MsmParams, MsmPipelines};
use super::plan::SEGMENT;
use super::WG;
use crate::Result;
use ark_bn254::{Fr, G1Projective};
use ark_ec::AdditiveGroup;
use ark_ff::Zero;

/// Elements one scan workgroup covers (scan.wgsl: 256 threads × 4).
const SCAN_BLOCK: usize = 1024;
/// Group results summed per thread when collapsing groups into windows.
const RUN: u32 = 32;

/// A pass's working buffers, by role.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) enum Slot {
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

impl BufferRole for Slot {
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

/// The working buffers of MSM passes.
pub(super) type PassWorkspace = Workspace<Slot>;

/// Records a pass's dispatches.
struct Recorder<'a> {
    dev: &'a GpuDevice,
    k: &'a MsmPipelines,
    commands: Commands<'a>,
    workspace: &'a mut PassWorkspace,
}

impl<'a> Recorder<'a> {
    fn buffer(&mut self, slot: Slot, bytes: u64) -> Result<wgpu::Buffer> {
        self.workspace.get(self.dev, slot, bytes)
    }

    /// A msm.wgsl dispatch of `threads` threads with `p` as its parameters.
    fn run(
        &mut self,
        pipeline: &'a wgpu::ComputePipeline,
        p: MsmParams,
        buffers: &[(u32, &wgpu::Buffer)],
        threads: usize,
    ) {
        let groups = grid(threads.div_ceil(WG), MAX_GROUPS_X);
        self.commands.dispatch(pipeline, Some((0, &p)), buffers, groups);
    }

    /// Exclusive prefix sums of the first `len` words of `data`, in place.
    fn scan(&mut self, data: &wgpu::Buffer, len: usize, depth: usize) -> Result<()> {
        let blocks = len.div_ceil(SCAN_BLOCK);
        let sums = self.buffer(Slot::ScanSums(depth), 4 * blocks as u64)?;
        let shape = [len as u32, blocks as u32, 0, 0];
        let groups = grid(blocks, MAX_GROUPS_X);
        let k = self.k;
        self.commands.dispatch(&k.scan_block, Some((0, &shape)), &[(1, data), (2, &sums)], groups);
        if blocks > 1 {
            self.scan(&sums, blocks, depth + 1)?;
            self.commands.dispatch(
                &k.scan_add,
                Some((0, &shape)),
                &[(1, data), (2, &sums)],
                groups,
            );
        }
        Ok(())
    }
}

/// One pass: `Σ scalars[i] · P[offset + i]` over the bases of chunk
/// `index`. Returns the combined window sums, each decoded and checked;
/// `corrupt` is the test hook on the bytes read back.
#[allow(clippy::too_many_arguments)]
pub(super) fn pass(
    dev: &GpuDevice,
    k: &MsmPipelines,
    workspace: &mut PassWorkspace,
    bases: &GpuBases,
    index: usize,
    offset: usize,
    scalars: &[Fr],
    corrupt: impl FnOnce(&mut [u8]),
) -> Result<G1Projective> {
    let shape = bases.shape(scalars, dev.limits.max_binding);
    // Bucket windows: the digit windows, fewer with precomputed copies.
    let (n, w, total) = (shape.n, shape.copy_windows, shape.total_buckets());
    let digits_per_scalar = shape.windows;
    let groups = shape.buckets / shape.per_group();
    let (first, second) = shape.items();
    let words = 4 * (total as u64 + 1);

    let mut r = Recorder { dev, k, commands: Commands::new(dev), workspace };
    let scalar_bytes = fr_to_bytes(scalars);
    let scalar_buf = r.buffer(Slot::Scalars, scalar_bytes.len() as u64)?;
    dev.queue.write_buffer(&scalar_buf, 0, &scalar_bytes);
    let digits = r.buffer(Slot::Digits, 4 * (n * digits_per_scalar) as u64)?;
    let entries = r.buffer(Slot::Entries, 4 * (n * digits_per_scalar) as u64)?;
    let counts = r.buffer(Slot::Counts, words)?;
    let offsets = r.buffer(Slot::Offsets, words)?;
    let cursor = r.buffer(Slot::Cursor, words)?;
    let cnt = [r.buffer(Slot::SegmentCounts(0), words)?, r.buffer(Slot::SegmentCounts(1), words)?];
    let off =
        [r.buffer(Slot::SegmentOffsets(0), words)?, r.buffer(Slot::SegmentOffsets(1), words)?];
    let second = if shape.levels > 1 { second } else { 0 };
    let sums = [
        r.buffer(Slot::Sums(0), XYZZ_BYTES * first.max(w * groups) as u64)?,
        r.buffer(Slot::Sums(1), XYZZ_BYTES * second.max(w * groups) as u64)?,
    ];

    let p = MsmParams {
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
    // Digits, bucket sizes (from zeroed counters: the workspace is reused),
    // bucket offsets, then the points by bucket.
    r.commands.clear(&counts, words);
    let decompose_shape = [n as u32, shape.c, digits_per_scalar as u32, 0];
    let decompose_groups = grid(n.div_ceil(WG), MAX_GROUPS_X);
    r.commands.dispatch(
        &k.decompose,
        Some((0, &decompose_shape)),
        &[(1, &scalar_buf), (2, &digits)],
        decompose_groups,
    );
    r.run(&k.count, p, &[(1, &digits), (2, &counts)], n);
    r.commands.copy(&counts, &offsets, words);
    r.scan(&offsets, total + 1, 0)?;
    r.commands.copy(&offsets, &cursor, words);
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
        r.commands.copy(out_cnt, out_off, words);
        r.scan(out_off, total + 1, 0)?;
        upper = upper.min(upper.div_ceil(SEGMENT as usize) + total);
        if level == 0 {
            let chunk = &bases.chunks[index];
            let b = [(3, &entries), (4, chunk), (5, in_cnt), (6, in_off), (7, out_off), (10, out)];
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
        let q = MsmParams { count: (w * per) as u32, run: run as u32, ..p };
        r.run(&k.sum_runs, q, &[(9, from), (10, to)], w * per / run);
        per /= run;
    }
    r.commands.submit()?;

    let mut bytes = runtime::download(dev, to, XYZZ_BYTES * w as u64)?;
    corrupt(&mut bytes);
    // Σ_k 2^(c·k) · window_k over the bucket windows, by Horner from the top
    // window (copies supply the higher digit windows). Every window sum is
    // checked to be on the curve before it is used.
    let mut acc = G1Projective::zero();
    for window in bytes.chunks_exact(XYZZ_BYTES as usize).rev() {
        for _ in 0..shape.c {
            acc.double_in_place();
        }
        acc += g1_from_xyzz_bytes(window)?;
    }
    Ok(acc)
}
