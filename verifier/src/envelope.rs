//! The compressed update: a versioned binary envelope around one proof.
//!
//! Layout (integers little-endian):
//!
//! | field | bytes |
//! |---|---|
//! | magic `SPUP` | 4 |
//! | format version (1) | 2 |
//! | circuit id: length, ASCII | 1 + n |
//! | parameter count, then each: name length, name, u64 value | 1 + Σ(1 + n + 8) |
//! | verifying-key fingerprint (blake3) | 32 |
//! | public-input count, then each: name length, name, 32-byte LE value | 1 + Σ(1 + n + 32) |
//! | proof: A, B, C compressed | 128 |
//!
//! Nothing may follow the proof.

use crate::batch::{verify_each, Statement};
use crate::encoding::{
    fr_from_le, fr_to_le, put_circuit, put_name, read_circuit, read_name, Reader,
};
use crate::groth16::{verify_proof, Proof, VerifyingKey};
use crate::{Error, Fr, Result};
#[allow(unused_imports)]
use alloc::borrow::ToOwned;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

/// Magic bytes of a compressed update.
pub const UPDATE_MAGIC: &[u8; 4] = b"SPUP";
/// The format version this crate writes and reads.
pub const FORMAT_VERSION: u16 = 1;

/// A proof of one state transition with everything needed to check it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompressedUpdate {
    /// Which circuit proved it, e.g. `transfer-batch`.
    pub circuit_id: String,
    /// The circuit's shape parameters, e.g. `depth`, `slots`.
    pub params: Vec<(String, u64)>,
    /// blake3 fingerprint of the verifying key.
    pub vk_fingerprint: [u8; 32],
    /// Named public inputs, in the circuit's order.
    pub public_inputs: Vec<(String, Fr)>,
    /// The proof.
    pub proof: Proof,
}

impl CompressedUpdate {
    /// The binary form.
    ///
    /// Names longer than 64 bytes or more than 255 parameters or inputs are
    /// a programming error of the writer and are truncated by the `u8`
    /// lengths; [`CompressedUpdate::from_bytes`] would then reject the bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(256);
        out.extend_from_slice(UPDATE_MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        put_circuit(&mut out, &self.circuit_id, &self.params);
        out.extend_from_slice(&self.vk_fingerprint);
        out.push(self.public_inputs.len() as u8);
        for (name, value) in &self.public_inputs {
            put_name(&mut out, name);
            out.extend_from_slice(&fr_to_le(value));
        }
        out.extend_from_slice(&self.proof.to_bytes());
        out
    }

    /// Parses an update strictly (it does not verify the proof).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let mut r = Reader::new(bytes);
        if r.take(4, "magic")? != UPDATE_MAGIC {
            return Err(Error::BadMagic("compressed update"));
        }
        let version = r.u16("format version")?;
        if version != FORMAT_VERSION {
            return Err(Error::UnknownVersion(version));
        }
        let (circuit_id, params) = read_circuit(&mut r)?;
        let mut vk_fingerprint = [0u8; 32];
        vk_fingerprint.copy_from_slice(r.take(32, "verifying-key fingerprint")?);
        let n_inputs = r.u8("public-input count")? as usize;
        let mut public_inputs = Vec::with_capacity(n_inputs);
        for i in 0..n_inputs {
            let name = read_name(&mut r, "public-input name")?;
            let value =
                fr_from_le(r.take(32, "public input")?).ok_or(Error::NonCanonicalInput(i))?;
            public_inputs.push((name, value));
        }
        let proof = Proof::read(&mut r)?;
        r.finish()?;
        Ok(Self { circuit_id, params, vk_fingerprint, public_inputs, proof })
    }

    /// The value of a named public input.
    pub fn input(&self, name: &str) -> Result<Fr> {
        self.public_inputs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| *v)
            .ok_or_else(|| Error::MissingInput(name.to_string()))
    }

    /// A named shape parameter.
    pub fn param(&self, name: &str) -> Option<u64> {
        self.params.iter().find(|(n, _)| n == name).map(|(_, v)| *v)
    }

    /// Verifies the update against `vk`: the fingerprint must name `vk`; the
    /// circuit id, parameters and input names must be the key's; the input
    /// count must be the key's; and the proof must verify.
    pub fn verify(&self, vk: &VerifyingKey) -> Result<()> {
        self.verified(vk).map(|_| ())
    }

    /// [`CompressedUpdate::verify`], returning the proof of it that the
    /// light clients' `apply_verified` take.
    pub fn verified(&self, vk: &VerifyingKey) -> Result<Verified<'_>> {
        let inputs = self.statement(vk)?;
        verify_proof(vk, &inputs, &self.proof)?;
        Ok(Verified { update: self, vk_fingerprint: vk.fingerprint() })
    }

    /// Everything but the pairing check: the update is labelled for `vk`.
    /// Returns the public inputs' values.
    fn statement(&self, vk: &VerifyingKey) -> Result<Vec<Fr>> {
        if self.vk_fingerprint != vk.fingerprint() {
            return Err(Error::FingerprintMismatch);
        }
        if self.circuit_id != vk.circuit_id || self.params != vk.params {
            return Err(Error::CircuitMismatch);
        }
        if self.public_inputs.len() != vk.input_names.len() {
            return Err(Error::InputCount {
                expected: vk.input_names.len(),
                found: self.public_inputs.len(),
            });
        }
        if self.public_inputs.iter().zip(&vk.input_names).any(|((n, _), expected)| n != expected) {
            return Err(Error::InputNames);
        }
        Ok(self.public_inputs.iter().map(|(_, v)| *v).collect())
    }
}

/// An update whose proof verified under the key with
/// [`Verified::vk_fingerprint`]; only this crate makes one, by
/// [`CompressedUpdate::verified`] or [`verify_updates`].
#[derive(Clone, Copy, Debug)]
pub struct Verified<'a> {
    update: &'a CompressedUpdate,
    vk_fingerprint: [u8; 32],
}

impl<'a> Verified<'a> {
    /// The update.
    pub fn update(&self) -> &'a CompressedUpdate {
        self.update
    }

    /// The fingerprint of the key it verified under.
    pub fn vk_fingerprint(&self) -> [u8; 32] {
        self.vk_fingerprint
    }
}

/// Verifies many updates under one key with one pairing check
/// ([`crate::batch`]); each verdict is what [`CompressedUpdate::verified`]
/// would give, in order.
pub fn verify_updates<'a>(
    vk: &VerifyingKey,
    updates: &'a [CompressedUpdate],
) -> Vec<Result<Verified<'a>>> {
    let statements: Vec<Result<Vec<Fr>>> = updates.iter().map(|u| u.statement(vk)).collect();
    let batch: Vec<Statement<'_>> = statements
        .iter()
        .zip(updates)
        .filter_map(|(inputs, u)| Some((inputs.as_deref().ok()?, &u.proof)))
        .collect();
    let mut proofs = verify_each(vk, &batch).into_iter();
    let vk_fingerprint = vk.fingerprint();
    updates
        .iter()
        .zip(statements)
        .map(|(update, statement)| {
            statement?;
            proofs.next().unwrap_or(Err(Error::InvalidProof))?;
            Ok(Verified { update, vk_fingerprint })
        })
        .collect()
}

/// Parses `bytes` as an update and verifies it against `vk`.
pub fn verify_update_bytes(vk: &VerifyingKey, bytes: &[u8]) -> Result<CompressedUpdate> {
    let update = CompressedUpdate::from_bytes(bytes)?;
    update.verify(vk)?;
    Ok(update)
}
