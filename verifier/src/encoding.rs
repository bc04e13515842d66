//! A strict byte reader: every read checks the bytes present first.

use crate::{Error, Fr, Result};
use alloc::vec::Vec;
use ark_ff::{BigInteger, PrimeField};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};

pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Self { bytes }
    }

    pub(crate) fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8]> {
        if self.bytes.len() < n {
            return Err(Error::Truncated { what, needed: n - self.bytes.len() });
        }
        let (head, tail) = self.bytes.split_at(n);
        self.bytes = tail;
        Ok(head)
    }

    pub(crate) fn remaining(&self) -> usize {
        self.bytes.len()
    }

    pub(crate) fn u8(&mut self, what: &'static str) -> Result<u8> {
        Ok(self.take(1, what)?[0])
    }

    pub(crate) fn u16(&mut self, what: &'static str) -> Result<u16> {
        let b = self.take(2, what)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }

    pub(crate) fn u32(&mut self, what: &'static str) -> Result<u32> {
        let b = self.take(4, what)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    pub(crate) fn u64(&mut self, what: &'static str) -> Result<u64> {
        let b = self.take(8, what)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }

    /// A point in arkworks' compressed form, validated, and canonical: its
    /// re-encoding must give back the same bytes (ark accepts some
    /// non-canonical encodings of the identity).
    pub(crate) fn point<P: CanonicalDeserialize + CanonicalSerialize>(
        &mut self,
        len: usize,
        what: &'static str,
    ) -> Result<P> {
        let bytes = self.take(len, what)?;
        let p = P::deserialize_compressed(bytes).map_err(|_| Error::InvalidPoint(what))?;
        let mut again = Vec::with_capacity(len);
        p.serialize_compressed(&mut again).map_err(|_| Error::InvalidPoint(what))?;
        if again != bytes {
            return Err(Error::InvalidPoint(what));
        }
        Ok(p)
    }

    pub(crate) fn finish(self) -> Result<()> {
        if self.bytes.is_empty() {
            Ok(())
        } else {
            Err(Error::TrailingBytes(self.bytes.len()))
        }
    }
}

/// A field element as 32 little-endian bytes; `None` when `≥ r`.
pub(crate) fn fr_from_le(bytes: &[u8]) -> Option<Fr> {
    let mut limbs = [0u64; 4];
    for (i, limb) in limbs.iter_mut().enumerate() {
        let mut b = [0u8; 8];
        b.copy_from_slice(&bytes[8 * i..8 * i + 8]);
        *limb = u64::from_le_bytes(b);
    }
    Fr::from_bigint(ark_ff::BigInt(limbs))
}

pub(crate) fn fr_to_le(x: &Fr) -> Vec<u8> {
    x.into_bigint().to_bytes_le()
}

pub(crate) fn put_point<P: CanonicalSerialize>(out: &mut Vec<u8>, p: &P) {
    // Serialising a valid point into a Vec cannot fail.
    p.serialize_compressed(out).expect("writing to a Vec succeeds");
}

const MAX_NAME: usize = 64;

pub(crate) fn put_name(out: &mut Vec<u8>, name: &str) {
    out.push(name.len() as u8);
    out.extend_from_slice(name.as_bytes());
}

/// A short printable-ASCII name with a one-byte length.
pub(crate) fn read_name(r: &mut Reader<'_>, what: &'static str) -> Result<alloc::string::String> {
    let len = r.u8(what)? as usize;
    if len > MAX_NAME {
        return Err(Error::TooLong { what, len, max: MAX_NAME });
    }
    let bytes = r.take(len, what)?;
    if !bytes.iter().all(|b| b.is_ascii_graphic()) {
        return Err(Error::Malformed(what));
    }
    Ok(core::str::from_utf8(bytes).map_err(|_| Error::Malformed(what))?.into())
}

/// A circuit's identity as both file formats write it: id, then a one-byte
/// count of `(name, u64)` parameters.
pub(crate) fn put_circuit(
    out: &mut Vec<u8>,
    circuit_id: &str,
    params: &[(alloc::string::String, u64)],
) {
    put_name(out, circuit_id);
    out.push(params.len() as u8);
    for (name, value) in params {
        put_name(out, name);
        out.extend_from_slice(&value.to_le_bytes());
    }
}

/// Reads what [`put_circuit`] writes.
pub(crate) fn read_circuit(
    r: &mut Reader<'_>,
) -> Result<(alloc::string::String, Vec<(alloc::string::String, u64)>)> {
    let circuit_id = read_name(r, "circuit id")?;
    let n_params = r.u8("parameter count")? as usize;
    let mut params = Vec::with_capacity(n_params);
    for _ in 0..n_params {
        let name = read_name(r, "parameter name")?;
        params.push((name, r.u64("parameter value")?));
    }
    Ok((circuit_id, params))
}
