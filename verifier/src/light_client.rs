//! A light client that follows a chain of compressed updates.

use crate::envelope::CompressedUpdate;
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

    /// The trusted root.
    pub fn root(&self) -> Fr {
        self.root
    }

    /// Accepts `update` if it verifies and its `old_root` is the client's
    /// root, then moves to its `new_root`. On any error the client is
    /// unchanged.
    pub fn apply(&mut self, update: &CompressedUpdate) -> Result<Fr> {
        update.verify(&self.vk)?;
        if update.input(OLD_ROOT)? != self.root {
            return Err(Error::RootMismatch);
        }
        self.root = update.input(NEW_ROOT)?;
        Ok(self.root)
    }
}
