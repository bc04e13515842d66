//! The CPU backend's MSM: Pippenger with signed-digit windows and
//! batch-affine bucket accumulation, generic over short-Weierstrass curves
//! (BN254's G1 and G2).
//!
//! Where arkworks adds each point into an XYZZ bucket (mixed addition,
//! 8M + 2S), this groups each window's points by bucket (a counting sort)
//! and sums every bucket by pairwise affine additions in rounds, all
//! additions of a round sharing one field inversion (Montgomery's trick):
//! an affine addition then costs about 5M + 1S plus a share of the
//! inversion, and a heavy bucket (Groth16's many equal scalars) is a
//! balanced tree, not a chain. Scalars above r/2 are negated together with
//! their base, so −1, −2, ... cost what 1, 2, ... cost. Windows run in
//! parallel on rayon.
//!
//! Below [`MIN_BATCH_AFFINE`] points, where batches are too small to pay
//! for their inversions, it calls arkworks' MSM.

use ark_ec::short_weierstrass::{Affine, Bucket, Projective, SWCurveConfig};
use ark_ec::{AdditiveGroup, AffineRepr, CurveGroup, VariableBaseMSM};
use ark_ff::{BigInteger, Field, PrimeField, Zero};
#[cfg(feature = "parallel")]
use rayon::prelude::*;

/// Fewer points than this go to arkworks' MSM, over a prime field (G1):
/// measured equal at 2^10, 0.88x at 2^11 (kernels/README.md).
pub const MIN_BATCH_AFFINE: usize = 1 << 11;
/// The same over an extension field (G2): measured 0.84x at 2^10.
pub const MIN_BATCH_AFFINE_EXTENSION: usize = 1 << 10;
pub use crate::window::window_bits;

/// `Σ scalars[i] · bases[i]` over the shorter of the two slices.
///
/// Scalars are split by size, as arkworks does, because Groth16's are
/// mostly 0, ±1 and small: zeros (and bases at infinity) drop out, and ±1,
/// 16-bit, 64-bit and full-size scalars each get their own MSM with a
/// window size and window count fitted to their number and bit length.
/// With fewer than [`MIN_BATCH_AFFINE`] full-size scalars (G2:
/// [`MIN_BATCH_AFFINE_EXTENSION`]) the whole MSM goes to arkworks.
pub fn msm<P: SWCurveConfig>(bases: &[Affine<P>], scalars: &[P::ScalarField]) -> Projective<P> {
    let n = bases.len().min(scalars.len());
    let (bases, scalars) = (&bases[..n], &scalars[..n]);
    if n < min_batch_affine::<P>() {
        return Projective::<P>::msm_unchecked(bases, scalars);
    }
    // Scalars as integers ≤ r/2, with the sign moved onto the base.
    let half = {
        let mut h = P::ScalarField::MODULUS;
        h.div2();
        h
    };
    let signed: Vec<(<P::ScalarField as PrimeField>::BigInt, bool)> = map(scalars, |s| {
        let v = s.into_bigint();
        if v > half {
            ((-*s).into_bigint(), true)
        } else {
            (v, false)
        }
    });
    let class = |i: usize| -> Option<usize> {
        let bits = signed[i].0.num_bits();
        match bits {
            0 => None,
            _ if bases[i].is_zero() => None,
            1 => Some(0),
            2..=16 => Some(1),
            17..=64 => Some(2),
            _ => Some(3),
        }
    };
    let mut classes: [Vec<usize>; 4] = Default::default();
    for i in 0..n {
        if let Some(c) = class(i) {
            classes[c].push(i);
        }
    }
    // Batching pays where the full-size scalars are many (measured: with
    // 1,638 of them among 8,192 Groth16-like scalars, the split ran 1.33x
    // arkworks); otherwise arkworks' own split is as good.
    if classes[3].len() < min_batch_affine::<P>() {
        return Projective::<P>::msm_unchecked(bases, scalars);
    }
    // Classes run concurrently (each is parallel inside as well).
    map(&classes, |members| {
        if members.is_empty() {
            return Projective::<P>::zero();
        }
        let (b, s): (Vec<Affine<P>>, Vec<_>) = members
            .iter()
            .map(|&i| {
                let (v, negate) = signed[i];
                (if negate { -bases[i] } else { bases[i] }, v)
            })
            .unzip();
        if b.len() < min_batch_affine::<P>() {
            Projective::<P>::msm_bigint(&b, &s)
        } else {
            batch_affine(&b, &s)
        }
    })
    .into_iter()
    .sum()
}

fn min_batch_affine<P: SWCurveConfig>() -> usize {
    if P::BaseField::extension_degree() > 1 {
        MIN_BATCH_AFFINE_EXTENSION
    } else {
        MIN_BATCH_AFFINE
    }
}

/// The batch-affine MSM at any size: `Σ ints[i] · bases[i]` (equal
/// lengths), windows for the longest integer only.
fn batch_affine<P: SWCurveConfig>(
    bases: &[Affine<P>],
    ints: &[<P::ScalarField as PrimeField>::BigInt],
) -> Projective<P> {
    let bits = ints.iter().map(|s| s.num_bits()).max().unwrap_or(0);
    // The top window's digit may carry: one more bit than the scalars have.
    let c = window_bits(bases.len()).min(bits + 1).max(2);
    let windows = (bits + 1).div_ceil(c) as usize;
    // Windows in parallel; with fewer windows than threads (small scalars),
    // each window's points are split into parts as well.
    let parts = threads().div_ceil(windows).min(bases.len().div_ceil(1 << 10)).max(1);
    let part_len = bases.len().div_ceil(parts);
    let tasks: Vec<(usize, usize)> =
        (0..windows).flat_map(|k| (0..parts).map(move |p| (k, p))).collect();
    let partial: Vec<Projective<P>> = map(&tasks, |&(k, p)| {
        let range = p * part_len..((p + 1) * part_len).min(bases.len());
        window_sum(&bases[range.clone()], &ints[range], k, c)
    });
    let sums: Vec<Projective<P>> = partial.chunks(parts).map(|parts| parts.iter().sum()).collect();
    let mut acc = Projective::<P>::zero();
    for sum in sums.iter().rev() {
        for _ in 0..c {
            acc.double_in_place();
        }
        acc += sum;
    }
    acc
}

/// Fixed bases with every window's multiple precomputed: `table[i·W + j] =
/// 2^(c·j) · bases[i]` for the W windows of a full-size scalar. An MSM over
/// them is one bucket sum over n·W points, all windows sharing one set of
/// buckets: no doublings, one bucket reduction per thread instead of one per
/// window, so the window can be wider than Pippenger's for the same
/// reduction cost. The table costs W times the bases' memory.
pub struct FixedBases<P: SWCurveConfig> {
    table: Vec<Affine<P>>,
    n: usize,
    windows: usize,
    c: u32,
}

impl<P: SWCurveConfig> FixedBases<P> {
    /// Precomputes the multiples of `bases` for windows of `c` bits (2..=22).
    pub fn new(bases: &[Affine<P>], c: u32) -> Self {
        let c = c.clamp(2, 22);
        // Scalars are folded to ≤ r/2; the top signed digit may carry one bit.
        let windows = P::ScalarField::MODULUS_BIT_SIZE.div_ceil(c) as usize;
        let rows: Vec<Vec<Projective<P>>> = map(bases, |b| {
            let mut p = Projective::<P>::from(*b);
            (0..windows)
                .map(|_| {
                    let this = p;
                    for _ in 0..c {
                        p.double_in_place();
                    }
                    this
                })
                .collect()
        });
        let flat: Vec<Projective<P>> = rows.into_iter().flatten().collect();
        let table = Projective::<P>::normalize_batch(&flat);
        Self { table, n: bases.len(), windows, c }
    }

    /// The number of bases.
    pub fn len(&self) -> usize {
        self.n
    }

    /// Whether there are no bases.
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// The table's size in bytes.
    pub fn bytes(&self) -> usize {
        self.table.len() * std::mem::size_of::<Affine<P>>()
    }

    /// The table's size in bytes for `n` bases and windows of `c` bits.
    pub fn bytes_for(n: usize, c: u32) -> usize {
        let windows = P::ScalarField::MODULUS_BIT_SIZE.div_ceil(c.clamp(2, 22)) as usize;
        n * windows * std::mem::size_of::<Affine<P>>()
    }

    /// `Σ scalars[i] · bases[i]` over the shorter of the two.
    pub fn msm(&self, scalars: &[P::ScalarField]) -> Projective<P> {
        self.msm_at(0, scalars)
    }

    /// `Σ scalars[i] · bases[offset + i]` over the bases there are.
    pub fn msm_at(&self, offset: usize, scalars: &[P::ScalarField]) -> Projective<P> {
        let offset = offset.min(self.n);
        let n = (self.n - offset).min(scalars.len());
        let half = {
            let mut h = P::ScalarField::MODULUS;
            h.div2();
            h
        };
        let signed: Vec<(<P::ScalarField as PrimeField>::BigInt, bool)> = map(&scalars[..n], |s| {
            let v = s.into_bigint();
            if v > half {
                ((-*s).into_bigint(), true)
            } else {
                (v, false)
            }
        });
        let (w, c) = (self.windows, self.c);
        let parts = threads().min(n.div_ceil(1 << 10)).max(1);
        let part_len = n.div_ceil(parts);
        let ranges: Vec<(usize, usize)> =
            (0..parts).map(|p| (p * part_len, ((p + 1) * part_len).min(n))).collect();
        map(&ranges, |&(from, to)| {
            let digit = |v: usize| {
                let i = from + v / w;
                if self.table[(offset + i) * w].is_zero() {
                    return 0;
                }
                let (int, negate) = &signed[i];
                let d = signed_digit(int.as_ref(), v % w, c);
                if *negate {
                    -d
                } else {
                    d
                }
            };
            bucket_sum((to - from) * w, c, digit, |v| self.table[(offset + from) * w + v])
        })
        .into_iter()
        .sum()
    }
}

/// Threads `map` spreads work over.
fn threads() -> usize {
    #[cfg(feature = "parallel")]
    return rayon::current_num_threads();
    #[cfg(not(feature = "parallel"))]
    1
}

/// `f` over `items`, on rayon when the `parallel` feature is on.
fn map<T: Sync, U: Send>(items: &[T], f: impl Fn(&T) -> U + Sync + Send) -> Vec<U> {
    #[cfg(feature = "parallel")]
    return items.par_iter().map(f).collect();
    #[cfg(not(feature = "parallel"))]
    items.iter().map(f).collect()
}

/// Digit `k` of `s` in signed base 2^c, d ∈ [−2^(c−1), 2^(c−1)], computed
/// from the scalar's bits alone: the carry into window k is bit k·c − 1 of
/// `s` (the lower windows' signed digits sum to s mod 2^(k·c) minus 2^(k·c)
/// exactly when that bit is set), so windows need no pass over each other.
/// Σ_k d_k·2^(c·k) = s when the top bit of the last window is 0.
fn signed_digit(s: &[u64], k: usize, c: u32) -> i32 {
    let bits = |at: usize, width: u32| -> u64 {
        let (limb, shift) = (at / 64, at % 64);
        let mut v = s.get(limb).map_or(0, |l| l >> shift);
        if shift + width as usize > 64 {
            v |= s.get(limb + 1).map_or(0, |l| l << (64 - shift));
        }
        v & ((1 << width) - 1)
    };
    let at = k * c as usize;
    let window = bits(at, c) as i32;
    let carry_in = if at == 0 { 0 } else { bits(at - 1, 1) as i32 };
    window + carry_in - ((window >> (c - 1)) << c)
}

/// Σ_b (b + 1) · S_b for window `k`, S_b the sum of the points whose digit
/// in that window is ±(b + 1).
fn window_sum<P: SWCurveConfig>(
    bases: &[Affine<P>],
    ints: &[<P::ScalarField as PrimeField>::BigInt],
    k: usize,
    c: u32,
) -> Projective<P> {
    let digit = |i: usize| {
        if bases[i].is_zero() {
            0
        } else {
            signed_digit(ints[i].as_ref(), k, c)
        }
    };
    bucket_sum(bases.len(), c, digit, |i| bases[i])
}

/// Σ_i digit(i) · point(i) for `count` points and signed digits of `c` bits
/// (|digit| ≤ 2^(c−1); 0 for a point at infinity), by batch-affine buckets.
fn bucket_sum<P: SWCurveConfig>(
    count: usize,
    c: u32,
    digit: impl Fn(usize) -> i32,
    point: impl Fn(usize) -> Affine<P>,
) -> Projective<P> {
    let buckets = 1usize << (c - 1);
    // The window's buckets, affine; `sums.infinity` marks empty ones.
    let mut sums = Points::<P>::new(buckets);
    sums.infinity.fill(true);
    // Points go through in chunks, so the counting sort's scattered writes
    // stay in cache: each chunk's points are grouped by bucket behind the
    // bucket's current sum, and each group is reduced to the new sum.
    let chunk = (2 * buckets).max(1 << 12);
    let mut start = vec![0usize; buckets + 1];
    let mut points = Points::<P>::new(0);
    let mut digits = Vec::with_capacity(chunk);
    let mut len = vec![0usize; buckets];
    for from in (0..count).step_by(chunk) {
        let to = (from + chunk).min(count);
        digits.clear();
        digits.extend((from..to).map(&digit));
        start.fill(0);
        for &d in &digits {
            if d != 0 {
                start[d.unsigned_abs() as usize] += 1;
            }
        }
        for b in 0..buckets {
            // A touched bucket's current sum goes first in its group.
            let carried = start[b + 1] > 0 && !sums.infinity[b];
            start[b + 1] += start[b] + carried as usize;
        }
        points.resize(start[buckets]);
        let mut cursor = start.clone();
        for b in 0..buckets {
            if start[b + 1] > start[b] && !sums.infinity[b] {
                points.copy_from(cursor[b], &sums, b);
                cursor[b] += 1;
            }
        }
        for (i, &d) in (from..to).zip(&digits) {
            if d != 0 {
                let b = d.unsigned_abs() as usize - 1;
                let p = if d < 0 { -point(i) } else { point(i) };
                let at = cursor[b];
                (points.x[at], points.y[at], points.infinity[at]) = (p.x, p.y, false);
                cursor[b] += 1;
            }
        }
        for b in 0..buckets {
            len[b] = start[b + 1] - start[b];
        }
        points.reduce(&start, &mut len);
        for b in 0..buckets {
            if len[b] == 1 {
                sums.copy_from(b, &points, start[b]);
            }
        }
    }
    // Running sums from the top bucket down, in XYZZ (arkworks' `Bucket`:
    // cheaper additions than Jacobian).
    let mut running = Bucket::<P>::ZERO;
    let mut acc = Bucket::<P>::ZERO;
    for b in (0..buckets).rev() {
        if !sums.infinity[b] {
            running += Affine::<P>::new_unchecked(sums.x[b], sums.y[b]);
        }
        acc += &running;
    }
    acc.into()
}

/// Affine points (with identity flags) grouped by bucket.
struct Points<P: SWCurveConfig> {
    x: Vec<P::BaseField>,
    y: Vec<P::BaseField>,
    infinity: Vec<bool>,
}

impl<P: SWCurveConfig> Points<P> {
    fn new(n: usize) -> Self {
        Self {
            x: vec![P::BaseField::zero(); n],
            y: vec![P::BaseField::zero(); n],
            infinity: vec![false; n],
        }
    }

    fn resize(&mut self, n: usize) {
        self.x.resize(n, P::BaseField::zero());
        self.y.resize(n, P::BaseField::zero());
        self.infinity.resize(n, false);
    }

    /// Slot `to` ← slot `from` of `other`.
    fn copy_from(&mut self, to: usize, other: &Self, from: usize) {
        (self.x[to], self.y[to], self.infinity[to]) =
            (other.x[from], other.y[from], other.infinity[from]);
    }

    /// Sums every bucket's points (bucket b holds `len[b]` points from
    /// `start[b]`) into its first slot, in rounds: each round adds
    /// neighbours pairwise in every bucket at once, all additions of the
    /// round sharing one batched inversion. A bucket of m points takes
    /// ⌈log2 m⌉ rounds, so one bucket holding every point (all scalars
    /// equal) costs what a uniform spread does.
    fn reduce(&mut self, start: &[usize], len: &mut [usize]) {
        let mut active: Vec<usize> = (0..len.len()).filter(|&b| len[b] >= 2).collect();
        let mut pairs: Vec<(usize, usize)> = Vec::new();
        let mut denominators: Vec<P::BaseField> = Vec::new();
        while !active.is_empty() {
            pairs.clear();
            denominators.clear();
            for &b in &active {
                for j in 0..len[b] / 2 {
                    let a = start[b] + 2 * j;
                    pairs.push((start[b] + j, a));
                    denominators.push(self.denominator(a, a + 1));
                }
            }
            ark_ff::batch_inversion(&mut denominators);
            // Forward order: pair j reads slots 2j, 2j + 1 and writes slot
            // j ≤ 2j of its bucket, which no later pair reads.
            for (&(dst, a), &inv) in pairs.iter().zip(&denominators) {
                self.add_into(dst, a, a + 1, inv);
            }
            for &b in &active {
                let m = len[b];
                if m % 2 == 1 {
                    let (from, to) = (start[b] + m - 1, start[b] + m / 2);
                    (self.x[to], self.y[to], self.infinity[to]) =
                        (self.x[from], self.y[from], self.infinity[from]);
                }
                len[b] = m.div_ceil(2);
            }
            active.retain(|&b| len[b] >= 2);
        }
    }

    /// What slot `a` + slot `b` divides by: x_b − x_a for an addition, 2y
    /// for a doubling, 1 where no division happens (an identity operand,
    /// or P + (−P)).
    fn denominator(&self, a: usize, b: usize) -> P::BaseField {
        if self.infinity[a] || self.infinity[b] {
            P::BaseField::ONE
        } else if self.x[a] != self.x[b] {
            self.x[b] - self.x[a]
        } else if self.y[a] == self.y[b] {
            self.y[a].double()
        } else {
            P::BaseField::ONE
        }
    }

    /// Slot `dst` ← slot `a` + slot `b`, given the inverse of their
    /// denominator.
    fn add_into(&mut self, dst: usize, a: usize, b: usize, inv: P::BaseField) {
        let copy = |s: &mut Self, from: usize| {
            (s.x[dst], s.y[dst], s.infinity[dst]) = (s.x[from], s.y[from], s.infinity[from]);
        };
        if self.infinity[b] {
            return copy(self, a);
        }
        if self.infinity[a] {
            return copy(self, b);
        }
        let (x1, y1, x2, y2) = (self.x[a], self.y[a], self.x[b], self.y[b]);
        let lambda = if x1 != x2 {
            (y2 - y1) * inv
        } else if y1 == y2 {
            let xx = x1.square();
            (xx.double() + xx + P::COEFF_A) * inv
        } else {
            self.infinity[dst] = true;
            return;
        };
        let x3 = lambda.square() - x1 - x2;
        self.y[dst] = lambda * (x1 - x3) - y1;
        self.x[dst] = x3;
        self.infinity[dst] = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_bn254::Fr;
    use ark_ec::CurveGroup;
    use ark_ff::UniformRand;
    use ark_std::rand::{rngs::StdRng, SeedableRng};

    /// `n` bases with the identity, a repeated point and its negation
    /// among them.
    fn hostile_bases<P: SWCurveConfig<ScalarField = Fr>>(
        n: usize,
        rng: &mut StdRng,
    ) -> Vec<Affine<P>> {
        let g = Projective::<P>::rand(rng);
        let all: Vec<Projective<P>> = (0..n).map(|i| g * Fr::from(i as u64 + 1)).collect();
        let mut bases = Projective::<P>::normalize_batch(&all);
        if n >= 4 {
            bases[1] = Affine::identity();
            bases[2] = bases[0];
            bases[3] = -bases[0];
        }
        bases
    }

    fn check<P: SWCurveConfig<ScalarField = Fr>>(n: usize, seed: u64) {
        let mut rng = StdRng::seed_from_u64(seed);
        let bases = hostile_bases::<P>(n, &mut rng);
        for (what, scalars) in crate::workload::scalar_sets(n, &mut rng) {
            let want = Projective::<P>::msm_unchecked(&bases, &scalars);
            let ints: Vec<_> = scalars.iter().map(|s| s.into_bigint()).collect();
            assert_eq!(batch_affine(&bases, &ints), want, "{what}, n = {n}");
            assert_eq!(msm(&bases, &scalars), want, "{what}, n = {n}");
        }
    }

    #[test]
    fn batch_affine_msm_matches_arkworks_in_g1_and_g2() {
        for n in [1usize, 2, 3, 4, 5, 17, 100, 1000, 1 << 11, 3500] {
            check::<ark_bn254::g1::Config>(n, n as u64);
        }
        for n in [1usize, 4, 33, 1 << 11] {
            check::<ark_bn254::g2::Config>(n, n as u64);
        }
    }

    #[test]
    fn fixed_base_msm_matches_arkworks_in_g1_and_g2() {
        fn check_fixed<P: SWCurveConfig<ScalarField = Fr>>(n: usize, c: u32, seed: u64) {
            let mut rng = StdRng::seed_from_u64(seed);
            let bases = hostile_bases::<P>(n, &mut rng);
            let fixed = FixedBases::new(&bases, c);
            for (what, scalars) in crate::workload::scalar_sets(n, &mut rng) {
                let want = Projective::<P>::msm_unchecked(&bases, &scalars);
                assert_eq!(fixed.msm(&scalars), want, "{what}, n = {n}, c = {c}");
                // Fewer scalars than bases: the shorter of the two.
                let half = &scalars[..n / 2];
                let want = Projective::<P>::msm_unchecked(&bases[..n / 2], half);
                assert_eq!(fixed.msm(half), want, "{what}, first half, n = {n}, c = {c}");
                // From an offset, as the prover's queries are read.
                let (at, tail) = (n / 3, &scalars[..n - n / 3]);
                let want = Projective::<P>::msm_unchecked(&bases[at..], tail);
                assert_eq!(fixed.msm_at(at, tail), want, "{what}, at {at}, n = {n}, c = {c}");
            }
        }
        for (n, c) in [(1usize, 4u32), (4, 2), (5, 7), (100, 9), (3500, 13), (1 << 11, 16)] {
            check_fixed::<ark_bn254::g1::Config>(n, c, n as u64);
        }
        for (n, c) in [(4usize, 5u32), (33, 8), (1 << 10, 12)] {
            check_fixed::<ark_bn254::g2::Config>(n, c, n as u64);
        }
    }

    #[test]
    fn signed_digits_reconstruct_the_scalar() {
        let mut rng = StdRng::seed_from_u64(3);
        let mut half = Fr::MODULUS;
        half.div2();
        let max = (-Fr::ONE).into_bigint();
        let edges = [Fr::zero(), Fr::ONE, Fr::from(u64::MAX), Fr::from_bigint(half).unwrap()];
        for c in [4u32, 7, 13, 15, 16] {
            let windows = (Fr::MODULUS_BIT_SIZE).div_ceil(c) as usize;
            for s in edges.into_iter().chain((0..20).map(|_| Fr::rand(&mut rng))) {
                let v = s.into_bigint();
                let v = if v > half { (-s).into_bigint() } else { v };
                assert!(v <= max);
                let digits: Vec<i32> =
                    (0..windows).map(|k| signed_digit(v.as_ref(), k, c)).collect();
                let radix = Fr::from(1u64 << c);
                let back = digits.iter().rev().fold(Fr::zero(), |acc, &d| {
                    let d_abs = Fr::from(d.unsigned_abs() as u64);
                    acc * radix + if d < 0 { -d_abs } else { d_abs }
                });
                assert_eq!(back, Fr::from_bigint(v).unwrap(), "c = {c}");
                assert!(digits.iter().all(|d| d.unsigned_abs() <= 1 << (c - 1)));
            }
        }
    }
}

#[cfg(test)]
mod timing {
    //! Not a benchmark (those are in benches/ and `stateproof bench`): a
    //! quick interleaved comparison for tuning, run by hand.
    use super::*;
    use ark_bn254::Fr;
    use ark_ec::CurveGroup;
    use ark_ff::UniformRand;
    use std::time::Instant;

    fn compare<P: SWCurveConfig<ScalarField = Fr>>(name: &str, logs: &[u32]) {
        use ark_std::rand::{rngs::StdRng, SeedableRng};
        let mut rng = StdRng::seed_from_u64(1);
        let g = Projective::<P>::rand(&mut rng);
        for &log in logs {
            let n = 1usize << log;
            let all: Vec<Projective<P>> = (0..n).map(|i| g * Fr::from(i as u64 + 7)).collect();
            let bases = Projective::<P>::normalize_batch(&all);
            let uniform: Vec<Fr> = (0..n).map(|_| Fr::rand(&mut rng)).collect();
            let skewed = crate::workload::scalar_sets(n, &mut rng).pop().expect("groth16-like").1;
            for (kind, scalars) in [("uniform", uniform), ("groth16-like", skewed)] {
                let (mut ours, mut ark) = (vec![], vec![]);
                for _ in 0..5 {
                    let t = Instant::now();
                    let _ = std::hint::black_box(msm(&bases, &scalars));
                    ours.push(t.elapsed().as_secs_f64());
                    let t = Instant::now();
                    let _ = std::hint::black_box(Projective::<P>::msm_unchecked(&bases, &scalars));
                    ark.push(t.elapsed().as_secs_f64());
                }
                ours.sort_by(f64::total_cmp);
                ark.sort_by(f64::total_cmp);
                let (a, b) = (ours[2], ark[2]);
                println!(
                    "{name} {kind} 2^{log}: stateproof {:.2} ms, arkworks {:.2} ms, ratio {:.2}",
                    a * 1e3,
                    b * 1e3,
                    a / b
                );
            }
        }
    }

    #[test]
    #[ignore = "tuning aid: cargo test --release -p stateproof-kernels tuning -- --ignored --nocapture"]
    fn tuning_fixed_bases_against_batch_affine() {
        use ark_std::rand::{rngs::StdRng, SeedableRng};
        let mut rng = StdRng::seed_from_u64(2);
        let g = ark_bn254::G1Projective::rand(&mut rng);
        for log in [16u32, 18] {
            let n = 1usize << log;
            let all: Vec<_> = (0..n).map(|i| g * Fr::from(i as u64 + 7)).collect();
            let bases = ark_bn254::G1Projective::normalize_batch(&all);
            let scalars: Vec<Fr> = (0..n).map(|_| Fr::rand(&mut rng)).collect();
            let median = |f: &dyn Fn() -> ark_bn254::G1Projective| {
                let mut t: Vec<f64> = (0..5)
                    .map(|_| {
                        let s = Instant::now();
                        let _ = std::hint::black_box(f());
                        s.elapsed().as_secs_f64() * 1e3
                    })
                    .collect();
                t.sort_by(f64::total_cmp);
                t[2]
            };
            let plain = median(&|| msm(&bases, &scalars));
            let ark = median(&|| ark_bn254::G1Projective::msm_unchecked(&bases, &scalars));
            println!("G1 2^{log}: batch-affine {plain:.1} ms, arkworks {ark:.1} ms");
            for c in [log - 3, log - 1, log + 1, 20] {
                let start = Instant::now();
                let fixed = FixedBases::new(&bases, c);
                let prep = start.elapsed().as_secs_f64();
                let t = median(&|| fixed.msm(&scalars));
                println!(
                    "  fixed c = {c}: {t:.1} ms ({:.2}x batch-affine, {:.2}x arkworks), table {} MB made in {prep:.1} s",
                    t / plain,
                    t / ark,
                    fixed.bytes() >> 20
                );
            }
        }
    }

    #[test]
    #[ignore = "tuning aid: cargo test --release -p stateproof-kernels tuning -- --ignored --nocapture"]
    fn tuning_batch_affine_against_arkworks() {
        compare::<ark_bn254::g1::Config>("G1", &[10, 11, 12, 14, 16, 18, 20]);
        compare::<ark_bn254::g2::Config>("G2", &[10, 11, 12, 14, 16]);
    }
}
