//! Groth16 proving from a snarkjs zkey and a circom witness, with
//! snarkjs's QAP variant, on stateproof's MSM and NTT backends.
//!
//! snarkjs does not divide by the vanishing polynomial: it evaluates
//! `A·w`, `B·w` (from the zkey's matrices) and `C·w = (A·w)∘(B·w)` over the
//! domain `H` of size n, interpolates each (inverse NTT), evaluates it on the
//! odd coset `ω₂ₙ·H` (coefficient i times `ω₂ₙⁱ`, then a forward NTT, with
//! `ω₂ₙ` the 2n-th root of unity of ffjavascript's choice, which is
//! arkworks' too: both derive it from the field's least non-residue, 5),
//! and takes the MSM of `A·B − C` on that coset with the zkey's H points,
//! which the setup built to absorb `Z(x) = −2` there. Six NTTs (one
//! [`NttBackend::odd_coset_quotient`] call, which a GPU backend runs with the
//! vectors resident), five MSMs:
//!
//! `π_A = α₁ + Σ wᵢAᵢ + r·δ₁`, `π_B = β₂ + Σ wᵢB₂ᵢ + s·δ₂`,
//! `π_C = Σ_{i>ℓ} wᵢCᵢ + Σ pⱼHⱼ + s·π_A + r·(β₁ + Σ wᵢB₁ᵢ + s·δ₁) − r·s·δ₁`.

use super::zkey::Zkey;
use super::{CircomError, Result};
use crate::PhaseTimings;
use ark_bn254::{Bn254, Fr, G1Projective, G2Projective};
use ark_ec::{AffineRepr, CurveGroup};
use ark_ff::{One, Zero};
use ark_groth16::{Groth16, PreparedVerifyingKey, Proof};
use rayon::prelude::*;
use stateproof_kernels::{MsmBackend, NttBackend};
use std::time::{Duration, Instant};

/// A zkey prepared on a backend: its query vectors resident there.
pub struct ZkeyProver<M: MsmBackend, N: NttBackend> {
    msm: M,
    ntt: N,
    n_vars: usize,
    n_public: usize,
    domain_size: usize,
    coefficients: Vec<super::zkey::Coefficient>,
    alpha_g1: ark_bn254::G1Affine,
    beta_g1: ark_bn254::G1Affine,
    delta_g1: ark_bn254::G1Affine,
    beta_g2: ark_bn254::G2Affine,
    delta_g2: ark_bn254::G2Affine,
    pvk: PreparedVerifyingKey<Bn254>,
    a: M::G1Bases,
    b1: M::G1Bases,
    b2: M::G2Bases,
    c: M::G1Bases,
    h: M::G1Bases,
}

fn timed<T>(slot: &mut Duration, f: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let out = f();
    *slot = start.elapsed();
    out
}

impl<M: MsmBackend, N: NttBackend> ZkeyProver<M, N> {
    /// Uploads (or prepares) the zkey's points on the MSM backend; the zkey
    /// can be dropped afterwards.
    pub fn new(msm: M, ntt: N, zkey: Zkey) -> Result<Self> {
        let prepared = (|| -> stateproof_kernels::Result<_> {
            Ok((
                msm.prepare_g1(&zkey.a)?,
                msm.prepare_g1(&zkey.b1)?,
                msm.prepare_g2(&zkey.b2)?,
                msm.prepare_g1(&zkey.c)?,
                msm.prepare_g1(&zkey.h)?,
            ))
        })()
        .map_err(|e| CircomError::Prove(crate::Error::Kernel(e)))?;
        let (a, b1, b2, c, h) = prepared;
        Ok(Self {
            n_vars: zkey.n_vars,
            n_public: zkey.n_public,
            domain_size: zkey.domain_size,
            coefficients: zkey.coefficients,
            alpha_g1: zkey.vk.alpha_g1,
            beta_g1: zkey.beta_g1,
            delta_g1: zkey.delta_g1,
            beta_g2: zkey.vk.beta_g2,
            delta_g2: zkey.vk.delta_g2,
            pvk: ark_groth16::prepare_verifying_key(&zkey.vk),
            msm,
            ntt,
            a,
            b1,
            b2,
            c,
            h,
        })
    }

    /// The public signals of `witness`: values 1 to `n_public`.
    pub fn public_signals<'w>(&self, witness: &'w [Fr]) -> &'w [Fr] {
        &witness[1..=self.n_public.min(witness.len().saturating_sub(1))]
    }

    /// snarkjs's `A·B − C` on the odd coset: the H MSM's scalars.
    fn coset_quotient(&self, witness: &[Fr]) -> Result<Vec<Fr>> {
        let n = self.domain_size;
        let mut a = vec![Fr::zero(); n];
        let mut b = vec![Fr::zero(); n];
        for e in &self.coefficients {
            let v = e.value * witness[e.signal as usize];
            let row = e.constraint as usize;
            if e.matrix == 0 {
                a[row] += v;
            } else {
                b[row] += v;
            }
        }
        let c: Vec<Fr> = a.par_iter().zip(&b).map(|(a, b)| *a * b).collect();
        self.ntt
            .odd_coset_quotient(a, b, c)
            .map_err(|e| CircomError::Prove(crate::Error::Kernel(e)))
    }

    /// Proves with randomness `(r, s)`. The witness must have the zkey's
    /// length and start with 1; the finished proof is checked against the
    /// zkey's verifying key, so a witness that does not satisfy the circuit
    /// yields an error, not a proof.
    pub fn prove(&self, witness: &[Fr], r: Fr, s: Fr) -> Result<(Proof<Bn254>, PhaseTimings)> {
        let start = Instant::now();
        let mut t = PhaseTimings::default();
        if witness.len() != self.n_vars {
            return Err(CircomError::Witness(format!(
                "{} witness values for a zkey of {} variables",
                witness.len(),
                self.n_vars
            )));
        }
        if !witness[0].is_one() {
            return Err(CircomError::Witness("witness value 0 is not 1".into()));
        }
        let p = timed(&mut t.witness_map, || self.coset_quotient(witness))?;
        let private = &witness[self.n_public + 1..];
        let kernel = |e| CircomError::Prove(crate::Error::Kernel(e));
        let mut g2_time = Duration::ZERO;
        let (g1, g2) = rayon::join(
            || -> stateproof_kernels::Result<_> {
                let a = timed(&mut t.msm_a, || self.msm.msm_g1(&self.a, 0, witness))?;
                let b1 = timed(&mut t.msm_b_g1, || self.msm.msm_g1(&self.b1, 0, witness))?;
                let c = timed(&mut t.msm_l, || self.msm.msm_g1(&self.c, 0, private))?;
                let h = timed(&mut t.msm_h, || self.msm.msm_g1(&self.h, 0, &p))?;
                Ok((a, b1, c, h))
            },
            || timed(&mut g2_time, || self.msm.msm_g2(&self.b2, 0, witness)),
        );
        let (a, b1, c, h) = g1.map_err(kernel)?;
        let b2: G2Projective = g2.map_err(kernel)?;
        t.msm_b_g2 = g2_time;
        let delta1 = self.delta_g1.into_group();
        let pi_a: G1Projective = a + self.alpha_g1 + delta1 * r;
        let pi_b = b2 + self.beta_g2 + self.delta_g2.into_group() * s;
        let b1 = b1 + self.beta_g1 + delta1 * s;
        let pi_c = c + h + pi_a * s + b1 * r - delta1 * (r * s);
        let proof = Proof { a: pi_a.into_affine(), b: pi_b.into_affine(), c: pi_c.into_affine() };
        let ok = timed(&mut t.self_check, || {
            Groth16::<Bn254>::verify_proof(&self.pvk, &proof, self.public_signals(witness))
                .unwrap_or(false)
        });
        if !ok {
            return Err(CircomError::Witness(
                "the proof does not verify under the zkey's own verifying key: the witness does not \
                 satisfy the circuit (check it with --r1cs), or it belongs to another circuit"
                    .into(),
            ));
        }
        t.total = start.elapsed();
        Ok((proof, t))
    }
}
