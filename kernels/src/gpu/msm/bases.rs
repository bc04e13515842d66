//! G1 bases resident on the device, plain or in precomputed shifted copies,
//! in chunks that each fit one binding.

use super::super::runtime::{self, g1_affine_bytes, grid, Commands, AFFINE_BYTES, MAX_GROUPS_X};
use super::super::GpuDevice;
use super::pipelines::MsmPipelines;
use super::plan::PassShape;
use super::WG;
use crate::window::window_bits;
use crate::{PreparedBases, Result};
use ark_bn254::{Fr, G1Affine};

/// G1 bases resident on the device, in chunks of at most `chunk` points
/// (one buffer and one binding each). With precomputed multiples, a chunk
/// of m points holds `copies` copies, copy j of point i at j·m + i.
pub struct GpuBases {
    pub(super) chunks: Vec<wgpu::Buffer>,
    pub(super) chunk: usize,
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
    pub(super) fn shape(&self, scalars: &[Fr], max_binding: u64) -> PassShape {
        if self.copies > 1 {
            PassShape::with_copies(scalars.len(), self.c, self.copies)
        } else {
            PassShape::for_scalars(scalars, max_binding)
        }
    }

    /// Points in chunk `index` (the distance between its copies).
    pub(super) fn points_in(&self, index: usize) -> usize {
        self.chunk.min(self.len - index * self.chunk)
    }

    /// The bases uploaded as they are, `chunk` points a buffer.
    pub(super) fn plain(dev: &GpuDevice, bases: &[G1Affine], chunk: usize) -> Result<Self> {
        let chunks = bases
            .chunks(chunk)
            .map(|c| runtime::upload(dev, "MSM bases", &g1_affine_bytes(c)))
            .collect::<Result<Vec<_>>>()?;
        Ok(Self { chunks, chunk, len: bases.len(), copies: 1, c: 0 })
    }

    /// The bases with `factor` precomputed copies: the window size is fixed
    /// here, from the points of a full chunk, and the chunk halves until
    /// its copies fit one binding. Copy j is made on the device from copy
    /// j − 1, one dispatch per copy.
    pub(super) fn with_copies(
        dev: &GpuDevice,
        pipelines: &MsmPipelines,
        bases: &[G1Affine],
        mut chunk: usize,
        factor: usize,
    ) -> Result<Self> {
        let max = dev.limits.max_binding;
        let shape = loop {
            let points = chunk.min(bases.len());
            let shape = PassShape::with_copies(points, window_bits(points), factor);
            if shape.copies() as u64 * points as u64 * AFFINE_BYTES <= max || chunk == 1 {
                break shape;
            }
            chunk /= 2;
        };
        let copies = shape.copies();
        let chunks = bases
            .chunks(chunk)
            .map(|part| {
                let m = part.len();
                let buffer =
                    runtime::storage(dev, "MSM bases", copies as u64 * m as u64 * AFFINE_BYTES)?;
                dev.queue.write_buffer(&buffer, 0, &g1_affine_bytes(part));
                let groups = grid(m.div_ceil(WG), MAX_GROUPS_X);
                for copy in 1..copies as u32 {
                    // One copy per submission keeps each invocation's loop
                    // far below llvmpipe's 65,535 iterations (kernels/README.md).
                    let mut commands = Commands::new(dev);
                    let shift = [m as u32, m as u32, copy, shape.shift_bits()];
                    commands.dispatch(
                        &pipelines.shift_copies,
                        Some((0, &shift)),
                        &[(1, &buffer)],
                        groups,
                    );
                    commands.submit()?;
                }
                Ok(buffer)
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Self { chunks, chunk, len: bases.len(), copies, c: shape.c })
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
