//! The API's JSON bodies, shared by the node and its clients. Field
//! elements are canonical decimal strings; indices, amounts and nonces are
//! JSON integers (u64).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The version of the API these bodies belong to (the paths' `/v1`).
pub const API_VERSION: &str = "v1";

/// An error: the rule the request broke and a sentence about it.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// What an error says.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ErrorDetail {
    /// The rule broken, in kebab case: `bad-nonce`, `malformed-json`,
    /// `body-too-large`, `replay`, `not-found`...
    pub rule: String,
    /// One sentence for a person, naming the field where there is one.
    pub message: String,
}

/// A transaction accepted (durable before this answer).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Accepted {
    /// The transaction's id: the signed message's Poseidon hash, hex.
    pub id: String,
    /// Always `pending` when it is first accepted.
    pub status: String,
    /// The same transaction had been accepted before (an idempotent
    /// resubmission); nothing new was queued.
    pub duplicate: bool,
}

/// Where a transaction is.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct TransactionView {
    /// The id.
    pub id: String,
    /// `pending` (accepted, in no batch), `batched` (sealed in a batch being
    /// proven) or `proven` (in a published update).
    pub status: String,
    /// The batch, once sealed; a proven batch's number is its update's.
    pub batch: Option<u64>,
}

/// An account's fields.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct AccountFields {
    /// Its key `[x, y]`.
    pub public_key: [String; 2],
    /// Balance.
    pub balance: u64,
    /// Transfers sent.
    pub nonce: u64,
}

/// The accounts a key holds, once the accepted transactions are applied.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct KeyAccounts {
    /// Their indices, ascending; at most [`crate::api::MAX_KEY_ACCOUNTS`].
    pub accounts: Vec<u64>,
}

/// An account at the last proven root, with its Merkle path, and as it
/// stands once the accepted transactions are applied.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct AccountView {
    /// The index.
    pub index: u64,
    /// The proven ledger root: `Poseidon(LEDGER_DOMAIN, accounts, deals,
    /// members)`, where the path leads to `accounts`.
    pub root: String,
    /// The deal tree's root in that ledger.
    pub deals_root: String,
    /// The member tree's root in that ledger.
    pub members_root: String,
    /// The number of the last proven update (0: genesis).
    pub update: u64,
    /// The account at that root; `null` where the leaf is empty.
    pub account: Option<AccountFields>,
    /// The sibling hashes from the leaf up, one per tree level.
    pub siblings: Vec<String>,
    /// The account after every accepted transaction (pending and batched
    /// ones included): the nonce a new transfer must carry.
    pub pending: Option<AccountFields>,
}

/// A deal at the last proven root with its Merkle path in the deal tree.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct DealView {
    /// The deal id (its leaf's index).
    pub id: u64,
    /// The proven ledger root, where the path leads to `deals`.
    pub root: String,
    /// The account tree's root in that ledger.
    pub accounts_root: String,
    /// The member tree's root in that ledger.
    pub members_root: String,
    /// The number of the last proven update (0: genesis).
    pub update: u64,
    /// The deal's terms, as `open-deal` carries them; `null` where the leaf
    /// is empty.
    #[schema(value_type = Option<Object>)]
    pub terms: Option<stateproof_circuits::compute::DealJson>,
    /// `open`, `mediating`, `decided` or `settled`; `null` where empty.
    pub status: Option<String>,
    /// Each node's result on the record, decimal, `null` for none.
    pub results: Vec<Option<String>>,
    /// The mediators' verdict, once recorded.
    pub verdict: Option<String>,
    /// The sibling hashes from the leaf up, one per tree level.
    pub siblings: Vec<String>,
}

/// A member's admission state.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct MemberFields {
    /// Its key `[x, y]`.
    pub public_key: [String; 2],
    /// Its sponsoring is suspended before this epoch.
    pub suspended_until: u64,
    /// The last period it sponsored in (`null`: never).
    pub last_period: Option<u64>,
    /// Its pending commitment, decimal (0: none).
    pub pending: String,
}

impl MemberFields {
    /// A member's fields as the API writes them.
    pub fn of(m: &stateproof_circuits::trust::Member) -> Self {
        Self {
            public_key: stateproof_circuits::primitives::field::key_to_strings(&m.public_key),
            suspended_until: m.suspended_until,
            last_period: m.last_period,
            pending: stateproof_app::text::fr(&m.pending),
        }
    }
}

/// A member at the last proven root with its Merkle path in the member
/// tree.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct MemberView {
    /// The member index.
    pub index: u64,
    /// The proven ledger root, where the path leads to `members`.
    pub root: String,
    /// The account tree's root in that ledger.
    pub accounts_root: String,
    /// The deal tree's root in that ledger.
    pub deals_root: String,
    /// The number of the last proven update (0: genesis).
    pub update: u64,
    /// The member; `null` where the leaf is empty.
    pub member: Option<MemberFields>,
    /// The sibling hashes from the leaf up, one per tree level.
    pub siblings: Vec<String>,
}

/// A proven update.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct UpdateView {
    /// Its number, from 1.
    pub n: u64,
    /// The root before.
    pub old_root: String,
    /// The root after.
    pub new_root: String,
    /// The ids of its transactions, in slot order.
    pub transactions: Vec<String>,
    /// The compressed update (what `GET /v1/updates/{n}` serves), hex.
    pub update_hex: String,
}

/// A page of proven updates.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct UpdatesPage {
    /// The updates, in order.
    pub updates: Vec<UpdateView>,
    /// The number to ask from next.
    pub next: u64,
}

/// The node at a glance.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct StatusView {
    /// The circuit the node proves (`transfer-batch`).
    pub circuit: String,
    /// Account tree depth.
    pub depth: u64,
    /// Transfer slots per batch.
    pub slots: u64,
    /// The genesis root.
    pub genesis_root: String,
    /// The verifying key's fingerprint, hex.
    pub vk_fingerprint: String,
    /// The root after the last proven update.
    pub proven_root: String,
    /// Proven updates published.
    pub proven_updates: u64,
    /// Batches sealed (proven or not).
    pub sealed_batches: u64,
    /// Accepted transactions in no batch yet.
    pub pending: u64,
    /// What proves: the backends in use.
    pub backend: String,
    /// Sample accounts funded at genesis, indices 0 to n-1 (their keys come
    /// from public seeds: for trying the node only).
    pub sample_accounts: u64,
    /// Whether the node proves (false: intake only, for benchmarks, or
    /// halted).
    pub proving: bool,
    /// Why nothing more is published, when publishing has stopped (a
    /// failed prove job: `stateproof node retry` queues it again).
    #[serde(default)]
    pub halted: Option<String>,
    /// The verifying-key fingerprints of the ledger's circuits beyond
    /// transfers, by circuit id (empty: the node takes transfers alone).
    #[serde(default)]
    pub ledger_keys: std::collections::BTreeMap<String, String>,
    /// The deal tree's depth.
    #[serde(default)]
    pub deal_depth: u64,
    /// The member tree's depth.
    #[serde(default)]
    pub member_depth: u64,
}
