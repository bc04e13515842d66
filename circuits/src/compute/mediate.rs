//! The mediation circuit ([`RequestMediationCircuit`]): each used slot
//! records a client's call for mediation. It proves the deal is open with
//! these terms and its record (its leaf), the client signed the request
//! with its account's key (the account read, not changed), and the results
//! are in: every node's entry on the record, or `now` at or after the
//! deadline. The deal leaf's status becomes "in mediation", which only a
//! verdict settles. Public inputs: ledger root before and after, the digest
//! `dᵢ₊₁ = Poseidon(dᵢ, request messageᵢ)` and `now`.

use super::circuit::{
    account_leaf, deal_batch_circuit, deal_gadget, deal_leaf, no_verdict, results_commitment,
    DealBatchVars, DealVars,
};
use super::{DealStatus, MediationWitness, MEDIATION_DOMAIN};
use crate::circuit::spec;
use crate::primitives::babyjubjub::{bits_le_at_most, PointVar};
use crate::primitives::eddsa::verify_gadget;
use crate::primitives::gadgets::enforce_nonzero_if;
use crate::primitives::merkle::MerklePathVar;
use crate::primitives::poseidon::PoseidonGadget;
use crate::Fr;
use ark_ff::One;
use ark_r1cs_std::fields::fp::FpVar;
use ark_r1cs_std::prelude::*;
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError};

deal_batch_circuit! {
    /// The shape of a mediation circuit: account and deal tree depths, nodes
    /// per deal, and request slots.
    shape MediationShape for spec::COMPUTE_MEDIATION, slots of "request";
    /// Proves a batch of mediation requests; see the module docs.
    circuit RequestMediationCircuit(MediationWitness), digest "mediation_digest";
}

impl ConstraintSynthesizer<Fr> for RequestMediationCircuit {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        let w = self.witness;
        let MediationShape { depth, deal_depth, k, .. } = w.shape;
        let witness = |v: Fr| FpVar::new_witness(cs.clone(), || Ok(v));
        let mut batch = DealBatchVars::open(&cs, &w, true)?;
        let (before, now) = (batch.before.clone(), batch.now.clone());
        for slot in &w.slots {
            let shape_ok = slot.deal.nodes.len() == k
                && slot.entries.len() == k
                && slot.deal_path.len() == deal_depth
                && slot.client_path.len() == depth;
            if !shape_ok {
                return Err(SynthesisError::Unsatisfiable);
            }
            let used = Boolean::new_witness(cs.clone(), || Ok(slot.used))?;
            let DealVars { id_bits, mut party_bits, deadline, hash, .. } =
                deal_gadget(&cs, &slot.deal, depth, deal_depth)?;

            // The client's account, read at the ledger's account root, and
            // its signature over the request.
            let (key, balance, nonce) = &slot.client;
            let key = PointVar::new_witness(cs.clone(), || Ok((key.x, key.y)))?;
            let leaf = account_leaf(&key, &witness(*balance)?, &witness(*nonce)?)?;
            let client_bits = party_bits.swap_remove(0);
            let path = MerklePathVar::new_witness(cs.clone(), client_bits, &slot.client_path)?;
            path.root(&leaf)?.conditional_enforce_equal(&before.accounts, &used)?;
            let msg = PoseidonGadget::hash2(&FpVar::Constant(Fr::from(MEDIATION_DOMAIN)), &hash)?;
            let r8 = PointVar::new_witness(cs.clone(), || Ok((slot.sig_r8.x, slot.sig_r8.y)))?;
            let s = witness(slot.sig_s)?;
            verify_gadget(&key, &msg, &r8, &s, &used)?;

            // The results are in: now ≥ deadline, or every entry on the
            // record (their product not 0). `late` is fixed by which of
            // now − deadline and deadline − now − 1 fits 66 bits (both are
            // below 2^64: exactly one does).
            let entries =
                slot.entries.iter().map(|e| witness(*e)).collect::<Result<Vec<_>, _>>()?;
            let late = Boolean::new_witness(cs.clone(), || Ok(w.now >= slot.deal.deadline))?;
            let margin = late.select(&(&now - &deadline), &(&deadline - &now - Fr::one()))?;
            bits_le_at_most(&margin, 66, None)?;
            let mut product = FpVar::Constant(Fr::one());
            for e in &entries {
                product *= e;
            }
            enforce_nonzero_if(&cs, &product, &(&used & &!&late))?;

            // The leaf: open before, in mediation after, the record kept.
            let record = results_commitment(&entries)?;
            let open = deal_leaf(&hash, DealStatus::Open, &record, &no_verdict())?;
            let mediating = deal_leaf(&hash, DealStatus::Mediating, &record, &no_verdict())?;
            let path = MerklePathVar::new_witness(cs.clone(), id_bits, &slot.deal_path)?;
            path.update_if(&mut batch.deals, &open, &mediating, &used)?;
            PoseidonGadget::chain_if(&mut batch.digest, &msg, &used)?;
        }
        batch.close()
    }
}
