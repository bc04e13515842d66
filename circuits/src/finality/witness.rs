//! The witnesses of the quorum and slashing circuits, and the builders that
//! make them without checking any rule (what a cheating prover would force
//! in).

use super::{
    set_commitment, validator_leaf, Attestation, DoubleSign, FinalityError, Header, Result,
    Statement, StatementKind, Threshold, ValidatorSet,
};
use crate::primitives::babyjubjub::Point;
use crate::primitives::eddsa::Signature;
use crate::Fr;
use ark_ff::{One, Zero};

/// One signer slot of a quorum witness.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignerSlot {
    /// Whether the slot holds an attestation.
    pub used: bool,
    /// Signer index.
    pub index: u64,
    /// Signer key.
    pub public_key: Point,
    /// Signer stake as the prover claims it (the leaf must agree).
    pub stake: Fr,
    /// Membership path in the set's tree.
    pub path: Vec<Fr>,
    /// Signature nonce point.
    pub sig_r8: Point,
    /// Signature response.
    pub sig_s: Fr,
}

impl SignerSlot {
    fn unused(depth: usize) -> Self {
        let identity = Point::new_unchecked(Fr::zero(), Fr::one());
        Self {
            used: false,
            index: 0,
            public_key: identity,
            stake: Fr::zero(),
            path: vec![Fr::zero(); depth],
            sig_r8: identity,
            sig_s: Fr::zero(),
        }
    }
}

/// The witness of a quorum proof.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuorumWitness {
    /// Set tree depth.
    pub depth: usize,
    /// Threshold fixed at setup.
    pub threshold: Threshold,
    /// The set root (public).
    pub set_root: Fr,
    /// What is attested (public).
    pub statement: Statement,
    /// The set's tree root.
    pub tree_root: Fr,
    /// The set's total stake.
    pub total_stake: Fr,
    /// One entry per signer slot, used ones first, by increasing index.
    pub slots: Vec<SignerSlot>,
}

impl QuorumWitness {
    /// An all-unused witness of the given shape, for key generation.
    pub fn empty(depth: usize, slots: usize, threshold: Threshold, kind: StatementKind) -> Self {
        Self {
            depth,
            threshold,
            set_root: Fr::zero(),
            statement: Statement::placeholder(kind),
            tree_root: Fr::zero(),
            total_stake: Fr::zero(),
            slots: (0..slots).map(|_| SignerSlot::unused(depth)).collect(),
        }
    }

    /// The public input values by name.
    pub fn named_inputs(&self) -> Vec<(&'static str, Fr)> {
        let mut inputs = vec![("set_root", self.set_root)];
        match self.statement {
            Statement::Header(h) => inputs.extend([
                ("height", Fr::from(h.height)),
                ("prev_hash", h.prev_hash),
                ("state_root", h.state_root),
                ("next_set_root", h.next_set_root),
                ("header_hash", h.hash()),
            ]),
            Statement::Data(c) => inputs.push(("data_commitment", c)),
        }
        inputs
    }
}

/// The witness a prover would build from `attestations` in the order given,
/// checking nothing: a non-member's stake reads as the stake at its index
/// (0 if empty). Valid, sorted attestations give [`check_quorum`]'s witness;
/// anything else gives what a cheating prover would force in.
pub fn build_quorum_witness_unchecked(
    set: &ValidatorSet,
    statement: &Statement,
    attestations: &[Attestation],
    threshold: Threshold,
    slots: usize,
) -> Result<QuorumWitness> {
    if attestations.len() > slots {
        return Err(FinalityError::TooManyAttestations { len: attestations.len(), slots });
    }
    let depth = set.depth();
    let mut witness_slots = attestations
        .iter()
        .map(|a| {
            Ok(SignerSlot {
                used: true,
                index: a.index,
                public_key: a.public_key.0,
                stake: Fr::from(set.member(a.index).map_or(0, |m| m.stake)),
                path: set.proof(a.index)?.siblings,
                sig_r8: a.signature.r8,
                sig_s: a.signature.s,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    witness_slots.resize_with(slots, || SignerSlot::unused(depth));
    Ok(QuorumWitness {
        depth,
        threshold,
        set_root: set.root(),
        statement: *statement,
        tree_root: set.tree_root(),
        total_stake: Fr::from(set.total_stake()),
        slots: witness_slots,
    })
}

/// The witness of a slashing proof.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SlashWitness {
    /// Set tree depth.
    pub depth: usize,
    /// Set root before (public).
    pub old_set_root: Fr,
    /// Set root after (public).
    pub new_set_root: Fr,
    /// Tree root before.
    pub tree_root: Fr,
    /// Total stake before.
    pub total_stake: Fr,
    /// The offender's index (public).
    pub index: u64,
    /// The offender's key.
    pub public_key: Point,
    /// The offender's stake before.
    pub stake: Fr,
    /// The offender's membership path.
    pub path: Vec<Fr>,
    /// The two signed headers (the first one's height is public).
    pub headers: [Header; 2],
    /// The two signatures.
    pub signatures: [Signature; 2],
}

impl SlashWitness {
    /// The public input values by name.
    pub fn named_inputs(&self) -> Vec<(&'static str, Fr)> {
        vec![
            ("old_set_root", self.old_set_root),
            ("new_set_root", self.new_set_root),
            ("offender", Fr::from(self.index)),
            ("height", Fr::from(self.headers[0].height)),
            ("header_a", self.headers[0].hash()),
            ("header_b", self.headers[1].hash()),
        ]
    }

    /// A witness of the right shape for key generation (it does not satisfy
    /// the circuit; setup needs only the shape).
    pub fn empty(depth: usize) -> Self {
        let identity = Point::new_unchecked(Fr::zero(), Fr::one());
        let header = Header::genesis(Fr::zero(), Fr::zero());
        let signature = Signature { r8: identity, s: Fr::zero() };
        Self {
            depth,
            old_set_root: Fr::zero(),
            new_set_root: Fr::zero(),
            tree_root: Fr::zero(),
            total_stake: Fr::zero(),
            index: 0,
            public_key: identity,
            stake: Fr::zero(),
            path: vec![Fr::zero(); depth],
            headers: [header; 2],
            signatures: [signature; 2],
        }
    }
}

/// The slashing witness a prover would build, checking nothing: the new set
/// root is computed as if the slash were allowed.
pub fn build_slash_witness_unchecked(
    set: &ValidatorSet,
    evidence: &DoubleSign,
) -> Result<SlashWitness> {
    let index = evidence.index;
    let stake = set.member(index).map_or(0, |m| m.stake);
    let proof = set.proof(index)?;
    let new_tree_root = proof.root_for(validator_leaf(&evidence.public_key, 0));
    let new_total = set.total_stake().wrapping_sub(stake);
    Ok(SlashWitness {
        depth: set.depth(),
        old_set_root: set.root(),
        new_set_root: set_commitment(new_tree_root, new_total),
        tree_root: set.tree_root(),
        total_stake: Fr::from(set.total_stake()),
        index,
        public_key: evidence.public_key.0,
        stake: Fr::from(stake),
        path: proof.siblings,
        headers: [evidence.first.0, evidence.second.0],
        signatures: [evidence.first.1, evidence.second.1],
    })
}
