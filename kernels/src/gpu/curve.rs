//! WGSL elliptic-curve arithmetic for BN254's G1, generated from arkworks'
//! curve parameters: the building block of the GPU MSM.

use super::field::{field_wgsl, substitute, u32_limbs, wgsl_array, MulVariant};
use ark_bn254::{g1::Config as G1Config, Fq};
use ark_ec::short_weierstrass::SWCurveConfig;
use ark_ff::{Field, PrimeField, Zero};

const CURVE_WGSL: &str = include_str!("wgsl/curve.wgsl");

/// The WGSL source of Fq arithmetic (`fe_*`) followed by G1 arithmetic
/// (`xyzz_*`, `Affine`, `Xyzz`).
pub fn g1_wgsl(variant: MulVariant) -> Result<String, String> {
    // The curve code assumes a = 0 (BN254, BLS12-381): refuse anything else.
    if !G1Config::COEFF_A.is_zero() {
        return Err("curve.wgsl implements a = 0 only".into());
    }
    let b = G1Config::COEFF_B;
    // Montgomery form of b: b·R mod q, as the device holds field elements.
    let r = Fq::from(2u64).pow([64 * (Fq::MODULUS.0.len() as u64)]);
    let b_mont = (b * r).into_bigint();
    let curve = substitute(
        CURVE_WGSL,
        &[
            ("COEFF_B", b.into_bigint().to_string()),
            ("COEFF_B_MONT", wgsl_array(&u32_limbs(&b_mont))),
        ],
    )?;
    Ok(format!("{}\n{curve}", field_wgsl::<Fq>("BN254 Fq", variant)?))
}
