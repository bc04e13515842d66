//! The transfer-batch circuit: `B` slots over a tree of depth `d`.

use super::TransferWitness;
use crate::circuit::{plural, sizes, spec, Circuit, CircuitShape, CircuitSpec, ShapeError};
use crate::ledger::LedgerRootsVar;
use crate::primitives::babyjubjub::PointVar;
use crate::primitives::eddsa::verify_gadget;
use crate::primitives::gadgets::{enforce_u64, index_bits};
use crate::primitives::merkle::{MerklePathVar, MAX_DEPTH};
use crate::primitives::poseidon::{poseidon_gadget, PoseidonGadget};
use crate::Fr;
use ark_ff::{One, Zero};
use ark_r1cs_std::fields::fp::FpVar;
use ark_r1cs_std::prelude::*;
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError};

/// Proves that applying a batch of signed transfers moves the ledger from
/// `old_root` to `new_root` (its account tree moved, its deal and member
/// trees carried through), with `batch_digest` committing to the transfers.
/// Public inputs, in order: old root, new root, batch digest.
#[derive(Clone, Debug)]
pub struct TransferBatchCircuit {
    /// The witness; [`TransferWitness::empty`] gives the shape for setup.
    pub witness: TransferWitness,
}

/// The most transfer slots a circuit is made with.
pub const MAX_SLOTS: usize = 1024;

/// The shape of a transfer-batch circuit: the account tree's depth and the
/// transfers a batch holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TransferShape {
    /// Account tree depth.
    pub depth: usize,
    /// Transfer slots.
    pub slots: usize,
}

impl CircuitShape for TransferShape {
    const SPECS: &'static [&'static CircuitSpec] = &[&spec::TRANSFER_BATCH];

    fn values(&self) -> Vec<u64> {
        vec![self.depth as u64, self.slots as u64]
    }

    fn from_values(spec: &'static CircuitSpec, values: &[u64]) -> Result<Self, ShapeError> {
        let [depth, slots] = sizes(spec, values, [MAX_DEPTH as u64, MAX_SLOTS as u64])?;
        Ok(Self { depth, slots })
    }

    fn describe(&self) -> String {
        format!("depth {}, {} slot{}", self.depth, self.slots, plural(self.slots))
    }
}

impl TransferBatchCircuit {
    /// The circuit's shape (depth and slot count) with an all-unused witness,
    /// for key generation.
    pub fn for_setup(depth: usize, slots: usize) -> Self {
        Self { witness: TransferWitness::empty(depth, slots) }
    }
}

impl Circuit for TransferBatchCircuit {
    type Shape = TransferShape;

    fn shape(&self) -> TransferShape {
        TransferShape { depth: self.witness.depth, slots: self.witness.slots.len() }
    }

    fn for_setup(shape: &TransferShape) -> Self {
        Self::for_setup(shape.depth, shape.slots)
    }

    fn named_inputs(&self) -> Vec<(&'static str, Fr)> {
        let w = &self.witness;
        vec![("old_root", w.old_root), ("new_root", w.new_root), ("batch_digest", w.digest)]
    }
}

impl ConstraintSynthesizer<Fr> for TransferBatchCircuit {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        let w = self.witness;
        let depth = w.depth;
        let old_root = FpVar::new_input(cs.clone(), || Ok(w.old_root))?;
        let new_root = FpVar::new_input(cs.clone(), || Ok(w.new_root))?;
        let digest_in = FpVar::new_input(cs.clone(), || Ok(w.digest))?;

        let before = LedgerRootsVar::opening(&cs, &w.before, &old_root)?;
        let mut root = before.accounts.clone();
        let mut digest = FpVar::Constant(Fr::zero());
        for slot in &w.slots {
            if slot.sender_path.len() != depth || slot.receiver_path.len() != depth {
                return Err(SynthesisError::Unsatisfiable);
            }
            let witness = |v: Fr| FpVar::new_witness(cs.clone(), || Ok(v));
            let used = Boolean::new_witness(cs.clone(), || Ok(slot.used))?;

            // The transfer and its signature.
            let from_bits = index_bits(&cs, slot.from, depth)?;
            let to_bits = index_bits(&cs, slot.to, depth)?;
            let from = Boolean::le_bits_to_fp(&from_bits)?;
            let to = Boolean::le_bits_to_fp(&to_bits)?;
            let to_pk = PointVar::new_witness(cs.clone(), || {
                Ok((slot.to_public_key.x, slot.to_public_key.y))
            })?;
            let amount = witness(slot.amount)?;
            let nonce = witness(slot.nonce)?;
            let r8 = PointVar::new_witness(cs.clone(), || Ok((slot.sig_r8.x, slot.sig_r8.y)))?;
            let s = witness(slot.sig_s)?;
            let msg = poseidon_gadget(&[
                from,
                to,
                to_pk.x.clone(),
                to_pk.y.clone(),
                amount.clone(),
                nonce.clone(),
            ])?;

            // Sender: signed by its key, nonce matches, 0 < amount <= balance.
            let sender_key =
                PointVar::new_witness(cs.clone(), || Ok((slot.sender_key.x, slot.sender_key.y)))?;
            let sender_balance = witness(slot.sender_balance)?;
            let sender_nonce = witness(slot.sender_nonce)?;
            verify_gadget(&sender_key, &msg, &r8, &s, &used)?;
            nonce.enforce_equal(&sender_nonce)?;
            enforce_u64(&amount)?;
            enforce_u64(&sender_balance)?;
            enforce_u64(&sender_nonce)?;
            amount.conditional_enforce_not_equal(&FpVar::Constant(Fr::zero()), &used)?;
            // balance − amount fits 64 bits only if amount <= balance: both
            // are below 2^64, so an underflow wraps to p − k, above 2^64.
            let sender_balance_after = &sender_balance - &amount;
            enforce_u64(&sender_balance_after)?;
            let sender_nonce_after = &sender_nonce + Fr::one();
            enforce_u64(&sender_nonce_after)?;
            let sender_leaf = poseidon_gadget(&[
                sender_key.x.clone(),
                sender_key.y.clone(),
                sender_balance,
                sender_nonce,
            ])?;
            let sender_leaf_after = poseidon_gadget(&[
                sender_key.x.clone(),
                sender_key.y.clone(),
                sender_balance_after,
                sender_nonce_after,
            ])?;
            let sender_path = MerklePathVar::new_witness(cs.clone(), from_bits, &slot.sender_path)?;
            let (root_before, root_mid) = sender_path.update(&sender_leaf, &sender_leaf_after)?;
            root_before.conditional_enforce_equal(&root, &used)?;

            // Receiver: the account holding `to_pk`, or an empty leaf that
            // becomes one; a new account's key must not have small order.
            to_pk.enforce_on_curve()?;
            let fresh = Boolean::new_witness(cs.clone(), || Ok(slot.receiver_fresh))?;
            let receiver_balance = witness(slot.receiver_balance)?;
            let receiver_nonce = witness(slot.receiver_nonce)?;
            enforce_u64(&receiver_balance)?;
            receiver_balance.conditional_enforce_equal(&FpVar::Constant(Fr::zero()), &fresh)?;
            receiver_nonce.conditional_enforce_equal(&FpVar::Constant(Fr::zero()), &fresh)?;
            let to_pk8 = to_pk.double()?.double()?.double()?;
            to_pk8
                .x
                .conditional_enforce_not_equal(&FpVar::Constant(Fr::zero()), &(&fresh & &used))?;
            let receiver_leaf_existing = poseidon_gadget(&[
                to_pk.x.clone(),
                to_pk.y.clone(),
                receiver_balance.clone(),
                receiver_nonce.clone(),
            ])?;
            let receiver_leaf =
                fresh.select(&FpVar::Constant(Fr::zero()), &receiver_leaf_existing)?;
            let receiver_balance_after = &receiver_balance + &amount;
            enforce_u64(&receiver_balance_after)?;
            let receiver_leaf_after = poseidon_gadget(&[
                to_pk.x.clone(),
                to_pk.y.clone(),
                receiver_balance_after,
                receiver_nonce,
            ])?;
            let receiver_path =
                MerklePathVar::new_witness(cs.clone(), to_bits, &slot.receiver_path)?;
            let (root_mid_check, root_after) =
                receiver_path.update(&receiver_leaf, &receiver_leaf_after)?;
            root_mid_check.conditional_enforce_equal(&root_mid, &used)?;

            // An unused slot passes root and digest through unchanged.
            root = used.select(&root_after, &root)?;
            PoseidonGadget::chain_if(&mut digest, &msg, &used)?;
        }
        LedgerRootsVar { accounts: root, ..before }.root()?.enforce_equal(&new_root)?;
        digest.enforce_equal(&digest_in)?;
        Ok(())
    }
}
