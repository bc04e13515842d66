//! The CPU backend: batch-affine Pippenger MSM ([`crate::pippenger`], on
//! rayon) and ark-poly's radix-2 FFT.

use crate::{MsmBackend, NttBackend, NttKind, PreparedBases, Result};
use ark_bn254::{Fr, G1Affine, G1Projective, G2Affine, G2Projective};
use ark_ff::{FftField, Field};
use ark_poly::{EvaluationDomain, Radix2EvaluationDomain};
use std::sync::Arc;

/// The CPU backend. Stateless: bases are shared, not copied per MSM.
#[derive(Clone, Copy, Debug, Default)]
pub struct CpuBackend;

/// Bases held in host memory.
#[derive(Clone, Debug)]
pub struct HostBases<G>(pub Arc<Vec<G>>);

impl<G: Send + Sync> PreparedBases for HostBases<G> {
    fn len(&self) -> usize {
        self.0.len()
    }
}

impl MsmBackend for CpuBackend {
    type G1Bases = HostBases<G1Affine>;
    type G2Bases = HostBases<G2Affine>;

    fn name(&self) -> &'static str {
        "cpu"
    }

    fn prepare_g1(&self, bases: &[G1Affine]) -> Result<Self::G1Bases> {
        Ok(HostBases(Arc::new(bases.to_vec())))
    }

    fn prepare_g2(&self, bases: &[G2Affine]) -> Result<Self::G2Bases> {
        Ok(HostBases(Arc::new(bases.to_vec())))
    }

    fn msm_g1_unchecked(
        &self,
        bases: &Self::G1Bases,
        offset: usize,
        scalars: &[Fr],
    ) -> Result<G1Projective> {
        Ok(crate::pippenger::msm(&bases.0[offset..offset + scalars.len()], scalars))
    }

    fn msm_g2_unchecked(
        &self,
        bases: &Self::G2Bases,
        offset: usize,
        scalars: &[Fr],
    ) -> Result<G2Projective> {
        Ok(crate::pippenger::msm(&bases.0[offset..offset + scalars.len()], scalars))
    }
}

impl NttBackend for CpuBackend {
    fn name(&self) -> &'static str {
        "cpu"
    }

    fn ntt_unchecked(&self, values: &mut [Fr], kind: NttKind) -> Result<()> {
        let n = values.len();
        let unsupported = || crate::Error::UnsupportedSize { len: n };
        let domain = Radix2EvaluationDomain::<Fr>::new(n).ok_or_else(unsupported)?;
        let coset = || domain.get_coset(Fr::GENERATOR).ok_or_else(unsupported);
        // ark-poly's in-place transforms take a Vec; the copy is one pass.
        let mut v = values.to_vec();
        match kind {
            NttKind::Forward => domain.fft_in_place(&mut v),
            NttKind::Inverse => domain.ifft_in_place(&mut v),
            NttKind::CosetForward => coset()?.fft_in_place(&mut v),
            NttKind::CosetInverse => coset()?.ifft_in_place(&mut v),
            NttKind::OddCosetForward => domain
                .get_coset(crate::odd_coset_shift(n)?)
                .ok_or_else(unsupported)?
                .fft_in_place(&mut v),
        }
        values.copy_from_slice(&v);
        Ok(())
    }

    /// The trait's quotient on ark-poly's `Vec` transforms directly, without
    /// the copy in and out that `ntt_unchecked` makes for a slice.
    fn quotient(&self, a: Vec<Fr>, b: Vec<Fr>, c: Vec<Fr>) -> Result<Vec<Fr>> {
        quotient_on_coset(a, b, c, false)
    }

    /// As [`CpuBackend::quotient`], on snarkjs's odd coset.
    fn odd_coset_quotient(&self, a: Vec<Fr>, b: Vec<Fr>, c: Vec<Fr>) -> Result<Vec<Fr>> {
        quotient_on_coset(a, b, c, true)
    }
}

/// `(a·b − c)` on a coset of `H` from evaluations over `H`: divided by
/// `Z_H` and interpolated back on `g·H` (ark-groth16), or left as
/// evaluations on `ω₂ₙ·H` (snarkjs, `odd`).
fn quotient_on_coset(mut a: Vec<Fr>, mut b: Vec<Fr>, mut c: Vec<Fr>, odd: bool) -> Result<Vec<Fr>> {
    let n = crate::check_quotient_shape(&a, &b, &c)?;
    let unsupported = || crate::Error::UnsupportedSize { len: n };
    let domain = Radix2EvaluationDomain::<Fr>::new(n).ok_or_else(unsupported)?;
    let shift = if odd { crate::odd_coset_shift(n)? } else { Fr::GENERATOR };
    let coset = domain.get_coset(shift).ok_or_else(unsupported)?;
    for v in [&mut a, &mut b, &mut c] {
        domain.ifft_in_place(v);
        coset.fft_in_place(v);
    }
    if odd {
        crate::hadamard_quotient(&mut a, &b, &c, Fr::ONE);
    } else {
        crate::hadamard_quotient(&mut a, &b, &c, crate::coset_vanishing_inverse(n)?);
        coset.ifft_in_place(&mut a);
    }
    Ok(a)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Error;
    use ark_ec::{AffineRepr, CurveGroup, PrimeGroup};
    use ark_ff::{UniformRand, Zero};
    use ark_poly::{univariate::DensePolynomial, DenseUVPolynomial, Polynomial};

    #[test]
    fn forward_ntt_evaluates_the_polynomial() {
        let mut rng = ark_std::test_rng();
        for log in 0..8 {
            let n = 1usize << log;
            let coeffs: Vec<Fr> = (0..n).map(|_| Fr::rand(&mut rng)).collect();
            let poly = DensePolynomial::from_coefficients_vec(coeffs.clone());
            let domain = Radix2EvaluationDomain::<Fr>::new(n).unwrap();
            let odd = Fr::get_root_of_unity(2 * n as u64).unwrap();
            assert_eq!(odd.pow([n as u64]), -Fr::ONE, "ω₂ₙ is a primitive 2n-th root");
            for (kind, offset) in [
                (NttKind::Forward, Fr::from(1u64)),
                (NttKind::CosetForward, Fr::GENERATOR),
                (NttKind::OddCosetForward, odd),
            ] {
                let mut v = coeffs.clone();
                CpuBackend.ntt(&mut v, kind).unwrap();
                for (i, x) in domain.elements().enumerate() {
                    assert_eq!(v[i], poly.evaluate(&(offset * x)), "n={n} i={i} {kind:?}");
                }
                let inverse = match kind {
                    NttKind::Forward => NttKind::Inverse,
                    NttKind::CosetForward => NttKind::CosetInverse,
                    _ => continue,
                };
                CpuBackend.ntt(&mut v, inverse).unwrap();
                assert_eq!(v, coeffs);
            }
        }
    }

    /// `CpuBackend` without its `quotient` override: the trait's default.
    struct PlainNtt;

    impl NttBackend for PlainNtt {
        fn name(&self) -> &'static str {
            "plain"
        }
        fn ntt_unchecked(&self, values: &mut [Fr], kind: NttKind) -> Result<()> {
            CpuBackend.ntt_unchecked(values, kind)
        }
    }

    #[test]
    fn the_quotient_overrides_equal_the_trait_defaults() {
        let mut rng = ark_std::test_rng();
        for log in [0u32, 1, 5, 10] {
            let n = 1usize << log;
            let v = |rng: &mut _| (0..n).map(|_| Fr::rand(rng)).collect::<Vec<Fr>>();
            let (a, b, c) = (v(&mut rng), v(&mut rng), v(&mut rng));
            let want = PlainNtt.odd_coset_quotient(a.clone(), b.clone(), c.clone()).unwrap();
            let got = CpuBackend.odd_coset_quotient(a.clone(), b.clone(), c.clone()).unwrap();
            assert_eq!(got, want, "odd coset, n = {n}");
            let want = PlainNtt.quotient(a.clone(), b.clone(), c.clone()).unwrap();
            assert_eq!(CpuBackend.quotient(a, b, c).unwrap(), want, "n = {n}");
        }
        assert!(matches!(
            CpuBackend.quotient(vec![Fr::zero(); 4], vec![Fr::zero(); 2], vec![Fr::zero(); 4]),
            Err(Error::QuotientShape { .. })
        ));
        assert!(CpuBackend.quotient(vec![Fr::zero(); 3], vec![], vec![]).is_err());
        assert!(CpuBackend.odd_coset_quotient(vec![Fr::zero(); 4], vec![], vec![]).is_err());
    }

    #[test]
    fn bad_sizes_are_errors() {
        for len in [0usize, 3, 6, 100] {
            let mut v = vec![Fr::zero(); len];
            assert_eq!(
                CpuBackend.ntt(&mut v, NttKind::Forward),
                Err(Error::UnsupportedSize { len })
            );
        }
        let bases = CpuBackend.prepare_g1(&[G1Affine::generator(); 4]).unwrap();
        assert!(matches!(
            CpuBackend.msm_g1(&bases, 2, &[Fr::from(1u64); 3]),
            Err(Error::LengthMismatch { .. })
        ));
        assert!(matches!(
            CpuBackend.msm_g1(&bases, usize::MAX, &[Fr::from(1u64)]),
            Err(Error::LengthMismatch { .. })
        ));
    }

    #[test]
    fn msm_matches_the_naive_sum_with_offset() {
        let mut rng = ark_std::test_rng();
        let g1: Vec<G1Affine> =
            (0..9).map(|_| G1Projective::rand(&mut rng).into_affine()).collect();
        let g2: Vec<G2Affine> =
            (0..9).map(|_| G2Projective::rand(&mut rng).into_affine()).collect();
        let scalars: Vec<Fr> = vec![
            Fr::zero(),
            Fr::from(1u64),
            -Fr::from(1u64),
            Fr::rand(&mut rng),
            Fr::rand(&mut rng),
        ];
        let (p1, p2) = (CpuBackend.prepare_g1(&g1).unwrap(), CpuBackend.prepare_g2(&g2).unwrap());
        let naive1: G1Projective = scalars.iter().zip(&g1[3..]).map(|(s, b)| *b * s).sum();
        let naive2: G2Projective = scalars.iter().zip(&g2[3..]).map(|(s, b)| *b * s).sum();
        assert_eq!(CpuBackend.msm_g1(&p1, 3, &scalars).unwrap(), naive1);
        assert_eq!(CpuBackend.msm_g2(&p2, 3, &scalars).unwrap(), naive2);
        assert_eq!(CpuBackend.msm_g1(&p1, 9, &[]).unwrap(), G1Projective::generator() * Fr::zero());
    }
}
