//! Deterministic sample keys, ledgers, validator sets and sponsorships for
//! demos, tests and benchmarks. **Every key here comes from a public seed:
//! anyone can sign as these accounts and validators.** Behind the `sample`
//! feature, so that no production build can reach them by accident.

use crate::finality::{Attestation, Statement, Threshold, Validator, ValidatorSet};
use crate::ledger::{Account, LedgerRoots, State};
use crate::primitives::eddsa::SecretKey;
use crate::transfer::{Transfer, TransferBatch};
use crate::trust::Sponsorship;
use crate::Result;
use std::collections::BTreeMap;

/// The secret key of sample account `i` (a public seed: for demos only).
pub fn sample_key(i: u64) -> SecretKey {
    SecretKey::from_seed(&sample_seed(i))
}

/// The public seed of sample account `i`'s key.
pub fn sample_seed(i: u64) -> [u8; 32] {
    let mut seed = [0u8; 32];
    seed[..8].copy_from_slice(&i.to_le_bytes());
    seed[8..22].copy_from_slice(b"stateproof-sam");
    seed
}

/// A ledger whose accounts' keys are known: account `i` at index `i`.
pub struct SampleLedger {
    /// The state.
    pub state: State,
    /// Secret key of account `i`.
    pub keys: Vec<SecretKey>,
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

    /// The ledger's roots: these accounts, no deals or members.
    pub fn roots(&self) -> LedgerRoots {
        self.state.roots_alone()
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

/// The secret key of sample validator `id` (a public seed: demos only).
pub fn sample_validator_key(id: u64) -> SecretKey {
    let mut seed = [0u8; 32];
    seed[..8].copy_from_slice(&id.to_le_bytes());
    seed[8..22].copy_from_slice(b"stateproof-val");
    SecretKey::from_seed(&seed)
}

/// A validator set whose keys are known: each index holds a sample key id.
#[derive(Clone, Debug)]
pub struct SampleChain {
    /// The set.
    pub set: ValidatorSet,
    key_ids: BTreeMap<u64, u64>,
}

/// Stake of sample validator `id`: unequal, so quorums depend on who signs.
fn sample_stake(id: u64) -> u64 {
    100 + 10 * (id % 7)
}

impl SampleChain {
    /// Validators `0..validators` at indices `0..validators`.
    pub fn new(depth: usize, validators: u64) -> Result<Self> {
        let key_ids: BTreeMap<u64, u64> = (0..validators).map(|i| (i, i)).collect();
        Self::from_ids(depth, key_ids)
    }

    fn from_ids(depth: usize, key_ids: BTreeMap<u64, u64>) -> Result<Self> {
        let members = key_ids.iter().map(|(index, id)| {
            let v = Validator {
                public_key: sample_validator_key(*id).public_key(),
                stake: sample_stake(*id),
            };
            (*index, v)
        });
        Ok(Self { set: ValidatorSet::new(depth, members)?, key_ids })
    }

    /// The secret key of the member at `index`.
    pub fn key(&self, index: u64) -> Option<SecretKey> {
        self.key_ids.get(&index).map(|id| sample_validator_key(*id))
    }

    /// The next set: the validator at `index` leaves and sample validator
    /// `joiner` takes its place with a fresh stake; slashed members stay
    /// with stake 0 only if they are not the one replaced.
    pub fn rotated(&self, index: u64, joiner: u64) -> Result<Self> {
        let mut key_ids = self.key_ids.clone();
        key_ids.insert(index, joiner);
        let members: Vec<(u64, Validator)> = key_ids
            .iter()
            .map(|(i, id)| {
                let stake = match self.set.member(*i) {
                    Some(m) if *i != index => m.stake,
                    _ => sample_stake(*id),
                };
                (*i, Validator { public_key: sample_validator_key(*id).public_key(), stake })
            })
            .collect();
        Ok(Self { set: ValidatorSet::with_slashed(self.set.depth(), members)?, key_ids })
    }

    /// The set after slashing `index`.
    pub fn slashed(&self, index: u64) -> Result<Self> {
        Ok(Self { set: self.set.slashed(index)?, key_ids: self.key_ids.clone() })
    }

    /// Attestations over `statement` by the members at `indices`.
    pub fn attest(&self, statement: &Statement, indices: &[u64]) -> Vec<Attestation> {
        indices
            .iter()
            .filter_map(|i| self.key(*i).map(|k| Attestation::sign(&k, *i, statement)))
            .collect()
    }

    /// Attestations by members with stake, in index order, until `threshold`
    /// is met (all of them if it never is).
    pub fn quorum(&self, statement: &Statement, threshold: Threshold) -> Vec<Attestation> {
        let mut signed = 0u64;
        let mut indices = Vec::new();
        for (index, member) in self.set.members() {
            if threshold.met(signed, self.set.total_stake()) {
                break;
            }
            if member.stake > 0 {
                signed += member.stake;
                indices.push(*index);
            }
        }
        self.attest(statement, &indices)
    }
}

/// A sponsorship whose keys are sample keys (public seeds: demos and tests
/// only): candidate `100 + id`, defector keys `200 + id` to `500 + id`.
pub fn sample_sponsorship(id: u64, sponsors: [u64; 2], epoch: u64) -> Sponsorship {
    let k = |i: u64| sample_key(i).public_key();
    Sponsorship {
        id,
        sponsors,
        candidate: k(100 + id),
        defector_keys: [[k(200 + id), k(300 + id)], [k(400 + id), k(500 + id)]],
        epoch,
    }
}
