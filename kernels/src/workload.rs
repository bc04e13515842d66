//! Inputs shaped like a Groth16 prover's, shared by `stateproof bench`, the
//! criterion benchmarks and the MSM tests.

use ark_bn254::Fr;
use ark_ec::CurveGroup;
use ark_ff::{UniformRand, Zero};
use ark_std::rand::Rng;

/// Scalars as Groth16 produces them: 40% zeros, 30% ones, 10% small values
/// (2..2^16), 10% one repeated full-size value, 10% random.
pub fn skewed_scalars(n: usize, rng: &mut impl Rng) -> Vec<Fr> {
    let repeated = Fr::rand(rng);
    (0..n)
        .map(|_| match rng.gen_range(0..100) {
            0..=39 => Fr::zero(),
            40..=69 => Fr::from(1u64),
            70..=79 => Fr::from(rng.gen_range(2u64..1 << 16)),
            80..=89 => repeated,
            _ => Fr::rand(rng),
        })
        .collect()
}

/// `n` distinct points: consecutive multiples of one random point, cheap to
/// make and as good as any for timing.
pub fn random_points<G: CurveGroup>(n: usize, rng: &mut impl Rng) -> Vec<G::Affine> {
    let base = G::rand(rng);
    let mut acc = base;
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        out.push(acc);
        acc += base;
    }
    G::normalize_batch(&out)
}

/// The scalar sets every MSM is tested on: uniform, and the skews and edges
/// Groth16 meets ("groth16-like" last).
#[cfg(test)]
pub(crate) fn scalar_sets(n: usize, rng: &mut impl Rng) -> Vec<(&'static str, Vec<Fr>)> {
    use ark_ff::Field;
    let r = Fr::rand(rng);
    let mut one_nonzero = vec![Fr::zero(); n];
    one_nonzero[n / 3] = Fr::rand(rng);
    vec![
        ("uniform", (0..n).map(|_| Fr::rand(rng)).collect()),
        ("zeros", vec![Fr::zero(); n]),
        ("ones", vec![Fr::ONE; n]),
        ("r - 1", vec![-Fr::ONE; n]),
        ("all equal", vec![r; n]),
        ("one nonzero", one_nonzero),
        (
            // Enough full-size scalars to batch, with every other size
            // class present (each goes its own way in the CPU MSM).
            "mostly full-size",
            (0..n)
                .map(|i| match i % 8 {
                    0 => Fr::ONE,
                    1 => -Fr::from(rng.gen::<u16>() as u64),
                    2 => Fr::from(rng.gen::<u64>()),
                    _ => Fr::rand(rng),
                })
                .collect(),
        ),
        (
            "groth16-like",
            (0..n)
                .map(|_| match rng.gen_range(0..10) {
                    0..=3 => Fr::zero(),
                    4..=6 => Fr::ONE,
                    7 => -Fr::from(rng.gen::<u16>() as u64),
                    8 => Fr::from(rng.gen::<u32>() as u64),
                    _ => Fr::rand(rng),
                })
                .collect(),
        ),
    ]
}
