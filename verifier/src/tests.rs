//! Rejection tests, one per rule, on real proofs of a small circuit.

use crate::test_support::key_of;
use crate::*;
use ark_bn254::{Bn254, Fq, Fq2, G2Affine};
use ark_ff::{BigInteger, Field, PrimeField, UniformRand};
use ark_groth16::Groth16;
use ark_r1cs_std::fields::fp::FpVar;
use ark_r1cs_std::prelude::*;
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError};
use ark_serialize::CanonicalSerialize;
use ark_std::rand::{rngs::StdRng, SeedableRng};

/// Public (old, new, digest) with `old · w = new` and `digest² = d2`.
#[derive(Clone)]
struct Toy {
    old: Fr,
    w: Fr,
    digest: Fr,
}

impl ConstraintSynthesizer<Fr> for Toy {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        let old = FpVar::new_input(cs.clone(), || Ok(self.old))?;
        let new = FpVar::new_input(cs.clone(), || Ok(self.old * self.w))?;
        let digest = FpVar::new_input(cs.clone(), || Ok(self.digest))?;
        let w = FpVar::new_witness(cs.clone(), || Ok(self.w))?;
        (old * w).enforce_equal(&new)?;
        let d2 = FpVar::new_witness(cs, || Ok(self.digest.square()))?;
        digest.square()?.enforce_equal(&d2)
    }
}

fn convert_vk(vk: &ark_groth16::VerifyingKey<Bn254>) -> VerifyingKey {
    key_of("toy", &[("depth", 4)], &["old_root", "new_root", "batch_digest"], vk)
}

fn setup() -> (VerifyingKey, CompressedUpdate, CompressedUpdate) {
    let mut rng = StdRng::seed_from_u64(7);
    let toy = Toy { old: Fr::from(3u64), w: Fr::from(5u64), digest: Fr::from(11u64) };
    let pk =
        Groth16::<Bn254>::generate_random_parameters_with_reduction(toy.clone(), &mut rng).unwrap();
    let vk = convert_vk(&pk.vk);
    let make = |toy: Toy, rng: &mut StdRng| {
        let p =
            Groth16::<Bn254>::create_random_proof_with_reduction(toy.clone(), &pk, rng).unwrap();
        CompressedUpdate {
            circuit_id: "toy".into(),
            params: vec![("depth".into(), 4)],
            vk_fingerprint: vk.fingerprint(),
            public_inputs: vec![
                ("old_root".into(), toy.old),
                ("new_root".into(), toy.old * toy.w),
                ("batch_digest".into(), toy.digest),
            ],
            proof: Proof { a: p.a, b: p.b, c: p.c },
        }
    };
    let first = make(toy, &mut rng);
    let second =
        make(Toy { old: Fr::from(15u64), w: Fr::from(2u64), digest: Fr::from(4u64) }, &mut rng);
    (vk, first, second)
}

/// Offset of the proof inside an update's bytes (it is last).
fn proof_offset(bytes: &[u8]) -> usize {
    bytes.len() - PROOF_BYTES
}

#[test]
fn valid_updates_verify_and_round_trip() {
    let (vk, u1, u2) = setup();
    for u in [&u1, &u2] {
        let bytes = u.to_bytes();
        let back = CompressedUpdate::from_bytes(&bytes).unwrap();
        assert_eq!(&back, u);
        back.verify(&vk).unwrap();
        verify_update_bytes(&vk, &bytes).unwrap();
    }
    let vk_back = VerifyingKey::from_bytes(&vk.to_bytes()).unwrap();
    assert_eq!(vk_back, vk);
}

#[test]
fn point_not_on_curve_is_rejected() {
    let (_, u, _) = setup();
    let bytes = u.to_bytes();
    let at = proof_offset(&bytes);
    // An x with no y on the curve: flip low bits of A's x until off curve.
    let mut found = false;
    for delta in 1u8..50 {
        let mut b = bytes.clone();
        b[at] ^= delta;
        if ark_bn254::G1Affine::get_point_from_x_unchecked(
            Fq::from_le_bytes_mod_order(&{
                let mut x = b[at..at + 32].to_vec();
                x[31] &= 0x3f;
                x
            }),
            false,
        )
        .is_none()
        {
            assert_eq!(CompressedUpdate::from_bytes(&b), Err(Error::InvalidPoint("proof A")));
            found = true;
            break;
        }
    }
    assert!(found);
}

#[test]
fn point_outside_the_subgroup_is_rejected() {
    // BN254's G2 has a cofactor: find a point on the twist outside the subgroup.
    let (_, u, _) = setup();
    let mut rng = StdRng::seed_from_u64(1);
    let p = loop {
        let x = Fq2::rand(&mut rng);
        if let Some(p) = G2Affine::get_point_from_x_unchecked(x, false) {
            if !p.is_in_correct_subgroup_assuming_on_curve() {
                break p;
            }
        }
    };
    let mut enc = Vec::new();
    p.serialize_compressed(&mut enc).unwrap();
    let mut bytes = u.to_bytes();
    let at = proof_offset(&bytes) + 32;
    bytes[at..at + 64].copy_from_slice(&enc);
    assert_eq!(CompressedUpdate::from_bytes(&bytes), Err(Error::InvalidPoint("proof B")));
}

#[test]
fn non_canonical_point_encoding_is_rejected() {
    let (_, u, _) = setup();
    let bytes = u.to_bytes();
    let at = proof_offset(&bytes) + 96;
    // C's x replaced by x + q (same residue, non-canonical), flags kept.
    let c = u.proof.c;
    let mut x = c.x.into_bigint();
    x.add_with_carry(&Fq::MODULUS);
    let mut enc = x.to_bytes_le();
    if enc[31] & 0xc0 != 0 {
        // x + q overflows into the flag bits: use the identity with junk x instead.
        enc = vec![0u8; 32];
        enc[0] = 1;
        enc[31] = 0x40;
    } else {
        enc[31] |= bytes[at + 31] & 0xc0;
    }
    let mut b = bytes.clone();
    b[at..at + 32].copy_from_slice(&enc);
    assert!(matches!(CompressedUpdate::from_bytes(&b), Err(Error::InvalidPoint(_))));
    // The identity encoded with a nonzero x is not canonical either.
    let mut b = bytes.clone();
    let mut junk = vec![0u8; 32];
    junk[0] = 1;
    junk[31] = 0x40;
    b[at..at + 32].copy_from_slice(&junk);
    assert!(matches!(CompressedUpdate::from_bytes(&b), Err(Error::InvalidPoint(_))));
}

#[test]
fn identity_proof_points_are_rejected() {
    let (_, u, _) = setup();
    let mut bad = u.clone();
    bad.proof.c = ark_bn254::G1Affine::identity();
    assert_eq!(CompressedUpdate::from_bytes(&bad.to_bytes()), Err(Error::IdentityPoint("C")));
}

#[test]
fn public_input_at_or_above_r_is_rejected() {
    let (_, u, _) = setup();
    let bytes = u.to_bytes();
    // The first input's 32 bytes sit right before the second input's name.
    let first_value = u.input("old_root").unwrap().into_bigint().to_bytes_le();
    let at = bytes.windows(32).position(|w| w == first_value.as_slice()).unwrap();
    for value in [Fr::MODULUS, {
        let mut v = Fr::MODULUS;
        v.add_with_carry(&3u64.into());
        v
    }] {
        let mut b = bytes.clone();
        b[at..at + 32].copy_from_slice(&value.to_bytes_le());
        assert_eq!(CompressedUpdate::from_bytes(&b), Err(Error::NonCanonicalInput(0)));
    }
}

#[test]
fn public_input_count_must_match_the_key() {
    let (vk, u, _) = setup();
    let mut fewer = u.clone();
    fewer.public_inputs.pop();
    assert_eq!(fewer.verify(&vk), Err(Error::InputCount { expected: 3, found: 2 }));
    let mut more = u.clone();
    more.public_inputs.push(("extra".into(), Fr::from(0u64)));
    assert_eq!(more.verify(&vk), Err(Error::InputCount { expected: 3, found: 4 }));
    let mut renamed = u.clone();
    renamed.public_inputs[0].0 = "new_root".into();
    assert_eq!(renamed.verify(&vk), Err(Error::InputNames));
    let mut other_shape = u.clone();
    other_shape.params[0].1 = 5;
    assert_eq!(other_shape.verify(&vk), Err(Error::CircuitMismatch));
    let inputs: Vec<Fr> = u.public_inputs.iter().map(|(_, v)| *v).collect();
    assert!(verify_proof(&vk, &inputs[..2], &u.proof).is_err());
}

#[test]
fn fingerprint_of_another_key_is_rejected() {
    let (vk, u, _) = setup();
    let mut other = u.clone();
    other.vk_fingerprint[0] ^= 1;
    assert_eq!(other.verify(&vk), Err(Error::FingerprintMismatch));
}

#[test]
fn truncated_trailing_and_unknown_version_are_rejected() {
    let (vk, u, _) = setup();
    let bytes = u.to_bytes();
    for len in 0..bytes.len() {
        assert!(CompressedUpdate::from_bytes(&bytes[..len]).is_err(), "prefix of {len} accepted");
    }
    let mut long = bytes.clone();
    long.push(0);
    assert_eq!(CompressedUpdate::from_bytes(&long), Err(Error::TrailingBytes(1)));
    let mut v2 = bytes.clone();
    v2[4] = 2;
    assert_eq!(CompressedUpdate::from_bytes(&v2), Err(Error::UnknownVersion(2)));
    let vkb = vk.to_bytes();
    for len in 0..vkb.len() {
        assert!(VerifyingKey::from_bytes(&vkb[..len]).is_err());
    }
    let mut huge = vkb.clone();
    // The u32 count precedes alpha (32), beta, gamma, delta (64 each) and 4 IC points.
    let at = vkb.len() - (32 + 3 * 64 + 4 * 32) - 4;
    assert_eq!(&huge[at..at + 4], &4u32.to_le_bytes());
    huge[at..at + 4].copy_from_slice(&u32::MAX.to_le_bytes());
    // Rejected from the declared count alone, before any allocation.
    assert!(matches!(
        VerifyingKey::from_bytes(&huge),
        Err(Error::InputCount { .. } | Error::TooLong { .. })
    ));
}

#[test]
fn wrong_or_swapped_public_inputs_do_not_verify() {
    let (vk, u1, u2) = setup();
    let mut swapped = u1.clone();
    swapped.public_inputs = u2.public_inputs.clone();
    assert_eq!(swapped.verify(&vk), Err(Error::InvalidProof));
    let mut changed = u1.clone();
    changed.public_inputs[1].1 += Fr::ONE;
    assert_eq!(changed.verify(&vk), Err(Error::InvalidProof));
}

#[test]
fn light_client_follows_only_continuous_updates() {
    let (vk, u1, u2) = setup();
    // u1 goes 3 → 15, u2 goes 15 → 30.
    let mut client = LightClient::new(vk.clone(), Fr::from(3u64));
    assert_eq!(client.apply(&u2), Err(Error::RootMismatch));
    assert_eq!(client.root(), Fr::from(3u64));
    assert_eq!(client.apply(&u1).unwrap(), Fr::from(15u64));
    assert_eq!(client.apply(&u1), Err(Error::RootMismatch), "replay");
    assert_eq!(client.apply(&u2).unwrap(), Fr::from(30u64));
}

#[test]
fn a_client_of_several_keys_takes_ledger_circuits_only() {
    let (vk, u1, _) = setup();
    assert!(matches!(
        LightClient::with_keys(Vec::new(), Fr::from(3u64)),
        Err(Error::FingerprintMismatch)
    ));
    let mut not_ledger = vk.clone();
    not_ledger.input_names.swap(0, 1);
    assert!(matches!(
        LightClient::with_keys(vec![vk.clone(), not_ledger], Fr::from(3u64)),
        Err(Error::CircuitMismatch)
    ));
    // A key given twice counts once, and it follows as one key does.
    let mut client = LightClient::with_keys(vec![vk.clone(), vk.clone()], Fr::from(3u64)).unwrap();
    assert_eq!(client.verifying_keys().len(), 1);
    assert_eq!(client.apply(&u1).unwrap(), Fr::from(15u64));
    // An update under a key the client lacks.
    let mut other = u1.clone();
    other.vk_fingerprint[0] ^= 1;
    let mut client = LightClient::with_keys(vec![vk], Fr::from(3u64)).unwrap();
    assert_eq!(client.apply(&other), Err(Error::FingerprintMismatch));
}

#[test]
fn snarkjs_json_has_the_expected_shape() {
    let (vk, u, _) = setup();
    let v = snarkjs::verification_key_json(&vk);
    assert_eq!(v["nPublic"], 3);
    assert_eq!(v["IC"].as_array().unwrap().len(), 4);
    let p = snarkjs::proof_json(&u.proof);
    assert_eq!(p["pi_b"][2][0], "1");
    let x: Fq = u.proof.a.x;
    assert_eq!(p["pi_a"][0], x.into_bigint().to_string());
}

mod fuzz {
    //! Bounded property-based fuzzing (proptest) of every parser: no input
    //! may panic, and only the exact bytes of a valid update verify.
    use super::*;
    use proptest::prelude::*;
    use std::sync::OnceLock;

    fn fixture() -> &'static (VerifyingKey, Vec<u8>) {
        static F: OnceLock<(VerifyingKey, Vec<u8>)> = OnceLock::new();
        F.get_or_init(|| {
            let (vk, u, _) = setup();
            (vk, u.to_bytes())
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, .. ProptestConfig::default() })]

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            let _ = CompressedUpdate::from_bytes(&bytes);
            let _ = VerifyingKey::from_bytes(&bytes);
            let _ = Proof::from_bytes(&bytes);
        }

        #[test]
        fn prefixed_garbage_never_panics(tail in proptest::collection::vec(any::<u8>(), 0..600), vk in any::<bool>()) {
            let mut bytes = if vk { VK_MAGIC.to_vec() } else { UPDATE_MAGIC.to_vec() };
            bytes.extend_from_slice(&1u16.to_le_bytes());
            bytes.extend_from_slice(&tail);
            let _ = CompressedUpdate::from_bytes(&bytes);
            let _ = VerifyingKey::from_bytes(&bytes);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 96, .. ProptestConfig::default() })]

        /// Random edits of a valid update: anything but the original is rejected.
        #[test]
        fn edited_updates_are_rejected(
            edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..4)
        ) {
            let (vk, good) = fixture();
            let mut bytes = good.clone();
            for (at, value, op) in edits {
                let i = at.index(bytes.len().max(1));
                match op {
                    0 if !bytes.is_empty() => bytes[i] = value,
                    1 => bytes.insert(i, value),
                    _ if !bytes.is_empty() => { bytes.remove(i); }
                    _ => {}
                }
            }
            let result = CompressedUpdate::from_bytes(&bytes).and_then(|u| u.verify(vk));
            prop_assert_eq!(result.is_ok(), &bytes == good);
        }
    }

    /// The verifying key: every single-byte change is rejected at parse or
    /// changes the fingerprint, so no update made for the original verifies.
    #[test]
    fn every_byte_of_the_key_matters() {
        let (vk, update) = fixture();
        let update = CompressedUpdate::from_bytes(update).unwrap();
        let bytes = vk.to_bytes();
        for i in 0..bytes.len() {
            let mut b = bytes.clone();
            b[i] ^= 0x01;
            if let Ok(other) = VerifyingKey::from_bytes(&b) {
                assert!(update.verify(&other).is_err(), "byte {i} of the key is not covered");
            }
        }
    }
}
