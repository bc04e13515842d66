//! Deterministic sample validator sets for demos and tests (public seeds:
//! anyone can sign as these validators).

use super::{Attestation, Statement, Threshold, Validator, ValidatorSet};
use crate::eddsa::SecretKey;
use crate::Result;
use std::collections::BTreeMap;

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
