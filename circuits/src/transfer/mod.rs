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
mod codec;
mod json;
mod rules;
mod witness;

pub use circuit::{TransferBatchCircuit, TransferShape, MAX_SLOTS};
pub use codec::WitnessDecodeError;
#[cfg(feature = "openapi")]
pub use json::schema as openapi_schema;
pub use json::{BatchJson, TransferJson};
pub use rules::{
    apply_batch, check_transfer_rules, transfer_message, Transfer, TransferBatch, TransferError,
    TransferRule,
};
pub use witness::{build_witness_unchecked, SlotWitness, TransferWitness};

#[cfg(test)]
mod tests;
