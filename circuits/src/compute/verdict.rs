//! The verdict circuit ([`RecordVerdictsCircuit`]): each used slot puts the
//! mediators' verdict on a deal's record. It proves the deal is in
//! mediation with these terms and its record (its leaf), the verdict is not
//! 0, and a quorum of the deal's mediator committee (the validator set whose
//! root the terms name, the threshold fixed at setup) signed
//! `Statement::Data(verdict_commitment(deal, verdict))`; the deal leaf
//! becomes decided with the verdict, which settlement then reads. A verdict
//! has no time rule, so the circuit has no `now`. Public inputs: ledger
//! root before and after, and the digest `dᵢ₊₁ = Poseidon(dᵢ, verdict
//! commitmentᵢ)`.

use super::circuit::{
    deal_gadget, deal_leaf, no_verdict, results_commitment, DealBatchVars, DealVars,
    MAX_DEAL_SLOTS, MAX_NODES,
};
use super::{DealStatus, VerdictWitness, VERDICT_DOMAIN};
use crate::circuit::{plural, sizes, spec, Circuit, CircuitShape, CircuitSpec, ShapeError};
use crate::finality::{quorum_gadget, QuorumParts, Threshold, DATA_DOMAIN, MAX_SET_DEPTH};
use crate::primitives::gadgets::enforce_nonzero_if;
use crate::primitives::merkle::{MerklePathVar, MAX_DEPTH};
use crate::primitives::poseidon::{poseidon_gadget, PoseidonGadget};
use crate::Fr;
use ark_r1cs_std::fields::fp::FpVar;
use ark_r1cs_std::prelude::*;
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError};

/// The most mediator signer slots a verdict circuit is made with.
pub const MAX_MEDIATOR_SLOTS: usize = 1024;

/// The shape of a verdict circuit, fixed at setup.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VerdictShape {
    /// Account tree depth (the deal terms name accounts).
    pub depth: usize,
    /// Deal tree depth.
    pub deal_depth: usize,
    /// Mediator committee tree depth.
    pub committee_depth: usize,
    /// Nodes per deal.
    pub k: usize,
    /// Mediator signer slots per verdict.
    pub mediator_slots: usize,
    /// Verdict slots.
    pub slots: usize,
    /// The mediator quorum.
    pub threshold: Threshold,
}

/// Proves a batch of verdicts; see the module docs.
#[derive(Clone, Debug)]
pub struct RecordVerdictsCircuit {
    /// The witness; `for_setup` gives the shape.
    pub witness: VerdictWitness,
}

impl RecordVerdictsCircuit {
    /// An all-unused witness of `shape`, for key generation.
    pub fn for_setup(shape: VerdictShape) -> Self {
        Self { witness: VerdictWitness::empty(shape) }
    }
}

impl ConstraintSynthesizer<Fr> for RecordVerdictsCircuit {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        let w = self.witness;
        let VerdictShape {
            depth, deal_depth, committee_depth, k, mediator_slots, threshold, ..
        } = w.shape;
        let witness = |v: Fr| FpVar::new_witness(cs.clone(), || Ok(v));
        let mut batch = DealBatchVars::open(&cs, &w, false)?;
        for slot in &w.slots {
            let shape_ok = slot.deal.nodes.len() == k
                && slot.entries.len() == k
                && slot.deal_path.len() == deal_depth
                && slot.mediators.len() == mediator_slots;
            if !shape_ok {
                return Err(SynthesisError::Unsatisfiable);
            }
            let used = Boolean::new_witness(cs.clone(), || Ok(slot.used))?;
            let DealVars { id_bits, mediators, hash, .. } =
                deal_gadget(&cs, &slot.deal, depth, deal_depth)?;

            // The verdict, not 0 (the record's mark for none), signed by a
            // quorum of the committee the terms name.
            let verdict = witness(slot.verdict)?;
            enforce_nonzero_if(&cs, &verdict, &used)?;
            let commitment = poseidon_gadget(&[
                FpVar::Constant(Fr::from(VERDICT_DOMAIN)),
                hash.clone(),
                verdict.clone(),
            ])?;
            let message =
                poseidon_gadget(&[FpVar::Constant(Fr::from(DATA_DOMAIN)), commitment.clone()])?;
            let parts = QuorumParts {
                tree_root: slot.committee_tree_root,
                total_stake: slot.committee_total,
                slots: &slot.mediators,
            };
            quorum_gadget(&cs, &mediators, &message, &parts, committee_depth, threshold, &used)?;

            // The leaf: in mediation before, decided after, the record kept.
            let entries =
                slot.entries.iter().map(|e| witness(*e)).collect::<Result<Vec<_>, _>>()?;
            let record = results_commitment(&entries)?;
            let mediating = deal_leaf(&hash, DealStatus::Mediating, &record, &no_verdict())?;
            let decided = deal_leaf(&hash, DealStatus::Decided, &record, &verdict)?;
            let path = MerklePathVar::new_witness(cs.clone(), id_bits, &slot.deal_path)?;
            path.update_if(&mut batch.deals, &mediating, &decided, &used)?;
            PoseidonGadget::chain_if(&mut batch.digest, &commitment, &used)?;
        }
        batch.close()
    }
}

impl CircuitShape for VerdictShape {
    const SPECS: &'static [&'static CircuitSpec] = &[&spec::COMPUTE_VERDICT];

    fn values(&self) -> Vec<u64> {
        let mut v = [
            self.depth,
            self.deal_depth,
            self.committee_depth,
            self.k,
            self.mediator_slots,
            self.slots,
        ]
        .map(|v| v as u64)
        .to_vec();
        v.extend([self.threshold.num, self.threshold.den]);
        v
    }

    fn from_values(spec: &'static CircuitSpec, values: &[u64]) -> Result<Self, ShapeError> {
        if values.len() != 8 {
            return Err(ShapeError::value(spec, "expected 8 parameters"));
        }
        let max =
            [MAX_DEPTH, MAX_DEPTH, MAX_SET_DEPTH, MAX_NODES, MAX_MEDIATOR_SLOTS, MAX_DEAL_SLOTS];
        let [depth, deal_depth, committee_depth, k, mediator_slots, slots] =
            sizes(spec, &values[..6], max.map(|v| v as u64))?;
        let threshold = Threshold::new(values[6], values[7])
            .map_err(|e| ShapeError::value(spec, e.to_string()))?;
        Ok(Self { depth, deal_depth, committee_depth, k, mediator_slots, slots, threshold })
    }

    fn describe(&self) -> String {
        format!(
            "account depth {}, deal depth {}, committee depth {}, {} nodes per deal, {} mediator \
             slot{}, {} slot{}; mediator quorum {}",
            self.depth,
            self.deal_depth,
            self.committee_depth,
            self.k,
            self.mediator_slots,
            plural(self.mediator_slots),
            self.slots,
            plural(self.slots),
            self.threshold
        )
    }
}

impl Circuit for RecordVerdictsCircuit {
    type Shape = VerdictShape;

    fn shape(&self) -> VerdictShape {
        VerdictShape { slots: self.witness.slots.len(), ..self.witness.shape }
    }

    fn for_setup(shape: &VerdictShape) -> Self {
        Self::for_setup(*shape)
    }

    fn named_inputs(&self) -> Vec<(&'static str, Fr)> {
        let w = &self.witness;
        vec![("old_root", w.old_root), ("new_root", w.new_root), ("verdict_digest", w.digest)]
    }
}
