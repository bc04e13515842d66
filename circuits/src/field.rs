//! Strict text encodings of field elements for files and JSON.

use crate::{Error, Fr, Result};
use ark_ff::{BigInteger, PrimeField};

/// Parses a canonical decimal field element: digits only, no leading zeros
/// (except "0" itself), value below the modulus. Unlike `Fr::from_str`, which
/// reduces, a value `≥ r` is rejected: two encodings of one element would let
/// the same data pass as different.
pub fn parse_fr(s: &str) -> Result<Fr> {
    let bad =
        |reason: &str| Error::Invalid { what: "field element", reason: format!("{reason}: {s:?}") };
    if s.is_empty() || s.len() > 78 {
        return Err(bad("expected 1 to 78 decimal digits"));
    }
    if !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad("not a decimal number"));
    }
    if s.len() > 1 && s.starts_with('0') {
        return Err(bad("leading zero"));
    }
    let mut acc = <Fr as PrimeField>::BigInt::from(0u64);
    for b in s.bytes() {
        // acc = acc * 10 + digit, watching for overflow out of 256 bits.
        let mut times8 = acc;
        let mut carry = times8.mul2();
        carry |= times8.mul2();
        carry |= times8.mul2();
        let mut times2 = acc;
        carry |= times2.mul2();
        carry |= times8.add_with_carry(&times2);
        carry |= times8.add_with_carry(&u64::from(b - b'0').into());
        if carry {
            return Err(bad("not below the field modulus"));
        }
        acc = times8;
    }
    Fr::from_bigint(acc).ok_or_else(|| bad("not below the field modulus"))
}

/// The canonical decimal form of a field element.
pub fn fr_to_string(x: &Fr) -> String {
    x.into_bigint().to_string()
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
}
