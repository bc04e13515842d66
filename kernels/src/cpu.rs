//! The CPU backend: batch-affine Pippenger MSM ([`crate::pippenger`], on
//! rayon) and ark-poly's radix-2 FFT.

use crate::{MsmBackend, NttBackend, NttKind, NttStep, PreparedBases, Result};
use ark_bn254::{Fr, G1Affine, G1Projective, G2Affine, G2Projective};
use ark_ff::FftField;
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

    fn host_g1<'a>(&self, bases: &'a Self::G1Bases) -> Option<&'a HostBases<G1Affine>> {
        Some(bases)
    }

    fn host_g2<'a>(&self, bases: &'a Self::G2Bases) -> Option<&'a HostBases<G2Affine>> {
        Some(bases)
    }
}

impl NttBackend for CpuBackend {
    fn name(&self) -> &'static str {
        "cpu"
    }

    fn run_unchecked(
        &self,
        mut vectors: Vec<Vec<Fr>>,
        steps: &[NttStep],
        out: usize,
    ) -> Result<Vec<Fr>> {
        let n = vectors[0].len();
        let unsupported = || crate::Error::UnsupportedSize { len: n };
        let domain = Radix2EvaluationDomain::<Fr>::new(n).ok_or_else(unsupported)?;
        let coset = domain.get_coset(Fr::GENERATOR).ok_or_else(unsupported)?;
        for step in steps {
            match *step {
                NttStep::Transform { v, kind } => {
                    let v = &mut vectors[v];
                    match kind {
                        NttKind::Forward => domain.fft_in_place(v),
                        NttKind::Inverse => domain.ifft_in_place(v),
                        NttKind::CosetForward => coset.fft_in_place(v),
                        NttKind::CosetInverse => coset.ifft_in_place(v),
                        NttKind::OddCosetForward => domain
                            .get_coset(crate::odd_coset_shift(n)?)
                            .ok_or_else(unsupported)?
                            .fft_in_place(v),
                    }
                }
                NttStep::MulSub { a, b, c, scale } => {
                    let mut target = std::mem::take(&mut vectors[a]);
                    crate::mul_sub(&mut target, &vectors[b], &vectors[c], scale);
                    vectors[a] = target;
                }
            }
        }
        Ok(vectors.swap_remove(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Error;
    use ark_ec::{AffineRepr, CurveGroup, PrimeGroup};
    use ark_ff::Field;
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

    #[test]
    fn programs_combine_like_the_quotient_formula_and_bad_shapes_are_errors() {
        let mut rng = ark_std::test_rng();
        for log in [0u32, 1, 5, 10] {
            let n = 1usize << log;
            let v = |rng: &mut _| (0..n).map(|_| Fr::rand(rng)).collect::<Vec<Fr>>();
            let (a, b, c) = (v(&mut rng), v(&mut rng), v(&mut rng));
            let scale = Fr::rand(&mut rng);
            let step = |v, kind| NttStep::Transform { v, kind };
            let program = [
                step(1, NttKind::CosetForward),
                NttStep::MulSub { a: 0, b: 1, c: 2, scale },
                step(0, NttKind::Inverse),
            ];
            let got = CpuBackend.run(vec![a.clone(), b.clone(), c.clone()], &program, 0).unwrap();
            let mut b_coset = b.clone();
            CpuBackend.ntt(&mut b_coset, NttKind::CosetForward).unwrap();
            let mut want: Vec<Fr> = (0..n).map(|i| (a[i] * b_coset[i] - c[i]) * scale).collect();
            CpuBackend.ntt(&mut want, NttKind::Inverse).unwrap();
            assert_eq!(got, want, "n = {n}");
        }
        let z = || vec![Fr::zero(); 4];
        let mul_sub = |a, b, c| NttStep::MulSub { a, b, c, scale: Fr::ONE };
        for (vectors, steps, out) in [
            (vec![z(), vec![Fr::zero(); 2]], vec![], 0),
            (vec![z(), z()], vec![], 2),
            (vec![z()], vec![NttStep::Transform { v: 1, kind: NttKind::Forward }], 0),
            (vec![z(), z(), z()], vec![mul_sub(0, 0, 1)], 0),
            (vec![z(), z()], vec![mul_sub(0, 1, 2)], 0),
        ] {
            assert!(matches!(CpuBackend.run(vectors, &steps, out), Err(Error::ProgramShape(_))));
        }
        assert!(CpuBackend.run(vec![vec![Fr::zero(); 3]], &[], 0).is_err());
        assert!(CpuBackend.run(vec![], &[], 0).is_err());
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
