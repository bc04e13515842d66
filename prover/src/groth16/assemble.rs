//! The one Groth16 proof assembler, over a full assignment `z = [1,
//! inputs, witness]` and the H MSM's scalars, for keys from arkworks'
//! setup and from snarkjs's zkeys alike (they hold the same points):
//!
//! `π_A = α₁ + Σ zᵢAᵢ + r·δ₁`, `π_B = β₂ + Σ zᵢB₂ᵢ + s·δ₂`,
//! `π_C = Σ_{i>ℓ} zᵢLᵢ + Σ hⱼHⱼ + s·π_A + r·(β₁ + Σ zᵢB₁ᵢ + s·δ₁) − r·s·δ₁`,
//!
//! and the self-check every proof passes before it is returned.

use super::PhaseTimings;
use crate::{Error, Result};
use ark_bn254::{Bn254, Fr, G1Affine, G1Projective, G2Affine, G2Projective};
use ark_ec::CurveGroup;
use ark_ff::Zero;
use ark_groth16::{Groth16, PreparedVerifyingKey, Proof};
use stateproof_kernels::{MsmBackend, PreparedBases};
use std::time::{Duration, Instant};

/// A proving key's points, borrowed: what arkworks' `ProvingKey` and a
/// snarkjs zkey both hold.
pub struct KeyPoints<'a> {
    /// α in G1.
    pub alpha_g1: G1Affine,
    /// β in G1.
    pub beta_g1: G1Affine,
    /// δ in G1.
    pub delta_g1: G1Affine,
    /// β in G2.
    pub beta_g2: G2Affine,
    /// δ in G2.
    pub delta_g2: G2Affine,
    /// `Aᵢ` for every variable (the constant one first).
    pub a: &'a [G1Affine],
    /// `B₁ᵢ` for every variable.
    pub b_g1: &'a [G1Affine],
    /// `B₂ᵢ` for every variable.
    pub b_g2: &'a [G2Affine],
    /// `Hⱼ` for the quotient's coefficients (or evaluations, snarkjs).
    pub h: &'a [G1Affine],
    /// `Lᵢ` for the witness variables (after the public inputs).
    pub l: &'a [G1Affine],
    /// The verifying key.
    pub vk: &'a ark_groth16::VerifyingKey<Bn254>,
}

impl<'a> KeyPoints<'a> {
    /// The points of an arkworks proving key.
    pub fn of_arkworks(pk: &'a ark_groth16::ProvingKey<Bn254>) -> Self {
        Self {
            alpha_g1: pk.vk.alpha_g1,
            beta_g1: pk.beta_g1,
            delta_g1: pk.delta_g1,
            beta_g2: pk.vk.beta_g2,
            delta_g2: pk.vk.delta_g2,
            a: &pk.a_query,
            b_g1: &pk.b_g1_query,
            b_g2: &pk.b_g2_query,
            h: &pk.h_query,
            l: &pk.l_query,
            vk: &pk.vk,
        }
    }
}

/// A proving key prepared by an MSM backend: its query vectors in the
/// backend's form (for a device backend, uploaded once and kept resident
/// across proofs) and the few constants assembly needs. The key itself is
/// not kept: the backend's copy is the only one.
pub struct PreparedKey<M: MsmBackend> {
    alpha_g1: G1Affine,
    beta_g1: G1Affine,
    delta_g1: G1Affine,
    beta_g2: G2Affine,
    delta_g2: G2Affine,
    pvk: PreparedVerifyingKey<Bn254>,
    /// Public inputs, the constant one included (ℓ + 1).
    inputs: usize,
    a: M::G1Bases,
    b_g1: M::G1Bases,
    b_g2: M::G2Bases,
    h: M::G1Bases,
    l: M::G1Bases,
}

impl<M: MsmBackend> PreparedKey<M> {
    /// Prepares `points` on `msm`.
    pub fn new(msm: &M, points: &KeyPoints<'_>) -> Result<Self> {
        Ok(Self {
            alpha_g1: points.alpha_g1,
            beta_g1: points.beta_g1,
            delta_g1: points.delta_g1,
            beta_g2: points.beta_g2,
            delta_g2: points.delta_g2,
            pvk: ark_groth16::prepare_verifying_key(points.vk),
            inputs: points.vk.gamma_abc_g1.len(),
            a: msm.prepare_g1(points.a)?,
            b_g1: msm.prepare_g1(points.b_g1)?,
            b_g2: msm.prepare_g2(points.b_g2)?,
            h: msm.prepare_g1(points.h)?,
            l: msm.prepare_g1(points.l)?,
        })
    }

    /// Variables of the circuit, the constant one included.
    pub fn variables(&self) -> usize {
        self.a.len()
    }

    /// Public inputs, the constant one included.
    pub fn inputs(&self) -> usize {
        self.inputs
    }

    /// Points of the H query.
    pub fn h_len(&self) -> usize {
        self.h.len()
    }
}

/// Which MSMs compute a proof: the backend's, or the CPU reference the
/// backend keeps (for telling a faulty device from a bad witness).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Path {
    Backend,
    Reference,
}

fn timed<T>(slot: &mut Duration, f: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let out = f();
    *slot = start.elapsed();
    out
}

/// The MSMs of a proof on `path`; `None` when the reference is asked for
/// and the backend keeps none.
fn g1<M: MsmBackend>(
    msm: &M,
    path: Path,
    bases: &M::G1Bases,
    offset: usize,
    scalars: &[Fr],
) -> Option<Result<G1Projective>> {
    match path {
        Path::Backend => Some(msm.msm_g1(bases, offset, scalars).map_err(Error::from)),
        Path::Reference => {
            msm.msm_g1_reference(bases, offset, scalars).map(|r| r.map_err(Error::from))
        }
    }
}

fn g2<M: MsmBackend>(
    msm: &M,
    path: Path,
    bases: &M::G2Bases,
    scalars: &[Fr],
) -> Option<Result<G2Projective>> {
    match path {
        Path::Backend => Some(msm.msm_g2(bases, 0, scalars).map_err(Error::from)),
        Path::Reference => msm.msm_g2_reference(bases, 0, scalars).map(|r| r.map_err(Error::from)),
    }
}

/// Assembles a proof from the full assignment `z` and `quotient`, which
/// computes the H scalars (the witness map's transforms), with randomness
/// `(r, s)`. The G2 MSM needs only the assignment, so it starts at once and
/// runs beside the transforms and the G1 MSMs (which are on the GPU when
/// the backend has one). `None` when `path` is the reference and the
/// backend keeps none.
pub(crate) fn assemble<M: MsmBackend>(
    msm: &M,
    key: &PreparedKey<M>,
    path: Path,
    z: &[Fr],
    quotient: impl FnOnce() -> Result<Vec<Fr>> + Send,
    (r, s): (Fr, Fr),
    t: &mut PhaseTimings,
) -> Option<Result<Proof<Bn254>>> {
    let witness = &z[key.inputs.min(z.len())..];
    let mut g2_time = Duration::ZERO;
    let (g1_parts, g2_b) = rayon::join(
        || -> Option<Result<_>> {
            let start = Instant::now();
            let h = quotient();
            t.witness_map += start.elapsed();
            let h = match h {
                Ok(h) => h,
                Err(e) => return Some(Err(e)),
            };
            let h = &h[..h.len().min(key.h.len())];
            let h_acc = timed(&mut t.msm_h, || g1(msm, path, &key.h, 0, h))?;
            let l_acc = timed(&mut t.msm_l, || g1(msm, path, &key.l, 0, witness))?;
            let a_acc = timed(&mut t.msm_a, || g1(msm, path, &key.a, 0, z))?;
            // B in G1 is needed only for C's r·B₁ term.
            let b_acc = if r.is_zero() {
                None
            } else {
                Some(timed(&mut t.msm_b_g1, || g1(msm, path, &key.b_g1, 0, z))?)
            };
            Some((|| Ok((h_acc?, l_acc?, a_acc?, b_acc.transpose()?)))())
        },
        || timed(&mut g2_time, || g2(msm, path, &key.b_g2, z)),
    );
    t.msm_b_g2 = g2_time;
    let (Some(g1_parts), Some(g2_b)) = (g1_parts, g2_b) else { return None };
    Some((|| -> Result<Proof<Bn254>> {
        let (h_acc, l_acc, a_acc, b_acc) = g1_parts?;
        let b2 = g2_b?;
        let delta1 = G1Projective::from(key.delta_g1);
        let pi_a = a_acc + key.alpha_g1 + delta1 * r;
        let pi_b = b2 + key.beta_g2 + G2Projective::from(key.delta_g2) * s;
        let b1 = match b_acc {
            Some(acc) => acc + key.beta_g1 + delta1 * s,
            None => G1Projective::zero(),
        };
        let pi_c = l_acc + h_acc + pi_a * s + b1 * r - delta1 * (r * s);
        Ok(Proof { a: pi_a.into_affine(), b: pi_b.into_affine(), c: pi_c.into_affine() })
    })())
}

/// Whether `proof` verifies with `inputs` (the public inputs without the
/// constant one) under the key's own verifying key: a multi-pairing, in
/// milliseconds, that catches a witness that does not satisfy the circuit
/// (the quotient is then not a polynomial) and any backend that computed a
/// wrong MSM or NTT.
pub(crate) fn verifies<M: MsmBackend>(
    key: &PreparedKey<M>,
    proof: &Proof<Bn254>,
    inputs: &[Fr],
) -> bool {
    Groth16::<Bn254>::verify_proof(&key.pvk, proof, inputs).unwrap_or(false)
}
