//! Trust-sponsored admission (Proof-of-Trust): native rules and circuits.
//!
//! Members live in a Poseidon Merkle tree of leaves
//! `Poseidon(pk.x, pk.y, suspended_until, last_period + 1, pending)`
//! (`last_period + 1` is 0 for a member that never sponsored; `pending` is
//! the member's stored commitment, 0 when none). A **sponsorship** names
//! two sponsors, the candidate's key, the two keys each sponsor would get
//! by defecting, and its epoch; it hashes to [`Sponsorship::hash`].
//!
//! - **Commit**: each sponsor stores `Poseidon(COMMIT_DOMAIN, sponsorship
//!   hash, choice, salt)` in its leaf, signed with its key. It must be a
//!   member, not suspended at the epoch, hold no pending commitment, and not
//!   have sponsored in this period (`epoch / period`); committing records
//!   the period.
//! - **Resolve**: both sponsors reveal `(choice, salt)`, which must open
//!   their pending commitments; the commitments are cleared and: both
//!   cooperate, the candidate is admitted; one defects, the defector's two
//!   keys are admitted and the cooperator is suspended until `epoch +
//!   suspension`; both defect, both are suspended. (A sponsor is suspended
//!   exactly when the other defects.) New members take empty leaves.
//!
//! Neither sees the other's choice before committing to its own. A second
//! reveal finds no pending commitment and is rejected like a reveal without
//! one. [`CommitCircuit`] and [`ResolveCircuit`] prove batches of each.

mod circuit;
mod json;
mod rules;
mod witness;

pub use circuit::{CommitCircuit, CommitShape, ResolveCircuit, ResolveShape};
pub use json::{CommitJson, RevealJson, SponsorshipJson};
pub use rules::{
    commit_batch, commitment, resolve_batch, AdmissionRules, Choice, Commit, Member, MemberWrites,
    Resolution, Reveal, Sponsorship, TrustError, TrustLedger, TrustRule, COMMIT_DOMAIN,
    SPONSOR_DOMAIN,
};
pub use witness::{
    build_commit_witness_unchecked, build_resolve_witness_unchecked, CommitSlot, CommitWitness,
    MemberSlot, ResolveSlot, ResolveWitness,
};

/// The trust module's result type.
type Result<T, E = TrustError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests;
