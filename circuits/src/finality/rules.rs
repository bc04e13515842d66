//! The rules of finality, data agreement and slashing: headers, statements,
//! thresholds and attestations, and the checks that name the first rule
//! broken.

use super::witness::{build_quorum_witness_unchecked, build_slash_witness_unchecked};
use super::{QuorumWitness, Result, SlashWitness, ValidatorSet};
use crate::primitives::eddsa::{PublicKey, SecretKey, Signature};
use crate::primitives::poseidon::poseidon;
use crate::Fr;
use ark_ff::Zero;
use thiserror::Error as ThisError;

/// Why attestations, evidence or a set are refused.
#[derive(Debug, ThisError, Clone, PartialEq, Eq)]
pub enum FinalityError {
    /// A finality, agreement or slashing rule is broken.
    #[error("{0}")]
    Rule(FinalityRule),
    /// More attestations than the circuit has signer slots.
    #[error("{len} attestations for a circuit of {slots} signer slots")]
    TooManyAttestations {
        /// Attestations given.
        len: usize,
        /// Signer slots of the circuit.
        slots: usize,
    },
    /// A malformed key, index, tree or value.
    #[error(transparent)]
    Primitive(#[from] crate::primitives::Error),
}

impl From<FinalityRule> for FinalityError {
    fn from(rule: FinalityRule) -> Self {
        FinalityError::Rule(rule)
    }
}

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
            return Err(crate::primitives::Error::Invalid {
                what: "threshold",
                reason: format!(
                    "{num}/{den}: need 0 <= num <= den, 1 <= den <= {MAX_THRESHOLD_DEN}"
                ),
            }
            .into());
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
        return Err(FinalityError::TooManyAttestations { len: attestations.len(), slots });
    }
    let mut sorted = attestations.to_vec();
    sorted.sort_by_key(|a| a.index);
    let rule = FinalityError::Rule;
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

/// Applies the slashing rule: `evidence` must be two valid signatures by a
/// member with stake over two different headers of one height. Returns the
/// slashed set and the witness.
pub fn check_double_sign(
    set: &ValidatorSet,
    evidence: &DoubleSign,
) -> Result<(ValidatorSet, SlashWitness)> {
    let rule = FinalityError::Rule;
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
