//! Signed-digit scalar decomposition for the GPU MSM, and its CPU twin.

use super::field::{field_wgsl, MulVariant};
use super::ntt::to_bytes;
use super::GpuContext;
use crate::{Error, Result};
use ark_bn254::Fr;
use ark_ff::{BigInteger, PrimeField};

const DECOMPOSE_WGSL: &str = include_str!("wgsl/decompose.wgsl");
/// The sign bit of an encoded digit.
pub const NEGATIVE: u32 = 1 << 31;

/// Windows of `c` bits that hold any scalar of `Fr` in signed digits: the
/// scalar's bits plus one for the final carry.
pub fn windows(c: u32) -> u32 {
    (Fr::MODULUS_BIT_SIZE + 1).div_ceil(c)
}

/// CPU twin of `decompose.wgsl`: per window, `|d|` with the sign in bit 31.
pub fn signed_digits(scalar: &Fr, c: u32) -> Vec<u32> {
    let bits = scalar.into_bigint().to_bits_le();
    let half = 1u32 << (c - 1);
    let mut carry = 0u32;
    (0..windows(c))
        .map(|k| {
            let window = (0..c as usize)
                .map(|b| bits.get(k as usize * c as usize + b).copied().unwrap_or(false) as u32)
                .enumerate()
                .fold(0u32, |acc, (b, bit)| acc | (bit << b));
            let d = window + carry;
            if d >= half {
                carry = 1;
                ((1u32 << c) - d) | NEGATIVE
            } else {
                carry = 0;
                d
            }
        })
        .collect()
}

/// The decomposition kernel's WGSL (with Fr's field code).
pub fn wgsl(variant: MulVariant) -> Result<String> {
    let src = format!(
        "{}\n{}",
        field_wgsl::<Fr>("BN254 Fr", variant).map_err(Error::ShaderCompile)?,
        DECOMPOSE_WGSL
    );
    let limbs = 2 * Fr::MODULUS.0.len();
    super::field::substitute(&src, &[("LIMBS", limbs.to_string())]).map_err(Error::ShaderCompile)
}

/// Decomposes `scalars` on the GPU into `windows(c)` signed digits each.
pub fn decompose(ctx: &GpuContext, scalars: &[Fr], c: u32) -> Result<Vec<u32>> {
    if !(2..=16).contains(&c) {
        return Err(Error::UnsupportedSize { len: c as usize });
    }
    let module = ctx.compile("decompose", &wgsl(ctx.mul_variant)?)?;
    let pipeline = ctx.pipeline(&module, "decompose")?;
    let w = windows(c);
    let n = scalars.len();
    let input = ctx.upload("scalars", &to_bytes(scalars))?;
    let out = ctx.storage("digits", (n as u64 * w as u64 * 4).max(4))?;
    let shape = ctx.uniform("shape", &[n as u32, c, w, 0]);
    let groups = super::ntt::grid(n.div_ceil(64), super::ntt::MAX_GROUPS_X);
    ctx.dispatch_once(&pipeline, &[&shape, &input, &out], groups)?;
    let bytes = ctx.download(&out, n as u64 * w as u64 * 4)?;
    Ok(bytes.chunks_exact(4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect())
}
