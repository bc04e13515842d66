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
//! and across proofs; and NTTs run as programs over vectors the backend holds
//! ([`NttBackend::run`]), so that a GPU backend keeps the vectors of a whole
//! Groth16 witness map on the device between its transforms.
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
//! (default) adds the wgpu backend in [`gpu`]; `test-hooks` adds fault
//! injection for tests (`gpu::Fault`); `microbench` exposes what the
//! kernel microbenchmarks in `benches/` need. Neither of the last two
//! belongs in a release build.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod cpu;
mod error;
#[cfg(feature = "gpu")]
pub mod gpu;
pub mod pippenger;
mod select;
pub mod window;
pub mod workload;

pub use select::{
    BackendChoice, Backends, FallbackG1Bases, FallbackMsm, FallbackNtt, AUTO_MIN_MSM, AUTO_MIN_NTT,
};

pub use error::{Error, Result};

use ark_bn254::{Fr, G1Affine, G1Projective, G2Affine, G2Projective};
use ark_ff::{FftField, Field};
use cpu::{CpuBackend, HostBases};

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

    /// The host copy of prepared G1 bases, where the backend keeps one.
    fn host_g1<'a>(&self, _bases: &'a Self::G1Bases) -> Option<&'a HostBases<G1Affine>> {
        None
    }

    /// The host copy of prepared G2 bases, where the backend keeps one.
    fn host_g2<'a>(&self, _bases: &'a Self::G2Bases) -> Option<&'a HostBases<G2Affine>> {
        None
    }

    /// The same G1 MSM by the CPU backend, where this backend keeps a host
    /// copy of the bases; `None` otherwise. The prover's self-check uses it
    /// to tell a faulty device from a bad witness.
    fn msm_g1_reference(
        &self,
        bases: &Self::G1Bases,
        offset: usize,
        scalars: &[Fr],
    ) -> Option<Result<G1Projective>> {
        Some(CpuBackend.msm_g1(self.host_g1(bases)?, offset, scalars))
    }

    /// The same G2 MSM by the CPU backend, where this backend can.
    fn msm_g2_reference(
        &self,
        bases: &Self::G2Bases,
        offset: usize,
        scalars: &[Fr],
    ) -> Option<Result<G2Projective>> {
        Some(CpuBackend.msm_g2(self.host_g2(bases)?, offset, scalars))
    }

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

/// One step of a program over vectors an NTT backend holds (on the device,
/// for a GPU backend) between steps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NttStep {
    /// Transforms vector `v` in place.
    Transform {
        /// The vector.
        v: usize,
        /// The transform.
        kind: NttKind,
    },
    /// `v[a] ← (v[a]·v[b] − v[c])·scale`, element-wise (`a`, `b`, `c`
    /// distinct): the quotient's combination step.
    MulSub {
        /// The vector multiplied and overwritten.
        a: usize,
        /// The other factor.
        b: usize,
        /// The vector subtracted.
        c: usize,
        /// The factor the result is scaled by.
        scale: Fr,
    },
}

/// Radix-2 NTTs over BN254's `Fr`, bit-identical to ark-poly's
/// `Radix2EvaluationDomain` (natural order in and out), and programs of
/// them over vectors the backend keeps between steps: a GPU backend runs a
/// whole Groth16 witness map with one upload per vector, one submission
/// and one download.
pub trait NttBackend: Send + Sync {
    /// A short name for reports.
    fn name(&self) -> &'static str;

    /// Runs `steps` on `vectors` and returns vector `out`; shapes are
    /// checked (equal power-of-two lengths, indices in range).
    fn run_unchecked(
        &self,
        vectors: Vec<Vec<Fr>>,
        steps: &[NttStep],
        out: usize,
    ) -> Result<Vec<Fr>>;

    /// Runs `steps` on `vectors` (all of one power-of-two length up to
    /// 2^[`MAX_LOG_NTT`]) and returns vector `out`.
    fn run(&self, vectors: Vec<Vec<Fr>>, steps: &[NttStep], out: usize) -> Result<Vec<Fr>> {
        check_program(&vectors, steps, out)?;
        self.run_unchecked(vectors, steps, out)
    }

    /// Transforms `values` in place; the length must be a power of two no
    /// larger than 2^[`MAX_LOG_NTT`].
    fn ntt(&self, values: &mut [Fr], kind: NttKind) -> Result<()> {
        let out = self.run(vec![values.to_vec()], &[NttStep::Transform { v: 0, kind }], 0)?;
        values.copy_from_slice(&out);
        Ok(())
    }
}

/// Checks a program's shape: vectors of one supported length, every index
/// in range, and the three vectors of a `MulSub` distinct.
pub(crate) fn check_program(vectors: &[Vec<Fr>], steps: &[NttStep], out: usize) -> Result<usize> {
    let n = vectors.first().map_or(0, Vec::len);
    check_ntt_len(n)?;
    if let Some(v) = vectors.iter().find(|v| v.len() != n) {
        return Err(Error::ProgramShape(format!("vectors of {n} and {} elements", v.len())));
    }
    let count = vectors.len();
    let bad = |what: String| Err(Error::ProgramShape(what));
    if out >= count {
        return bad(format!("result vector {out} of {count}"));
    }
    for step in steps {
        match *step {
            NttStep::Transform { v, .. } if v >= count => {
                return bad(format!("transform of vector {v} of {count}"))
            }
            NttStep::MulSub { a, b, c, .. }
                if a >= count || b >= count || c >= count || a == b || a == c || b == c =>
            {
                return bad(format!("combination of vectors {a}, {b}, {c} of {count}"))
            }
            _ => {}
        }
    }
    Ok(n)
}

/// `1 / Z_H` on the coset `g·H`: `Z_H(g·x) = gⁿ·xⁿ − 1 = gⁿ − 1` there.
pub fn coset_vanishing_inverse(n: usize) -> Result<Fr> {
    (Fr::GENERATOR.pow([n as u64]) - Fr::ONE).inverse().ok_or(Error::UnsupportedSize { len: n })
}

/// `ω₂ₙ`, the generator of the odd coset of a domain of size `n`.
pub(crate) fn odd_coset_shift(n: usize) -> Result<Fr> {
    Fr::get_root_of_unity(2 * n as u64).ok_or(Error::UnsupportedSize { len: n })
}

/// `a ← (a·b − c)·scale`, element-wise.
pub(crate) fn mul_sub(a: &mut [Fr], b: &[Fr], c: &[Fr], scale: Fr) {
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        a.par_iter_mut().zip(b).zip(c).for_each(|((a, b), c)| *a = (*a * b - c) * scale);
    }
    #[cfg(not(feature = "parallel"))]
    a.iter_mut().zip(b).zip(c).for_each(|((a, b), c)| *a = (*a * b - c) * scale);
}

pub(crate) fn check_ntt_len(len: usize) -> Result<()> {
    if len == 0 || !len.is_power_of_two() || len.trailing_zeros() > MAX_LOG_NTT {
        return Err(Error::UnsupportedSize { len });
    }
    Ok(())
}
