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
mod rules;
mod set;
mod witness;

pub(crate) use circuit::{quorum_gadget, QuorumParts};
pub use circuit::{DoubleSignCircuit, QuorumCircuit, QuorumShape, SlashingShape, MAX_SIGNER_SLOTS};
pub use commitment::{data_commitment, data_commitment_of_digest, data_commitment_of_file};
pub use json::{
    AttestationJson, AttestationsJson, EvidenceJson, HeaderJson, SetJson, ValidatorJson,
};
pub use rules::{
    check_double_sign, check_quorum, data_message, set_commitment, validator_leaf, Attestation,
    DoubleSign, FinalityError, FinalityRule, Header, Statement, StatementKind, Threshold,
    DATA_DOMAIN, HEADER_DOMAIN, MAX_THRESHOLD_DEN, SET_DOMAIN,
};
pub use set::{Validator, ValidatorSet, MAX_SET_DEPTH};
pub use witness::{
    build_quorum_witness_unchecked, build_slash_witness_unchecked, QuorumWitness, SignerSlot,
    SlashWitness,
};

/// The finality module's result type.
type Result<T, E = FinalityError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests;
