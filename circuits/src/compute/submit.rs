//! The result circuit ([`SubmitResultsCircuit`]): each used slot puts one
//! node's result on the record. It proves the deal is open with these terms
//! (its leaf), the node is the deal's node at the slot's position and signed
//! the result with its account's key (the account read, not changed), the
//! node had no result recorded, the result is not 0, and `now` is before
//! the deal's deadline; the deal leaf's results commitment takes the result
//! at the node's entry. Public inputs: ledger root before and after, the
//! digest `dᵢ₊₁ = Poseidon(dᵢ, signed messageᵢ)` and `now`.

use super::circuit::{
    account_leaf, deal_batch_circuit, deal_gadget, deal_leaf, no_verdict, results_commitment,
    DealBatchVars, DealVars,
};
use super::{DealStatus, ResultWitness, RESULT_DOMAIN};
use crate::circuit::spec;
use crate::primitives::babyjubjub::{bits_le_at_most, PointVar};
use crate::primitives::eddsa::verify_gadget;
use crate::primitives::gadgets::index_bits;
use crate::primitives::merkle::MerklePathVar;
use crate::primitives::poseidon::{poseidon_gadget, PoseidonGadget};
use crate::Fr;
use ark_ff::{One, Zero};
use ark_r1cs_std::fields::fp::FpVar;
use ark_r1cs_std::prelude::*;
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError};

deal_batch_circuit! {
    /// The shape of a result circuit: account and deal tree depths, nodes per
    /// deal, and result slots.
    shape ResultShape for spec::COMPUTE_RESULT, slots of "result";
    /// Proves a batch of result submissions; see the module docs.
    circuit SubmitResultsCircuit(ResultWitness), digest "result_digest";
}

impl ConstraintSynthesizer<Fr> for SubmitResultsCircuit {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        let w = self.witness;
        let ResultShape { depth, deal_depth, k, .. } = w.shape;
        let witness = |v: Fr| FpVar::new_witness(cs.clone(), || Ok(v));
        let zero = FpVar::Constant(Fr::zero());
        let mut batch = DealBatchVars::open(&cs, &w, true)?;
        let (before, now) = (batch.before.clone(), batch.now.clone());
        for slot in &w.slots {
            let shape_ok = slot.deal.nodes.len() == k
                && slot.entries.len() == k
                && slot.node < k
                && slot.deal_path.len() == deal_depth
                && slot.account_path.len() == depth;
            if !shape_ok {
                return Err(SynthesisError::Unsatisfiable);
            }
            let used = Boolean::new_witness(cs.clone(), || Ok(slot.used))?;
            let DealVars { id_bits, party_index, deadline, hash, .. } =
                deal_gadget(&cs, &slot.deal, depth, deal_depth)?;

            // The node's position, one-hot: exactly one position when used.
            let at = (0..k)
                .map(|i| Boolean::new_witness(cs.clone(), || Ok(slot.used && i == slot.node)))
                .collect::<Result<Vec<_>, _>>()?;
            let mut count = zero.clone();
            let mut node_index = zero.clone();
            for (i, on) in at.iter().enumerate() {
                count += FpVar::from(on.clone());
                node_index += on.select(&party_index[1 + i], &zero)?;
            }
            count.enforce_equal(&FpVar::from(used.clone()))?;

            // The node's account, read at the ledger's account root.
            let index = slot.deal.nodes[slot.node];
            let bits = index_bits(&cs, index, depth)?;
            Boolean::le_bits_to_fp(&bits)?.conditional_enforce_equal(&node_index, &used)?;
            let (key, balance, nonce) = &slot.account;
            let key = PointVar::new_witness(cs.clone(), || Ok((key.x, key.y)))?;
            let leaf = account_leaf(&key, &witness(*balance)?, &witness(*nonce)?)?;
            let path = MerklePathVar::new_witness(cs.clone(), bits, &slot.account_path)?;
            path.root(&leaf)?.conditional_enforce_equal(&before.accounts, &used)?;

            // The result, not 0, signed by that key.
            let result = witness(slot.result)?;
            result.conditional_enforce_not_equal(&zero, &used)?;
            let msg = poseidon_gadget(&[
                FpVar::Constant(Fr::from(RESULT_DOMAIN)),
                hash.clone(),
                result.clone(),
            ])?;
            let r8 = PointVar::new_witness(cs.clone(), || Ok((slot.sig_r8.x, slot.sig_r8.y)))?;
            let s = witness(slot.sig_s)?;
            verify_gadget(&key, &msg, &r8, &s, &used)?;

            // Before the deadline: deadline − now − 1 fits 66 bits (both are
            // below 2^64, so now ≥ deadline wraps near the modulus).
            let margin = &deadline - &now - Fr::one();
            bits_le_at_most(&used.select(&margin, &zero)?, 66, None)?;

            // The record: the node's entry empty before, the result after.
            let entries =
                slot.entries.iter().map(|e| witness(*e)).collect::<Result<Vec<_>, _>>()?;
            let mut after = Vec::with_capacity(k);
            for (e, on) in entries.iter().zip(&at) {
                (e * FpVar::from(on.clone())).enforce_equal(&zero)?;
                after.push(e + on.select(&result, &zero)?);
            }
            let old =
                deal_leaf(&hash, DealStatus::Open, &results_commitment(&entries)?, &no_verdict())?;
            let new =
                deal_leaf(&hash, DealStatus::Open, &results_commitment(&after)?, &no_verdict())?;
            let path = MerklePathVar::new_witness(cs.clone(), id_bits, &slot.deal_path)?;
            path.update_if(&mut batch.deals, &old, &new, &used)?;
            PoseidonGadget::chain_if(&mut batch.digest, &msg, &used)?;
        }
        batch.close()
    }
}
