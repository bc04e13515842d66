//! WGSL field arithmetic generated from an arkworks field type.
//!
//! Every constant (modulus, R, R², −p⁻¹ mod 2^32 and 2^16, p − 2, limb
//! counts) is computed from `F: PrimeField` and substituted into named
//! `{{PLACEHOLDER}}`s; substitution refuses to leave any placeholder behind,
//! so a template and its generator cannot drift apart silently.

use ark_ff::{BigInteger, PrimeField};

/// How `fe_mul` multiplies.
///
/// Measured on llvmpipe (Mesa 22.3.6, LLVM 15, 2 cores) with the
/// `mul_chain` microbenchmark (group `field_mul_chain` of `cargo bench -p
/// stateproof-kernels --features microbench,test-hooks --bench gpu_micro`): see
/// kernels/README.md for the figures. The 32-bit-digit variant needs
/// `SHADER_INT64`; the 16-bit one runs anywhere.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MulVariant {
    /// 32-bit digits with 64-bit products (needs `SHADER_INT64`).
    U32Digits,
    /// 16-bit digits with 32-bit products (portable WGSL).
    U16Digits,
}

const FIELD_WGSL: &str = include_str!("wgsl/field.wgsl");
const MUL_U64_WGSL: &str = include_str!("wgsl/mul_u64.wgsl");
const MUL_U16_WGSL: &str = include_str!("wgsl/mul_u16.wgsl");

/// Replaces every `{{NAME}}` in `template`; panics in tests (and returns the
/// name in production) if a placeholder is unknown or left over.
pub(crate) fn substitute(template: &str, values: &[(&str, String)]) -> Result<String, String> {
    let mut out = String::with_capacity(template.len() + 1024);
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find("}}").ok_or_else(|| "unclosed placeholder".to_string())?;
        let name = &after[..end];
        let value = values
            .iter()
            .find(|(n, _)| *n == name)
            .ok_or_else(|| format!("no value for placeholder {{{{{name}}}}}"))?;
        out.push_str(&value.1);
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

pub(crate) fn u32_limbs<B: BigInteger>(x: &B) -> Vec<u32> {
    x.as_ref().iter().flat_map(|l| [*l as u32, (*l >> 32) as u32]).collect()
}

pub(crate) fn wgsl_array(limbs: &[u32]) -> String {
    limbs.iter().map(|l| format!("{l:#010x}u")).collect::<Vec<_>>().join(", ")
}

/// The WGSL source of `fe_*` functions for the field `F`.
pub fn field_wgsl<F: PrimeField>(name: &str, variant: MulVariant) -> Result<String, String> {
    let modulus = F::MODULUS;
    let limbs = u32_limbs(&modulus).len();
    let mut p_minus_2 = modulus;
    p_minus_2.sub_with_borrow(&F::BigInt::from(2u64));
    // −p⁻¹ mod 2^32 by Newton iteration on the low limb (p is odd).
    let p0 = u32_limbs(&modulus)[0];
    let mut inv = 1u32;
    for _ in 0..5 {
        inv = inv.wrapping_mul(2u32.wrapping_sub(p0.wrapping_mul(inv)));
    }
    let neg_inv32 = inv.wrapping_neg();
    // R = 2^(64·limbs64) mod p and R² mod p, as canonical integers.
    let r = F::from(2u64).pow([64 * (limbs as u64 / 2)]);
    let (r, r2) = (r.into_bigint(), r.square().into_bigint());
    let values = vec![
        ("FIELD", name.to_string()),
        ("LIMBS", limbs.to_string()),
        ("LIMBS64", (limbs / 2).to_string()),
        ("LIMBS_PLUS_2", (limbs + 2).to_string()),
        ("DIGITS", (2 * limbs).to_string()),
        ("DIGITS_PLUS_2", (2 * limbs + 2).to_string()),
        ("MODULUS", wgsl_array(&u32_limbs(&modulus))),
        ("R", wgsl_array(&u32_limbs(&r))),
        ("R2", wgsl_array(&u32_limbs(&r2))),
        ("P_MINUS_2", wgsl_array(&u32_limbs(&p_minus_2))),
        ("INV32", neg_inv32.to_string()),
        ("INV16", (neg_inv32 & 0xffff).to_string()),
        (
            "MUL_VARIANT",
            match variant {
                MulVariant::U32Digits => "32-bit digits",
                MulVariant::U16Digits => "16-bit digits",
            }
            .to_string(),
        ),
    ];
    let mul = substitute(
        match variant {
            MulVariant::U32Digits => MUL_U64_WGSL,
            MulVariant::U16Digits => MUL_U16_WGSL,
        },
        &values,
    )?;
    let mut values = values;
    values.push(("MUL", mul));
    substitute(FIELD_WGSL, &values)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_placeholder_is_filled_for_both_bn254_fields() {
        for variant in [MulVariant::U32Digits, MulVariant::U16Digits] {
            for src in [
                field_wgsl::<ark_bn254::Fr>("BN254 Fr", variant).unwrap(),
                field_wgsl::<ark_bn254::Fq>("BN254 Fq", variant).unwrap(),
            ] {
                assert!(!src.contains("{{"), "placeholder left in WGSL");
                assert!(src.contains("fn fe_mul"));
            }
        }
    }

    #[test]
    fn montgomery_inverse_is_right() {
        let src = field_wgsl::<ark_bn254::Fr>("Fr", MulVariant::U32Digits).unwrap();
        let p0 = u32_limbs(&ark_bn254::Fr::MODULUS)[0];
        let line = src.lines().find(|l| l.starts_with("const INV32")).unwrap();
        let inv: u32 = line.split(['=', 'u']).nth(2).unwrap().trim().parse().unwrap();
        assert_eq!(p0.wrapping_mul(inv), u32::MAX, "p · (−p⁻¹) ≡ −1 mod 2^32");
    }

    #[test]
    fn unknown_placeholders_are_errors() {
        assert!(substitute("a {{NOPE}} b", &[]).is_err());
        assert!(substitute("a {{OPEN", &[]).is_err());
        assert_eq!(substitute("{{X}}+{{X}}", &[("X", "1".into())]).unwrap(), "1+1");
    }
}
