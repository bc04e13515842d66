//! Groth16 verification over BN254, written against ark-ec directly.

use crate::encoding::{put_circuit, put_name, put_point, read_circuit, read_name, Reader};
use crate::{Error, Fr, Result};
use alloc::string::String;
use alloc::vec::Vec;
use ark_bn254::{Bn254, G1Affine, G1Projective, G2Affine};
use ark_ec::pairing::Pairing;
use ark_ec::{AffineRepr, CurveGroup};
use ark_ff::Zero;

/// Magic bytes of a verifying-key file.
pub const VK_MAGIC: &[u8; 4] = b"SPVK";
const VK_VERSION: u16 = 1;
/// Bytes of a compressed proof: A (G1, 32), B (G2, 64), C (G1, 32).
pub const PROOF_BYTES: usize = 128;
/// The most public inputs a key may declare (bounds allocation on parse).
const MAX_PUBLIC_INPUTS: usize = 1 << 16;

/// A Groth16 verifying key together with the identity of its circuit:
/// the circuit id, its shape parameters and the names of its public inputs.
/// All of it is covered by the fingerprint, so an update's labels are
/// checked, not trusted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifyingKey {
    /// Circuit identifier, e.g. `transfer-batch`.
    pub circuit_id: String,
    /// The circuit's shape parameters.
    pub params: Vec<(String, u64)>,
    /// Names of the public inputs, in order.
    pub input_names: Vec<String>,
    /// `α` in G1.
    pub alpha_g1: G1Affine,
    /// `β` in G2.
    pub beta_g2: G2Affine,
    /// `γ` in G2.
    pub gamma_g2: G2Affine,
    /// `δ` in G2.
    pub delta_g2: G2Affine,
    /// `[(β·uᵢ(τ) + α·vᵢ(τ) + wᵢ(τ)) / γ]₁` for the constant 1 and each public input.
    pub gamma_abc_g1: Vec<G1Affine>,
}

impl VerifyingKey {
    /// The number of public inputs the key expects.
    pub fn num_public_inputs(&self) -> usize {
        self.gamma_abc_g1.len().saturating_sub(1)
    }

    /// The canonical encoding: magic, version, input count, then the points
    /// compressed.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(10 + 32 + 3 * 64 + 32 * self.gamma_abc_g1.len());
        out.extend_from_slice(VK_MAGIC);
        out.extend_from_slice(&VK_VERSION.to_le_bytes());
        put_circuit(&mut out, &self.circuit_id, &self.params);
        out.push(self.input_names.len() as u8);
        for name in &self.input_names {
            put_name(&mut out, name);
        }
        out.extend_from_slice(&(self.gamma_abc_g1.len() as u32).to_le_bytes());
        put_point(&mut out, &self.alpha_g1);
        put_point(&mut out, &self.beta_g2);
        put_point(&mut out, &self.gamma_g2);
        put_point(&mut out, &self.delta_g2);
        for p in &self.gamma_abc_g1 {
            put_point(&mut out, p);
        }
        out
    }

    /// Parses and validates a key.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let mut r = Reader::new(bytes);
        if r.take(4, "verifying-key magic")? != VK_MAGIC {
            return Err(Error::BadMagic("verifying key"));
        }
        let version = r.u16("verifying-key version")?;
        if version != VK_VERSION {
            return Err(Error::UnknownVersion(version));
        }
        let (circuit_id, params) = read_circuit(&mut r)?;
        let n_names = r.u8("input-name count")? as usize;
        let input_names =
            (0..n_names).map(|_| read_name(&mut r, "input name")).collect::<Result<Vec<_>>>()?;
        let n = r.u32("public-input count")? as usize;
        if n != n_names + 1 {
            return Err(Error::InputCount { expected: n_names, found: n.saturating_sub(1) });
        }
        if n == 0 || n > MAX_PUBLIC_INPUTS + 1 {
            return Err(Error::TooLong {
                what: "verifying-key inputs",
                len: n,
                max: MAX_PUBLIC_INPUTS + 1,
            });
        }
        let alpha_g1 = r.point(32, "alpha_g1")?;
        let beta_g2 = r.point(64, "beta_g2")?;
        let gamma_g2 = r.point(64, "gamma_g2")?;
        let delta_g2 = r.point(64, "delta_g2")?;
        // Check the declared count against the bytes present before allocating.
        if r.remaining() < 32 * n {
            return Err(Error::Truncated { what: "gamma_abc_g1", needed: 32 * n - r.remaining() });
        }
        let gamma_abc_g1 =
            (0..n).map(|_| r.point(32, "gamma_abc_g1")).collect::<Result<Vec<_>>>()?;
        r.finish()?;
        Ok(Self {
            circuit_id,
            params,
            input_names,
            alpha_g1,
            beta_g2,
            gamma_g2,
            delta_g2,
            gamma_abc_g1,
        })
    }

    /// blake3 of the canonical encoding: names the key in updates.
    pub fn fingerprint(&self) -> [u8; 32] {
        *blake3::hash(&self.to_bytes()).as_bytes()
    }
}

/// A Groth16 proof.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Proof {
    /// A in G1.
    pub a: G1Affine,
    /// B in G2.
    pub b: G2Affine,
    /// C in G1.
    pub c: G1Affine,
}

impl Proof {
    /// The 128-byte compressed form.
    pub fn to_bytes(&self) -> [u8; PROOF_BYTES] {
        let mut v = Vec::with_capacity(PROOF_BYTES);
        put_point(&mut v, &self.a);
        put_point(&mut v, &self.b);
        put_point(&mut v, &self.c);
        let mut out = [0u8; PROOF_BYTES];
        out.copy_from_slice(&v);
        out
    }

    /// Parses exactly 128 bytes, validating each point.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let mut r = Reader::new(bytes);
        let proof = Self::read(&mut r)?;
        r.finish()?;
        Ok(proof)
    }

    pub(crate) fn read(r: &mut Reader<'_>) -> Result<Self> {
        let a: G1Affine = r.point(32, "proof A")?;
        let b: G2Affine = r.point(64, "proof B")?;
        let c: G1Affine = r.point(32, "proof C")?;
        for (is_zero, name) in [(a.is_zero(), "A"), (b.is_zero(), "B"), (c.is_zero(), "C")] {
            if is_zero {
                return Err(Error::IdentityPoint(name));
            }
        }
        Ok(Self { a, b, c })
    }
}

/// Checks `e(A, B) = e(α, β) · e(Σ xᵢ·ICᵢ, γ) · e(C, δ)`.
///
/// The input count must equal the key's: a shorter list is an error, not a
/// silent truncation.
pub fn verify_proof(vk: &VerifyingKey, public_inputs: &[Fr], proof: &Proof) -> Result<()> {
    if public_inputs.len() != vk.num_public_inputs() || vk.gamma_abc_g1.is_empty() {
        return Err(Error::InputCount {
            expected: vk.num_public_inputs(),
            found: public_inputs.len(),
        });
    }
    let mut acc: G1Projective = vk.gamma_abc_g1[0].into_group();
    for (x, base) in public_inputs.iter().zip(&vk.gamma_abc_g1[1..]) {
        acc += *base * x;
    }
    let vk_x = acc.into_affine();
    let check = Bn254::multi_pairing(
        [proof.a, -vk.alpha_g1, -vk_x, -proof.c],
        [proof.b, vk.beta_g2, vk.gamma_g2, vk.delta_g2],
    );
    if check.is_zero() {
        Ok(())
    } else {
        Err(Error::InvalidProof)
    }
}
