//! The transfer witness in bytes: what a node puts in a prove job for a
//! worker on another machine. Fixed-width and length-checked: a decoder
//! computes the exact length from the header before it allocates, and
//! refuses non-canonical field elements and points off the curve.
//!
//! Layout (integers little-endian, field elements as ark-serialize's 32
//! canonical bytes): `SPTW2`, depth (u32), slots (u32), the ledger's account,
//! deal and member roots before, old root, new root, digest, then per slot: used (u8), from (u64), to (u64), receiver key
//! (x, y), amount, nonce, signature R8 (x, y), signature s, sender key
//! (x, y), sender balance, sender nonce, `depth` sender path elements,
//! receiver fresh (u8), receiver balance, receiver nonce, `depth` receiver
//! path elements.

use super::{SlotWitness, TransferWitness, MAX_SLOTS};
use crate::ledger::LedgerRoots;
use crate::primitives::babyjubjub::{is_on_curve, Point};
use crate::primitives::merkle::MAX_DEPTH;
use crate::Fr;
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};

const MAGIC: &[u8; 5] = b"SPTW2";
const FR: usize = 32;
const HEADER: usize = MAGIC.len() + 4 + 4 + 6 * FR;

fn slot_len(depth: usize) -> usize {
    1 + 8
        + 8
        + 2 * FR
        + 2 * FR
        + 2 * FR
        + FR
        + 2 * FR
        + 2 * FR
        + depth * FR
        + 1
        + 2 * FR
        + depth * FR
}

/// Why bytes are not a transfer witness.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum WitnessDecodeError {
    /// The bytes do not start with the format's magic.
    #[error("not a transfer witness (no SPTW2 header)")]
    Magic,
    /// The header's shape is out of range.
    #[error("depth {depth} and {slots} slots are out of range (depth 1 to {MAX_DEPTH}, 1 to {MAX_SLOTS} slots)")]
    Shape {
        /// The depth read.
        depth: usize,
        /// The slots read.
        slots: usize,
    },
    /// The length is not the header's shape's.
    #[error("{got} bytes, a witness of depth {depth} and {slots} slots has {want}")]
    Length {
        /// The depth read.
        depth: usize,
        /// The slots read.
        slots: usize,
        /// The length that shape has.
        want: usize,
        /// The length given.
        got: usize,
    },
    /// A field element at or above the modulus.
    #[error("{0}: not a canonical field element")]
    Field(&'static str),
    /// A point off the Baby Jubjub curve.
    #[error("{0}: not a point on the curve")]
    Point(&'static str),
    /// A flag byte other than 0 or 1.
    #[error("{0}: a flag must be 0 or 1")]
    Flag(&'static str),
}

impl TransferWitness {
    /// The witness in the job format (module docs).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(HEADER + self.slots.len() * slot_len(self.depth));
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&(self.depth as u32).to_le_bytes());
        out.extend_from_slice(&(self.slots.len() as u32).to_le_bytes());
        let b = &self.before;
        for x in [b.accounts, b.deals, b.members, self.old_root, self.new_root, self.digest] {
            put_fr(&mut out, &x);
        }
        for s in &self.slots {
            out.push(u8::from(s.used));
            out.extend_from_slice(&s.from.to_le_bytes());
            out.extend_from_slice(&s.to.to_le_bytes());
            put_point(&mut out, &s.to_public_key);
            put_fr(&mut out, &s.amount);
            put_fr(&mut out, &s.nonce);
            put_point(&mut out, &s.sig_r8);
            put_fr(&mut out, &s.sig_s);
            put_point(&mut out, &s.sender_key);
            put_fr(&mut out, &s.sender_balance);
            put_fr(&mut out, &s.sender_nonce);
            s.sender_path.iter().for_each(|x| put_fr(&mut out, x));
            out.push(u8::from(s.receiver_fresh));
            put_fr(&mut out, &s.receiver_balance);
            put_fr(&mut out, &s.receiver_nonce);
            s.receiver_path.iter().for_each(|x| put_fr(&mut out, x));
        }
        out
    }

    /// Reads a witness in the job format, checking its length, its field
    /// elements and its points; nothing else (whether it satisfies the
    /// circuit is the prover's self-check).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, WitnessDecodeError> {
        let rest = bytes.strip_prefix(MAGIC).ok_or(WitnessDecodeError::Magic)?;
        if rest.len() < 8 {
            return Err(WitnessDecodeError::Magic);
        }
        let depth = u32::from_le_bytes(rest[0..4].try_into().expect("4 bytes")) as usize;
        let slots = u32::from_le_bytes(rest[4..8].try_into().expect("4 bytes")) as usize;
        if depth == 0 || depth > MAX_DEPTH || slots == 0 || slots > MAX_SLOTS {
            return Err(WitnessDecodeError::Shape { depth, slots });
        }
        let want = HEADER + slots * slot_len(depth);
        if bytes.len() != want {
            return Err(WitnessDecodeError::Length { depth, slots, want, got: bytes.len() });
        }
        let mut r = Reader { bytes: &rest[8..] };
        let before = LedgerRoots {
            accounts: r.fr("accounts root")?,
            deals: r.fr("deals root")?,
            members: r.fr("members root")?,
        };
        let old_root = r.fr("old root")?;
        let new_root = r.fr("new root")?;
        let digest = r.fr("digest")?;
        let mut out = Vec::with_capacity(slots);
        for _ in 0..slots {
            out.push(SlotWitness {
                used: r.flag("used")?,
                from: r.u64(),
                to: r.u64(),
                to_public_key: r.point("receiver key")?,
                amount: r.fr("amount")?,
                nonce: r.fr("nonce")?,
                sig_r8: r.point("signature R8")?,
                sig_s: r.fr("signature s")?,
                sender_key: r.point("sender key")?,
                sender_balance: r.fr("sender balance")?,
                sender_nonce: r.fr("sender nonce")?,
                sender_path: (0..depth).map(|_| r.fr("sender path")).collect::<Result<_, _>>()?,
                receiver_fresh: r.flag("receiver fresh")?,
                receiver_balance: r.fr("receiver balance")?,
                receiver_nonce: r.fr("receiver nonce")?,
                receiver_path: (0..depth)
                    .map(|_| r.fr("receiver path"))
                    .collect::<Result<_, _>>()?,
            });
        }
        Ok(Self { depth, before, old_root, new_root, digest, slots: out })
    }
}

fn put_fr(out: &mut Vec<u8>, x: &Fr) {
    x.serialize_compressed(&mut *out).expect("a field element serializes");
}

fn put_point(out: &mut Vec<u8>, p: &Point) {
    put_fr(out, &p.x);
    put_fr(out, &p.y);
}

/// A cursor over bytes whose length was checked against the shape first.
struct Reader<'a> {
    bytes: &'a [u8],
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> &[u8] {
        let (head, tail) = self.bytes.split_at(n);
        self.bytes = tail;
        head
    }

    fn u64(&mut self) -> u64 {
        u64::from_le_bytes(self.take(8).try_into().expect("8 bytes"))
    }

    fn flag(&mut self, what: &'static str) -> Result<bool, WitnessDecodeError> {
        match self.take(1)[0] {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(WitnessDecodeError::Flag(what)),
        }
    }

    fn fr(&mut self, what: &'static str) -> Result<Fr, WitnessDecodeError> {
        Fr::deserialize_compressed(self.take(FR)).map_err(|_| WitnessDecodeError::Field(what))
    }

    fn point(&mut self, what: &'static str) -> Result<Point, WitnessDecodeError> {
        let (x, y) = (self.fr(what)?, self.fr(what)?);
        if !is_on_curve(x, y) {
            return Err(WitnessDecodeError::Point(what));
        }
        Ok(Point::new_unchecked(x, y))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample::SampleLedger;
    use crate::transfer::apply_batch;

    fn sample_witness() -> TransferWitness {
        let ledger = SampleLedger::new(6, 4, 1_000).expect("a sample ledger");
        let batch = ledger.batch(2);
        apply_batch(&ledger.state, &ledger.roots(), &batch, 3).expect("a valid batch").1
    }

    #[test]
    fn round_trips_a_real_witness() {
        let w = sample_witness();
        assert_eq!(TransferWitness::from_bytes(&w.to_bytes()), Ok(w));
    }

    #[test]
    fn refuses_every_truncation_and_extension() {
        let bytes = sample_witness().to_bytes();
        for n in [0, 4, 5, 12, HEADER, bytes.len() - 1] {
            assert!(TransferWitness::from_bytes(&bytes[..n]).is_err(), "{n} bytes");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(matches!(
            TransferWitness::from_bytes(&longer),
            Err(WitnessDecodeError::Length { .. })
        ));
    }

    #[test]
    fn refuses_out_of_range_shapes_before_allocating() {
        let mut bytes = sample_witness().to_bytes();
        bytes[5..9].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(matches!(
            TransferWitness::from_bytes(&bytes),
            Err(WitnessDecodeError::Shape { .. })
        ));
    }

    #[test]
    fn refuses_non_canonical_elements_bad_flags_and_points_off_the_curve() {
        let bytes = sample_witness().to_bytes();
        // The accounts root, then the old root, set to 2^256 - 1, above the modulus.
        for (at, what) in [(13, "accounts root"), (13 + 3 * FR, "old root")] {
            let mut b = bytes.clone();
            b[at..at + FR].fill(0xff);
            assert_eq!(TransferWitness::from_bytes(&b), Err(WitnessDecodeError::Field(what)));
        }
        // The first slot's `used` flag.
        let mut b = bytes.clone();
        b[HEADER] = 2;
        assert_eq!(TransferWitness::from_bytes(&b), Err(WitnessDecodeError::Flag("used")));
        // The first slot's receiver key's x, one more.
        let mut b = bytes.clone();
        let x = HEADER + 17;
        b[x] = b[x].wrapping_add(1);
        assert_eq!(TransferWitness::from_bytes(&b), Err(WitnessDecodeError::Point("receiver key")));
    }
}
