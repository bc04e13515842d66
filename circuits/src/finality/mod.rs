//! Finality for light clients: quorum attestations over headers by a
//! validator set, set rotation, double-sign slashing, and unanimous data
//! agreement by a trust network.
//!
//! **Model.** A validator set is a Poseidon Merkle tree of leaves
//! `Poseidon(pk.x, pk.y, stake)` (empty leaves 0) whose root, with the total
//! stake, gives the set root `Poseidon(SET_DOMAIN, tree_root, total)`. A
//! header `(height, prev_hash, state_root, next_set_root)` hashes to
//! `Poseidon(HEADER_DOMAIN, height, prev_hash, state_root, next_set_root)`.
//! Header `h` is signed by the set that header `h − 1` named as its next set;
//! naming a different next set is how a header rotates the set. An
//! attestation is an EdDSA-Poseidon signature by a member over the header
//! hash.
//!
//! **Quorum rule** ([`check_quorum`]): every attestation is by a member of the
//! set (index and key), its signature verifies over the statement's message,
//! no index attests twice, and the attested stake `s` against the total `t`
//! meets the threshold `num/den` fixed at setup: `s·den > t·num` when
//! `num < den` (default 2/3: strictly more than two thirds), `s = t` when
//! `num = den` ("all": the trust network's unanimity); always `s > 0`.
//!
//! **Data agreement** is the same rule with threshold "all" over the message
//! `Poseidon(DATA_DOMAIN, commitment)`, where the commitment is a file's
//! blake3 digest mapped into the field ([`data_commitment`]).
//!
//! **Double signing** ([`check_double_sign`]): two valid signatures by one
//! member over two different headers of the same height. The proven
//! transition sets that member's stake to 0 and lowers the total by it; a
//! member whose stake is already 0 cannot be slashed again.

mod circuit;
mod commitment;
mod json;
mod sample;
mod set;

pub(crate) use circuit::{quorum_gadget, QuorumParts};
pub use circuit::{DoubleSignCircuit, QuorumCircuit};
pub use commitment::{data_commitment, data_commitment_of_digest, data_commitment_of_file};
pub use json::{
    AttestationJson, AttestationsJson, EvidenceJson, HeaderJson, SetJson, ValidatorJson,
};
pub use sample::{sample_validator_key, SampleChain};
pub use set::{Validator, ValidatorSet, MAX_SET_DEPTH};

use crate::babyjubjub::Point;
use crate::eddsa::{PublicKey, SecretKey, Signature};
use crate::poseidon::poseidon;
use crate::{Error, Fr, Result};
use ark_ff::{One, Zero};
use thiserror::Error as ThisError;

/// Domain tag of set roots (ASCII `sp:vset`).
pub const SET_DOMAIN: u64 = 0x73_70_3a_76_73_65_74;
/// Domain tag of header hashes (ASCII `sp:headr`).
pub const HEADER_DOMAIN: u64 = 0x73_70_3a_68_65_61_64_72;
/// Domain tag of data-agreement messages (ASCII `sp:data`).
pub const DATA_DOMAIN: u64 = 0x73_70_3a_64_61_74_61;

/// A validator's leaf, `Poseidon(pk.x, pk.y, stake)`.
pub fn validator_leaf(pk: &PublicKey, stake: u64) -> Fr {
    poseidon(&[pk.0.x, pk.0.y, Fr::from(stake)]).expect("Poseidon(3) has parameters")
}

/// A set root, `Poseidon(SET_DOMAIN, tree_root, total_stake)`.
pub fn set_commitment(tree_root: Fr, total_stake: u64) -> Fr {
    poseidon(&[Fr::from(SET_DOMAIN), tree_root, Fr::from(total_stake)])
        .expect("Poseidon(3) has parameters")
}

/// A block header as light clients see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// Height: the genesis header has 0, each child its parent's plus one.
    pub height: u64,
    /// The parent header's hash (0 for genesis).
    pub prev_hash: Fr,
    /// The state root this header finalises.
    pub state_root: Fr,
    /// The root of the validator set that signs the next header.
    pub next_set_root: Fr,
}

impl Header {
    /// `Poseidon(HEADER_DOMAIN, height, prev_hash, state_root, next_set_root)`.
    pub fn hash(&self) -> Fr {
        header_hash(Fr::from(self.height), self.prev_hash, self.state_root, self.next_set_root)
    }

    /// The genesis header: height 0, no parent.
    pub fn genesis(state_root: Fr, first_set_root: Fr) -> Self {
        Self { height: 0, prev_hash: Fr::zero(), state_root, next_set_root: first_set_root }
    }

    /// The header that follows this one.
    pub fn child(&self, state_root: Fr, next_set_root: Fr) -> Self {
        Self { height: self.height + 1, prev_hash: self.hash(), state_root, next_set_root }
    }
}

fn header_hash(height: Fr, prev_hash: Fr, state_root: Fr, next_set_root: Fr) -> Fr {
    poseidon(&[Fr::from(HEADER_DOMAIN), height, prev_hash, state_root, next_set_root])
        .expect("Poseidon(5) has parameters")
}

/// What a quorum attests: a header (finality) or a data commitment
/// (the trust network's agreement).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Statement {
    /// Finality of a header.
    Header(Header),
    /// Agreement on a data commitment.
    Data(Fr),
}

/// Which kind of statement a quorum circuit proves: fixed at setup.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatementKind {
    /// Headers: public inputs set root and the header's fields and hash.
    Header,
    /// Data commitments: public inputs set root and commitment.
    Data,
}

impl Statement {
    /// The field element members sign.
    pub fn message(&self) -> Fr {
        match self {
            Statement::Header(h) => h.hash(),
            Statement::Data(c) => data_message(*c),
        }
    }

    /// The statement's kind.
    pub fn kind(&self) -> StatementKind {
        match self {
            Statement::Header(_) => StatementKind::Header,
            Statement::Data(_) => StatementKind::Data,
        }
    }

    /// A placeholder of `kind` for key generation.
    pub fn placeholder(kind: StatementKind) -> Self {
        match kind {
            StatementKind::Header => Statement::Header(Header::genesis(Fr::zero(), Fr::zero())),
            StatementKind::Data => Statement::Data(Fr::zero()),
        }
    }
}

/// The message authorities sign for a data commitment,
/// `Poseidon(DATA_DOMAIN, commitment)`.
pub fn data_message(commitment: Fr) -> Fr {
    poseidon(&[Fr::from(DATA_DOMAIN), commitment]).expect("Poseidon(2) has parameters")
}

/// Largest threshold denominator: keeps `stake·den` below 2^81 in-circuit.
pub const MAX_THRESHOLD_DEN: u64 = 1 << 16;

/// A quorum threshold `num/den`: strictly more than `num/den` of the stake
/// when `num < den`, all of it when `num = den`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Threshold {
    /// Numerator.
    pub num: u64,
    /// Denominator, 1 to [`MAX_THRESHOLD_DEN`].
    pub den: u64,
}

impl Threshold {
    /// Strictly more than two thirds: BFT finality.
    pub const TWO_THIRDS: Self = Self { num: 2, den: 3 };
    /// Every unit of stake: unanimity.
    pub const ALL: Self = Self { num: 1, den: 1 };

    /// A checked threshold.
    pub fn new(num: u64, den: u64) -> Result<Self> {
        if den == 0 || den > MAX_THRESHOLD_DEN || num > den {
            return Err(Error::Invalid {
                what: "threshold",
                reason: format!(
                    "{num}/{den}: need 0 <= num <= den, 1 <= den <= {MAX_THRESHOLD_DEN}"
                ),
            });
        }
        // 2/2 and 1/1 are the same rule: store "all" one way.
        Ok(if num == den { Self::ALL } else { Self { num, den } })
    }

    /// Whether every unit of stake is required.
    pub fn is_all(&self) -> bool {
        self.num == self.den
    }

    /// `signed·den ≥ total·num + strict` with `strict = 1` unless "all",
    /// and `signed > 0`: the same comparison the circuit makes.
    pub fn met(&self, signed: u64, total: u64) -> bool {
        let strict = u128::from(!self.is_all());
        signed > 0
            && u128::from(signed) * u128::from(self.den)
                >= u128::from(total) * u128::from(self.num) + strict
    }
}

impl std::fmt::Display for Threshold {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.is_all() {
            f.write_str("all")
        } else {
            write!(f, "more than {}/{}", self.num, self.den)
        }
    }
}

/// A member's signature over a statement's message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Attestation {
    /// The signer's index in the set.
    pub index: u64,
    /// The signer's key (must be the key at `index`).
    pub public_key: PublicKey,
    /// The signature over [`Statement::message`].
    pub signature: Signature,
}

impl Attestation {
    /// Signs `statement` as the member at `index`.
    pub fn sign(key: &SecretKey, index: u64, statement: &Statement) -> Self {
        Self { index, public_key: key.public_key(), signature: key.sign(statement.message()) }
    }
}

/// The rules of finality, agreement and slashing, one variant each.
#[derive(Debug, ThisError, Clone, Copy, PartialEq, Eq)]
pub enum FinalityRule {
    /// The signer is not in the set at that index with that key.
    #[error("validator {index} is not a member of the set with that key")]
    NotMember {
        /// The index named.
        index: u64,
    },
    /// A signature does not verify over the message.
    #[error("the signature of validator {index} does not verify")]
    BadSignature {
        /// The signer's index.
        index: u64,
    },
    /// One validator attests twice.
    #[error("validator {index} attests more than once")]
    DuplicateSigner {
        /// The repeated index.
        index: u64,
    },
    /// The attested stake does not meet the threshold.
    #[error("attested stake {signed} of {total} does not meet the threshold")]
    QuorumNotReached {
        /// Stake that attested.
        signed: u64,
        /// Total stake of the set.
        total: u64,
    },
    /// Double-sign evidence whose headers have different heights.
    #[error("the two headers have different heights: not a double sign")]
    DifferentHeights,
    /// Double-sign evidence over one header twice.
    #[error("the two headers are the same: not a double sign")]
    SameHeader,
    /// The validator's stake is already 0.
    #[error("validator {index} is already slashed")]
    AlreadySlashed {
        /// The validator.
        index: u64,
    },
}

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

/// Names of the finality circuit's public inputs, in order.
pub const FINALITY_INPUT_NAMES: [&str; 6] =
    ["set_root", "height", "prev_hash", "state_root", "next_set_root", "header_hash"];
/// Names of the data-agreement circuit's public inputs, in order.
pub const AGREEMENT_INPUT_NAMES: [&str; 2] = ["set_root", "data_commitment"];
/// Names of the double-sign circuit's public inputs, in order.
pub const SLASHING_INPUT_NAMES: [&str; 6] =
    ["old_set_root", "new_set_root", "offender", "height", "header_a", "header_b"];

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

    /// The public inputs in circuit order ([`FINALITY_INPUT_NAMES`] or
    /// [`AGREEMENT_INPUT_NAMES`]).
    pub fn public_inputs(&self) -> Vec<Fr> {
        match self.statement {
            Statement::Header(h) => vec![
                self.set_root,
                Fr::from(h.height),
                h.prev_hash,
                h.state_root,
                h.next_set_root,
                h.hash(),
            ],
            Statement::Data(c) => vec![self.set_root, c],
        }
    }
}

/// Applies the quorum rule: `attestations` (in any order) over `statement`
/// by members of `set` must meet `threshold` within `slots` signer slots.
/// Returns the witness, attestations sorted by index.
pub fn check_quorum(
    set: &ValidatorSet,
    statement: &Statement,
    attestations: &[Attestation],
    threshold: Threshold,
    slots: usize,
) -> Result<QuorumWitness> {
    if attestations.len() > slots {
        return Err(Error::BatchTooLarge { len: attestations.len(), slots });
    }
    let mut sorted = attestations.to_vec();
    sorted.sort_by_key(|a| a.index);
    let rule = |r| Error::Finality(r);
    let message = statement.message();
    let mut signed = 0u64;
    for (i, a) in sorted.iter().enumerate() {
        if i > 0 && sorted[i - 1].index == a.index {
            return Err(rule(FinalityRule::DuplicateSigner { index: a.index }));
        }
        let member = set
            .member(a.index)
            .filter(|m| m.public_key == a.public_key)
            .ok_or(rule(FinalityRule::NotMember { index: a.index }))?;
        a.public_key
            .verify(message, &a.signature)
            .map_err(|_| rule(FinalityRule::BadSignature { index: a.index }))?;
        // Members of one set sum to at most the set's total, a u64.
        signed += member.stake;
    }
    if !threshold.met(signed, set.total_stake()) {
        return Err(rule(FinalityRule::QuorumNotReached { signed, total: set.total_stake() }));
    }
    build_quorum_witness_unchecked(set, statement, &sorted, threshold, slots)
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
        return Err(Error::BatchTooLarge { len: attestations.len(), slots });
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

/// Evidence that a validator signed two headers of one height.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DoubleSign {
    /// The offender's index.
    pub index: u64,
    /// The offender's key.
    pub public_key: PublicKey,
    /// One header and the offender's signature over its hash.
    pub first: (Header, Signature),
    /// The other header and signature.
    pub second: (Header, Signature),
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
    /// The public inputs in circuit order ([`SLASHING_INPUT_NAMES`]).
    pub fn public_inputs(&self) -> Vec<Fr> {
        vec![
            self.old_set_root,
            self.new_set_root,
            Fr::from(self.index),
            Fr::from(self.headers[0].height),
            self.headers[0].hash(),
            self.headers[1].hash(),
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

/// Applies the slashing rule: `evidence` must be two valid signatures by a
/// member with stake over two different headers of one height. Returns the
/// slashed set and the witness.
pub fn check_double_sign(
    set: &ValidatorSet,
    evidence: &DoubleSign,
) -> Result<(ValidatorSet, SlashWitness)> {
    let rule = |r| Error::Finality(r);
    let index = evidence.index;
    let member = set
        .member(index)
        .filter(|m| m.public_key == evidence.public_key)
        .ok_or(rule(FinalityRule::NotMember { index }))?;
    if member.stake == 0 {
        return Err(rule(FinalityRule::AlreadySlashed { index }));
    }
    let (a, b) = (evidence.first.0, evidence.second.0);
    if a.height != b.height {
        return Err(rule(FinalityRule::DifferentHeights));
    }
    if a.hash() == b.hash() {
        return Err(rule(FinalityRule::SameHeader));
    }
    for (header, signature) in [evidence.first, evidence.second] {
        evidence
            .public_key
            .verify(header.hash(), &signature)
            .map_err(|_| rule(FinalityRule::BadSignature { index }))?;
    }
    let next = set.slashed(index)?;
    let witness = build_slash_witness_unchecked(set, evidence)?;
    debug_assert_eq!(witness.new_set_root, next.root());
    Ok((next, witness))
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

#[cfg(test)]
mod tests;
