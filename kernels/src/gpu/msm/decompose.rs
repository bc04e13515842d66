//! Signed-digit scalar decomposition for the GPU MSM, and its CPU twin.

use super::super::field::{field_wgsl, substitute, MulVariant};
use super::super::runtime::{self, fr_to_bytes, grid, Commands, MAX_GROUPS_X};
use super::super::GpuDevice;
use crate::{Error, Result};
use ark_bn254::Fr;
use ark_ff::{BigInteger, PrimeField};

const DECOMPOSE_WGSL: &str = include_str!("../wgsl/decompose.wgsl");
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
    substitute(&src, &[("LIMBS", limbs.to_string())]).map_err(Error::ShaderCompile)
}

/// Decomposes `scalars` on the GPU into `windows(c)` signed digits each:
/// the kernel alone, for tests against [`signed_digits`].
pub fn decompose(dev: &GpuDevice, scalars: &[Fr], c: u32) -> Result<Vec<u32>> {
    if !(2..=16).contains(&c) {
        return Err(Error::UnsupportedSize { len: c as usize });
    }
    let module = runtime::compile(dev, "decompose", &wgsl(dev.mul_variant)?)?;
    let pipeline = runtime::pipeline(dev, &module, "decompose", None)?;
    let w = windows(c);
    let n = scalars.len();
    let input = runtime::upload(dev, "scalars", &fr_to_bytes(scalars))?;
    let out = runtime::storage(dev, "digits", (n as u64 * w as u64 * 4).max(4))?;
    let mut commands = Commands::new(dev);
    let shape = [n as u32, c, w, 0];
    let groups = grid(n.div_ceil(64), MAX_GROUPS_X);
    commands.dispatch(&pipeline, Some((0, &shape)), &[(1, &input), (2, &out)], groups);
    commands.submit()?;
    let bytes = runtime::download(dev, &out, n as u64 * w as u64 * 4)?;
    Ok(bytes.chunks_exact(4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect())
}
