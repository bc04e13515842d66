//! The R1CS-to-QAP reductions: from the evaluations of `A·z`, `B·z` and
//! `C·z` over the constraint domain to the scalars of the proof's H MSM, as
//! a program of NTTs any [`NttBackend`] runs (a GPU one with the vectors
//! resident). The reduction is a type parameter of the prover, as arkworks'
//! `R1CSToQAP` is of `Groth16`.

use crate::Result;
use ark_bn254::Fr;
use ark_ff::Field;
use stateproof_kernels::{coset_vanishing_inverse, NttBackend, NttKind, NttStep};

/// An R1CS-to-QAP reduction.
pub trait QapReduction: Send + Sync + 'static {
    /// What the reduction is, for reports.
    const NAME: &'static str;

    /// The NTTs of its witness map, for reports: "7 NTTs".
    const TRANSFORMS: usize;

    /// The domain for `constraints` constraints and `inputs` public inputs
    /// (the constant one included).
    fn domain_size(constraints: usize, inputs: usize) -> usize;

    /// The H MSM's scalars from the evaluations of `A·z`, `B·z`, `C·z`
    /// over the domain (each of the domain's size, zero-padded).
    fn h_scalars<N: NttBackend>(ntt: &N, a: Vec<Fr>, b: Vec<Fr>, c: Vec<Fr>) -> Result<Vec<Fr>>;
}

fn transform(v: usize, kind: NttKind) -> NttStep {
    NttStep::Transform { v, kind }
}

/// libsnark's reduction, as ark-groth16's `LibsnarkReduction`: the domain
/// holds the constraints and one extra row per public input (which pins
/// the input into `A`); `h = (a·b − c) / Z_H` in coefficient form, from 3
/// inverse NTTs, 3 coset NTTs and 1 inverse coset NTT on `g·H`.
pub struct LibsnarkReduction;

impl QapReduction for LibsnarkReduction {
    const NAME: &'static str = "libsnark (ark-groth16)";
    const TRANSFORMS: usize = 7;

    fn domain_size(constraints: usize, inputs: usize) -> usize {
        (constraints + inputs).next_power_of_two()
    }

    fn h_scalars<N: NttBackend>(ntt: &N, a: Vec<Fr>, b: Vec<Fr>, c: Vec<Fr>) -> Result<Vec<Fr>> {
        let scale = coset_vanishing_inverse(a.len())?;
        let mut steps = Vec::with_capacity(8);
        for v in 0..3 {
            steps.extend([transform(v, NttKind::Inverse), transform(v, NttKind::CosetForward)]);
        }
        steps.push(NttStep::MulSub { a: 0, b: 1, c: 2, scale });
        steps.push(transform(0, NttKind::CosetInverse));
        Ok(ntt.run(vec![a, b, c], &steps, 0)?)
    }
}

/// snarkjs's reduction: no division by the vanishing polynomial; `a·b − c`
/// evaluated on the odd coset `ω₂ₙ·H` (3 inverse NTTs, 3 odd-coset NTTs,
/// `ω₂ₙ` the 2n-th root of unity of ffjavascript's choice, which is
/// arkworks' too: both derive it from the field's least non-residue, 5).
/// A snarkjs zkey's H points absorb `Z_H(ω₂ₙ·x) = −2` there, and its
/// domain (in the zkey) already counts the input rows.
pub struct SnarkjsReduction;

impl QapReduction for SnarkjsReduction {
    const NAME: &'static str = "snarkjs";
    const TRANSFORMS: usize = 6;

    fn domain_size(constraints: usize, inputs: usize) -> usize {
        (constraints + inputs).next_power_of_two()
    }

    fn h_scalars<N: NttBackend>(ntt: &N, a: Vec<Fr>, b: Vec<Fr>, c: Vec<Fr>) -> Result<Vec<Fr>> {
        let mut steps = Vec::with_capacity(7);
        for v in 0..3 {
            steps.extend([transform(v, NttKind::Inverse), transform(v, NttKind::OddCosetForward)]);
        }
        steps.push(NttStep::MulSub { a: 0, b: 1, c: 2, scale: Fr::ONE });
        Ok(ntt.run(vec![a, b, c], &steps, 0)?)
    }
}
