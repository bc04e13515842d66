//! Settlement of compute verified by replication: the native rules.
//!
//! A **deal** between a client and `k` compute nodes fixes a job commitment,
//! a price per node, the client's deposit, each node's collateral, the
//! mediator committee (a validator set of the finality module, with the
//! quorum threshold fixed by the verdict circuit's [`VerdictShape`]), the
//! mediation fee and a
//! deadline. It is signed by the client and every node over
//! [`Deal::hash`]. **Opening** it moves the deposit and the collaterals out
//! of their accounts (no overdraft) into the deal. **Results** go on the
//! record: each node signs its result hash for the deal and submits it
//! before the deadline; the deal's leaf commits to every node's entry
//! ([`results_commitment`]), and one result per node is taken. **Settling**
//! reads the results from the record, never from the settler: a node with a
//! recorded result counts as answered, one without as silent (allowed from
//! the deadline on). **Mediation** is the client's call, after the results
//! (all on the record, or the deadline passed) and before payment. The
//! **verdict** is a transaction of its own: a quorum of the deal's mediator
//! committee signs the correct result, and it goes on the deal's record
//! (only for a deal in mediation, once). A deal in mediation settles only
//! once decided, and then by the recorded verdict. Settling pays out by
//! [`payouts`]:
//!
//! - all `k` results present and equal, no mediation: every node gets its
//!   price and its collateral back, the client the rest of its deposit;
//! - otherwise a mediator quorum signs the correct result: nodes whose result
//!   matches are paid and keep their collateral; the others (a missing
//!   result counts as not matching) forfeit it. From the forfeited
//!   collateral the mediation fee goes to the treasury; of the rest the
//!   client gets `client_share` as compensation and the remainder goes to
//!   the treasury (a jackpot) or is burned, as the rules say. If every node
//!   matched, the client called mediation for nothing and pays the fee from
//!   its deposit.
//!
//! Value is conserved: what a settlement pays out equals the deposit plus
//! the collaterals, minus what it burns.
//!
//! [`OpenDealsCircuit`] proves a batch of openings,
//! [`SubmitResultsCircuit`] a batch of results put on the record,
//! [`RequestMediationCircuit`] a batch of calls for mediation,
//! [`RecordVerdictsCircuit`] a batch of verdicts and [`SettleDealsCircuit`]
//! a batch of settlements; [`simulate`] plays
//! strategies against the payout rule.

mod circuit;
mod json;
mod mediate;
mod rules;
pub mod simulate;
mod submit;
mod verdict;
mod witness;

pub use circuit::{OpenDealsCircuit, OpenShape, SettleDealsCircuit, SettleShape, MAX_SHARE_DEN};
pub use json::{
    DealJson, MediationRequestJson, OpeningJson, ResultSubmissionJson, SettlementJson,
    SignatureJson, SignedResultJson, VerdictJson,
};
pub use mediate::{MediationShape, RequestMediationCircuit};
pub use rules::{
    deal_leaf, decide_batch, mediate_batch, mediation_message, open_batch, payouts, result_message,
    results_commitment, settle_batch, submit_batch, verdict_commitment, ComputeError, ComputeRule,
    Deal, DealStatus, DealWrites, Ledger, MediationRequest, Outcome, Payouts, ResultSubmission,
    Settlement, SettlementRules, SignedResult, Verdict, DEAL_DOMAIN, MEDIATION_DOMAIN,
    RESULT_DOMAIN, VERDICT_DOMAIN,
};
pub use submit::{ResultShape, SubmitResultsCircuit};
pub use verdict::{RecordVerdictsCircuit, VerdictShape, MAX_MEDIATOR_SLOTS};
pub use witness::{
    build_mediation_witness_unchecked, build_open_witness_unchecked,
    build_result_witness_unchecked, build_settle_witness_unchecked,
    build_verdict_witness_unchecked, CreditSlot, DealBatchWitness, MediationSlot, MediationWitness,
    OpenSlot, OpenWitness, PartySlot, ResultWitness, SettleSlot, SettleWitness, SubmitSlot,
    VerdictSlot, VerdictWitness,
};

/// The compute module's result type.
type Result<T, E = ComputeError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests;
