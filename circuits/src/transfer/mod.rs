//! Batched transfers over the account tree: the native state-transition
//! function and the circuit that proves it.
//!
//! An account leaf is `Poseidon(pk.x, pk.y, balance, nonce)`. A transfer
//! `(from, to, to_pk, amount, nonce)` is signed by the sender over
//! `Poseidon(from, to, to_pk.x, to_pk.y, amount, nonce)`; naming the
//! receiver's key lets a transfer create a fresh account with that key and
//! stops a prover from redirecting funds to a key of its choosing.
//!
//! Rules, applied in order, slot by slot: the sender exists; the signature
//! verifies under its key; the nonce equals its nonce (which then increments);
//! `0 < amount ≤ balance`; the receiver's new balance fits 64 bits; the
//! receiver is either the account holding `to_pk` or an empty leaf, which
//! becomes an account with `to_pk`. The sender's leaf is updated first, then
//! the receiver's, so a transfer to oneself only bumps the nonce.
//!
//! The batch digest chains the signed messages: `d₀ = 0`,
//! `dᵢ₊₁ = Poseidon(dᵢ, msgᵢ)`; anyone holding the published transfers can
//! recompute it and tie a proof to them.

mod circuit;
mod json;
mod sample;

pub use circuit::TransferBatchCircuit;
pub use json::{AccountJson, BatchJson, StateJson, TransferJson};
pub use sample::{sample_key, SampleLedger};

use crate::babyjubjub::Point;
use crate::eddsa::{PublicKey, SecretKey, Signature};
use crate::error::TransferRule;
use crate::merkle::SparseMerkleTree;
use crate::poseidon::{hash2, poseidon};
use crate::{Error, Fr, Result};
use ark_ff::{One, Zero};
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
        leaf_hash(self.public_key.0, Fr::from(self.balance), Fr::from(self.nonce))
    }
}

fn leaf_hash(pk: Point, balance: Fr, nonce: Fr) -> Fr {
    poseidon(&[pk.x, pk.y, balance, nonce]).expect("Poseidon(4) has parameters")
}

/// The ledger: accounts and the Merkle tree that commits to them.
#[derive(Clone, Debug)]
pub struct State {
    tree: SparseMerkleTree,
    accounts: BTreeMap<u64, Account>,
}

/// The state root: the account tree's root.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StateRoot(pub Fr);

impl State {
    /// An empty ledger over a tree of the given depth.
    pub fn new(depth: usize) -> Result<Self> {
        Ok(Self { tree: SparseMerkleTree::new(depth)?, accounts: BTreeMap::new() })
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

    /// The state root.
    pub fn root(&self) -> StateRoot {
        StateRoot(self.tree.root())
    }
}

/// A signed transfer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Transfer {
    /// Sender's account index.
    pub from: u64,
    /// Receiver's account index.
    pub to: u64,
    /// The receiver's key: the key of the account at `to`, or the key of the
    /// account that the transfer creates there.
    pub to_public_key: PublicKey,
    /// Amount moved.
    pub amount: u64,
    /// The sender's nonce.
    pub nonce: u64,
    /// The sender's signature over [`Transfer::message`].
    pub signature: Signature,
}

/// The message a sender signs: `Poseidon(from, to, to_pk.x, to_pk.y, amount, nonce)`.
pub fn transfer_message(from: u64, to: u64, to_pk: &PublicKey, amount: u64, nonce: u64) -> Fr {
    poseidon(&[
        Fr::from(from),
        Fr::from(to),
        to_pk.0.x,
        to_pk.0.y,
        Fr::from(amount),
        Fr::from(nonce),
    ])
    .expect("Poseidon(6) has parameters")
}

impl Transfer {
    /// Builds and signs a transfer.
    pub fn sign(
        key: &SecretKey,
        from: u64,
        to: u64,
        to_public_key: PublicKey,
        amount: u64,
        nonce: u64,
    ) -> Self {
        let signature = key.sign(transfer_message(from, to, &to_public_key, amount, nonce));
        Self { from, to, to_public_key, amount, nonce, signature }
    }

    /// The signed message.
    pub fn message(&self) -> Fr {
        transfer_message(self.from, self.to, &self.to_public_key, self.amount, self.nonce)
    }
}

/// An ordered batch of transfers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TransferBatch {
    /// The transfers, applied in order.
    pub transfers: Vec<Transfer>,
}

impl TransferBatch {
    /// The batch digest: a Poseidon chain over the signed messages.
    pub fn digest(&self) -> Fr {
        self.transfers.iter().fold(Fr::zero(), |d, t| hash2(d, t.message()))
    }
}

/// One slot of the circuit's witness. Values are field elements so that
/// tests can force values no native type can hold (amounts near the modulus).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SlotWitness {
    /// Whether the slot carries a transfer; unused slots change nothing.
    pub used: bool,
    /// Sender index.
    pub from: u64,
    /// Receiver index.
    pub to: u64,
    /// Receiver key named by the transfer.
    pub to_public_key: Point,
    /// Amount.
    pub amount: Fr,
    /// Transfer nonce.
    pub nonce: Fr,
    /// Signature nonce point.
    pub sig_r8: Point,
    /// Signature response.
    pub sig_s: Fr,
    /// Sender's key as stored in its leaf.
    pub sender_key: Point,
    /// Sender's balance before.
    pub sender_balance: Fr,
    /// Sender's nonce before.
    pub sender_nonce: Fr,
    /// Sender's Merkle path in the state before the slot.
    pub sender_path: Vec<Fr>,
    /// Whether the receiver's leaf is empty before the slot.
    pub receiver_fresh: bool,
    /// Receiver's balance before (after the sender's update).
    pub receiver_balance: Fr,
    /// Receiver's nonce.
    pub receiver_nonce: Fr,
    /// Receiver's Merkle path after the sender's update.
    pub receiver_path: Vec<Fr>,
}

/// The full witness of a transfer-batch proof, with its public inputs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransferWitness {
    /// Tree depth.
    pub depth: usize,
    /// Root before the batch (public).
    pub old_root: Fr,
    /// Root after the batch (public).
    pub new_root: Fr,
    /// Batch digest (public).
    pub digest: Fr,
    /// One entry per slot.
    pub slots: Vec<SlotWitness>,
}

impl TransferWitness {
    /// The public inputs in circuit order: old root, new root, batch digest.
    pub fn public_inputs(&self) -> [Fr; 3] {
        [self.old_root, self.new_root, self.digest]
    }

    /// A witness in which every slot is unused: the shape used for setup.
    pub fn empty(depth: usize, slots: usize) -> Self {
        let root = crate::merkle::empty_roots(depth)[depth];
        Self {
            depth,
            old_root: root,
            new_root: root,
            digest: Fr::zero(),
            slots: (0..slots).map(|_| SlotWitness::unused(depth)).collect(),
        }
    }
}

/// The names of the transfer circuit's public inputs, in order.
pub const PUBLIC_INPUT_NAMES: [&str; 3] = ["old_root", "new_root", "batch_digest"];

impl SlotWitness {
    /// An unused slot: zeros and identity points, which satisfy every
    /// unconditional constraint and leave root and digest unchanged.
    pub fn unused(depth: usize) -> Self {
        let identity = Point::new_unchecked(Fr::zero(), Fr::one());
        Self {
            used: false,
            from: 0,
            to: 0,
            to_public_key: identity,
            amount: Fr::zero(),
            nonce: Fr::zero(),
            sig_r8: identity,
            sig_s: Fr::zero(),
            sender_key: identity,
            sender_balance: Fr::zero(),
            sender_nonce: Fr::zero(),
            sender_path: vec![Fr::zero(); depth],
            receiver_fresh: true,
            receiver_balance: Fr::zero(),
            receiver_nonce: Fr::zero(),
            receiver_path: vec![Fr::zero(); depth],
        }
    }
}

/// Checks one transfer against the state, naming the first rule it breaks.
fn check_transfer(state: &State, t: &Transfer) -> std::result::Result<(), TransferRule> {
    let sender = state.account(t.from).ok_or(TransferRule::UnknownSender)?;
    sender.public_key.verify(t.message(), &t.signature).map_err(|_| TransferRule::BadSignature)?;
    if t.nonce != sender.nonce {
        return Err(TransferRule::BadNonce);
    }
    if sender.nonce == u64::MAX {
        return Err(TransferRule::NonceOverflow);
    }
    if t.amount == 0 {
        return Err(TransferRule::ZeroAmount);
    }
    if t.amount > sender.balance {
        return Err(TransferRule::InsufficientBalance);
    }
    let receiver_balance = if t.to == t.from {
        sender.balance - t.amount
    } else {
        state.account(t.to).map_or(0, |a| a.balance)
    };
    match state.account(t.to) {
        Some(r) if r.public_key != t.to_public_key => {
            return Err(TransferRule::ReceiverKeyMismatch)
        }
        None if PublicKey::from_coordinates(t.to_public_key.0.x, t.to_public_key.0.y).is_err() => {
            return Err(TransferRule::ReceiverKeyMismatch)
        }
        _ => {}
    }
    if receiver_balance.checked_add(t.amount).is_none() {
        return Err(TransferRule::BalanceOverflow);
    }
    Ok(())
}

/// Applies a batch under the rules, returning the new state and the witness
/// for a circuit of `slots` slots, or the first broken rule.
pub fn apply_batch(
    state: &State,
    batch: &TransferBatch,
    slots: usize,
) -> Result<(State, TransferWitness)> {
    if batch.transfers.len() > slots {
        return Err(Error::BatchTooLarge { len: batch.transfers.len(), slots });
    }
    let mut next = state.clone();
    for (slot, t) in batch.transfers.iter().enumerate() {
        for index in [t.from, t.to] {
            next.tree.leaf(index)?;
        }
        check_transfer(&next, t).map_err(|rule| Error::Transfer { slot, rule })?;
        let sender = next.accounts[&t.from];
        next.set_account(
            t.from,
            Account { balance: sender.balance - t.amount, nonce: sender.nonce + 1, ..sender },
        )?;
        let receiver = next.accounts.get(&t.to).copied().unwrap_or(Account {
            public_key: t.to_public_key,
            balance: 0,
            nonce: 0,
        });
        next.set_account(t.to, Account { balance: receiver.balance + t.amount, ..receiver })?;
    }
    let witness = build_witness_unchecked(state, batch, slots)?;
    debug_assert_eq!(witness.new_root, next.root().0);
    Ok((next, witness))
}

/// Builds the witness a prover would use for `batch`, without checking any
/// rule: arithmetic is in the field, and an unknown sender reads as an empty
/// leaf. Valid batches give the same witness as [`apply_batch`]; invalid ones
/// give the witness a cheating prover would force in, which the circuit must
/// reject.
pub fn build_witness_unchecked(
    state: &State,
    batch: &TransferBatch,
    slots: usize,
) -> Result<TransferWitness> {
    if batch.transfers.len() > slots {
        return Err(Error::BatchTooLarge { len: batch.transfers.len(), slots });
    }
    let depth = state.depth();
    let mut tree = state.tree.clone();
    // Field-valued accounts, so that forced witnesses can go out of range.
    let mut ledger: BTreeMap<u64, (Point, Fr, Fr)> = state
        .accounts
        .iter()
        .map(|(i, a)| (*i, (a.public_key.0, Fr::from(a.balance), Fr::from(a.nonce))))
        .collect();
    let identity = Point::new_unchecked(Fr::zero(), Fr::one());
    let old_root = tree.root();
    let mut witness_slots = Vec::with_capacity(slots);
    for t in &batch.transfers {
        let amount = Fr::from(t.amount);
        let (sender_key, sender_balance, sender_nonce) =
            ledger.get(&t.from).copied().unwrap_or((identity, Fr::zero(), Fr::zero()));
        let sender_path = tree.proof(t.from)?.siblings;
        let new_sender = (sender_key, sender_balance - amount, sender_nonce + Fr::one());
        tree.set(t.from, leaf_hash(new_sender.0, new_sender.1, new_sender.2))?;
        ledger.insert(t.from, new_sender);

        let existing = ledger.get(&t.to).copied();
        let receiver_fresh = existing.is_none();
        let (_, receiver_balance, receiver_nonce) =
            existing.unwrap_or((t.to_public_key.0, Fr::zero(), Fr::zero()));
        let receiver_path = tree.proof(t.to)?.siblings;
        let new_receiver = (t.to_public_key.0, receiver_balance + amount, receiver_nonce);
        tree.set(t.to, leaf_hash(new_receiver.0, new_receiver.1, new_receiver.2))?;
        ledger.insert(t.to, new_receiver);

        witness_slots.push(SlotWitness {
            used: true,
            from: t.from,
            to: t.to,
            to_public_key: t.to_public_key.0,
            amount,
            nonce: Fr::from(t.nonce),
            sig_r8: t.signature.r8,
            sig_s: t.signature.s,
            sender_key,
            sender_balance,
            sender_nonce,
            sender_path,
            receiver_fresh,
            receiver_balance,
            receiver_nonce,
            receiver_path,
        });
    }
    witness_slots.resize_with(slots, || SlotWitness::unused(depth));
    Ok(TransferWitness {
        depth,
        old_root,
        new_root: tree.root(),
        digest: batch.digest(),
        slots: witness_slots,
    })
}

#[cfg(test)]
mod tests;
