//! The transfer rules: what a signed transfer is, and the native
//! state-transition function that applies a batch of them or names the
//! first rule one breaks.

use super::witness::build_witness_unchecked;
use super::TransferWitness;
use crate::ledger::{Account, LedgerRoots, State};
use crate::primitives::eddsa::{PublicKey, SecretKey, Signature};
use crate::primitives::poseidon::{hash2, poseidon};
use crate::Fr;
use ark_ff::Zero;
use thiserror::Error;

/// The transfer rules that a batch can break, one variant each.
#[derive(Debug, Error, Clone, Copy, PartialEq, Eq)]
pub enum TransferRule {
    /// The sender index holds no account.
    #[error("unknown sender")]
    UnknownSender,
    /// The signature does not verify under the sender's key.
    #[error("bad signature")]
    BadSignature,
    /// The transfer's nonce is not the sender's current nonce.
    #[error("bad nonce")]
    BadNonce,
    /// The sender's balance is below the amount.
    #[error("insufficient balance")]
    InsufficientBalance,
    /// The receiver's balance would exceed 2^64 - 1.
    #[error("receiver balance overflow")]
    BalanceOverflow,
    /// The amount is zero.
    #[error("zero amount")]
    ZeroAmount,
    /// The receiver key named in the transfer is not the receiver account's key,
    /// or is not a usable key for a new account.
    #[error("receiver key mismatch")]
    ReceiverKeyMismatch,
    /// The sender's nonce would exceed 2^64 - 1.
    #[error("nonce overflow")]
    NonceOverflow,
}

impl TransferRule {
    /// The rule's name in kebab case, as APIs report it (`bad-nonce`).
    pub fn name(self) -> &'static str {
        match self {
            TransferRule::UnknownSender => "unknown-sender",
            TransferRule::BadSignature => "bad-signature",
            TransferRule::BadNonce => "bad-nonce",
            TransferRule::InsufficientBalance => "insufficient-balance",
            TransferRule::BalanceOverflow => "balance-overflow",
            TransferRule::ZeroAmount => "zero-amount",
            TransferRule::ReceiverKeyMismatch => "receiver-key-mismatch",
            TransferRule::NonceOverflow => "nonce-overflow",
        }
    }
}

/// Why a batch of transfers is refused.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum TransferError {
    /// A transfer in the batch breaks a rule; `slot` is its position.
    #[error("transfer {slot}: {rule}")]
    Rule {
        /// Position of the transfer in the batch.
        slot: usize,
        /// The rule it breaks.
        rule: TransferRule,
    },
    /// A batch with more transfers than the circuit has slots.
    #[error("the batch has {len} transfers but the circuit has {slots} slots")]
    BatchTooLarge {
        /// Transfers in the batch.
        len: usize,
        /// Slots in the circuit.
        slots: usize,
    },
    /// Ledger roots whose account root is not the state's.
    #[error("the ledger's account root is not this state's root")]
    AccountsRoot,
    /// A malformed index, key or tree.
    #[error(transparent)]
    Primitive(#[from] crate::primitives::Error),
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

/// Checks one transfer against the state, naming the first rule it breaks.
pub(crate) fn check_transfer(state: &State, t: &Transfer) -> Result<(), TransferRule> {
    let sender = state.account(t.from).ok_or(TransferRule::UnknownSender)?;
    sender.public_key.verify(t.message(), &t.signature).map_err(|_| TransferRule::BadSignature)?;
    let receiver = if t.to == t.from { Some(sender) } else { state.account(t.to) };
    check_transfer_rules(sender, receiver, t)
}

/// Every rule but the signature's, for a transfer whose sender is `sender`
/// and whose receiver (`None`: an empty slot the transfer opens) is
/// `receiver`: the checks a node makes at intake once the signature has been
/// verified (in parallel, apart from the ordered checks).
pub fn check_transfer_rules(
    sender: &Account,
    receiver: Option<&Account>,
    t: &Transfer,
) -> Result<(), TransferRule> {
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
    let receiver_balance =
        if t.to == t.from { sender.balance - t.amount } else { receiver.map_or(0, |a| a.balance) };
    match receiver {
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

/// Applies a batch under the rules to the ledger whose parts are `roots`
/// (its accounts `state`, whose root `roots.accounts` must be), returning the
/// new accounts and the witness for a circuit of `slots` slots, or the first
/// broken rule. The deal and member roots pass through unchanged.
pub fn apply_batch(
    state: &State,
    roots: &LedgerRoots,
    batch: &TransferBatch,
    slots: usize,
) -> Result<(State, TransferWitness), TransferError> {
    if roots.accounts != state.root().0 {
        return Err(TransferError::AccountsRoot);
    }
    if batch.transfers.len() > slots {
        return Err(TransferError::BatchTooLarge { len: batch.transfers.len(), slots });
    }
    let mut next = state.clone();
    for (slot, t) in batch.transfers.iter().enumerate() {
        for index in [t.from, t.to] {
            next.tree().leaf(index)?;
        }
        check_transfer(&next, t).map_err(|rule| TransferError::Rule { slot, rule })?;
        let sender = *next
            .account(t.from)
            .ok_or(TransferError::Rule { slot, rule: TransferRule::UnknownSender })?;
        next.set_account(
            t.from,
            Account { balance: sender.balance - t.amount, nonce: sender.nonce + 1, ..sender },
        )?;
        let receiver = next.account(t.to).copied().unwrap_or(Account {
            public_key: t.to_public_key,
            balance: 0,
            nonce: 0,
        });
        next.set_account(t.to, Account { balance: receiver.balance + t.amount, ..receiver })?;
    }
    let witness = build_witness_unchecked(state, roots, batch, slots)?;
    debug_assert_eq!(witness.new_root, roots.with_accounts(next.root().0).root());
    Ok((next, witness))
}
