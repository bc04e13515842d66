//! The transfer circuit's witness, and the witness builder that applies a
//! batch without checking any rule (what a cheating prover would force in).

use super::{TransferBatch, TransferError};
use crate::ledger::{account_leaf, LedgerRoots, State};
use crate::primitives::babyjubjub::Point;
use crate::primitives::merkle::empty_roots;
use crate::Fr;
use ark_ff::{One, Zero};
use std::collections::BTreeMap;

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
    /// The ledger's parts before the batch: the account root the slots
    /// start from, and the deal and member roots carried through.
    pub before: LedgerRoots,
    /// Ledger root before the batch (public): `before`'s root.
    pub old_root: Fr,
    /// Ledger root after the batch (public).
    pub new_root: Fr,
    /// Batch digest (public).
    pub digest: Fr,
    /// One entry per slot.
    pub slots: Vec<SlotWitness>,
}

impl TransferWitness {
    /// A witness in which every slot is unused: the shape used for setup.
    pub fn empty(depth: usize, slots: usize) -> Self {
        let before = LedgerRoots::accounts_only(empty_roots(depth)[depth]);
        Self {
            depth,
            before,
            old_root: before.root(),
            new_root: before.root(),
            digest: Fr::zero(),
            slots: (0..slots).map(|_| SlotWitness::unused(depth)).collect(),
        }
    }
}

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

/// Builds the witness a prover would use for `batch` on the ledger whose
/// parts are `roots` (its accounts `state`), without checking any rule:
/// arithmetic is in the field, and an unknown sender reads as an empty
/// leaf. Valid batches give the same witness as [`apply_batch`]; invalid ones
/// give the witness a cheating prover would force in, which the circuit must
/// reject.
pub fn build_witness_unchecked(
    state: &State,
    roots: &LedgerRoots,
    batch: &TransferBatch,
    slots: usize,
) -> Result<TransferWitness, TransferError> {
    if batch.transfers.len() > slots {
        return Err(TransferError::BatchTooLarge { len: batch.transfers.len(), slots });
    }
    let depth = state.depth();
    let mut tree = state.tree().clone();
    // Field-valued accounts, so that forced witnesses can go out of range.
    let mut ledger: BTreeMap<u64, (Point, Fr, Fr)> = state
        .accounts()
        .iter()
        .map(|(i, a)| (*i, (a.public_key.0, Fr::from(a.balance), Fr::from(a.nonce))))
        .collect();
    let identity = Point::new_unchecked(Fr::zero(), Fr::one());
    let mut witness_slots = Vec::with_capacity(slots);
    for t in &batch.transfers {
        let amount = Fr::from(t.amount);
        let (sender_key, sender_balance, sender_nonce) =
            ledger.get(&t.from).copied().unwrap_or((identity, Fr::zero(), Fr::zero()));
        let sender_path = tree.proof(t.from)?.siblings;
        let new_sender = (sender_key, sender_balance - amount, sender_nonce + Fr::one());
        tree.set(t.from, account_leaf(new_sender.0, new_sender.1, new_sender.2))?;
        ledger.insert(t.from, new_sender);

        let existing = ledger.get(&t.to).copied();
        let receiver_fresh = existing.is_none();
        let (_, receiver_balance, receiver_nonce) =
            existing.unwrap_or((t.to_public_key.0, Fr::zero(), Fr::zero()));
        let receiver_path = tree.proof(t.to)?.siblings;
        let new_receiver = (t.to_public_key.0, receiver_balance + amount, receiver_nonce);
        tree.set(t.to, account_leaf(new_receiver.0, new_receiver.1, new_receiver.2))?;
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
        before: *roots,
        old_root: roots.root(),
        new_root: roots.with_accounts(tree.root()).root(),
        digest: batch.digest(),
        slots: witness_slots,
    })
}
