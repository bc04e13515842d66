//! The quorum circuit (finality and data agreement) and the double-sign
//! slashing circuit.

use super::MAX_SET_DEPTH;
use super::{
    QuorumWitness, SignerSlot, SlashWitness, Statement, StatementKind, Threshold, DATA_DOMAIN,
    HEADER_DOMAIN, MAX_THRESHOLD_DEN, SET_DOMAIN,
};
use crate::circuit::{plural, sizes, spec, Circuit, CircuitShape, CircuitSpec, ShapeError};
use crate::primitives::babyjubjub::{bits_le_at_most, PointVar};
use crate::primitives::eddsa::verify_gadget;
use crate::primitives::gadgets::{enforce_u64, index_bits};
use crate::primitives::merkle::MerklePathVar;
use crate::primitives::poseidon::poseidon_gadget;
use crate::Fr;
use ark_ff::Zero;
use ark_r1cs_std::fields::fp::FpVar;
use ark_r1cs_std::prelude::*;
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError};

/// Proves that members of a validator set holding enough stake signed a
/// statement. Public inputs: for headers `set_root, height, prev_hash,
/// state_root, next_set_root, header_hash`; for data `set_root,
/// data_commitment`. Shape (set depth, signer slots, threshold, statement
/// kind) is fixed at setup.
#[derive(Clone, Debug)]
pub struct QuorumCircuit {
    /// The witness; [`QuorumCircuit::for_setup`] gives the shape.
    pub witness: QuorumWitness,
}

impl QuorumCircuit {
    /// An all-unused witness of the given shape, for key generation.
    pub fn for_setup(
        depth: usize,
        slots: usize,
        threshold: Threshold,
        kind: StatementKind,
    ) -> Self {
        Self { witness: QuorumWitness::empty(depth, slots, threshold, kind) }
    }
}

/// The most signer slots a quorum circuit is made with.
pub const MAX_SIGNER_SLOTS: usize = 1024;

/// The shape of a quorum circuit, fixed at setup: the validator-set tree's
/// depth, the signer slots, the threshold, and what is attested (headers:
/// the `finality-quorum` circuit; data commitments: `data-agreement`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QuorumShape {
    /// Validator-set tree depth.
    pub depth: usize,
    /// Signer slots: the most attestations one proof carries.
    pub slots: usize,
    /// The threshold.
    pub threshold: Threshold,
    /// Headers (finality) or data commitments (agreement).
    pub kind: StatementKind,
}

impl CircuitShape for QuorumShape {
    const SPECS: &'static [&'static CircuitSpec] = &[&spec::FINALITY_QUORUM, &spec::DATA_AGREEMENT];

    fn spec(&self) -> &'static CircuitSpec {
        match self.kind {
            StatementKind::Header => &spec::FINALITY_QUORUM,
            StatementKind::Data => &spec::DATA_AGREEMENT,
        }
    }

    fn values(&self) -> Vec<u64> {
        vec![self.depth as u64, self.slots as u64, self.threshold.num, self.threshold.den]
    }

    fn from_values(spec: &'static CircuitSpec, values: &[u64]) -> Result<Self, ShapeError> {
        let kind = if spec == &spec::DATA_AGREEMENT {
            StatementKind::Data
        } else if spec == &spec::FINALITY_QUORUM {
            StatementKind::Header
        } else {
            return Err(ShapeError::WrongCircuit { expected: Self::kind(), found: spec.id.into() });
        };
        if values.len() != 4 {
            return Err(ShapeError::value(spec, "expected 4 parameters"));
        }
        let [depth, slots] =
            sizes(spec, &values[..2], [MAX_SET_DEPTH as u64, MAX_SIGNER_SLOTS as u64])?;
        let threshold = Threshold::new(values[2], values[3])
            .map_err(|e| ShapeError::value(spec, e.to_string()))?;
        Ok(Self { depth, slots, threshold, kind })
    }

    fn describe(&self) -> String {
        format!(
            "{} statements, set depth {}, {} signer slot{}, threshold {}",
            self.kind.name(),
            self.depth,
            self.slots,
            plural(self.slots),
            self.threshold
        )
    }
}

impl Circuit for QuorumCircuit {
    type Shape = QuorumShape;

    fn shape(&self) -> QuorumShape {
        let w = &self.witness;
        QuorumShape {
            depth: w.depth,
            slots: w.slots.len(),
            threshold: w.threshold,
            kind: w.statement.kind(),
        }
    }

    fn for_setup(shape: &QuorumShape) -> Self {
        Self::for_setup(shape.depth, shape.slots, shape.threshold, shape.kind)
    }

    fn named_inputs(&self) -> Vec<(&'static str, Fr)> {
        self.witness.named_inputs()
    }
}

/// The shape of the slashing circuit: the validator-set tree's depth.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SlashingShape {
    /// Validator-set tree depth.
    pub set_depth: usize,
}

impl CircuitShape for SlashingShape {
    const SPECS: &'static [&'static CircuitSpec] = &[&spec::DOUBLE_SIGN_SLASH];

    fn values(&self) -> Vec<u64> {
        vec![self.set_depth as u64]
    }

    fn from_values(spec: &'static CircuitSpec, values: &[u64]) -> Result<Self, ShapeError> {
        let [set_depth] = sizes(spec, values, [MAX_SET_DEPTH as u64])?;
        Ok(Self { set_depth })
    }

    fn describe(&self) -> String {
        format!("set depth {}", self.set_depth)
    }
}

impl Circuit for DoubleSignCircuit {
    type Shape = SlashingShape;

    fn shape(&self) -> SlashingShape {
        SlashingShape { set_depth: self.witness.depth }
    }

    fn for_setup(shape: &SlashingShape) -> Self {
        Self::for_setup(shape.set_depth)
    }

    fn named_inputs(&self) -> Vec<(&'static str, Fr)> {
        self.witness.named_inputs()
    }
}

/// `Poseidon(SET_DOMAIN, tree_root, total)` with `total` range-checked.
fn set_root_gadget(tree_root: &FpVar<Fr>, total: &FpVar<Fr>) -> Result<FpVar<Fr>, SynthesisError> {
    enforce_u64(total)?;
    poseidon_gadget(&[FpVar::Constant(Fr::from(SET_DOMAIN)), tree_root.clone(), total.clone()])
}

fn header_hash_gadget(fields: [&FpVar<Fr>; 4]) -> Result<FpVar<Fr>, SynthesisError> {
    let mut inputs = vec![FpVar::Constant(Fr::from(HEADER_DOMAIN))];
    inputs.extend(fields.iter().map(|f| (*f).clone()));
    poseidon_gadget(&inputs)
}

fn validator_leaf_gadget(pk: &PointVar, stake: &FpVar<Fr>) -> Result<FpVar<Fr>, SynthesisError> {
    poseidon_gadget(&[pk.x.clone(), pk.y.clone(), stake.clone()])
}

impl ConstraintSynthesizer<Fr> for QuorumCircuit {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        let w = self.witness;
        let depth = w.depth;
        let Threshold { num, den } = w.threshold;
        if den == 0 || den > MAX_THRESHOLD_DEN || num > den {
            return Err(SynthesisError::Unsatisfiable);
        }
        let input = |v: Fr| FpVar::new_input(cs.clone(), || Ok(v));

        // Public inputs and the message members sign.
        let set_root = input(w.set_root)?;
        let message = match w.statement {
            Statement::Header(h) => {
                let height = input(Fr::from(h.height))?;
                let prev = input(h.prev_hash)?;
                let state = input(h.state_root)?;
                let next = input(h.next_set_root)?;
                let hash = input(h.hash())?;
                header_hash_gadget([&height, &prev, &state, &next])?.enforce_equal(&hash)?;
                hash
            }
            Statement::Data(c) => {
                let commitment = input(c)?;
                poseidon_gadget(&[FpVar::Constant(Fr::from(DATA_DOMAIN)), commitment])?
            }
        };

        let parts =
            QuorumParts { tree_root: w.tree_root, total_stake: w.total_stake, slots: &w.slots };
        quorum_gadget(&cs, &set_root, &message, &parts, depth, w.threshold, &Boolean::TRUE)
    }
}

/// The private half of a quorum: the set's tree root and total stake, and
/// the signer slots.
pub(crate) struct QuorumParts<'a> {
    pub(crate) tree_root: Fr,
    pub(crate) total_stake: Fr,
    pub(crate) slots: &'a [SignerSlot],
}

/// Members of the set with root `set_root` holding enough stake signed
/// `message`, enforced when `enabled` (a slot may be used only then).
#[allow(clippy::too_many_arguments)]
pub(crate) fn quorum_gadget(
    cs: &ConstraintSystemRef<Fr>,
    set_root: &FpVar<Fr>,
    message: &FpVar<Fr>,
    parts: &QuorumParts<'_>,
    depth: usize,
    threshold: Threshold,
    enabled: &Boolean<Fr>,
) -> Result<(), SynthesisError> {
    let Threshold { num, den } = threshold;
    let witness = |v: Fr| FpVar::new_witness(cs.clone(), || Ok(v));
    let zero = FpVar::Constant(Fr::zero());

    // The set: its tree root and total stake open the set root.
    let tree_root = witness(parts.tree_root)?;
    let total = witness(parts.total_stake)?;
    set_root_gadget(&tree_root, &total)?.conditional_enforce_equal(set_root, enabled)?;

    let mut signed = zero.clone();
    let mut previous: Option<(Boolean<Fr>, FpVar<Fr>)> = None;
    for slot in parts.slots {
        if slot.path.len() != depth {
            return Err(SynthesisError::Unsatisfiable);
        }
        let used = Boolean::new_witness(cs.clone(), || Ok(slot.used))?;
        (&used & &!enabled).enforce_equal(&Boolean::FALSE)?;
        let bits = index_bits(cs, slot.index, depth)?;
        let index = Boolean::le_bits_to_fp(&bits)?;
        let pk = PointVar::new_witness(cs.clone(), || Ok((slot.public_key.x, slot.public_key.y)))?;
        let stake = witness(slot.stake)?;
        enforce_u64(&stake)?;

        // Member: (pk, stake) is the leaf at `index`.
        let path = MerklePathVar::new_witness(cs.clone(), bits, &slot.path)?;
        path.root(&validator_leaf_gadget(&pk, &stake)?)?
            .conditional_enforce_equal(&tree_root, &used)?;

        // Signed the message.
        let r8 = PointVar::new_witness(cs.clone(), || Ok((slot.sig_r8.x, slot.sig_r8.y)))?;
        let s = witness(slot.sig_s)?;
        verify_gadget(&pk, message, &r8, &s, &used)?;

        // Used slots come first, by strictly increasing index, so no member
        // is counted twice: index − previous − 1 fits `depth` bits only when
        // index > previous (both are below 2^depth).
        if let Some((prev_used, prev_index)) = &previous {
            (&used & &!prev_used).enforce_equal(&Boolean::FALSE)?;
            let gap = &index - prev_index - Fr::from(1u64);
            bits_le_at_most(&used.select(&gap, &zero)?, depth, None)?;
        }
        signed += used.select(&stake, &zero)?;
        previous = Some((used, index));
    }

    // signed·den ≥ total·num + strict, and signed ≠ 0. With signed and
    // total below 2^64 and den ≤ 2^16, both sides are below 2^81, so the
    // difference fits 96 bits exactly when it is not negative.
    enforce_u64(&signed)?;
    signed.conditional_enforce_not_equal(&zero, enabled)?;
    let strict = if num == den { 0u64 } else { 1 };
    let margin = &signed * Fr::from(den) - &total * Fr::from(num) - Fr::from(strict);
    bits_le_at_most(&enabled.select(&margin, &zero)?, 96, None)?;
    Ok(())
}

/// Proves that a validator signed two different headers of one height, and
/// that the set moves from `old_set_root` to `new_set_root` by setting its
/// stake to 0. Public inputs: old set root, new set root, offender index,
/// height, the two header hashes.
#[derive(Clone, Debug)]
pub struct DoubleSignCircuit {
    /// The witness; [`DoubleSignCircuit::for_setup`] gives the shape.
    pub witness: SlashWitness,
}

impl DoubleSignCircuit {
    /// The shape for key generation.
    pub fn for_setup(depth: usize) -> Self {
        Self { witness: SlashWitness::empty(depth) }
    }
}

impl ConstraintSynthesizer<Fr> for DoubleSignCircuit {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        let w = self.witness;
        if w.path.len() != w.depth {
            return Err(SynthesisError::Unsatisfiable);
        }
        let input = |v: Fr| FpVar::new_input(cs.clone(), || Ok(v));
        let witness = |v: Fr| FpVar::new_witness(cs.clone(), || Ok(v));
        let old_set_root = input(w.old_set_root)?;
        let new_set_root = input(w.new_set_root)?;
        let offender = input(Fr::from(w.index))?;
        let height = input(Fr::from(w.headers[0].height))?;
        let hashes = [input(w.headers[0].hash())?, input(w.headers[1].hash())?];

        // The offender is a member with stake in the old set.
        let tree_root = witness(w.tree_root)?;
        let total = witness(w.total_stake)?;
        set_root_gadget(&tree_root, &total)?.enforce_equal(&old_set_root)?;
        let bits = index_bits(&cs, w.index, w.depth)?;
        Boolean::le_bits_to_fp(&bits)?.enforce_equal(&offender)?;
        let pk = PointVar::new_witness(cs.clone(), || Ok((w.public_key.x, w.public_key.y)))?;
        let stake = witness(w.stake)?;
        enforce_u64(&stake)?;
        stake.enforce_not_equal(&FpVar::Constant(Fr::zero()))?;

        // Two signatures over two different headers of one height.
        for ((header, signature), hash) in w.headers.iter().zip(&w.signatures).zip(&hashes) {
            let prev = witness(header.prev_hash)?;
            let state = witness(header.state_root)?;
            let next = witness(header.next_set_root)?;
            header_hash_gadget([&height, &prev, &state, &next])?.enforce_equal(hash)?;
            let r8 = PointVar::new_witness(cs.clone(), || Ok((signature.r8.x, signature.r8.y)))?;
            let s = witness(signature.s)?;
            verify_gadget(&pk, hash, &r8, &s, &Boolean::TRUE)?;
        }
        hashes[0].enforce_not_equal(&hashes[1])?;

        // The slash: stake to 0 in the tree, total lowered by the stake
        // (no underflow: the new total is range-checked).
        let path = MerklePathVar::new_witness(cs.clone(), bits, &w.path)?;
        let (before, after) = path.update(
            &validator_leaf_gadget(&pk, &stake)?,
            &validator_leaf_gadget(&pk, &FpVar::Constant(Fr::zero()))?,
        )?;
        before.enforce_equal(&tree_root)?;
        let new_total = &total - &stake;
        set_root_gadget(&after, &new_total)?.enforce_equal(&new_set_root)?;
        Ok(())
    }
}

impl StatementKind {
    /// The kind's name in circuit ids and files.
    pub fn name(&self) -> &'static str {
        match self {
            StatementKind::Header => "header",
            StatementKind::Data => "data",
        }
    }
}
