//! A light client that follows a chain of compressed updates.

use crate::batch::CatchUp;
use crate::envelope::{verify_updates, CompressedUpdate, Verified};
use crate::groth16::VerifyingKey;
use crate::spec::{NEW_ROOT, OLD_ROOT};
use crate::{Error, Fr, Result};

/// Holds one trusted state root and moves it forward only along updates that
/// verify and start from it.
#[derive(Clone, Debug)]
pub struct LightClient {
    vk: VerifyingKey,
    root: Fr,
}

impl LightClient {
    /// A client trusting `root` (a genesis root obtained out of band) and
    /// accepting proofs under `vk`.
    pub fn new(vk: VerifyingKey, root: Fr) -> Self {
        Self { vk, root }
    }

    /// The key it verifies under.
    pub fn verifying_key(&self) -> &VerifyingKey {
        &self.vk
    }

    /// The trusted root.
    pub fn root(&self) -> Fr {
        self.root
    }

    /// Accepts `update` if it verifies and its `old_root` is the client's
    /// root, then moves to its `new_root`. On any error the client is
    /// unchanged.
    pub fn apply(&mut self, update: &CompressedUpdate) -> Result<Fr> {
        self.apply_verified(&update.verified(&self.vk)?)
    }

    /// [`LightClient::apply`] for an update already verified (alone or in a
    /// batch) under the client's key; one verified under another key is an
    /// [`Error::FingerprintMismatch`].
    pub fn apply_verified(&mut self, verified: &Verified<'_>) -> Result<Fr> {
        if verified.vk_fingerprint() != self.vk.fingerprint() {
            return Err(Error::FingerprintMismatch);
        }
        let update = verified.update();
        if update.input(OLD_ROOT)? != self.root {
            return Err(Error::RootMismatch);
        }
        self.root = update.input(NEW_ROOT)?;
        Ok(self.root)
    }

    /// Applies a run of updates in order, their proofs checked together in
    /// one pairing check ([`crate::batch`]), stopping at the first that
    /// [`LightClient::apply`] would reject; the client is then at the root
    /// before it.
    pub fn catch_up(&mut self, updates: &[CompressedUpdate]) -> CatchUp<Fr> {
        CatchUp::run(verify_updates(&self.vk, updates), |v| self.apply_verified(v))
    }
}
