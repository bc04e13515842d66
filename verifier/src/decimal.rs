//! Canonical decimal field elements, as circom, snarkjs and stateproof's
//! JSON files write them: digits only, no sign, no leading zero, below the
//! modulus.

use ark_ff::{BigInteger, PrimeField};
use core::fmt;

/// Why a string is not a canonical decimal element.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecimalError {
    /// Empty, longer than 78 characters, or not all digits.
    NotDecimal,
    /// More than one digit, the first a zero.
    LeadingZero,
    /// At or above the field modulus.
    NotBelowModulus,
}

impl fmt::Display for DecimalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DecimalError::NotDecimal => "not a decimal number of 1 to 78 digits",
            DecimalError::LeadingZero => "leading zero",
            DecimalError::NotBelowModulus => "not below the field modulus",
        })
    }
}

/// Parses a canonical decimal below the modulus of `F`.
pub fn parse_decimal<F: PrimeField>(s: &str) -> Result<F, DecimalError> {
    if s.is_empty() || s.len() > 78 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(DecimalError::NotDecimal);
    }
    if s.len() > 1 && s.starts_with('0') {
        return Err(DecimalError::LeadingZero);
    }
    let mut acc = F::BigInt::from(0u64);
    for b in s.bytes() {
        // acc = acc·10 + digit, refusing to overflow the integer.
        let mut times8 = acc;
        let mut carry = times8.mul2();
        carry |= times8.mul2();
        carry |= times8.mul2();
        let mut times2 = acc;
        carry |= times2.mul2();
        carry |= times8.add_with_carry(&times2);
        carry |= times8.add_with_carry(&F::BigInt::from(u64::from(b - b'0')));
        if carry {
            return Err(DecimalError::NotBelowModulus);
        }
        acc = times8;
    }
    F::from_bigint(acc).ok_or(DecimalError::NotBelowModulus)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Fr;
    use alloc::string::ToString;
    use ark_ff::One;

    #[test]
    fn canonical_decimals_round_trip_and_others_are_refused() {
        let minus_one = -Fr::one();
        let text = minus_one.into_bigint().to_string();
        assert_eq!(parse_decimal::<Fr>(&text), Ok(minus_one));
        assert_eq!(parse_decimal::<Fr>("0"), Ok(Fr::from(0u64)));
        let modulus = Fr::MODULUS.to_string();
        assert_eq!(parse_decimal::<Fr>(&modulus), Err(DecimalError::NotBelowModulus));
        // 2^256 overflows the integer itself, not only the modulus.
        let over = (<Fr as PrimeField>::BigInt::from(1u64) << 255).to_string() + "0";
        assert_eq!(parse_decimal::<Fr>(&over), Err(DecimalError::NotBelowModulus));
        for (s, e) in [
            ("", DecimalError::NotDecimal),
            ("-1", DecimalError::NotDecimal),
            ("1e3", DecimalError::NotDecimal),
            (" 1", DecimalError::NotDecimal),
            ("01", DecimalError::LeadingZero),
        ] {
            assert_eq!(parse_decimal::<Fr>(s), Err(e), "{s:?}");
        }
        assert_eq!(parse_decimal::<Fr>(&"9".repeat(79)), Err(DecimalError::NotDecimal));
    }
}
