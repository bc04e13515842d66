//! The ledger's eight transaction kinds as the node takes them: what each
//! is, its JSON, its id, the rules it is checked against as it arrives
//! ([`apply_one`]), and how a sealed batch of one kind becomes the ledger
//! after it and the prove job of its circuit ([`apply_batch`]).
//!
//! A node made with `--transfers-only` (and every node made before the
//! ledger had these kinds) takes transfers alone: its genesis has no
//! [`LedgerGenesis`], and its deal and member trees stay empty.

use crate::store::Meta;
use serde::{Deserialize, Serialize};
use stateproof_app::{AppError, Result};
use stateproof_circuits::book::{Book, Writes};
use stateproof_circuits::circuit::{Circuit, CircuitShape};
use stateproof_circuits::compute::{
    ComputeError, Deal, DealWrites, MediationRequest, MediationRequestJson, MediationShape,
    OpenShape, OpeningJson, ResultShape, ResultSubmission, ResultSubmissionJson, SettleShape,
    Settlement, SettlementJson, SettlementRules, Verdict, VerdictJson, VerdictShape,
};
use stateproof_circuits::finality::{AttestationJson, SetJson, Threshold, ValidatorSet};
use stateproof_circuits::primitives::eddsa::Signature;
use stateproof_circuits::transfer::{Transfer, TransferBatch, TransferBatchCircuit, TransferJson};
use stateproof_circuits::trust::{
    AdmissionRules, Commit, CommitJson, CommitShape, ResolveShape, Reveal, RevealJson, TrustError,
};
use stateproof_circuits::wire::{self, JobWitness};
use stateproof_circuits::Fr;
use stateproof_verifier::spec::{self, CircuitSpec};
use std::collections::{BTreeMap, BTreeSet};

/// A transaction's kind: what `"kind"` says in its JSON.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// A signed transfer between accounts.
    Transfer,
    /// A compute deal opened, signed by its client and nodes.
    OpenDeal,
    /// A node's result put on a deal's record.
    SubmitResult,
    /// A client's call for mediation of its deal.
    RequestMediation,
    /// A mediator quorum's verdict on a deal in mediation.
    Verdict,
    /// A deal settled from its record.
    Settle,
    /// A sponsor's commitment to a sponsorship.
    SponsorCommit,
    /// Both sponsors' reveals of a sponsorship.
    SponsorReveal,
}

/// Every kind, transfers first.
pub const KINDS: [Kind; 8] = [
    Kind::Transfer,
    Kind::OpenDeal,
    Kind::SubmitResult,
    Kind::RequestMediation,
    Kind::Verdict,
    Kind::Settle,
    Kind::SponsorCommit,
    Kind::SponsorReveal,
];

impl Kind {
    /// Its name, as JSON and the API say it.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Transfer => "transfer",
            Kind::OpenDeal => "open-deal",
            Kind::SubmitResult => "submit-result",
            Kind::RequestMediation => "request-mediation",
            Kind::Verdict => "verdict",
            Kind::Settle => "settle",
            Kind::SponsorCommit => "sponsor-commit",
            Kind::SponsorReveal => "sponsor-reveal",
        }
    }

    /// The kind named `name`.
    pub fn parse(name: &str) -> Option<Kind> {
        KINDS.into_iter().find(|k| k.name() == name)
    }

    /// The circuit that proves its batches.
    pub fn spec(self) -> &'static CircuitSpec {
        match self {
            Kind::Transfer => &spec::TRANSFER_BATCH,
            Kind::OpenDeal => &spec::COMPUTE_OPEN,
            Kind::SubmitResult => &spec::COMPUTE_RESULT,
            Kind::RequestMediation => &spec::COMPUTE_MEDIATION,
            Kind::Verdict => &spec::COMPUTE_VERDICT,
            Kind::Settle => &spec::COMPUTE_SETTLE,
            Kind::SponsorCommit => &spec::TRUST_COMMIT,
            Kind::SponsorReveal => &spec::TRUST_RESOLVE,
        }
    }
}

/// The ledger's rules and shapes fixed at genesis, beyond transfers.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct LedgerConfig {
    /// Slots per batch of every kind but transfers.
    pub slots: usize,
    /// Compute nodes per deal.
    pub k: usize,
    /// Depth of the mediator committees deals name (up to 2^depth
    /// mediators).
    pub committee_depth: usize,
    /// Most mediator signatures a verdict carries.
    pub mediator_slots: usize,
    /// The share of a committee's stake that must sign a verdict,
    /// `[numerator, denominator]` (more than that share).
    pub quorum: [u64; 2],
    /// The client's share of forfeited collateral after the fee,
    /// `[numerator, denominator]`.
    pub client_share: [u64; 2],
    /// Burn the rest of forfeited collateral (else the treasury gets it).
    pub burn: bool,
    /// The account that receives mediation fees.
    pub treasury: u64,
    /// Epochs a defected-against sponsor's suspension lasts.
    pub suspension: u64,
    /// Epochs per sponsoring period (one sponsorship per member per
    /// period).
    pub period: u64,
    /// Members at genesis: members 0 to n-1 hold the sample accounts'
    /// keys of the same indices (public seeds, for trying the node).
    pub members: u64,
}

impl Default for LedgerConfig {
    fn default() -> Self {
        Self {
            slots: 1,
            k: 3,
            committee_depth: 4,
            mediator_slots: 4,
            quorum: [2, 3],
            client_share: [1, 2],
            burn: true,
            treasury: 0,
            suspension: 10,
            period: 5,
            members: 4,
        }
    }
}

/// The shapes of the ledger's circuits beyond transfers, from genesis.
#[derive(Clone, Debug)]
pub struct Shapes {
    /// Deal openings.
    pub open: OpenShape,
    /// Results.
    pub result: ResultShape,
    /// Calls for mediation.
    pub mediation: MediationShape,
    /// Verdicts.
    pub verdict: VerdictShape,
    /// Settlements.
    pub settle: SettleShape,
    /// Sponsorship commitments.
    pub commit: CommitShape,
    /// Sponsorship reveals.
    pub resolve: ResolveShape,
}

impl LedgerConfig {
    /// The verdict quorum.
    pub fn threshold(&self) -> Result<Threshold> {
        let [num, den] = self.quorum;
        Threshold::new(num, den).map_err(|e| AppError::unusable(format!("ledger.quorum: {e}")))
    }

    /// The settlement rules.
    pub fn settlement_rules(&self) -> SettlementRules {
        SettlementRules {
            client_share: (self.client_share[0], self.client_share[1]),
            burn_remainder: self.burn,
            treasury: self.treasury,
        }
    }

    /// The admission rules.
    pub fn admission_rules(&self) -> AdmissionRules {
        AdmissionRules { suspension: self.suspension, period: self.period }
    }

    /// Each circuit's shape over trees of the depths given, each checked by
    /// its circuit's own limits (an error names the circuit and the
    /// parameter, in the `ledger.` fields of genesis).
    pub fn shapes(&self, depth: usize, deal_depth: usize, member_depth: usize) -> Result<Shapes> {
        let [num, den] = self.client_share;
        if den == 0 || num > den {
            return Err(AppError::unusable(format!(
                "ledger.client_share: {num}/{den} is not a share from 0/1 to 1/1"
            )));
        }
        if self.period == 0 {
            return Err(AppError::unusable("ledger.period: must be at least 1 epoch"));
        }
        let slots = self.slots;
        let k = self.k;
        let shapes = Shapes {
            open: OpenShape { depth, deal_depth, k, slots },
            result: ResultShape { depth, deal_depth, k, slots },
            mediation: MediationShape { depth, deal_depth, k, slots },
            verdict: VerdictShape {
                depth,
                deal_depth,
                committee_depth: self.committee_depth,
                k,
                mediator_slots: self.mediator_slots,
                slots,
                threshold: self.threshold()?,
            },
            settle: SettleShape { depth, deal_depth, k, slots, rules: self.settlement_rules() },
            commit: CommitShape { depth: member_depth, period: self.period, slots },
            resolve: ResolveShape { depth: member_depth, suspension: self.suspension, slots },
        };
        check_shape(&shapes.open)?;
        check_shape(&shapes.result)?;
        check_shape(&shapes.mediation)?;
        check_shape(&shapes.verdict)?;
        check_shape(&shapes.settle)?;
        check_shape(&shapes.commit)?;
        check_shape(&shapes.resolve)?;
        Ok(shapes)
    }
}

/// Runs a shape through its circuit's own checks (what a key file's shape
/// is parsed with).
fn check_shape<S: CircuitShape>(shape: &S) -> Result<()> {
    let spec = shape.spec();
    S::from_values(spec, &shape.values())
        .map(|_| ())
        .map_err(|e| AppError::unusable(format!("ledger: the {} circuit: {e}", spec.id)))
}

/// What genesis fixes about the ledger beyond transfers: its rules and the
/// verifying key of each of its circuits.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct LedgerGenesis {
    /// The rules and shapes.
    pub config: LedgerConfig,
    /// Each circuit's verifying-key fingerprint (hex), by circuit id.
    pub keys: BTreeMap<String, String>,
}

impl LedgerGenesis {
    /// The key fingerprint of `kind`'s circuit.
    pub fn fingerprint(&self, kind: Kind) -> Option<&str> {
        self.keys.get(kind.spec().id).map(String::as_str)
    }
}

/// A transaction of any kind, checked as parsed (fields well formed) but
/// not yet against the ledger.
#[derive(Clone, Debug)]
pub enum Tx {
    /// A transfer.
    Transfer(Transfer),
    /// A deal's terms and the client's and nodes' signatures over them.
    OpenDeal(Deal, Vec<Signature>),
    /// A node's signed result.
    SubmitResult(ResultSubmission),
    /// A client's call for mediation.
    RequestMediation(MediationRequest),
    /// A verdict and the committee that signed it (its root the deal's
    /// `mediators`).
    Verdict(Verdict, Box<ValidatorSet>),
    /// A settlement.
    Settle(Settlement),
    /// A sponsor's commitment.
    SponsorCommit(Commit),
    /// A sponsorship's reveals.
    SponsorReveal(Box<Reveal>),
}

/// A verdict transaction's JSON: the verdict and its committee.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct VerdictTxJson {
    /// The deal.
    pub deal_id: u64,
    /// The correct result, decimal.
    pub result: String,
    /// The mediators' attestations of `verdict_commitment(deal, result)`.
    pub attestations: Vec<AttestationJson>,
    /// The deal's mediator committee.
    pub committee: SetJson,
}

/// A transaction's JSON: `"kind"` and the kind's fields. A body without
/// `"kind"` is a transfer.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum TxJson {
    /// `transfer`.
    Transfer(TransferJson),
    /// `open-deal`.
    OpenDeal(OpeningJson),
    /// `submit-result`.
    SubmitResult(ResultSubmissionJson),
    /// `request-mediation`.
    RequestMediation(MediationRequestJson),
    /// `verdict`.
    Verdict(VerdictTxJson),
    /// `settle`.
    Settle(SettlementJson),
    /// `sponsor-commit`.
    SponsorCommit(CommitJson),
    /// `sponsor-reveal`.
    SponsorReveal(RevealJson),
}

impl TxJson {
    /// Parses a body: a transaction with `"kind"`, or a transfer without.
    pub fn parse(bytes: &[u8]) -> std::result::Result<Self, String> {
        let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
        let has_kind = value.as_object().is_some_and(|o| o.contains_key("kind"));
        if !has_kind {
            return serde_json::from_value(value).map(TxJson::Transfer).map_err(|e| e.to_string());
        }
        if let Some(kind) = value.get("kind").and_then(|k| k.as_str()) {
            if Kind::parse(kind).is_none() {
                let names: Vec<&str> = KINDS.iter().map(|k| k.name()).collect();
                return Err(format!("kind: {kind:?} is not one of {}", names.join(", ")));
            }
        }
        serde_json::from_value(value).map_err(|e| e.to_string())
    }

    /// The transaction, each field checked (an error names it).
    pub fn to_tx(&self) -> std::result::Result<Tx, String> {
        let e = |e: &dyn std::fmt::Display| e.to_string();
        Ok(match self {
            TxJson::Transfer(t) => Tx::Transfer(t.to_transfer().map_err(|x| e(&x))?),
            TxJson::OpenDeal(o) => {
                let (deal, signatures) = o.to_opening().map_err(|x| e(&x))?;
                Tx::OpenDeal(deal, signatures)
            }
            TxJson::SubmitResult(s) => Tx::SubmitResult(s.to_submission().map_err(|x| e(&x))?),
            TxJson::RequestMediation(r) => Tx::RequestMediation(r.to_request().map_err(|x| e(&x))?),
            TxJson::Verdict(v) => {
                let verdict = VerdictJson {
                    deal_id: v.deal_id,
                    result: v.result.clone(),
                    attestations: v.attestations.clone(),
                }
                .to_verdict()
                .map_err(|x| e(&x))?;
                let committee = v.committee.to_set().map_err(|x| format!("committee: {x}"))?;
                Tx::Verdict(verdict, Box::new(committee))
            }
            TxJson::Settle(s) => Tx::Settle(s.to_settlement()),
            TxJson::SponsorCommit(c) => Tx::SponsorCommit(c.to_commit().map_err(|x| e(&x))?),
            TxJson::SponsorReveal(r) => {
                Tx::SponsorReveal(Box::new(r.to_reveal().map_err(|x| e(&x))?))
            }
        })
    }
}

impl Tx {
    /// Its kind.
    pub fn kind(&self) -> Kind {
        match self {
            Tx::Transfer(_) => Kind::Transfer,
            Tx::OpenDeal(..) => Kind::OpenDeal,
            Tx::SubmitResult(_) => Kind::SubmitResult,
            Tx::RequestMediation(_) => Kind::RequestMediation,
            Tx::Verdict(..) => Kind::Verdict,
            Tx::Settle(_) => Kind::Settle,
            Tx::SponsorCommit(_) => Kind::SponsorCommit,
            Tx::SponsorReveal(_) => Kind::SponsorReveal,
        }
    }

    /// Its JSON, in the one form the node writes (a transfer's without
    /// `"kind"`, as stores have always kept them).
    pub fn to_json(&self) -> TxJson {
        match self {
            Tx::Transfer(t) => TxJson::Transfer(TransferJson::from_transfer(t)),
            Tx::OpenDeal(d, s) => TxJson::OpenDeal(OpeningJson::from_opening(d, s)),
            Tx::SubmitResult(s) => TxJson::SubmitResult(ResultSubmissionJson::from_submission(s)),
            Tx::RequestMediation(r) => {
                TxJson::RequestMediation(MediationRequestJson::from_request(r))
            }
            Tx::Verdict(v, committee) => {
                let j = VerdictJson::from_verdict(v);
                TxJson::Verdict(VerdictTxJson {
                    deal_id: j.deal_id,
                    result: j.result,
                    attestations: j.attestations,
                    committee: SetJson::from_set(committee),
                })
            }
            Tx::Settle(s) => TxJson::Settle(SettlementJson::from_settlement(s)),
            Tx::SponsorCommit(c) => TxJson::SponsorCommit(CommitJson::from_commit(c)),
            Tx::SponsorReveal(r) => TxJson::SponsorReveal(RevealJson::from_reveal(r)),
        }
    }

    /// The JSON the store keeps.
    pub fn body(&self) -> String {
        let json = match self.to_json() {
            TxJson::Transfer(t) => serde_json::to_string(&t),
            other => serde_json::to_string(&other),
        };
        json.expect("a transaction serializes")
    }

    /// Its id, 64 hex digits: a transfer's signed message's Poseidon hash
    /// (big-endian); another kind's BLAKE3 hash of its kind and its JSON
    /// as the node writes it, so that the same transaction sent twice has
    /// one id.
    pub fn id(&self) -> String {
        match self {
            Tx::Transfer(t) => crate::intake::transaction_id(t),
            other => {
                let mut h = blake3::Hasher::new();
                h.update(other.kind().name().as_bytes());
                h.update(b"\n");
                h.update(other.body().as_bytes());
                h.finalize().to_hex().to_string()
            }
        }
    }

    /// The accounts it may change: a transfer's two, a deal's client and
    /// nodes when opened, and with the treasury when settled.
    pub fn accounts(&self, book: &Book, treasury: u64) -> Vec<u64> {
        let parties = |id: u64| -> Vec<u64> {
            book.ledger()
                .deal(id)
                .map(|(d, _)| std::iter::once(d.client).chain(d.nodes.iter().copied()).collect())
                .unwrap_or_default()
        };
        match self {
            Tx::Transfer(t) => vec![t.from, t.to],
            Tx::OpenDeal(d, _) => {
                std::iter::once(d.client).chain(d.nodes.iter().copied()).collect()
            }
            Tx::Settle(s) => {
                let mut a = parties(s.deal_id);
                a.push(treasury);
                a
            }
            _ => Vec::new(),
        }
    }

    /// The deal it changes, if any.
    pub fn deal(&self) -> Option<u64> {
        match self {
            Tx::OpenDeal(d, _) => Some(d.id),
            Tx::SubmitResult(s) => Some(s.deal_id),
            Tx::RequestMediation(r) => Some(r.deal_id),
            Tx::Verdict(v, _) => Some(v.deal_id),
            Tx::Settle(s) => Some(s.deal_id),
            _ => None,
        }
    }

    /// The epoch a sponsorship commitment is for (commitments are batched
    /// by epoch).
    pub fn epoch(&self) -> Option<u64> {
        match self {
            Tx::SponsorCommit(c) => Some(c.epoch),
            _ => None,
        }
    }
}

/// A transaction refused: the rule's name and what happened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// The rule's name (`result-too-late`).
    pub rule: &'static str,
    /// A sentence.
    pub message: String,
}

fn compute_refusal(e: ComputeError) -> Refusal {
    match e {
        ComputeError::Rule(r) => {
            Refusal { rule: r.name(), message: format!("the transaction breaks a rule: {r}") }
        }
        other => Refusal { rule: "does-not-fit", message: other.to_string() },
    }
}

fn trust_refusal(e: TrustError) -> Refusal {
    match e {
        TrustError::Rule(r) => {
            Refusal { rule: r.name(), message: format!("the transaction breaks a rule: {r}") }
        }
        other => Refusal { rule: "does-not-fit", message: other.to_string() },
    }
}

/// What a node with the whole ledger runs by: its rules and shapes.
#[derive(Clone, Debug)]
pub struct Rules {
    /// The config from genesis.
    pub config: LedgerConfig,
    /// The circuits' shapes.
    pub shapes: Shapes,
}

impl Rules {
    /// The rules of the node whose genesis facts are `meta` (none on a
    /// transfers-only node).
    pub fn of(meta: &Meta) -> Result<Option<Self>> {
        match &meta.ledger {
            None => Ok(None),
            Some(g) => {
                let shapes = g.config.shapes(meta.depth, meta.deal_depth, meta.member_depth)?;
                Ok(Some(Self { config: g.config.clone(), shapes }))
            }
        }
    }
}

/// Checks a transaction of a kind other than transfers against `book` at
/// time `now` (seconds) and applies it; `book` is unchanged when it is
/// refused.
pub fn apply_one(
    rules: &Rules,
    book: &mut Book,
    tx: &Tx,
    now: u64,
) -> std::result::Result<(), Refusal> {
    let writes = check_one(rules, book, tx, now)?;
    book.write(writes).map_err(|e| Refusal { rule: "does-not-fit", message: e.to_string() })
}

/// Checks a transaction of a kind other than transfers against `book` at
/// time `now` (seconds): what it would write (`Book::write`), nothing
/// changed. The checks are the native rules its circuit proves, with the
/// circuit's limits (a deal of another node count, a verdict with more
/// signatures than the circuit's slots).
pub fn check_one(
    rules: &Rules,
    book: &Book,
    tx: &Tx,
    now: u64,
) -> std::result::Result<Writes, Refusal> {
    let s = &rules.shapes;
    let (ledger, members) = (book.ledger(), book.members());
    let deals = |r: std::result::Result<DealWrites, ComputeError>| {
        r.map(|w| Writes::Deals(Box::new(w))).map_err(compute_refusal)
    };
    let unfit = |message: String| Refusal { rule: "does-not-fit", message };
    match tx {
        Tx::Transfer(_) => Err(unfit("transfers are checked against the accounts".into())),
        Tx::OpenDeal(deal, signatures) => {
            if deal.nodes.len() != s.open.k {
                return Err(unfit(format!(
                    "deal {}: {} nodes; this ledger's deals have {}",
                    deal.id,
                    deal.nodes.len(),
                    s.open.k
                )));
            }
            if deal.id >> s.open.deal_depth.min(63) != 0 {
                return Err(unfit(format!(
                    "deal {}: ids are below 2^{}",
                    deal.id, s.open.deal_depth
                )));
            }
            deals(ledger.check_open(deal, signatures))
        }
        Tx::SubmitResult(r) => deals(ledger.check_submit(r, now)),
        Tx::RequestMediation(r) => deals(ledger.check_mediation(r, now)),
        Tx::Verdict(v, committee) => {
            let shape = &s.verdict;
            if v.attestations.len() > shape.mediator_slots {
                return Err(unfit(format!(
                    "{} mediator signatures; a verdict carries at most {}",
                    v.attestations.len(),
                    shape.mediator_slots
                )));
            }
            if committee.depth() != shape.committee_depth {
                return Err(unfit(format!(
                    "committee: a set of depth {}; this ledger's committees have depth {}",
                    committee.depth(),
                    shape.committee_depth
                )));
            }
            deals(ledger.check_decide(v, committee, shape.threshold))
        }
        Tx::Settle(st) => {
            deals(ledger.check_settle(st.deal_id, now, &s.settle.rules).map(|(w, _)| w))
        }
        Tx::SponsorCommit(c) => members.check_commit(c).map(Writes::Members).map_err(trust_refusal),
        Tx::SponsorReveal(r) => {
            members.check_resolve(r).map(|(w, _)| Writes::Members(w)).map_err(trust_refusal)
        }
    }
}

/// The time (seconds) a batch of `kind` is proven at, from its
/// transactions' arrival times: the earliest for results (each arrived
/// before its deadline, so all are before it then), the latest for calls
/// for mediation and settlements (each arrived after what it waits for),
/// 0 for kinds without a time rule.
pub fn batch_time(kind: Kind, arrivals: impl IntoIterator<Item = u64>) -> u64 {
    let arrivals = arrivals.into_iter();
    match kind {
        Kind::SubmitResult => arrivals.min().unwrap_or(0),
        Kind::RequestMediation | Kind::Settle => arrivals.max().unwrap_or(0),
        _ => 0,
    }
}

/// A sealed batch applied: the ledger after it, and its prove job.
pub struct Prepared {
    /// The ledger after the batch.
    pub book: Book,
    /// The circuit's id.
    pub circuit: &'static str,
    /// The job's witness bytes (a transfer batch's `SPTW2`, any other
    /// kind's wire format).
    pub inputs: Vec<u8>,
    /// The public inputs its proof must show, in the declared order.
    pub public: Vec<Fr>,
    /// The accounts, deals and members it changed.
    pub touched: Touched,
}

/// What a batch changed, for the store.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Touched {
    /// Accounts.
    pub accounts: BTreeSet<u64>,
    /// Deals.
    pub deals: BTreeSet<u64>,
    /// Members.
    pub members: BTreeSet<u64>,
}

/// The batch's transactions of one variant, mapped (`pick!(txs, Tx::Settle(s) => *s)`).
macro_rules! pick {
    ($txs:expr, $pattern:pat => $out:expr) => {
        $txs.iter()
            .filter_map(|(t, _)| match t {
                $pattern => Some($out),
                _ => None,
            })
            .collect::<Vec<_>>()
    };
}

fn job<W: JobWitness>(w: W) -> (&'static str, Vec<u8>, Vec<Fr>) {
    let bytes = wire::to_bytes(&w);
    (W::SPEC.id, bytes, w.into_circuit().public_inputs())
}

/// Applies a sealed batch (every transaction of `kind`, in slot order,
/// with its arrival time in seconds) to `book` under the native rules and
/// builds its prove job. On a transfers-only node (`rules` `None`) only
/// transfers apply.
pub fn apply_batch(
    meta: &Meta,
    rules: Option<&Rules>,
    book: &Book,
    txs: &[(&Tx, u64)],
) -> std::result::Result<Prepared, String> {
    let kind = match txs.first() {
        Some((t, _)) => t.kind(),
        None => return Err("an empty batch".into()),
    };
    if txs.iter().any(|(t, _)| t.kind() != kind) {
        return Err("a batch mixes kinds".into());
    }
    let now = batch_time(kind, txs.iter().map(|(_, at)| *at));
    let mut touched = Touched::default();
    let treasury = rules.map_or(0, |r| r.config.treasury);
    for (t, _) in txs {
        touched.accounts.extend(t.accounts(book, treasury));
        touched.deals.extend(t.deal());
    }
    let book_before = book;
    let shapes = || {
        rules.map(|r| &r.shapes).ok_or_else(|| {
            format!("{} transactions on a node that takes transfers alone", kind.name())
        })
    };
    let err = |e: &dyn std::fmt::Display| e.to_string();
    let (book, (circuit, inputs, public)) = match kind {
        Kind::Transfer => {
            let batch = TransferBatch { transfers: pick!(txs, Tx::Transfer(t) => *t) };
            let (next, w) = book.transfer(&batch, meta.slots).map_err(|e| err(&e))?;
            let inputs = w.to_bytes();
            let public = TransferBatchCircuit { witness: w }.public_inputs();
            (next, (spec::TRANSFER_BATCH.id, inputs, public))
        }
        Kind::OpenDeal => {
            let s = &shapes()?.open;
            let deals = pick!(txs, Tx::OpenDeal(d, sig) => (d.clone(), sig.clone()));
            let (next, w) = book.open(&deals, s.k, s.slots).map_err(|e| err(&e))?;
            (next, job(w))
        }
        Kind::SubmitResult => {
            let subs = pick!(txs, Tx::SubmitResult(r) => *r);
            let (next, w) = book.submit(&subs, &shapes()?.result, now).map_err(|e| err(&e))?;
            (next, job(w))
        }
        Kind::RequestMediation => {
            let reqs = pick!(txs, Tx::RequestMediation(r) => *r);
            let (next, w) = book.mediate(&reqs, &shapes()?.mediation, now).map_err(|e| err(&e))?;
            (next, job(w))
        }
        Kind::Verdict => {
            let verdicts = pick!(txs, Tx::Verdict(v, _) => v.clone());
            let committees = pick!(txs, Tx::Verdict(_, c) => ValidatorSet::clone(c));
            let shape = &shapes()?.verdict;
            let (next, w) = book.decide(&verdicts, &committees, shape).map_err(|e| err(&e))?;
            (next, job(w))
        }
        Kind::Settle => {
            let settlements = pick!(txs, Tx::Settle(st) => *st);
            let shape = &shapes()?.settle;
            let (next, w) = book.settle(&settlements, shape, now).map_err(|e| err(&e))?;
            (next, job(w))
        }
        Kind::SponsorCommit => {
            let commits = pick!(txs, Tx::SponsorCommit(c) => *c);
            let epoch = commits[0].epoch;
            let slots = shapes()?.commit.slots;
            let (next, w) = book.commit(&commits, epoch, slots).map_err(|e| err(&e))?;
            (next, job(w))
        }
        Kind::SponsorReveal => {
            let reveals = pick!(txs, Tx::SponsorReveal(r) => **r);
            let (next, w) = book.resolve(&reveals, shapes()?.resolve.slots).map_err(|e| err(&e))?;
            (next, job(w))
        }
    };
    for (t, _) in txs {
        match t {
            Tx::SponsorCommit(c) => {
                touched.members.insert(c.sponsor);
            }
            Tx::SponsorReveal(r) => touched.members.extend(r.sponsorship.sponsors),
            _ => {}
        }
    }
    if kind == Kind::SponsorReveal {
        // The members a reveal admits take the lowest empty leaves.
        let before = book_before.members();
        touched
            .members
            .extend(book.members().members().keys().filter(|i| before.member(**i).is_none()));
    }
    Ok(Prepared { book, circuit, inputs, public, touched })
}

#[cfg(test)]
mod tests;
