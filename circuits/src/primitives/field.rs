//! Strict text encodings of field elements, keys and signatures for files
//! and JSON. Errors name the field they are about (`[1]`, `signature_s`),
//! so that a file's reader can say where a value is wrong.

use super::babyjubjub::Point;
use super::eddsa::{PublicKey, Signature};
use super::{Error, Result};
use crate::Fr;
use ark_ff::PrimeField;

/// Parses a canonical decimal field element: digits only, no leading zeros
/// (except "0" itself), value below the modulus. Unlike `Fr::from_str`, which
/// reduces, a value `≥ r` is rejected: two encodings of one element would let
/// the same data pass as different.
pub fn parse_fr(s: &str) -> Result<Fr> {
    let bad =
        |reason: &str| Error::Invalid { what: "field element", reason: format!("{reason}: {s:?}") };
    stateproof_verifier::parse_decimal(s).map_err(|e| bad(&e.to_string()))
}

/// The canonical decimal form of a field element.
pub fn fr_to_string(x: &Fr) -> String {
    x.into_bigint().to_string()
}

/// A public key from its decimal coordinates `[x, y]` (on the curve, not of
/// small order).
pub fn key_from_strings(xy: &[String; 2]) -> Result<PublicKey> {
    let p = point_from_strings(xy)?;
    PublicKey::from_coordinates(p.x, p.y)
}

/// A public key's decimal coordinates `[x, y]`.
pub fn key_to_strings(pk: &PublicKey) -> [String; 2] {
    point_to_strings(&pk.0)
}

/// A point's decimal coordinates `[x, y]`.
pub fn point_to_strings(p: &Point) -> [String; 2] {
    [fr_to_string(&p.x), fr_to_string(&p.y)]
}

/// A signature from `R8 = [x, y]` and `S` (canonical encodings only; whether
/// it verifies is the rules' concern). Errors name `signature_r8` or
/// `signature_s`.
pub fn signature_from_strings(r8: &[String; 2], s: &str) -> Result<Signature> {
    let r8 = point_from_strings(r8).map_err(|e| e.at("signature_r8"))?;
    Ok(Signature { r8, s: parse_fr(s).map_err(|e| e.at("signature_s"))? })
}

/// A point from decimal coordinates `[x, y]`, canonical but otherwise
/// unchecked (whether it is on the curve is the caller's rule).
pub fn point_from_strings(xy: &[String; 2]) -> Result<Point> {
    let coordinate = |i: usize| parse_fr(&xy[i]).map_err(|e| e.at(format!("[{i}]")));
    Ok(Point::new_unchecked(coordinate(0)?, coordinate(1)?))
}

/// A signature's `(R8 = [x, y], S)` in decimal.
pub fn signature_to_strings(sig: &Signature) -> ([String; 2], String) {
    (point_to_strings(&sig.r8), fr_to_string(&sig.s))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ff::Field;

    #[test]
    fn canonical_values_round_trip() {
        for x in [Fr::from(0u64), Fr::from(1u64), -Fr::from(1u64), Fr::from(u64::MAX)] {
            assert_eq!(parse_fr(&fr_to_string(&x)).unwrap(), x);
        }
    }

    #[test]
    fn non_canonical_values_are_rejected() {
        let r = Fr::MODULUS.to_string();
        for s in ["", "-1", "+1", "01", "1 ", "0x10", "1e3", r.as_str()] {
            assert!(parse_fr(s).is_err(), "{s:?}");
        }
        // r − 1 is the largest accepted value; 78 nines overflows 256 bits.
        assert_eq!(parse_fr(&(-Fr::ONE).into_bigint().to_string()).unwrap(), -Fr::ONE);
        assert!(parse_fr(&"9".repeat(78)).is_err());
        assert!(parse_fr(&"1".repeat(79)).is_err());
    }

    #[test]
    fn signature_errors_name_their_field() {
        let r8 = ["1".to_string(), "02".to_string()];
        let e = signature_from_strings(&r8, "3").unwrap_err();
        assert!(e.to_string().starts_with("signature_r8[1]: "), "{e}");
        let e = signature_from_strings(&["1".into(), "2".into()], "x").unwrap_err();
        assert!(e.to_string().starts_with("signature_s: "), "{e}");
    }
}
