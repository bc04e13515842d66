//! The data commitment of a file: its blake3 digest mapped into the field
//! without bias.
//!
//! The file is hashed with plain blake3 (so `b3sum FILE` prints the same
//! digest). The digest keys blake3's extendable output under the context
//! `stateproof data commitment v1`; the output is read in 32-byte blocks,
//! each taken little-endian with its top two bits cleared (a number below
//! 2^254), and the first block below the field modulus `r` is the
//! commitment. Every value below `r` is equally likely (rejection sampling,
//! not reduction modulo `r`, which would favour small values); a block is
//! accepted with probability `r / 2^254 ≈ 0.76`, so more than 64 blocks are
//! never needed in practice (probability `0.24^64 < 2^-130`).

use crate::primitives::{Error, Result};
use crate::Fr;
use ark_ff::{BigInteger, PrimeField};
use std::io::Read;
use std::path::Path;

const CONTEXT: &str = "stateproof data commitment v1";

/// The commitment of a blake3 digest.
pub fn data_commitment_of_digest(digest: &blake3::Hash) -> Fr {
    let key = blake3::derive_key(CONTEXT, digest.as_bytes());
    let mut xof = blake3::Hasher::new_keyed(&key).finalize_xof();
    loop {
        let mut block = [0u8; 32];
        xof.fill(&mut block);
        block[31] &= 0x3f;
        let mut limbs = [0u64; 4];
        for (limb, bytes) in limbs.iter_mut().zip(block.chunks_exact(8)) {
            *limb = u64::from_le_bytes(bytes.try_into().expect("8-byte chunk"));
        }
        let candidate = <Fr as PrimeField>::BigInt::new(limbs);
        debug_assert!(candidate.num_bits() <= 254);
        if let Some(x) = Fr::from_bigint(candidate) {
            return x;
        }
    }
}

/// The blake3 digest and commitment of everything `reader` yields.
pub fn data_commitment(reader: impl Read) -> std::io::Result<(blake3::Hash, Fr)> {
    let mut hasher = blake3::Hasher::new();
    hasher.update_reader(reader)?;
    let digest = hasher.finalize();
    Ok((digest, data_commitment_of_digest(&digest)))
}

/// The blake3 digest and commitment of a file, read in a stream.
pub fn data_commitment_of_file(path: &Path) -> Result<(blake3::Hash, Fr)> {
    let io = |e: std::io::Error| Error::Invalid {
        what: "data file",
        reason: format!("{}: {e}", path.display()),
    };
    let file = std::fs::File::open(path).map_err(io)?;
    data_commitment(std::io::BufReader::with_capacity(1 << 20, file)).map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commitment_is_the_first_accepted_block_of_the_keyed_stream() {
        let (digest, c) = data_commitment(&b"utxo snapshot"[..]).unwrap();
        assert_eq!(digest, blake3::hash(b"utxo snapshot"));
        // Recompute by hand: the first block below r, top bits cleared.
        let key = blake3::derive_key(CONTEXT, digest.as_bytes());
        let mut stream = [0u8; 32 * 8];
        blake3::Hasher::new_keyed(&key).finalize_xof().fill(&mut stream);
        let expected = stream
            .chunks_exact(32)
            .find_map(|b| {
                let mut b = b.to_vec();
                b[31] &= 0x3f;
                let x = Fr::from_le_bytes_mod_order(&b);
                (x.into_bigint().to_bytes_le() == b).then_some(x)
            })
            .unwrap();
        assert_eq!(c, expected);
        assert_ne!(c, data_commitment(&b"utxo snapshot!"[..]).unwrap().1);
    }

    #[test]
    fn rejection_happens_and_blocks_above_r_are_skipped() {
        // About a quarter of digests have a first block ≥ r: find one and
        // check the commitment is not that block reduced.
        let mut skipped = 0;
        for i in 0u32..64 {
            let digest = blake3::hash(&i.to_le_bytes());
            let key = blake3::derive_key(CONTEXT, digest.as_bytes());
            let mut first = [0u8; 32];
            blake3::Hasher::new_keyed(&key).finalize_xof().fill(&mut first);
            first[31] &= 0x3f;
            let reduced = Fr::from_le_bytes_mod_order(&first);
            if reduced.into_bigint().to_bytes_le() != first {
                skipped += 1;
                assert_ne!(data_commitment_of_digest(&digest), reduced);
            }
        }
        assert!(skipped > 0, "no rejected first block in 64 digests");
    }

    #[test]
    fn a_missing_file_is_an_error() {
        assert!(data_commitment_of_file(Path::new("/nonexistent/stateproof")).is_err());
    }
}
