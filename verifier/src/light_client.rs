//! A light client that follows a chain of compressed updates.

use crate::batch::CatchUp;
use crate::envelope::{verify_updates, CompressedUpdate, Verified};
use crate::groth16::VerifyingKey;
use crate::spec::{NEW_ROOT, OLD_ROOT};
use crate::{Error, Fr, Result};
use alloc::vec::Vec;

/// Holds one trusted ledger root and moves it forward only along updates
/// that verify and start from it. A ledger's updates may come from several
/// circuits (transfers, deal openings, results, settlements, sponsorship
/// commits and reveals), each under its own key; every one moves the same
/// root, so the client holds all their keys and follows one chain.
#[derive(Clone, Debug)]
pub struct LightClient {
    keys: Vec<VerifyingKey>,
    root: Fr,
}

impl LightClient {
    /// A client trusting `root` (a genesis root obtained out of band) and
    /// accepting proofs under `vk`.
    pub fn new(vk: VerifyingKey, root: Fr) -> Self {
        Self { keys: alloc::vec![vk], root }
    }

    /// A client trusting `root` and accepting proofs under any of `keys`,
    /// each picked by the update's key fingerprint. Every key must be of a
    /// ledger circuit (its first two inputs `old_root`, `new_root`): a key
    /// of another circuit is an [`Error::CircuitMismatch`], none at all an
    /// [`Error::FingerprintMismatch`]. A key given twice counts once.
    pub fn with_keys(keys: Vec<VerifyingKey>, root: Fr) -> Result<Self> {
        let ledger = |vk: &VerifyingKey| {
            vk.input_names.len() >= 2
                && vk.input_names[0] == OLD_ROOT
                && vk.input_names[1] == NEW_ROOT
        };
        if keys.is_empty() {
            return Err(Error::FingerprintMismatch);
        }
        let mut kept: Vec<VerifyingKey> = Vec::with_capacity(keys.len());
        for vk in keys {
            if !ledger(&vk) {
                return Err(Error::CircuitMismatch);
            }
            if kept.iter().all(|k| k.fingerprint() != vk.fingerprint()) {
                kept.push(vk);
            }
        }
        Ok(Self { keys: kept, root })
    }

    /// The first key it verifies under (the only one of a client made by
    /// [`LightClient::new`]).
    pub fn verifying_key(&self) -> &VerifyingKey {
        &self.keys[0]
    }

    /// Every key it verifies under.
    pub fn verifying_keys(&self) -> &[VerifyingKey] {
        &self.keys
    }

    /// The key whose fingerprint an update names.
    fn key_for(&self, fingerprint: &[u8; 32]) -> Result<&VerifyingKey> {
        self.keys.iter().find(|k| &k.fingerprint() == fingerprint).ok_or(Error::FingerprintMismatch)
    }

    /// The trusted root.
    pub fn root(&self) -> Fr {
        self.root
    }

    /// Accepts `update` if it verifies and its `old_root` is the client's
    /// root, then moves to its `new_root`. On any error the client is
    /// unchanged.
    pub fn apply(&mut self, update: &CompressedUpdate) -> Result<Fr> {
        let vk = self.key_for(&update.vk_fingerprint)?;
        self.apply_verified(&update.verified(vk)?)
    }

    /// [`LightClient::apply`] for an update already verified (alone or in a
    /// batch) under one of the client's keys; one verified under another key
    /// is an [`Error::FingerprintMismatch`].
    pub fn apply_verified(&mut self, verified: &Verified<'_>) -> Result<Fr> {
        self.key_for(&verified.vk_fingerprint())?;
        let update = verified.update();
        if update.input(OLD_ROOT)? != self.root {
            return Err(Error::RootMismatch);
        }
        self.root = update.input(NEW_ROOT)?;
        Ok(self.root)
    }

    /// Applies a run of updates in order, stopping at the first that
    /// [`LightClient::apply`] would reject; the client is then at the root
    /// before it. The proofs of each stretch of consecutive updates under
    /// one key are checked together in one pairing check
    /// ([`crate::batch`]).
    pub fn catch_up(&mut self, updates: &[CompressedUpdate]) -> CatchUp<Fr> {
        let mut verdicts = Vec::with_capacity(updates.len());
        let mut rest = updates;
        while let Some(first) = rest.first() {
            let same = rest.iter().take_while(|u| u.vk_fingerprint == first.vk_fingerprint).count();
            let (run, tail) = rest.split_at(same);
            match self.key_for(&first.vk_fingerprint) {
                Ok(vk) => verdicts.extend(verify_updates(vk, run)),
                Err(e) => verdicts.extend(run.iter().map(|_| Err(e.clone()))),
            }
            rest = tail;
        }
        CatchUp::run(verdicts, |v| self.apply_verified(v))
    }
}
