//! Validator sets: a Poseidon Merkle tree of `(public key, stake)` leaves
//! with the total stake committed beside it.

use super::{set_commitment, validator_leaf, FinalityError, FinalityRule, Result};
use crate::primitives::eddsa::PublicKey;
use crate::primitives::merkle::{MerkleProof, SparseMerkleTree};
use crate::primitives::Error;
use crate::Fr;
use std::collections::BTreeMap;

/// Largest validator-set tree depth: 2^32 validator slots.
pub const MAX_SET_DEPTH: usize = 32;

/// One validator: its attestation key and its stake.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Validator {
    /// The key that signs attestations.
    pub public_key: PublicKey,
    /// Stake (voting weight). Slashing sets it to 0.
    pub stake: u64,
}

/// A validator set. Its root, [`ValidatorSet::root`], is
/// `Poseidon(SET_DOMAIN, tree_root, total_stake)`.
#[derive(Clone, Debug)]
pub struct ValidatorSet {
    tree: SparseMerkleTree,
    members: BTreeMap<u64, Validator>,
    total: u64,
}

fn invalid(reason: String) -> FinalityError {
    Error::Invalid { what: "validator set", reason }.into()
}

impl ValidatorSet {
    /// A set of validators at the given indices. Rejects an empty set, a
    /// depth outside `1..=MAX_SET_DEPTH`, repeated indices or keys, zero
    /// stakes and a total stake beyond `u64`.
    pub fn new(
        depth: usize,
        validators: impl IntoIterator<Item = (u64, Validator)>,
    ) -> Result<Self> {
        if !(1..=MAX_SET_DEPTH).contains(&depth) {
            return Err(Error::InvalidDepth { depth, max: MAX_SET_DEPTH }.into());
        }
        let mut set =
            Self { tree: SparseMerkleTree::new(depth)?, members: BTreeMap::new(), total: 0 };
        for (index, v) in validators {
            if set.members.contains_key(&index) {
                return Err(invalid(format!("index {index} appears twice")));
            }
            if set.members.values().any(|m| m.public_key == v.public_key) {
                return Err(invalid(format!("the key at index {index} appears twice")));
            }
            if v.stake == 0 {
                return Err(invalid(format!("validator {index} has zero stake")));
            }
            set.total = set
                .total
                .checked_add(v.stake)
                .ok_or_else(|| invalid("total stake exceeds 2^64 - 1".to_string()))?;
            set.tree.set(index, validator_leaf(&v.public_key, v.stake))?;
            set.members.insert(index, v);
        }
        if set.members.is_empty() {
            return Err(invalid("no validators".to_string()));
        }
        Ok(set)
    }

    /// The set's root: what headers name and light clients hold.
    pub fn root(&self) -> Fr {
        set_commitment(self.tree.root(), self.total)
    }

    /// The Merkle tree's root (without the total stake).
    pub fn tree_root(&self) -> Fr {
        self.tree.root()
    }

    /// The sum of all stakes.
    pub fn total_stake(&self) -> u64 {
        self.total
    }

    /// The tree depth.
    pub fn depth(&self) -> usize {
        self.tree.depth()
    }

    /// The validator at `index`, if any.
    pub fn member(&self, index: u64) -> Option<&Validator> {
        self.members.get(&index)
    }

    /// All validators by index.
    pub fn members(&self) -> &BTreeMap<u64, Validator> {
        &self.members
    }

    /// The membership path of `index`.
    pub fn proof(&self, index: u64) -> Result<MerkleProof> {
        Ok(self.tree.proof(index)?)
    }

    /// The set after slashing validator `index`: its stake becomes 0 (its
    /// leaf stays, so it cannot rejoin by the same key) and the total drops
    /// by what it had.
    pub fn slashed(&self, index: u64) -> Result<Self> {
        let v = *self.members.get(&index).ok_or(FinalityRule::NotMember { index })?;
        if v.stake == 0 {
            return Err(FinalityRule::AlreadySlashed { index }.into());
        }
        let mut next = self.clone();
        next.total -= v.stake;
        next.tree.set(index, validator_leaf(&v.public_key, 0))?;
        next.members.insert(index, Validator { stake: 0, ..v });
        Ok(next)
    }

    /// Rebuilds a set with slashed (zero-stake) members, as read from a file:
    /// like [`ValidatorSet::new`] but zero stakes are kept.
    pub(crate) fn with_slashed(
        depth: usize,
        validators: impl IntoIterator<Item = (u64, Validator)>,
    ) -> Result<Self> {
        let (live, slashed): (Vec<_>, Vec<_>) =
            validators.into_iter().partition(|(_, v)| v.stake > 0);
        let mut set = Self::new(depth, live)?;
        for (index, v) in slashed {
            if set.members.contains_key(&index)
                || set.members.values().any(|m| m.public_key == v.public_key)
            {
                return Err(invalid(format!("index or key of validator {index} appears twice")));
            }
            set.tree.set(index, validator_leaf(&v.public_key, 0))?;
            set.members.insert(index, v);
        }
        Ok(set)
    }
}
