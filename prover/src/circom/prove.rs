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
//! which the setup built to absorb `Z(x) = −2` there: the
//! [`SnarkjsReduction`], six NTTs in one program a GPU backend runs with the
//! vectors resident. The proof is assembled by the prover's one assembler,
//! as arkworks' proofs are: a zkey holds the same points.

use super::zkey::Zkey;
use super::{CircomError, Result};
use crate::groth16::{KeyPoints, Prover, SnarkjsReduction};
use crate::PhaseTimings;
use ark_bn254::{Bn254, Fr};
use ark_ff::{One, Zero};
use ark_groth16::Proof;
use rayon::prelude::*;
use stateproof_kernels::{MsmBackend, NttBackend};

/// A zkey prepared on a backend: its query vectors resident there.
pub struct ZkeyProver<M: MsmBackend, N: NttBackend> {
    prover: Prover<M, N, SnarkjsReduction>,
    n_vars: usize,
    n_public: usize,
    domain_size: usize,
    coefficients: Vec<super::zkey::Coefficient>,
}

impl<M: MsmBackend, N: NttBackend> ZkeyProver<M, N> {
    /// Uploads (or prepares) the zkey's points on the MSM backend; the zkey
    /// is dropped afterwards (its coefficients are kept).
    pub fn new(msm: M, ntt: N, zkey: Zkey) -> Result<Self> {
        let points = KeyPoints {
            alpha_g1: zkey.vk.alpha_g1,
            beta_g1: zkey.beta_g1,
            delta_g1: zkey.delta_g1,
            beta_g2: zkey.vk.beta_g2,
            delta_g2: zkey.vk.delta_g2,
            a: &zkey.a,
            b_g1: &zkey.b1,
            b_g2: &zkey.b2,
            h: &zkey.h,
            l: &zkey.c,
            vk: &zkey.vk,
        };
        let prover = Prover::from_points(msm, ntt, &points)?;
        Ok(Self {
            prover,
            n_vars: zkey.n_vars,
            n_public: zkey.n_public,
            domain_size: zkey.domain_size,
            coefficients: zkey.coefficients,
        })
    }

    /// The public signals of `witness`: values 1 to `n_public`.
    pub fn public_signals<'w>(&self, witness: &'w [Fr]) -> &'w [Fr] {
        &witness[1..=self.n_public.min(witness.len().saturating_sub(1))]
    }

    /// `A·w`, `B·w` from the zkey's coefficients over the domain, and
    /// `C·w = (A·w)∘(B·w)` (snarkjs keeps no C matrix: a witness that does
    /// not satisfy the circuit shows in the proof's C, which the self-check
    /// refuses).
    fn evaluations(&self, witness: &[Fr]) -> [Vec<Fr>; 3] {
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
        [a, b, c]
    }

    /// Proves with randomness `(r, s)`. The witness must have the zkey's
    /// length and start with 1; the finished proof is checked against the
    /// zkey's verifying key, and a proof that does not verify is explained:
    /// recomputed on the CPU reference, it tells a witness that does not
    /// satisfy the circuit from a faulty device.
    pub fn prove(&self, witness: &[Fr], r: Fr, s: Fr) -> Result<(Proof<Bn254>, PhaseTimings)> {
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
        let evaluate = || Ok(self.evaluations(witness));
        self.prover.prove_assignment(witness, evaluate, r, s).map_err(|e| match e {
            crate::Error::Unsatisfied(why) => CircomError::Witness(format!(
                "the proof does not verify under the zkey's own verifying key ({why}): the \
                 witness does not satisfy the circuit (check it with --r1cs), or it belongs to \
                 another circuit"
            )),
            other => CircomError::Prove(other),
        })
    }
}
