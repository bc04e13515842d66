//! circom's witness file (`.wtns`, version 2): section 1 holds the field
//! size, the prime and the witness count; section 2 the values, 32 bytes
//! little-endian each (normal form, below `r`). Value 0 is the constant 1.

use super::binfile::{fr_le, r_bytes, BinFile};
use super::{CircomError, Result};
use ark_bn254::Fr;
use ark_ff::One;
use rayon::prelude::*;

/// Reads a witness, checking the prime, the count against the bytes, each
/// value's range and that value 0 is 1.
pub fn parse_wtns(bytes: &[u8]) -> Result<Vec<Fr>> {
    let file = BinFile::parse(bytes, "wtns", b"wtns", &[2])?;
    let mut header = file.section(1, "wtns header")?;
    header.prime(&r_bytes(), "the witness")?;
    let n = header.u32()? as usize;
    header.finish()?;
    let mut values = file.section(2, "wtns values")?;
    values.expect_len(
        n.checked_mul(32).ok_or_else(|| CircomError::Format("witness count overflows".into()))?,
    )?;
    let witness = values
        .rest()
        .par_chunks_exact(32)
        .map(|b| fr_le(b, "witness value"))
        .collect::<Result<Vec<Fr>>>()?;
    if witness.first() != Some(&Fr::one()) {
        return Err(CircomError::Format("witness value 0 (the constant) is not 1".into()));
    }
    Ok(witness)
}
