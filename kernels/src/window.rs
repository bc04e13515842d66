//! The window size of Pippenger's method, shared by the CPU and GPU MSMs.

/// Window bits for an MSM of `n` points: ⌈log2 n⌉ − 3, clamped to 4..=16.
///
/// With W = ⌈255 / c⌉ windows, an MSM makes about n·W additions into
/// buckets and 2·W·2^(c−1) additions reducing them; this choice keeps the
/// second term at most an eighth of the first from 2^7 points up, and 16
/// is the most a u32 bucket entry and the GPU's decomposition allow. The
/// CPU's batch-affine buckets were measured best with the same rule
/// (kernels/README.md).
pub fn window_bits(n: usize) -> u32 {
    let log = usize::BITS - n.saturating_sub(1).leading_zeros();
    log.saturating_sub(3).clamp(4, 16)
}
