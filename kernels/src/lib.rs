//! MSM and NTT backends for stateproof's Groth16 prover.
//!
//! The prover computes through two traits: [`MsmBackend`] (variable-base
//! multi-scalar multiplication in BN254's G1 and G2) and [`NttBackend`]
//! (radix-2 NTTs over BN254's `Fr`, on the subgroup and on its coset). Each
//! trait's provided methods validate sizes and return a typed [`Error`];
//! backends implement only the unchecked core.
//!
//! Both traits are shaped for a device backend: bases are *prepared* once
//! ([`MsmBackend::prepare_g1`]) and addressed by offset afterwards, so a GPU
//! backend can keep the proving key resident across the MSMs of one proof
//! and across proofs; and the whole Groth16 quotient (seven NTTs) is one call
//! ([`NttBackend::quotient`]), which a GPU backend overrides to keep its
//! vectors on the device between NTTs.
//!
//! ```
//! use stateproof_kernels::{cpu::CpuBackend, NttBackend, NttKind};
//! use ark_bn254::Fr;
//! let mut v: Vec<Fr> = (0u64..8).map(Fr::from).collect();
//! let original = v.clone();
//! CpuBackend.ntt(&mut v, NttKind::Forward).unwrap();
//! CpuBackend.ntt(&mut v, NttKind::Inverse).unwrap();
//! assert_eq!(v, original);
//! ```
//!
//! Features: `parallel` (default) runs the CPU backend on rayon; `gpu`
//! (default) adds the wgpu backend in [`gpu`].
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod cpu;
mod error;
#[cfg(feature = "gpu")]
pub mod gpu;
pub mod pippenger;
mod select;
pub mod workload;

pub use select::{
    BackendChoice, FallbackG1Bases, FallbackMsm, FallbackNtt, AUTO_MIN_MSM, AUTO_MIN_NTT,
};

pub use error::{Error, Result};

use ark_bn254::{Fr, G1Affine, G1Projective, G2Affine, G2Projective};
use ark_ff::{FftField, Field};

/// The largest NTT BN254's `Fr` allows: its two-adicity is 28.
pub const MAX_LOG_NTT: u32 = <Fr as FftField>::TWO_ADICITY;

/// Bases prepared by a backend (copied, uploaded or precomputed).
pub trait PreparedBases: Send + Sync {
    /// Number of bases.
    fn len(&self) -> usize;
    /// Whether there are none.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Variable-base MSM in G1 and G2.
pub trait MsmBackend: Send + Sync {
    /// G1 bases in the backend's form.
    type G1Bases: PreparedBases;
    /// G2 bases in the backend's form.
    type G2Bases: PreparedBases;

    /// A short name for reports ("cpu", "gpu").
    fn name(&self) -> &'static str;

    /// Prepares G1 bases for repeated MSMs.
    fn prepare_g1(&self, bases: &[G1Affine]) -> Result<Self::G1Bases>;
    /// Prepares G2 bases for repeated MSMs.
    fn prepare_g2(&self, bases: &[G2Affine]) -> Result<Self::G2Bases>;

    /// `Σ scalars[i] · bases[offset + i]`, sizes already checked.
    fn msm_g1_unchecked(
        &self,
        bases: &Self::G1Bases,
        offset: usize,
        scalars: &[Fr],
    ) -> Result<G1Projective>;
    /// `Σ scalars[i] · bases[offset + i]` in G2, sizes already checked.
    fn msm_g2_unchecked(
        &self,
        bases: &Self::G2Bases,
        offset: usize,
        scalars: &[Fr],
    ) -> Result<G2Projective>;

    /// `Σ scalars[i] · bases[offset + i]` in G1.
    fn msm_g1(&self, bases: &Self::G1Bases, offset: usize, scalars: &[Fr]) -> Result<G1Projective> {
        check_range(bases.len(), offset, scalars.len())?;
        self.msm_g1_unchecked(bases, offset, scalars)
    }

    /// `Σ scalars[i] · bases[offset + i]` in G2.
    fn msm_g2(&self, bases: &Self::G2Bases, offset: usize, scalars: &[Fr]) -> Result<G2Projective> {
        check_range(bases.len(), offset, scalars.len())?;
        self.msm_g2_unchecked(bases, offset, scalars)
    }
}

fn check_range(bases: usize, offset: usize, scalars: usize) -> Result<()> {
    match offset.checked_add(scalars) {
        Some(end) if end <= bases => Ok(()),
        _ => Err(Error::LengthMismatch { bases, offset, scalars }),
    }
}

/// Which transform an NTT computes. Cosets are `g·H` with `g` the field's
/// multiplicative generator (`Fr::GENERATOR`), as ark-groth16 uses, except
/// the odd coset that snarkjs uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NttKind {
    /// Coefficients to evaluations over the subgroup `H`.
    Forward,
    /// Evaluations over `H` to coefficients.
    Inverse,
    /// Coefficients to evaluations over the coset `g·H`.
    CosetForward,
    /// Evaluations over `g·H` to coefficients.
    CosetInverse,
    /// Coefficients to evaluations over the odd coset `ω₂ₙ·H`, with `ω₂ₙ`
    /// the 2n-th root of unity of `Fr::get_root_of_unity` (snarkjs's
    /// coset; it needs 2n ≤ 2^[`MAX_LOG_NTT`]).
    OddCosetForward,
}

/// Radix-2 NTTs over BN254's `Fr`, bit-identical to ark-poly's
/// `Radix2EvaluationDomain` (natural order in and out).
pub trait NttBackend: Send + Sync {
    /// A short name for reports.
    fn name(&self) -> &'static str;

    /// Transforms `values` in place; its length is a checked power of two.
    fn ntt_unchecked(&self, values: &mut [Fr], kind: NttKind) -> Result<()>;

    /// Transforms `values` in place; the length must be a power of two no
    /// larger than 2^[`MAX_LOG_NTT`].
    fn ntt(&self, values: &mut [Fr], kind: NttKind) -> Result<()> {
        check_ntt_len(values.len())?;
        self.ntt_unchecked(values, kind)
    }

    /// The Groth16 quotient `h = (a·b − c) / Z_H` in coefficient form, from
    /// the evaluations of `a`, `b`, `c` over `H`: 3 inverse NTTs, 3 coset
    /// NTTs and 1 inverse coset NTT, exactly as ark-groth16's
    /// `LibsnarkReduction::witness_map`. Device backends override this to
    /// keep the vectors resident between the seven transforms.
    fn quotient(&self, mut a: Vec<Fr>, mut b: Vec<Fr>, mut c: Vec<Fr>) -> Result<Vec<Fr>> {
        let n = check_quotient_shape(&a, &b, &c)?;
        for v in [&mut a, &mut b, &mut c] {
            self.ntt_unchecked(v, NttKind::Inverse)?;
            self.ntt_unchecked(v, NttKind::CosetForward)?;
        }
        hadamard_quotient(&mut a, &b, &c, coset_vanishing_inverse(n)?);
        self.ntt_unchecked(&mut a, NttKind::CosetInverse)?;
        Ok(a)
    }

    /// snarkjs's quotient: `a·b − c` as evaluations over the odd coset
    /// `ω₂ₙ·H`, from the evaluations of `a`, `b`, `c` over `H` (3 inverse
    /// NTTs, 3 odd-coset NTTs). There is no division: a snarkjs zkey's H
    /// points absorb `Z_H(ω₂ₙ·x) = −2`. Device backends override this to
    /// keep the vectors resident between the six transforms.
    fn odd_coset_quotient(
        &self,
        mut a: Vec<Fr>,
        mut b: Vec<Fr>,
        mut c: Vec<Fr>,
    ) -> Result<Vec<Fr>> {
        check_quotient_shape(&a, &b, &c)?;
        for v in [&mut a, &mut b, &mut c] {
            self.ntt_unchecked(v, NttKind::Inverse)?;
            self.ntt_unchecked(v, NttKind::OddCosetForward)?;
        }
        hadamard_quotient(&mut a, &b, &c, Fr::ONE);
        Ok(a)
    }
}

/// The common length of a quotient's three inputs, a supported NTT size.
pub(crate) fn check_quotient_shape(a: &[Fr], b: &[Fr], c: &[Fr]) -> Result<usize> {
    let n = a.len();
    check_ntt_len(n)?;
    if b.len() != n || c.len() != n {
        return Err(Error::QuotientShape { a: n, b: b.len(), c: c.len() });
    }
    Ok(n)
}

/// `1 / Z_H` on the coset `g·H`: `Z_H(g·x) = gⁿ·xⁿ − 1 = gⁿ − 1` there.
pub(crate) fn coset_vanishing_inverse(n: usize) -> Result<Fr> {
    (Fr::GENERATOR.pow([n as u64]) - Fr::ONE).inverse().ok_or(Error::UnsupportedSize { len: n })
}

/// `ω₂ₙ`, the generator of the odd coset of a domain of size `n`.
pub(crate) fn odd_coset_shift(n: usize) -> Result<Fr> {
    Fr::get_root_of_unity(2 * n as u64).ok_or(Error::UnsupportedSize { len: n })
}

/// `a ← (a·b − c)·z_inv`, element-wise.
pub(crate) fn hadamard_quotient(a: &mut [Fr], b: &[Fr], c: &[Fr], z_inv: Fr) {
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        a.par_iter_mut().zip(b).zip(c).for_each(|((a, b), c)| *a = (*a * b - c) * z_inv);
    }
    #[cfg(not(feature = "parallel"))]
    a.iter_mut().zip(b).zip(c).for_each(|((a, b), c)| *a = (*a * b - c) * z_inv);
}

pub(crate) fn check_ntt_len(len: usize) -> Result<()> {
    if len == 0 || !len.is_power_of_two() || len.trailing_zeros() > MAX_LOG_NTT {
        return Err(Error::UnsupportedSize { len });
    }
    Ok(())
}
