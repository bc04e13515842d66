//! What each of stateproof's circuits is, as keys and updates name it: an
//! id, the names of its shape parameters, and its public inputs **in the
//! order the circuit allocates them**.
//!
//! These declarations sit here, in the crate that depends on nothing of
//! stateproof's, because light clients read public inputs by these names.
//! Each circuit in `stateproof-circuits` names its declaration from its typed
//! shape, and a test per circuit synthesizes it and checks that its inputs
//! are allocated exactly in the declared order: reordering a list here
//! without the circuit (or the reverse) fails that test instead of letting
//! a light client read one root as another.

use crate::groth16::VerifyingKey;
use crate::{Error, Result};

/// One circuit's declaration.
#[derive(Debug, PartialEq, Eq)]
pub struct CircuitSpec {
    /// The id keys and updates carry, e.g. `transfer-batch`.
    pub id: &'static str,
    /// What it proves, in a few words, for messages.
    pub title: &'static str,
    /// Shape parameter names, in the order keys record them.
    pub params: &'static [&'static str],
    /// Public input names, in allocation order.
    pub inputs: &'static [&'static str],
}

/// The public input every ledger circuit starts from.
pub const OLD_ROOT: &str = "old_root";
/// The public input every ledger circuit ends at.
pub const NEW_ROOT: &str = "new_root";

/// Batches of signed transfers over the account tree.
pub const TRANSFER_BATCH: CircuitSpec = CircuitSpec {
    id: "transfer-batch",
    title: "transfer batch",
    params: &["depth", "slots"],
    inputs: &[OLD_ROOT, NEW_ROOT, "batch_digest"],
};

/// A quorum of a validator set signed a header.
pub const FINALITY_QUORUM: CircuitSpec = CircuitSpec {
    id: "finality-quorum",
    title: "finality",
    params: &["set_depth", "slots", "threshold_num", "threshold_den"],
    inputs: &["set_root", "height", "prev_hash", "state_root", "next_set_root", "header_hash"],
};

/// Every authority of a trust network signed a data commitment.
pub const DATA_AGREEMENT: CircuitSpec = CircuitSpec {
    id: "data-agreement",
    title: "data agreement",
    params: &["set_depth", "slots", "threshold_num", "threshold_den"],
    inputs: &["set_root", "data_commitment"],
};

/// A validator that signed two headers at one height loses its stake.
pub const DOUBLE_SIGN_SLASH: CircuitSpec = CircuitSpec {
    id: "double-sign-slash",
    title: "double-sign slashing",
    params: &["set_depth"],
    inputs: &["old_set_root", "new_set_root", "offender", "height", "header_a", "header_b"],
};

/// Batches of compute deals opened.
pub const COMPUTE_OPEN: CircuitSpec = CircuitSpec {
    id: "compute-open",
    title: "deal openings",
    params: &["depth", "deal_depth", "k", "slots"],
    inputs: &[OLD_ROOT, NEW_ROOT, "deal_digest"],
};

/// Batches of compute nodes' results put on the record.
pub const COMPUTE_RESULT: CircuitSpec = CircuitSpec {
    id: "compute-result",
    title: "deal results",
    params: &["depth", "deal_depth", "k", "slots"],
    inputs: &[OLD_ROOT, NEW_ROOT, "result_digest", "now"],
};

/// Batches of clients' calls for mediation of their deals.
pub const COMPUTE_MEDIATION: CircuitSpec = CircuitSpec {
    id: "compute-mediation",
    title: "mediation requests",
    params: &["depth", "deal_depth", "k", "slots"],
    inputs: &[OLD_ROOT, NEW_ROOT, "mediation_digest", "now"],
};

/// Batches of mediators' verdicts put on deals' records.
pub const COMPUTE_VERDICT: CircuitSpec = CircuitSpec {
    id: "compute-verdict",
    title: "mediation verdicts",
    params: &[
        "depth",
        "deal_depth",
        "committee_depth",
        "k",
        "mediator_slots",
        "slots",
        "quorum_num",
        "quorum_den",
    ],
    inputs: &[OLD_ROOT, NEW_ROOT, "verdict_digest"],
};

/// Batches of compute deals settled.
pub const COMPUTE_SETTLE: CircuitSpec = CircuitSpec {
    id: "compute-settle",
    title: "deal settlements",
    params: &["depth", "deal_depth", "k", "slots", "share_num", "share_den", "burn", "treasury"],
    inputs: &[OLD_ROOT, NEW_ROOT, "settlement_digest", "now"],
};

/// Batches of Proof-of-Trust sponsorship commitments.
pub const TRUST_COMMIT: CircuitSpec = CircuitSpec {
    id: "trust-commit",
    title: "sponsorship commitments",
    params: &["depth", "period", "slots"],
    inputs: &[OLD_ROOT, NEW_ROOT, "epoch", "commit_digest"],
};

/// Batches of Proof-of-Trust sponsorship reveals.
pub const TRUST_RESOLVE: CircuitSpec = CircuitSpec {
    id: "trust-resolve",
    title: "sponsorship reveals",
    params: &["depth", "suspension", "slots"],
    inputs: &[OLD_ROOT, NEW_ROOT, "sponsorship_digest"],
};

/// Every declared circuit.
pub const ALL: [&CircuitSpec; 11] = [
    &TRANSFER_BATCH,
    &FINALITY_QUORUM,
    &DATA_AGREEMENT,
    &DOUBLE_SIGN_SLASH,
    &COMPUTE_OPEN,
    &COMPUTE_RESULT,
    &COMPUTE_MEDIATION,
    &COMPUTE_VERDICT,
    &COMPUTE_SETTLE,
    &TRUST_COMMIT,
    &TRUST_RESOLVE,
];

/// The declaration with this id.
pub fn by_id(id: &str) -> Option<&'static CircuitSpec> {
    ALL.iter().copied().find(|s| s.id == id)
}

impl CircuitSpec {
    /// The position of a public input.
    pub fn input_index(&self, name: &str) -> Option<usize> {
        self.inputs.iter().position(|n| *n == name)
    }

    /// Whether `vk` is a key for this circuit: its id and its input names,
    /// in order.
    pub fn matches(&self, vk: &VerifyingKey) -> bool {
        vk.circuit_id == self.id
            && vk.input_names.len() == self.inputs.len()
            && vk.input_names.iter().zip(self.inputs).all(|(a, b)| a == b)
    }

    /// [`CircuitSpec::matches`] as a result.
    pub fn check(&self, vk: &VerifyingKey) -> Result<()> {
        if self.matches(vk) {
            Ok(())
        } else {
            Err(Error::CircuitMismatch)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_found() {
        for (i, spec) in ALL.iter().enumerate() {
            assert_eq!(by_id(spec.id), Some(*spec));
            assert!(ALL[..i].iter().all(|s| s.id != spec.id), "{} twice", spec.id);
            // Names fit the envelope's u8 lengths and its 255-entry lists.
            assert!(spec.params.iter().chain(spec.inputs).all(|n| n.len() <= 64));
        }
        assert_eq!(by_id("no-such-circuit"), None);
    }
}
