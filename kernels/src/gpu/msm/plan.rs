//! The plan of one MSM pass: window size and count, bucket windows (fewer
//! with precomputed copies of the bases), accumulation levels, and the
//! device memory every buffer of the pass needs. Pure arithmetic, tested
//! without a device.

use super::decompose::windows;
use crate::window::window_bits;
use ark_bn254::Fr;
use ark_ff::{Field, Zero};

/// Bytes of one XYZZ point on the device.
const XYZZ_BYTES: u64 = crate::gpu::runtime::XYZZ_BYTES;
/// Bytes of one base on the device.
const AFFINE_BYTES: u64 = crate::gpu::runtime::AFFINE_BYTES;

/// The most additions one thread makes in a bucket-accumulation level.
pub const SEGMENT: u32 = 32;

/// Buckets per thread in the running-sum reduction.
pub const PER_GROUP: u32 = 16;

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
    pub(super) fn items(&self) -> (usize, usize) {
        let total = self.total_buckets();
        let next = |m: usize| m.min(m.div_ceil(SEGMENT as usize) + total);
        let first = next(self.n * self.windows);
        (first, next(first))
    }

    /// Every buffer of the pass, bases excluded.
    pub fn buffers(&self) -> Vec<PassBuffer> {
        let n = self.n as u64;
        let words = |count: usize| 4 * (count as u64 + 1);
        let groups = (self.copy_windows * (self.buckets / self.per_group())) as u64;
        let (first, second) = self.items();
        let second = if self.levels > 1 { second as u64 } else { 0 };
        let one = |label, bytes| PassBuffer { label, bytes, count: 1 };
        vec![
            one("MSM scalars", 32 * n),
            one("MSM digits", 4 * n * self.windows as u64),
            one("MSM entries", 4 * n * self.windows as u64),
            // Counts, offsets, cursor and two levels' segment counts and
            // offsets: six arrays of a word per bucket (and one more).
            PassBuffer { label: "MSM bucket counts", bytes: words(self.total_buckets()), count: 6 },
            one("MSM segment sums A", XYZZ_BYTES * (first as u64).max(groups)),
            one("MSM segment sums B", XYZZ_BYTES * second.max(groups)),
        ]
    }

    pub(super) fn per_group(&self) -> usize {
        (PER_GROUP as usize).min(self.buckets)
    }

    /// Whether every buffer fits one binding of `max` bytes.
    pub fn fits(&self, max: u64) -> bool {
        self.buffers().iter().all(|b| b.bytes <= max)
    }
}

/// Buffers of one kind in a pass.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PassBuffer {
    /// What they hold.
    pub label: &'static str,
    /// Bytes of each.
    pub bytes: u64,
    /// How many there are.
    pub count: u64,
}

/// The most points a pass takes on any adapter: 2^22 (1.02 GiB of working
/// buffers by `PassShape::buffers`, bases excluded). Larger passes save
/// only a few window combinations on the host, and adapters with multi-GiB
/// bindings would otherwise be asked for tens of GiB at once.
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

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ff::AdditiveGroup;
    use ark_ff::UniformRand;
    use ark_std::rand::{rngs::StdRng, SeedableRng};

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
        let total: u64 =
            PassShape::new(MAX_PASS_POINTS).buffers().iter().map(|b| b.bytes * b.count).sum();
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
}
