//! iden3's binary container, shared by `.r1cs`, `.wtns` and `.zkey`:
//! a 4-byte magic, a u32 version, a u32 section count, then sections of
//! `(u32 type, u64 size, bytes)`, integers little-endian.

use super::{CircomError, Result};
use ark_bn254::Fr;
use ark_ff::{BigInteger, PrimeField};

/// A parsed container: the sections borrowed from the file's bytes.
pub(crate) struct BinFile<'a> {
    sections: Vec<(u32, &'a [u8])>,
    kind: &'static str,
}

/// A cursor over one section's bytes; every read checks the bytes present.
pub(crate) struct Cursor<'a> {
    bytes: &'a [u8],
    what: &'static str,
}

impl<'a> BinFile<'a> {
    /// Parses the container of a file of `kind` ("r1cs", "wtns", "zkey").
    pub(crate) fn parse(
        bytes: &'a [u8],
        kind: &'static str,
        magic: &[u8; 4],
        versions: &[u32],
    ) -> Result<Self> {
        let mut c = Cursor { bytes, what: kind };
        if c.take(4)? != magic {
            return Err(CircomError::Format(format!("not a .{kind} file (bad magic)")));
        }
        let version = c.u32()?;
        if !versions.contains(&version) {
            return Err(CircomError::Format(format!(".{kind} version {version} is not supported")));
        }
        let count = c.u32()?;
        let mut sections: Vec<(u32, &[u8])> = Vec::new();
        for _ in 0..count {
            let kind_id = c.u32()?;
            let size = c.u64()?;
            let size =
                usize::try_from(size).ok().filter(|s| *s <= c.bytes.len()).ok_or_else(|| {
                    CircomError::Format(format!(
                        ".{kind} section {kind_id} declares {size} bytes, {} remain",
                        c.bytes.len()
                    ))
                })?;
            if sections.iter().any(|(k, _)| *k == kind_id) {
                return Err(CircomError::Format(format!(
                    ".{kind} section {kind_id} appears twice"
                )));
            }
            sections.push((kind_id, c.take(size)?));
        }
        if !c.bytes.is_empty() {
            return Err(CircomError::Format(format!(
                ".{kind} has {} bytes after its last section",
                c.bytes.len()
            )));
        }
        Ok(Self { sections, kind })
    }

    /// Section `id`, which must exist.
    pub(crate) fn section(&self, id: u32, what: &'static str) -> Result<Cursor<'a>> {
        self.sections
            .iter()
            .find(|(k, _)| *k == id)
            .map(|(_, bytes)| Cursor { bytes, what })
            .ok_or_else(|| {
                CircomError::Format(format!(".{} has no section {id} ({what})", self.kind))
            })
    }
}

impl<'a> Cursor<'a> {
    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if self.bytes.len() < n {
            return Err(CircomError::Format(format!(
                "{}: truncated ({} more bytes needed)",
                self.what,
                n - self.bytes.len()
            )));
        }
        let (head, tail) = self.bytes.split_at(n);
        self.bytes = tail;
        Ok(head)
    }

    pub(crate) fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_le_bytes(self.take(4)?.try_into().expect("4 bytes")))
    }

    pub(crate) fn u64(&mut self) -> Result<u64> {
        Ok(u64::from_le_bytes(self.take(8)?.try_into().expect("8 bytes")))
    }

    /// Bytes left.
    pub(crate) fn rest_len(&self) -> usize {
        self.bytes.len()
    }

    /// The rest of the section.
    pub(crate) fn rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.bytes)
    }

    /// Requires that exactly `n` bytes remain.
    pub(crate) fn expect_len(&self, n: usize) -> Result<()> {
        if self.bytes.len() != n {
            return Err(CircomError::Format(format!(
                "{}: {} bytes where {n} are expected",
                self.what,
                self.bytes.len()
            )));
        }
        Ok(())
    }

    /// Requires the section to be used up.
    pub(crate) fn finish(&self) -> Result<()> {
        self.expect_len(0)
    }

    /// A field size `n8` (must be 32) followed by a prime that must be
    /// `modulus` (BN254's `r` or `q`), named `curve_what` in errors.
    pub(crate) fn prime(&mut self, modulus: &[u8], what: &str) -> Result<()> {
        let n8 = self.u32()?;
        if n8 != 32 {
            return Err(CircomError::Curve(format!(
                "{what} has {n8}-byte field elements, not BN254's 32"
            )));
        }
        if self.take(32)? != modulus {
            return Err(CircomError::Curve(format!("{what} is over another field than BN254's")));
        }
        Ok(())
    }
}

/// BN254's scalar modulus `r`, 32 bytes little-endian.
pub(crate) fn r_bytes() -> Vec<u8> {
    Fr::MODULUS.to_bytes_le()
}

/// A canonical `Fr` from 32 little-endian bytes (normal form).
pub(crate) fn fr_le(bytes: &[u8], what: &'static str) -> Result<Fr> {
    let limbs = limbs(bytes);
    Fr::from_bigint(ark_ff::BigInt(limbs))
        .ok_or_else(|| CircomError::Format(format!("{what}: value not below the field modulus")))
}

pub(crate) fn limbs(bytes: &[u8]) -> [u64; 4] {
    let mut limbs = [0u64; 4];
    for (limb, chunk) in limbs.iter_mut().zip(bytes.chunks_exact(8)) {
        *limb = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
    }
    limbs
}
