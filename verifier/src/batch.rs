//! Many Groth16 proofs under one key in one pairing check.
//!
//! A proof `(A, B, C)` of inputs `x` verifies when
//! `Tₓ = e(A, B) · e(α, β)⁻¹ · e(vkₓ, γ)⁻¹ · e(C, δ)⁻¹` is 1. For proofs
//! `1..k` the batch checks `Π Tᵢ^ρᵢ = 1` for coefficients `ρᵢ` below 2¹²⁸:
//!
//! `e(ρ₁A₁, B₁) ⋯ e(ρₖAₖ, Bₖ) = e((Σρᵢ)·α, β) · e(Σρᵢ·vkₓᵢ, γ) · e(Σρᵢ·Cᵢ, δ)`
//!
//! that is `k + 3` Miller loops and one final exponentiation where `k`
//! single checks take `4k` and `k`; `Σρᵢ·vkₓᵢ` is one multi-scalar
//! multiplication over the key's input bases with the inputs' scalars summed
//! first, so the public inputs cost one MSM of the key's size, not `k`.
//!
//! **Soundness.** Every point was checked to be in its prime-order subgroup
//! when parsed, so each `Tᵢ` lies in the order-`r` target group. If some
//! `Tⱼ ≠ 1`, then for any values of the other factors at most one residue of
//! `ρⱼ` mod `r` makes the product 1, and `ρⱼ` takes 2¹²⁸ values. The
//! coefficients are blake3 (a keyed derivation under [`BATCH_CONTEXT`]) of
//! the key's fingerprint and every proof and input of the batch, so they are
//! fixed only after everything they weigh is: a prover who wants a bad proof
//! through must find a batch whose hash lands on that one residue, about
//! 2¹²⁸ hashes of work (the Fiat–Shamir argument, blake3 as the random
//! oracle). Deterministic coefficients also need no randomness source, which
//! a `no_std` client may not have, and make a failure reproducible.
//!
//! When a batch fails, [`verify_each`] bisects it to find which proofs are
//! bad: `O(b · log k)` batch checks for `b` bad proofs, so a batch with one
//! bad proof costs about two full checks more than a clean one.

use crate::encoding::fr_to_le;
use crate::envelope::Verified;
use crate::groth16::{verify_proof, Proof, VerifyingKey};
use crate::{Error, Fr, Result};
use alloc::vec;
use alloc::vec::Vec;
use ark_bn254::{Bn254, G1Affine, G1Projective, G2Affine};
use ark_ec::pairing::Pairing;
use ark_ec::{AffineRepr, CurveGroup, VariableBaseMSM};
use ark_ff::{PrimeField, Zero};

/// The blake3 key-derivation context of the batch coefficients.
pub const BATCH_CONTEXT: &str = "stateproof 2026-12 batched Groth16 verification coefficients v1";

/// One statement of a batch: its public inputs and its proof.
pub type Statement<'a> = (&'a [Fr], &'a Proof);

/// What a light client's `catch_up` did with a run of updates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CatchUp<T> {
    /// What each accepted update gave, in order: a prefix of the run.
    pub accepted: Vec<T>,
    /// The first update rejected (its index in the run) and why; the
    /// client stopped there, holding what the accepted ones gave.
    pub rejected: Option<(usize, Error)>,
}

impl<T> CatchUp<T> {
    /// Applies verified updates in order with `apply`, stopping at the first
    /// verdict or application that fails.
    pub(crate) fn run<'a>(
        verdicts: Vec<Result<Verified<'a>>>,
        mut apply: impl FnMut(&Verified<'a>) -> Result<T>,
    ) -> Self {
        let mut done = CatchUp { accepted: Vec::new(), rejected: None };
        for (i, verdict) in verdicts.into_iter().enumerate() {
            match verdict.and_then(|v| apply(&v)) {
                Ok(t) => done.accepted.push(t),
                Err(e) => {
                    done.rejected = Some((i, e));
                    break;
                }
            }
        }
        done
    }
}

/// Checks every proof of `batch` under `vk` with one pairing check.
///
/// `Ok` means every proof verifies (but for a chance of 2⁻¹²⁸, see the
/// module docs); [`Error::InvalidProof`] means at least one does not, and
/// [`verify_each`] says which. A statement with the wrong number of inputs
/// is an [`Error::InputCount`]. An empty batch verifies.
pub fn verify_batch(vk: &VerifyingKey, batch: &[Statement<'_>]) -> Result<()> {
    let n = vk.num_public_inputs();
    if vk.gamma_abc_g1.is_empty() {
        return Err(Error::InputCount { expected: 0, found: 0 });
    }
    if let Some((inputs, _)) = batch.iter().find(|(inputs, _)| inputs.len() != n) {
        return Err(Error::InputCount { expected: n, found: inputs.len() });
    }
    match batch {
        [] => return Ok(()),
        [(inputs, proof)] => return verify_proof(vk, inputs, proof),
        _ => {}
    }
    let rho = coefficients(vk, batch);

    // Σρᵢ·(1, xᵢ): the scalars of the key's input bases.
    let mut input_scalars = vec![Fr::zero(); n + 1];
    for ((inputs, _), r) in batch.iter().zip(&rho) {
        input_scalars[0] += r;
        for (s, x) in input_scalars[1..].iter_mut().zip(inputs.iter()) {
            *s += *r * x;
        }
    }
    let rho_sum = input_scalars[0];
    let vk_x = G1Projective::msm(&vk.gamma_abc_g1, &input_scalars)
        .map_err(|_| Error::InputCount { expected: n, found: input_scalars.len() - 1 })?;
    let cs: Vec<G1Affine> = batch.iter().map(|(_, p)| p.c).collect();
    let c = G1Projective::msm(&cs, &rho)
        .map_err(|_| Error::InputCount { expected: batch.len(), found: rho.len() })?;
    let alpha = vk.alpha_g1 * rho_sum;

    // ρᵢ·Aᵢ with 128-bit scalars: half the doublings of a full one.
    let mut g1: Vec<G1Projective> = batch
        .iter()
        .zip(&rho)
        .map(|((_, p), r)| {
            let limbs = r.into_bigint().0;
            p.a.mul_bigint([limbs[0], limbs[1]])
        })
        .collect();
    g1.extend([-alpha, -vk_x, -c]);
    let g1 = G1Projective::normalize_batch(&g1);
    let g2: Vec<G2Affine> =
        batch.iter().map(|(_, p)| p.b).chain([vk.beta_g2, vk.gamma_g2, vk.delta_g2]).collect();
    if Bn254::multi_pairing(g1, g2).is_zero() {
        Ok(())
    } else {
        Err(Error::InvalidProof)
    }
}

/// The batch's coefficients: 128-bit values from blake3's output stream over
/// the key's fingerprint and every statement (length-prefixed, canonical).
fn coefficients(vk: &VerifyingKey, batch: &[Statement<'_>]) -> Vec<Fr> {
    let mut h = blake3::Hasher::new_derive_key(BATCH_CONTEXT);
    h.update(&vk.fingerprint());
    h.update(&(batch.len() as u64).to_le_bytes());
    for (inputs, proof) in batch {
        h.update(&(inputs.len() as u64).to_le_bytes());
        for x in inputs.iter() {
            h.update(&fr_to_le(x));
        }
        h.update(&proof.to_bytes());
    }
    let mut stream = h.finalize_xof();
    batch
        .iter()
        .map(|_| {
            let mut bytes = [0u8; 16];
            stream.fill(&mut bytes);
            Fr::from(u128::from_le_bytes(bytes))
        })
        .collect()
}

/// Each proof's verdict, as [`verify_proof`] would give it one by one: one
/// batch check when all verify, bisection to the bad ones when not.
pub fn verify_each(vk: &VerifyingKey, batch: &[Statement<'_>]) -> Vec<Result<()>> {
    let n = vk.num_public_inputs();
    let mut verdicts: Vec<Result<()>> = batch
        .iter()
        .map(|(inputs, _)| {
            if inputs.len() == n && !vk.gamma_abc_g1.is_empty() {
                Ok(())
            } else {
                Err(Error::InputCount { expected: n, found: inputs.len() })
            }
        })
        .collect();
    let well_formed: Vec<usize> = (0..batch.len()).filter(|&i| verdicts[i].is_ok()).collect();
    bisect(vk, batch, &well_formed, false, &mut verdicts);
    verdicts
}

/// Marks the bad proofs among `batch[i]` for `i` in `indices`. `failing`
/// says a check over exactly these already failed, so it is not repeated.
fn bisect(
    vk: &VerifyingKey,
    batch: &[Statement<'_>],
    indices: &[usize],
    failing: bool,
    verdicts: &mut [Result<()>],
) {
    if indices.is_empty() {
        return;
    }
    if !failing {
        let statements: Vec<Statement<'_>> = indices.iter().map(|&i| batch[i]).collect();
        if verify_batch(vk, &statements).is_ok() {
            return;
        }
    }
    if let [i] = indices {
        verdicts[*i] = Err(Error::InvalidProof);
        return;
    }
    let (left, right) = indices.split_at(indices.len() / 2);
    let left_failed = {
        let statements: Vec<Statement<'_>> = left.iter().map(|&i| batch[i]).collect();
        verify_batch(vk, &statements).is_err()
    };
    if left_failed {
        bisect(vk, batch, left, true, verdicts);
        bisect(vk, batch, right, false, verdicts);
    } else {
        // The whole failed and the left half did not: the right half fails.
        bisect(vk, batch, right, true, verdicts);
    }
}
