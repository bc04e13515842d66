//! A light client that follows finality proofs from a trusted checkpoint.
//!
//! **What it trusts:** one checkpoint obtained out of band (a header's
//! height and hash, the state root it finalised, and the root of the
//! validator set that signs the next header), the finality verifying key,
//! and that the key's setup was honest. **What it checks**, for each update
//! in order: the Groth16 proof verifies under that key (so a quorum of the
//! named set, by the threshold fixed at setup, signed the header); the
//! update is signed by the set the client holds; it is the next height and
//! its parent is the client's header. It then holds the new header, its
//! state root, and the set that header names for the next step (a rotation
//! when it differs).
//!
//! Two valid updates for one height signed by one set with different
//! headers mean the set's quorum signed a fork: the client reports
//! [`ForkEvidence`] and halts rather than pick one. Replays, gaps, stale
//! updates and updates signed by another set are rejected, and a rejected
//! update leaves the client unchanged.

use crate::batch::CatchUp;
use crate::encoding::{fr_from_le, fr_to_le, Reader};
use crate::envelope::{verify_updates, CompressedUpdate, Verified};
use crate::groth16::VerifyingKey;
use crate::spec::FINALITY_QUORUM;
use crate::{Error, Fr, Result};
use alloc::vec::Vec;
use ark_ff::{BigInteger, PrimeField};

/// Magic bytes of a saved light-client state.
pub const CLIENT_STATE_MAGIC: &[u8; 4] = b"SPLC";
const CLIENT_STATE_VERSION: u16 = 1;

/// The trusted starting point.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    /// The header's height.
    pub height: u64,
    /// The header's hash.
    pub header_hash: Fr,
    /// The state root the header finalised.
    pub state_root: Fr,
    /// The set that signs the next header (the header's `next_set_root`).
    pub set_root: Fr,
}

/// Two headers of one height, both proven final by one set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ForkEvidence {
    /// The height.
    pub height: u64,
    /// The set whose quorum signed both.
    pub set_root: Fr,
    /// The header the client had accepted.
    pub accepted: Fr,
    /// The conflicting header.
    pub conflicting: Fr,
}

/// Everything the client holds: small, and saved with
/// [`FinalityClient::state_bytes`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientState {
    /// Fingerprint of the finality verifying key.
    pub vk_fingerprint: [u8; 32],
    /// The latest final header: height, hash and state root.
    pub height: u64,
    /// Its hash.
    pub header_hash: Fr,
    /// Its state root.
    pub state_root: Fr,
    /// The set that signs the next header.
    pub set_root: Fr,
    /// The set that signed the latest header (none at the checkpoint).
    pub signed_by: Option<Fr>,
    /// Set when a fork was seen; the client then accepts nothing.
    pub fork: Option<ForkEvidence>,
}

/// What an accepted update finalised.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Finalized {
    /// The new height.
    pub height: u64,
    /// The new header's hash.
    pub header_hash: Fr,
    /// The state root it finalised.
    pub state_root: Fr,
    /// The set that signs the next header.
    pub next_set_root: Fr,
    /// Whether that set differs from the one that signed.
    pub rotated: bool,
}

/// Follows finality updates; see the module docs.
#[derive(Clone, Debug)]
pub struct FinalityClient {
    vk: VerifyingKey,
    state: ClientState,
}

fn check_key(vk: &VerifyingKey) -> Result<()> {
    if !FINALITY_QUORUM.matches(vk) {
        return Err(Error::NotFinalityKey);
    }
    Ok(())
}

fn height_of(x: Fr) -> Result<u64> {
    let big = x.into_bigint();
    if big.num_bits() > 64 {
        return Err(Error::HeightOutOfRange);
    }
    Ok(big.as_ref()[0])
}

impl FinalityClient {
    /// A client at `checkpoint`, accepting proofs under `vk` (a finality key).
    pub fn new(vk: VerifyingKey, checkpoint: Checkpoint) -> Result<Self> {
        check_key(&vk)?;
        let state = ClientState {
            vk_fingerprint: vk.fingerprint(),
            height: checkpoint.height,
            header_hash: checkpoint.header_hash,
            state_root: checkpoint.state_root,
            set_root: checkpoint.set_root,
            signed_by: None,
            fork: None,
        };
        Ok(Self { vk, state })
    }

    /// A client resumed from [`FinalityClient::state_bytes`]; the state must
    /// have been saved under `vk`.
    pub fn resume(vk: VerifyingKey, state: &[u8]) -> Result<Self> {
        check_key(&vk)?;
        let state = ClientState::from_bytes(state)?;
        if state.vk_fingerprint != vk.fingerprint() {
            return Err(Error::FingerprintMismatch);
        }
        Ok(Self { vk, state })
    }

    /// The finality key it verifies under.
    pub fn verifying_key(&self) -> &VerifyingKey {
        &self.vk
    }

    /// What the client holds.
    pub fn state(&self) -> &ClientState {
        &self.state
    }

    /// The saved form of the state.
    pub fn state_bytes(&self) -> Vec<u8> {
        self.state.to_bytes()
    }

    /// Checks `update` and, if it is the next final header, moves to it.
    /// On any error the client is unchanged, except that a proven fork is
    /// recorded (and halts the client).
    pub fn apply(&mut self, update: &CompressedUpdate) -> Result<Finalized> {
        if let Some(fork) = self.state.fork {
            return Err(Error::Halted { height: fork.height });
        }
        self.apply_verified(&update.verified(&self.vk)?)
    }

    /// Applies a run of updates in order, their proofs checked together in
    /// one pairing check ([`crate::batch`]), stopping at the first that
    /// [`FinalityClient::apply`] would reject (a fork among them is recorded
    /// and halts the client, as there).
    pub fn catch_up(&mut self, updates: &[CompressedUpdate]) -> CatchUp<Finalized> {
        if let (Some(fork), false) = (self.state.fork, updates.is_empty()) {
            // Halted: not worth verifying what will be refused.
            let rejected = Some((0, Error::Halted { height: fork.height }));
            return CatchUp { accepted: Vec::new(), rejected };
        }
        CatchUp::run(verify_updates(&self.vk, updates), |v| self.apply_verified(v))
    }

    /// [`FinalityClient::apply`] for an update already verified (alone or
    /// in a batch) under the client's key; one verified under another key
    /// is an [`Error::FingerprintMismatch`].
    pub fn apply_verified(&mut self, verified: &Verified<'_>) -> Result<Finalized> {
        if let Some(fork) = self.state.fork {
            return Err(Error::Halted { height: fork.height });
        }
        if verified.vk_fingerprint() != self.state.vk_fingerprint {
            return Err(Error::FingerprintMismatch);
        }
        let update = verified.update();
        let set_root = update.input("set_root")?;
        let height = height_of(update.input("height")?)?;
        let header_hash = update.input("header_hash")?;
        let s = &mut self.state;
        if height == s.height && s.signed_by == Some(set_root) {
            if header_hash == s.header_hash {
                return Err(Error::Replay { height });
            }
            let evidence = ForkEvidence {
                height,
                set_root,
                accepted: s.header_hash,
                conflicting: header_hash,
            };
            s.fork = Some(evidence);
            return Err(Error::Fork(evidence));
        }
        if height <= s.height {
            return Err(Error::Stale { height, current: s.height });
        }
        if height != s.height + 1 {
            return Err(Error::Gap { expected: s.height + 1, found: height });
        }
        if set_root != s.set_root {
            return Err(Error::WrongSet);
        }
        if update.input("prev_hash")? != s.header_hash {
            return Err(Error::DoesNotExtend);
        }
        let next_set_root = update.input("next_set_root")?;
        let state_root = update.input("state_root")?;
        *s = ClientState {
            height,
            header_hash,
            state_root,
            set_root: next_set_root,
            signed_by: Some(set_root),
            ..*s
        };
        Ok(Finalized {
            height,
            header_hash,
            state_root,
            next_set_root,
            rotated: next_set_root != set_root,
        })
    }
}

fn put_optional(out: &mut Vec<u8>, value: Option<&[u8]>) {
    match value {
        None => out.push(0),
        Some(bytes) => {
            out.push(1);
            out.extend_from_slice(bytes);
        }
    }
}

fn read_fr(r: &mut Reader<'_>, what: &'static str) -> Result<Fr> {
    fr_from_le(r.take(32, what)?).ok_or(Error::Malformed(what))
}

fn read_flag(r: &mut Reader<'_>, what: &'static str) -> Result<bool> {
    match r.u8(what)? {
        0 => Ok(false),
        1 => Ok(true),
        _ => Err(Error::Malformed(what)),
    }
}

impl ClientState {
    /// Layout: magic `SPLC`, version u16, fingerprint, height u64, header
    /// hash, state root, set root, then `signed_by` and `fork` each as a
    /// 0/1 flag followed by their fields when 1. Field elements are 32-byte
    /// little-endian and canonical.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(256);
        out.extend_from_slice(CLIENT_STATE_MAGIC);
        out.extend_from_slice(&CLIENT_STATE_VERSION.to_le_bytes());
        out.extend_from_slice(&self.vk_fingerprint);
        out.extend_from_slice(&self.height.to_le_bytes());
        for x in [self.header_hash, self.state_root, self.set_root] {
            out.extend_from_slice(&fr_to_le(&x));
        }
        put_optional(&mut out, self.signed_by.map(|x| fr_to_le(&x)).as_ref().map(|b| &b[..]));
        let fork = self.fork.map(|f| {
            let mut b = Vec::with_capacity(104);
            b.extend_from_slice(&f.height.to_le_bytes());
            for x in [f.set_root, f.accepted, f.conflicting] {
                b.extend_from_slice(&fr_to_le(&x));
            }
            b
        });
        put_optional(&mut out, fork.as_deref());
        out
    }

    /// Parses a saved state strictly.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let mut r = Reader::new(bytes);
        if r.take(4, "magic")? != CLIENT_STATE_MAGIC {
            return Err(Error::BadMagic("light-client state"));
        }
        let version = r.u16("format version")?;
        if version != CLIENT_STATE_VERSION {
            return Err(Error::UnknownVersion(version));
        }
        let mut vk_fingerprint = [0u8; 32];
        vk_fingerprint.copy_from_slice(r.take(32, "verifying-key fingerprint")?);
        let height = r.u64("height")?;
        let header_hash = read_fr(&mut r, "header hash")?;
        let state_root = read_fr(&mut r, "state root")?;
        let set_root = read_fr(&mut r, "set root")?;
        let signed_by = if read_flag(&mut r, "signed-by flag")? {
            Some(read_fr(&mut r, "signing set root")?)
        } else {
            None
        };
        let fork = if read_flag(&mut r, "fork flag")? {
            Some(ForkEvidence {
                height: r.u64("fork height")?,
                set_root: read_fr(&mut r, "fork set root")?,
                accepted: read_fr(&mut r, "fork header")?,
                conflicting: read_fr(&mut r, "fork header")?,
            })
        } else {
            None
        };
        r.finish()?;
        Ok(Self { vk_fingerprint, height, header_hash, state_root, set_root, signed_by, fork })
    }
}
