//! EdDSA-Poseidon on Baby Jubjub: the scheme of circomlib's
//! `EdDSAPoseidonVerifier` and circomlibjs's `signPoseidon`.
//!
//! A signature `(R8, S)` on a field element `msg` under public key `A`
//! verifies when `S < l`, `8·A` is not the identity, and
//! `S·Base8 = R8 + (8·h)·A` with `h = Poseidon(R8.x, R8.y, A.x, A.y, msg)`.
//!
//! Signing is stateproof's own: the secret scalar and the nonce key come from
//! a 32-byte seed through blake3's key derivation, and the nonce is
//! `blake3(nonce key, msg)` reduced modulo `l` from 64 bytes (bias below
//! 2⁻²⁵⁰). Signatures verify with circomlibjs, and circomlibjs's verify here.

use super::babyjubjub::{
    base8, bits_le_at_most, is_below_subgroup_order, is_on_curve, subgroup_order,
    to_subgroup_scalar, Fs, Point, PointProjective, PointVar,
};
use super::poseidon::{poseidon, poseidon_gadget};
use super::Error;
use crate::Fr;
use ark_ec::{AdditiveGroup, CurveGroup, PrimeGroup};
use ark_ff::{BigInteger, PrimeField, Zero};
use ark_r1cs_std::fields::fp::FpVar;
use ark_r1cs_std::prelude::*;
use ark_relations::gr1cs::SynthesisError;
use std::ops::Mul;

/// A public key: a Baby Jubjub point `A = k·Base8`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PublicKey(pub Point);

/// A secret key: the scalar `k` and the key that derives signing nonces.
#[derive(Clone)]
pub struct SecretKey {
    scalar: Fs,
    nonce_key: [u8; 32],
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(..)")
    }
}

/// An EdDSA-Poseidon signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Signature {
    /// The nonce point `R8 = r·Base8`.
    pub r8: Point,
    /// The response `S`, an integer that must be below the subgroup order `l`.
    pub s: Fr,
}

impl SecretKey {
    /// Derives a key from a 32-byte seed.
    pub fn from_seed(seed: &[u8; 32]) -> Self {
        let mut wide = [0u8; 64];
        let mut reader = blake3::Hasher::new_derive_key("stateproof eddsa-poseidon secret v1")
            .update(seed)
            .finalize_xof();
        reader.fill(&mut wide);
        let scalar = Fs::from_le_bytes_mod_order(&wide);
        let nonce_key = blake3::derive_key("stateproof eddsa-poseidon nonce key v1", seed);
        Self { scalar, nonce_key }
    }

    /// The public key `k·Base8`.
    pub fn public_key(&self) -> PublicKey {
        PublicKey((base8() * self.scalar).into_affine())
    }

    /// Signs a field element.
    pub fn sign(&self, msg: Fr) -> Signature {
        let mut wide = [0u8; 64];
        blake3::Hasher::new_keyed(&self.nonce_key)
            .update(&msg.into_bigint().to_bytes_le())
            .finalize_xof()
            .fill(&mut wide);
        let r = Fs::from_le_bytes_mod_order(&wide);
        let r8: Point = (base8() * r).into_affine();
        let a = self.public_key().0;
        let h = challenge(&r8, &a, msg);
        // S·Base8 = R8 + 8h·A = (r + 8h·k)·Base8.
        let s = r + to_subgroup_scalar(h) * Fs::from(8u64) * self.scalar;
        Signature { r8, s: Fr::from_le_bytes_mod_order(&s.into_bigint().to_bytes_le()) }
    }
}

/// `h = Poseidon(R8.x, R8.y, A.x, A.y, msg)`.
fn challenge(r8: &Point, a: &Point, msg: Fr) -> Fr {
    poseidon(&[r8.x, r8.y, a.x, a.y, msg]).expect("Poseidon(5) has parameters")
}

impl PublicKey {
    /// Builds a key from coordinates, rejecting points off the curve and
    /// keys of small order (for which anyone could sign).
    pub fn from_coordinates(x: Fr, y: Fr) -> Result<Self, Error> {
        if !is_on_curve(x, y) {
            return Err(Error::InvalidPublicKey("point is not on Baby Jubjub"));
        }
        let p = Point::new_unchecked(x, y);
        if PointProjective::from(p).double().double().double().is_zero() {
            return Err(Error::InvalidPublicKey("point has small order"));
        }
        Ok(Self(p))
    }

    /// Verifies `sig` on `msg`, exactly as circomlib's `EdDSAPoseidonVerifier`.
    pub fn verify(&self, msg: Fr, sig: &Signature) -> Result<(), Error> {
        let a = self.0;
        if !is_on_curve(a.x, a.y) {
            return Err(Error::InvalidPublicKey("point is not on Baby Jubjub"));
        }
        if !is_on_curve(sig.r8.x, sig.r8.y) {
            return Err(Error::BadSignature("R8 is not on Baby Jubjub"));
        }
        if !is_below_subgroup_order(sig.s) {
            return Err(Error::BadSignature("S is not below the subgroup order"));
        }
        let a8 = PointProjective::from(a).double().double().double();
        if a8.is_zero() {
            return Err(Error::InvalidPublicKey("point has small order"));
        }
        let h = challenge(&sig.r8, &a, msg);
        let left = PointProjective::from(base8()).mul_bigint(sig.s.into_bigint());
        let right = a8.mul_bigint(h.into_bigint()) + sig.r8;
        if left != right {
            return Err(Error::BadSignature("S·Base8 != R8 + 8h·A"));
        }
        Ok(())
    }
}

/// EdDSA-Poseidon verification in a constraint system, enforced when
/// `enabled` holds (an unused batch slot passes the identity and zeros).
///
/// Enforces: `A` and `R8` on the curve; `S < l` through a 251-bit
/// decomposition and a comparison with `l − 1`; `8·A ≠ O`; the unique
/// (non-aliasing) 254-bit decomposition of `h`; `S·Base8 = R8 + h·(8·A)`.
pub fn verify_gadget(
    public_key: &PointVar,
    msg: &FpVar<Fr>,
    r8: &PointVar,
    s: &FpVar<Fr>,
    enabled: &Boolean<Fr>,
) -> Result<(), SynthesisError> {
    public_key.enforce_on_curve()?;
    r8.enforce_on_curve()?;

    let mut l_minus_one = subgroup_order();
    l_minus_one.sub_with_borrow(&1u64.into());
    let s_bits = bits_le_at_most(s, Fs::MODULUS_BIT_SIZE as usize, Some(l_minus_one))?;

    let a8 = public_key.double()?.double()?.double()?;
    a8.x.conditional_enforce_not_equal(&FpVar::Constant(Fr::zero()), enabled)?;

    let h = poseidon_gadget(&[
        r8.x.clone(),
        r8.y.clone(),
        public_key.x.clone(),
        public_key.y.clone(),
        msg.clone(),
    ])?;
    let h_bits = h.to_bits_le()?;

    let left = PointVar::fixed_base_mul(&s_bits, base8())?;
    let right = r8.add(&a8.scalar_mul_le(&h_bits)?)?;
    left.conditional_enforce_equal(&right, enabled)
}

impl Mul<Fs> for PublicKey {
    type Output = Point;
    fn mul(self, k: Fs) -> Point {
        (self.0 * k).into_affine()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_relations::gr1cs::ConstraintSystem;
    use std::str::FromStr;

    #[derive(serde::Deserialize)]
    struct Vector {
        public_key: [String; 2],
        message: String,
        r8: [String; 2],
        s: String,
    }

    fn fr(s: &str) -> Fr {
        Fr::from_str(s).unwrap()
    }

    fn circomlib_vectors() -> Vec<(PublicKey, Fr, Signature)> {
        let vectors: Vec<Vector> =
            serde_json::from_str(include_str!("../../testdata/eddsa_vectors.json")).unwrap();
        vectors
            .iter()
            .map(|v| {
                let pk = PublicKey::from_coordinates(fr(&v.public_key[0]), fr(&v.public_key[1]))
                    .unwrap();
                let sig =
                    Signature { r8: Point::new_unchecked(fr(&v.r8[0]), fr(&v.r8[1])), s: fr(&v.s) };
                (pk, fr(&v.message), sig)
            })
            .collect()
    }

    fn gadget_accepts(pk: &PublicKey, msg: Fr, sig: &Signature) -> (bool, usize) {
        let cs = ConstraintSystem::<Fr>::new_ref();
        let a = PointVar::new_witness(cs.clone(), || Ok((pk.0.x, pk.0.y))).unwrap();
        let r8 = PointVar::new_witness(cs.clone(), || Ok((sig.r8.x, sig.r8.y))).unwrap();
        let s = FpVar::new_witness(cs.clone(), || Ok(sig.s)).unwrap();
        let m = FpVar::new_witness(cs.clone(), || Ok(msg)).unwrap();
        verify_gadget(&a, &m, &r8, &s, &Boolean::TRUE).unwrap();
        (cs.is_satisfied().unwrap(), cs.num_constraints())
    }

    #[test]
    fn circomlibjs_signatures_verify_natively_and_in_circuit() {
        for (pk, msg, sig) in circomlib_vectors() {
            pk.verify(msg, &sig).unwrap();
            assert!(gadget_accepts(&pk, msg, &sig).0);
        }
    }

    #[test]
    fn own_signatures_round_trip() {
        let sk = SecretKey::from_seed(&[7u8; 32]);
        let pk = sk.public_key();
        for m in [0u64, 1, 42, u64::MAX] {
            let sig = sk.sign(Fr::from(m));
            pk.verify(Fr::from(m), &sig).unwrap();
        }
        let sig = sk.sign(-Fr::from(1u64));
        pk.verify(-Fr::from(1u64), &sig).unwrap();
        let (ok, constraints) = gadget_accepts(&pk, -Fr::from(1u64), &sig);
        assert!(ok);
        eprintln!("EdDSA-Poseidon verification: {constraints} constraints (circomlib: 4217)");
    }

    #[test]
    fn rejections_native_and_in_circuit() {
        let (pk, msg, sig) = circomlib_vectors()[2];
        let other = SecretKey::from_seed(&[9u8; 32]).public_key();
        let cases: Vec<(&str, PublicKey, Fr, Signature)> = vec![
            ("wrong key", other, msg, sig),
            ("wrong message", pk, msg + Fr::from(1u64), sig),
            ("tampered R", pk, msg, Signature { r8: (sig.r8 + base8()).into_affine(), ..sig }),
            ("tampered S", pk, msg, Signature { s: sig.s + Fr::from(1u64), ..sig }),
            (
                // S + l is the same scalar mod l: only the range check stops it.
                "S + l (not below the subgroup order)",
                pk,
                msg,
                Signature { s: sig.s + Fr::from_bigint(subgroup_order()).unwrap(), ..sig },
            ),
        ];
        for (name, pk, msg, sig) in cases {
            assert!(pk.verify(msg, &sig).is_err(), "native accepted: {name}");
            assert!(!gadget_accepts(&pk, msg, &sig).0, "circuit accepted: {name}");
        }
    }

    #[test]
    fn small_order_keys_are_rejected() {
        // The identity signs anything with R8 = S·Base8.
        let identity = Point::new_unchecked(Fr::zero(), Fr::from(1u64));
        assert!(PublicKey::from_coordinates(identity.x, identity.y).is_err());
        let s = Fr::from(5u64);
        let sig = Signature { r8: (base8() * Fs::from(5u64)).into_affine(), s };
        assert!(PublicKey(identity).verify(Fr::from(3u64), &sig).is_err());
        assert!(!gadget_accepts(&PublicKey(identity), Fr::from(3u64), &sig).0);
    }
}
