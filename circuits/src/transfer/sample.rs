//! Deterministic sample ledgers and batches for demos, tests and benchmarks.

use super::{Account, State, Transfer, TransferBatch};
use crate::eddsa::SecretKey;
use crate::Result;

/// A ledger whose accounts' keys are known: account `i` at index `i`.
pub struct SampleLedger {
    /// The state.
    pub state: State,
    /// Secret key of account `i`.
    pub keys: Vec<SecretKey>,
}

/// The secret key of sample account `i` (a public seed: for demos only).
pub fn sample_key(i: u64) -> SecretKey {
    let mut seed = [0u8; 32];
    seed[..8].copy_from_slice(&i.to_le_bytes());
    seed[8..22].copy_from_slice(b"stateproof-sam");
    SecretKey::from_seed(&seed)
}

impl SampleLedger {
    /// `accounts` accounts with `balance` each, over a tree of `depth`.
    pub fn new(depth: usize, accounts: u64, balance: u64) -> Result<Self> {
        let mut state = State::new(depth)?;
        let keys: Vec<SecretKey> = (0..accounts).map(sample_key).collect();
        for (i, key) in keys.iter().enumerate() {
            let account = Account { public_key: key.public_key(), balance, nonce: 0 };
            state.set_account(i as u64, account)?;
        }
        Ok(Self { state, keys })
    }

    /// A valid batch of `len` transfers: account `i mod n` pays account
    /// `(i + 1) mod n`, and the last transfer opens a fresh account at index
    /// `n` when the tree has room.
    pub fn batch(&self, len: usize) -> TransferBatch {
        let n = self.keys.len() as u64;
        let mut nonces = vec![0u64; self.keys.len()];
        let mut transfers = Vec::with_capacity(len);
        let room = self.state.depth() >= 64 || n < (1u64 << self.state.depth());
        for i in 0..len {
            let from = i as u64 % n;
            let (to, to_key) = if i + 1 == len && room && len > 1 {
                (n, sample_key(n).public_key())
            } else {
                let to = (from + 1) % n;
                (to, self.keys[to as usize].public_key())
            };
            let nonce = self.state.account(from).map_or(0, |a| a.nonce) + nonces[from as usize];
            nonces[from as usize] += 1;
            transfers.push(Transfer::sign(
                &self.keys[from as usize],
                from,
                to,
                to_key,
                1 + i as u64,
                nonce,
            ));
        }
        TransferBatch { transfers }
    }
}
