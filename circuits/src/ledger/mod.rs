//! The ledger: accounts and the sparse Merkle tree that commits to them
//! (every domain that moves balances reads and writes it), and the one root
//! over accounts, deals and members that every batch circuit moves
//! ([`LedgerRoots`]).

mod json;
mod roots;

pub use json::{AccountJson, StateJson};
pub use roots::{LedgerRoots, LedgerRootsVar, LEDGER_DOMAIN};

use crate::primitives::babyjubjub::Point;
use crate::primitives::eddsa::PublicKey;
use crate::primitives::merkle::SparseMerkleTree;
use crate::primitives::poseidon::poseidon;
use crate::primitives::Result;
use crate::Fr;
use std::collections::BTreeMap;

/// An account: its key, balance and nonce.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Account {
    /// The key that signs the account's transfers.
    pub public_key: PublicKey,
    /// Balance, below 2^64.
    pub balance: u64,
    /// Number of transfers sent.
    pub nonce: u64,
}

impl Account {
    /// The account's leaf, `Poseidon(pk.x, pk.y, balance, nonce)`.
    pub fn leaf(&self) -> Fr {
        account_leaf(self.public_key.0, Fr::from(self.balance), Fr::from(self.nonce))
    }
}

/// The leaf of an account whose balance and nonce are field elements (witness
/// builders force values no `u64` holds, to show the circuit rejects them).
pub fn account_leaf(pk: Point, balance: Fr, nonce: Fr) -> Fr {
    poseidon(&[pk.x, pk.y, balance, nonce]).expect("Poseidon(4) has parameters")
}

/// The ledger: accounts and the Merkle tree that commits to them.
#[derive(Clone, Debug)]
pub struct State {
    tree: SparseMerkleTree,
    accounts: BTreeMap<u64, Account>,
}

/// The account tree's root (the ledger's root is [`LedgerRoots::root`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StateRoot(pub Fr);

impl State {
    /// An empty ledger over a tree of the given depth.
    pub fn new(depth: usize) -> Result<Self> {
        Ok(Self { tree: SparseMerkleTree::new(depth)?, accounts: BTreeMap::new() })
    }

    /// A ledger from what a store kept: its accounts and its tree's
    /// non-empty nodes. Each account's leaf must be the stored leaf at its
    /// index, and no leaf may be stored without its account (one hash per
    /// account; the inner nodes are trusted to the store's own checks).
    pub fn from_stored(
        depth: usize,
        accounts: BTreeMap<u64, Account>,
        nodes: impl IntoIterator<Item = (usize, u64, Fr)>,
    ) -> Result<Self> {
        let tree = SparseMerkleTree::from_stored(depth, nodes)?;
        let bad =
            |reason: String| crate::primitives::Error::Invalid { what: "stored ledger", reason };
        for (&index, account) in &accounts {
            if tree.stored(0, index) != Some(account.leaf()) {
                return Err(bad(format!("the leaf of account {index} does not match the account")));
            }
        }
        if tree.stored_leaves() != accounts.len() {
            return Err(bad(format!(
                "{} stored leaves for {} accounts",
                tree.stored_leaves(),
                accounts.len()
            )));
        }
        Ok(Self { tree, accounts })
    }

    /// Sets an account directly (genesis or loading a saved state).
    pub fn set_account(&mut self, index: u64, account: Account) -> Result<()> {
        self.tree.set(index, account.leaf())?;
        self.accounts.insert(index, account);
        Ok(())
    }

    /// The account at `index`, if any.
    pub fn account(&self, index: u64) -> Option<&Account> {
        self.accounts.get(&index)
    }

    /// All accounts by index.
    pub fn accounts(&self) -> &BTreeMap<u64, Account> {
        &self.accounts
    }

    /// The account tree.
    pub fn tree(&self) -> &SparseMerkleTree {
        &self.tree
    }

    /// The tree depth.
    pub fn depth(&self) -> usize {
        self.tree.depth()
    }

    /// The account tree's root.
    pub fn root(&self) -> StateRoot {
        StateRoot(self.tree.root())
    }

    /// The parts of a ledger of these accounts alone, with no deal or
    /// member tree: what a state file of `stateproof prove` commits to.
    pub fn roots_alone(&self) -> LedgerRoots {
        LedgerRoots::accounts_only(self.tree.root())
    }
}
