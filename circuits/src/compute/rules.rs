//! The rules of compute deals: terms, results, verdicts, the payout rule,
//! and the ledger of accounts and deals that openings and settlements move.

use super::witness::{
    build_mediation_witness_unchecked, build_open_witness_unchecked,
    build_result_witness_unchecked, build_settle_witness_unchecked,
    build_verdict_witness_unchecked,
};
use super::{
    MediationShape, MediationWitness, OpenWitness, Result, ResultShape, ResultWitness, SettleShape,
    SettleWitness, VerdictShape, VerdictWitness,
};
use crate::finality::{check_quorum, Attestation, Statement, Threshold, ValidatorSet};
use crate::ledger::{Account, LedgerRoots, State};
use crate::primitives::eddsa::{SecretKey, Signature};
use crate::primitives::merkle::SparseMerkleTree;
use crate::primitives::poseidon::{hash2, poseidon};
use crate::Fr;
use ark_ff::Zero;
use std::collections::BTreeMap;
use thiserror::Error as ThisError;

/// Domain tag of deal hashes (ASCII `sp:deal`).
pub const DEAL_DOMAIN: u64 = 0x73_70_3a_64_65_61_6c;

/// Domain tag of result messages (ASCII `sp:rslt`).
pub const RESULT_DOMAIN: u64 = 0x73_70_3a_72_73_6c_74;

/// Domain tag of mediation requests (ASCII `sp:medtn`).
pub const MEDIATION_DOMAIN: u64 = 0x73_70_3a_6d_65_64_74_6e;

/// Domain tag of verdicts (ASCII `sp:vrdct`).
pub const VERDICT_DOMAIN: u64 = 0x73_70_3a_76_72_64_63_74;

/// A deal's terms.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Deal {
    /// Unique deal id.
    pub id: u64,
    /// The client's account index.
    pub client: u64,
    /// The `k` compute nodes' account indices.
    pub nodes: Vec<u64>,
    /// Commitment to the job.
    pub job: Fr,
    /// Paid to each node whose result is accepted.
    pub price: u64,
    /// Locked by the client: at least `k·price + mediation_fee`.
    pub deposit: u64,
    /// Locked by each node: at least the mediation fee.
    pub collateral: u64,
    /// Root of the mediator committee (a validator set).
    pub mediators: Fr,
    /// Paid by the side at fault when mediation is called.
    pub mediation_fee: u64,
    /// After it, a missing result counts as not matching.
    pub deadline: u64,
}

/// The rules fixed at setup.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SettlementRules {
    /// The client's share of forfeited collateral (after the fee), `num/den`.
    pub client_share: (u64, u64),
    /// Burn the rest of forfeited collateral instead of paying the treasury.
    pub burn_remainder: bool,
    /// The account receiving mediation fees (and the jackpot when not burning).
    pub treasury: u64,
}

/// The rules a deal, result or settlement can break, one variant each.
#[derive(Debug, ThisError, Clone, Copy, PartialEq, Eq)]
pub enum ComputeRule {
    /// Terms that cannot be settled safely.
    #[error("bad deal terms: {0}")]
    BadTerms(&'static str),
    /// A party's signature over the deal is missing or invalid.
    #[error("the deal is not signed by party {party}")]
    UnsignedDeal {
        /// Position among the signers: 0 the client, then the nodes.
        party: usize,
    },
    /// An account cannot cover what it must lock.
    #[error("account {account} cannot cover its deposit or collateral")]
    Overdrawn {
        /// The account.
        account: u64,
    },
    /// A deal id already used.
    #[error("deal {0} already exists")]
    DealExists(u64),
    /// Settling a deal that was never opened.
    #[error("deal {0} is not open")]
    UnknownDeal(u64),
    /// Settling a deal twice.
    #[error("deal {0} is already settled")]
    AlreadySettled(u64),
    /// A result signed by someone other than the node of its slot.
    #[error("the result of node {node} is not signed by that node")]
    ResultByNonParty {
        /// Position of the node in the deal.
        node: usize,
    },
    /// A second result from a node whose result is on the record.
    #[error("node {node} already has its result on the record")]
    ResultRecorded {
        /// Position of the node in the deal.
        node: usize,
    },
    /// A result submitted at or after the deal's deadline.
    #[error("results are taken only before the deal's deadline")]
    ResultTooLate,
    /// A result of 0, the record's mark for "no result".
    #[error("a result of 0 is reserved for no result")]
    ZeroResult,
    /// A result for a node position the deal does not have.
    #[error("the deal has no node {node}")]
    NoSuchNode {
        /// The position given.
        node: usize,
    },
    /// Results disagree or are missing, and no mediation verdict is given.
    #[error("results disagree or are missing: mediation is required")]
    MediationRequired,
    /// Missing results before the deadline.
    #[error("results are missing before the deadline")]
    TooEarly,
    /// A verdict without a mediator quorum of the deal's committee.
    #[error("the verdict lacks a quorum of the deal's mediators")]
    MediatorQuorum,
    /// A mediation request not signed by the deal's client.
    #[error("the mediation request is not signed by the deal's client")]
    UnsignedRequest,
    /// A second mediation request for a deal.
    #[error("deal {0} is already in mediation")]
    AlreadyMediating(u64),
    /// A settlement without a verdict for a deal in mediation.
    #[error("deal {0} is in mediation: only a verdict settles it")]
    VerdictRequired(u64),
    /// A verdict for a deal whose client did not call for mediation.
    #[error("deal {0} is not in mediation: only its client can call for it")]
    NotMediating(u64),
    /// A second verdict for a deal.
    #[error("deal {0} already has its verdict on the record")]
    AlreadyDecided(u64),
    /// A payout to an account that does not exist or would overflow.
    #[error("payout to account {0} is impossible")]
    Payout(u64),
}

impl ComputeRule {
    /// The rule's name in kebab case, as APIs report it (`result-too-late`).
    pub fn name(self) -> &'static str {
        match self {
            ComputeRule::BadTerms(_) => "bad-terms",
            ComputeRule::UnsignedDeal { .. } => "unsigned-deal",
            ComputeRule::Overdrawn { .. } => "overdrawn",
            ComputeRule::DealExists(_) => "deal-exists",
            ComputeRule::UnknownDeal(_) => "unknown-deal",
            ComputeRule::AlreadySettled(_) => "already-settled",
            ComputeRule::ResultByNonParty { .. } => "result-by-non-party",
            ComputeRule::ResultRecorded { .. } => "result-recorded",
            ComputeRule::ResultTooLate => "result-too-late",
            ComputeRule::ZeroResult => "zero-result",
            ComputeRule::NoSuchNode { .. } => "no-such-node",
            ComputeRule::MediationRequired => "mediation-required",
            ComputeRule::TooEarly => "too-early",
            ComputeRule::MediatorQuorum => "mediator-quorum",
            ComputeRule::UnsignedRequest => "unsigned-request",
            ComputeRule::AlreadyMediating(_) => "already-mediating",
            ComputeRule::VerdictRequired(_) => "verdict-required",
            ComputeRule::NotMediating(_) => "not-mediating",
            ComputeRule::AlreadyDecided(_) => "already-decided",
            ComputeRule::Payout(_) => "payout",
        }
    }
}

/// Why a deal, a result or a settlement is refused.
#[derive(Debug, ThisError, Clone, PartialEq, Eq)]
pub enum ComputeError {
    /// A rule of deals, results or settlements is broken.
    #[error("compute settlement: {0}")]
    Rule(ComputeRule),
    /// Input that does not fit the circuit or the ledger (a deal of another
    /// node count, a deal that is not open, no committee given).
    #[error("compute settlement: {0}")]
    Unfit(String),
    /// More deals than the circuit has slots.
    #[error("{len} deals for a circuit of {slots} slots")]
    TooManyDeals {
        /// Deals given.
        len: usize,
        /// Slots of the circuit.
        slots: usize,
    },
    /// A verdict with more attestations than the circuit's mediator slots.
    #[error("{len} mediator attestations for a circuit of {slots} mediator slots")]
    TooManyAttestations {
        /// Attestations given.
        len: usize,
        /// Mediator slots of the circuit.
        slots: usize,
    },
    /// A malformed committee.
    #[error(transparent)]
    Finality(#[from] crate::finality::FinalityError),
    /// A malformed key, index, tree or value.
    #[error(transparent)]
    Primitive(#[from] crate::primitives::Error),
}

impl ComputeError {
    /// This error, said of `field` when it is about a malformed value.
    pub fn at_field(self, field: &str) -> Self {
        match self {
            ComputeError::Primitive(e) => ComputeError::Primitive(e.at(field)),
            other => other,
        }
    }
}

fn rule(r: ComputeRule) -> ComputeError {
    ComputeError::Rule(r)
}

impl Deal {
    /// `Poseidon` over the terms, chained by sixes:
    /// `h₁ = P(DEAL_DOMAIN, id, client, job, price, deposit)`,
    /// `h₂ = P(h₁, collateral, mediators, fee, deadline, k)`, then each node
    /// folded in with `P(h, node)`.
    pub fn hash(&self) -> Fr {
        let p = |v: &[Fr]| poseidon(v).expect("Poseidon arities 2 and 6 have parameters");
        let h1 = p(&[
            Fr::from(DEAL_DOMAIN),
            Fr::from(self.id),
            Fr::from(self.client),
            self.job,
            Fr::from(self.price),
            Fr::from(self.deposit),
        ]);
        let h2 = p(&[
            h1,
            Fr::from(self.collateral),
            self.mediators,
            Fr::from(self.mediation_fee),
            Fr::from(self.deadline),
            Fr::from(self.nodes.len() as u64),
        ]);
        self.nodes.iter().fold(h2, |h, n| p(&[h, Fr::from(*n)]))
    }

    /// The terms must make every settlement payable: `k ≥ 1` distinct nodes
    /// other than the client, `deposit ≥ k·price + fee`, `collateral ≥ fee`.
    pub fn check_terms(&self) -> std::result::Result<(), ComputeRule> {
        let k = self.nodes.len() as u128;
        if k == 0 {
            return Err(ComputeRule::BadTerms("no compute nodes"));
        }
        let mut sorted = self.nodes.clone();
        sorted.sort_unstable();
        sorted.dedup();
        if sorted.len() != self.nodes.len() || sorted.contains(&self.client) {
            return Err(ComputeRule::BadTerms("nodes must be distinct and not the client"));
        }
        if u128::from(self.deposit) < k * u128::from(self.price) + u128::from(self.mediation_fee) {
            return Err(ComputeRule::BadTerms("deposit below k·price + mediation fee"));
        }
        if self.collateral < self.mediation_fee {
            return Err(ComputeRule::BadTerms("collateral below the mediation fee"));
        }
        Ok(())
    }
}

/// The message a node signs for its result.
pub fn result_message(deal: &Deal, result: Fr) -> Fr {
    poseidon(&[Fr::from(RESULT_DOMAIN), deal.hash(), result]).expect("Poseidon(3)")
}

/// The commitment mediators sign (as a data statement) for a verdict.
pub fn verdict_commitment(deal: &Deal, verdict: Fr) -> Fr {
    poseidon(&[Fr::from(VERDICT_DOMAIN), deal.hash(), verdict]).expect("Poseidon(3)")
}

/// The message a client signs to call for mediation of a deal.
pub fn mediation_message(deal: &Deal) -> Fr {
    hash2(Fr::from(MEDIATION_DOMAIN), deal.hash())
}

/// A client's call for mediation: after the results (all on the record, or
/// the deadline passed) and before payment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MediationRequest {
    /// The deal.
    pub deal_id: u64,
    /// The client's signature over [`mediation_message`].
    pub signature: Signature,
}

impl MediationRequest {
    /// The client's request for `deal`.
    pub fn sign(key: &SecretKey, deal: &Deal) -> Self {
        Self { deal_id: deal.id, signature: key.sign(mediation_message(deal)) }
    }
}

/// A node's result for a deal, submitted to be put on the record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResultSubmission {
    /// The deal.
    pub deal_id: u64,
    /// The node's position in the deal (0 to k − 1).
    pub node: usize,
    /// The result and the node's signature over it.
    pub signed: SignedResult,
}

/// A node's signed result.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SignedResult {
    /// The result hash.
    pub result: Fr,
    /// The node's signature over [`result_message`].
    pub signature: Signature,
}

impl SignedResult {
    /// Signs `result` for `deal`.
    pub fn sign(key: &SecretKey, deal: &Deal, result: Fr) -> Self {
        Self { result, signature: key.sign(result_message(deal, result)) }
    }
}

/// A mediator committee's verdict on a deal in mediation: the correct
/// result and the attestations, a transaction of its own that puts the
/// verdict on the deal's record (settlement then reads it from there).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// The deal.
    pub deal_id: u64,
    /// The correct result hash (not 0).
    pub result: Fr,
    /// Attestations over `Statement::Data(verdict_commitment(deal, result))`.
    pub attestations: Vec<Attestation>,
}

/// Which nodes' results matched, and whether mediation decided it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// One entry per node.
    pub matched: Vec<bool>,
    /// Whether a verdict was given.
    pub mediated: bool,
}

/// What a settlement pays.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Payouts {
    /// To the client.
    pub client: u64,
    /// To each node, in deal order.
    pub nodes: Vec<u64>,
    /// To the treasury.
    pub treasury: u64,
    /// Burned.
    pub burned: u64,
}

impl Payouts {
    /// Everything paid out or burned: always the deposit plus the collaterals.
    pub fn total(&self) -> u128 {
        u128::from(self.client)
            + self.nodes.iter().map(|n| u128::from(*n)).sum::<u128>()
            + u128::from(self.treasury)
            + u128::from(self.burned)
    }
}

/// The payout rule (see the module docs), for terms that passed
/// [`Deal::check_terms`].
pub fn payouts(deal: &Deal, outcome: &Outcome, rules: &SettlementRules) -> Payouts {
    let k = deal.nodes.len() as u64;
    let matched = outcome.matched.iter().filter(|m| **m).count() as u64;
    let faulty = k - matched;
    let nodes =
        outcome.matched.iter().map(|m| if *m { deal.price + deal.collateral } else { 0 }).collect();
    let paid = matched * deal.price;
    if !outcome.mediated {
        return Payouts { client: deal.deposit - paid, nodes, treasury: 0, burned: 0 };
    }
    if faulty == 0 {
        // Mediation found nothing wrong: the client pays for it.
        return Payouts {
            client: deal.deposit - paid - deal.mediation_fee,
            nodes,
            treasury: deal.mediation_fee,
            burned: 0,
        };
    }
    let forfeited = u128::from(faulty) * u128::from(deal.collateral);
    let rest = forfeited - u128::from(deal.mediation_fee);
    let (num, den) = rules.client_share;
    let compensation = rest * u128::from(num) / u128::from(den);
    let remainder = rest - compensation;
    let (to_treasury, burned) = if rules.burn_remainder { (0, remainder) } else { (remainder, 0) };
    // Every amount is at most deposit + k·collateral, checked to fit u64 on opening.
    Payouts {
        client: deal.deposit - paid + compensation as u64,
        nodes,
        treasury: deal.mediation_fee + to_treasury as u64,
        burned: burned as u64,
    }
}

/// A deal's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DealStatus {
    /// Funds locked, not settled.
    Open,
    /// Paid out.
    Settled,
    /// Funds locked; the client called for mediation, and only a verdict
    /// decides it.
    Mediating,
    /// Funds locked; the mediators' verdict is on the record, and the deal
    /// settles by it.
    Decided,
}

impl DealStatus {
    pub(crate) fn code(self) -> u64 {
        match self {
            DealStatus::Open => 1,
            DealStatus::Settled => 2,
            DealStatus::Mediating => 3,
            DealStatus::Decided => 4,
        }
    }
}

/// The commitment to a deal's recorded results: `r₀ = 0`, `rᵢ₊₁ =
/// Poseidon(rᵢ, eᵢ)` over the k entries, where `eᵢ` is node i's result on
/// the record, 0 while it has none.
pub fn results_commitment(entries: &[Fr]) -> Fr {
    entries.iter().fold(Fr::zero(), |r, e| hash2(r, *e))
}

/// The record's entries: each node's result, 0 for none.
pub(crate) fn entries(results: &[Option<Fr>]) -> Vec<Fr> {
    results.iter().map(|r| r.unwrap_or(Fr::zero())).collect()
}

/// A deal's leaf in the deal tree, `Poseidon(deal hash, status, results
/// commitment, verdict)` (status 1 open, 2 settled, 3 in mediation, 4
/// decided; the verdict 0 until the mediators' is recorded; an empty leaf
/// is 0). The results and the verdict stay in the leaf once settled: the
/// record of who answered what and what the mediators found.
pub fn deal_leaf(deal_hash: Fr, status: DealStatus, results: &[Option<Fr>], verdict: Fr) -> Fr {
    let results = results_commitment(&entries(results));
    poseidon(&[deal_hash, Fr::from(status.code()), results, verdict]).expect("Poseidon(4)")
}

/// Accounts (the transfer module's tree) and the deals opened on them, in a
/// second sparse Merkle tree indexed by deal id, with the member tree's root
/// that deals carry through. The ledger's root is [`LedgerRoots::root`] over
/// the three.
#[derive(Clone, Debug)]
pub struct Ledger {
    /// The accounts.
    pub accounts: State,
    /// The member tree's root, which no deal moves (0: a ledger without
    /// members).
    pub members_root: Fr,
    deals: BTreeMap<u64, (Deal, DealStatus)>,
    /// Each deal's results on the record, one entry per node.
    results: BTreeMap<u64, Vec<Option<Fr>>>,
    /// Each decided deal's verdict.
    verdicts: BTreeMap<u64, Fr>,
    deal_tree: SparseMerkleTree,
    /// Burned so far.
    pub burned: u128,
}

impl Ledger {
    /// A ledger over `accounts` with a deal tree of `deal_depth`.
    pub fn new(accounts: State, deal_depth: usize) -> Result<Self> {
        Ok(Self {
            accounts,
            members_root: Fr::from(0u64),
            deals: BTreeMap::new(),
            results: BTreeMap::new(),
            verdicts: BTreeMap::new(),
            deal_tree: SparseMerkleTree::new(deal_depth)?,
            burned: 0,
        })
    }

    /// A ledger as a store kept it: `accounts`, and each deal with its
    /// status, its record (one entry per node) and its verdict, with
    /// `burned` so far. Each deal's leaf is rehashed from what is given;
    /// a record of the wrong length, or a decided deal without a verdict,
    /// is refused, naming the deal.
    pub fn restore(
        accounts: State,
        deal_depth: usize,
        deals: impl IntoIterator<Item = (Deal, DealStatus, Vec<Option<Fr>>, Option<Fr>)>,
        burned: u128,
    ) -> Result<Self> {
        let mut ledger = Self::new(accounts, deal_depth)?;
        ledger.burned = burned;
        for (deal, status, results, verdict) in deals {
            let id = deal.id;
            if results.len() != deal.nodes.len() {
                return Err(ComputeError::Unfit(format!(
                    "deal {id}: {} results recorded for {} nodes",
                    results.len(),
                    deal.nodes.len()
                )));
            }
            match verdict {
                Some(v) => {
                    ledger.verdicts.insert(id, v);
                }
                None if status == DealStatus::Decided => {
                    return Err(ComputeError::Unfit(format!(
                        "deal {id}: decided without a verdict"
                    )))
                }
                None => {}
            }
            ledger.put_deal(&deal, status, results)?;
        }
        Ok(ledger)
    }

    /// The ids of every deal on the ledger, in order.
    pub fn deal_ids(&self) -> impl Iterator<Item = u64> + '_ {
        self.deals.keys().copied()
    }

    /// The ledger's parts.
    pub fn roots(&self) -> LedgerRoots {
        LedgerRoots {
            accounts: self.accounts.root().0,
            deals: self.deal_tree.root(),
            members: self.members_root,
        }
    }

    /// The ledger's root.
    pub fn root(&self) -> Fr {
        self.roots().root()
    }

    /// The deal tree.
    pub fn deal_tree(&self) -> &SparseMerkleTree {
        &self.deal_tree
    }

    /// The sum of all balances plus what open deals hold.
    pub fn total_value(&self) -> u128 {
        let balances: u128 = self.accounts.accounts().values().map(|a| u128::from(a.balance)).sum();
        let locked: u128 = self
            .deals
            .values()
            .filter(|(_, s)| *s != DealStatus::Settled)
            .map(|(d, _)| u128::from(d.deposit) + d.nodes.len() as u128 * u128::from(d.collateral))
            .sum();
        balances + locked
    }

    /// A deal and its status.
    pub fn deal(&self, id: u64) -> Option<&(Deal, DealStatus)> {
        self.deals.get(&id)
    }

    /// A deal's results on the record: one entry per node, `None` where
    /// the node has submitted none.
    pub fn results(&self, id: u64) -> Option<&[Option<Fr>]> {
        self.results.get(&id).map(Vec::as_slice)
    }

    /// The mediators' verdict on deal `id`, once recorded.
    pub fn verdict(&self, id: u64) -> Option<Fr> {
        self.verdicts.get(&id).copied()
    }

    /// `deal`'s verdict as its leaf holds it: 0 until recorded.
    pub(crate) fn verdict_of(&self, deal: &Deal) -> Fr {
        self.verdict(deal.id).unwrap_or(Fr::zero())
    }

    /// `deal`'s record, one entry per node (every deal has one from its
    /// opening; an empty one otherwise).
    pub(crate) fn record_of(&self, deal: &Deal) -> Vec<Option<Fr>> {
        match self.results.get(&deal.id) {
            Some(r) if r.len() == deal.nodes.len() => r.clone(),
            _ => vec![None; deal.nodes.len()],
        }
    }

    fn put_deal(
        &mut self,
        deal: &Deal,
        status: DealStatus,
        results: Vec<Option<Fr>>,
    ) -> Result<()> {
        let verdict = self.verdict_of(deal);
        self.deal_tree.set(deal.id, deal_leaf(deal.hash(), status, &results, verdict))?;
        self.deals.insert(deal.id, (deal.clone(), status));
        self.results.insert(deal.id, results);
        Ok(())
    }

    /// Records the client's call for mediation of an open deal at time
    /// `now`: after the results (every node's on the record, or `now` at or
    /// after the deadline), signed by the client's account key over
    /// [`mediation_message`]. The deal then settles only by a verdict.
    pub fn request_mediation(&mut self, r: &MediationRequest, now: u64) -> Result<()> {
        let w = self.check_mediation(r, now)?;
        self.write(w)
    }

    /// [`Ledger::request_mediation`]'s checks: what it would write.
    pub fn check_mediation(&self, r: &MediationRequest, now: u64) -> Result<DealWrites> {
        let id = r.deal_id;
        let (deal, status) =
            self.deals.get(&id).cloned().ok_or(rule(ComputeRule::UnknownDeal(id)))?;
        match status {
            DealStatus::Settled => return Err(rule(ComputeRule::AlreadySettled(id))),
            DealStatus::Mediating | DealStatus::Decided => {
                return Err(rule(ComputeRule::AlreadyMediating(id)))
            }
            DealStatus::Open => {}
        }
        let results = self.record_of(&deal);
        if results.iter().any(Option::is_none) && now < deal.deadline {
            return Err(rule(ComputeRule::TooEarly));
        }
        let key = self.accounts.account(deal.client).map(|a| a.public_key);
        if key.is_none_or(|k| k.verify(mediation_message(&deal), &r.signature).is_err()) {
            return Err(rule(ComputeRule::UnsignedRequest));
        }
        Ok(DealWrites::of(deal, DealStatus::Mediating, results))
    }

    /// Puts a node's result on the record at time `now`: the deal is open,
    /// `now` is before its deadline, the node has no result recorded yet,
    /// the result is not 0, and the node's account key signed it over
    /// [`result_message`].
    pub fn submit(&mut self, s: &ResultSubmission, now: u64) -> Result<()> {
        let w = self.check_submit(s, now)?;
        self.write(w)
    }

    /// [`Ledger::submit`]'s checks: what it would write.
    pub fn check_submit(&self, s: &ResultSubmission, now: u64) -> Result<DealWrites> {
        let (deal, status) =
            self.deals.get(&s.deal_id).cloned().ok_or(rule(ComputeRule::UnknownDeal(s.deal_id)))?;
        match status {
            DealStatus::Settled => return Err(rule(ComputeRule::AlreadySettled(s.deal_id))),
            DealStatus::Mediating | DealStatus::Decided => {
                return Err(rule(ComputeRule::AlreadyMediating(s.deal_id)))
            }
            DealStatus::Open => {}
        }
        let node = s.node;
        let index = *deal.nodes.get(node).ok_or(rule(ComputeRule::NoSuchNode { node }))?;
        if now >= deal.deadline {
            return Err(rule(ComputeRule::ResultTooLate));
        }
        let mut results = self.record_of(&deal);
        if results[node].is_some() {
            return Err(rule(ComputeRule::ResultRecorded { node }));
        }
        if s.signed.result.is_zero() {
            return Err(rule(ComputeRule::ZeroResult));
        }
        let key = self.accounts.account(index).map(|a| a.public_key);
        let message = result_message(&deal, s.signed.result);
        if key.is_none_or(|k| k.verify(message, &s.signed.signature).is_err()) {
            return Err(rule(ComputeRule::ResultByNonParty { node }));
        }
        results[node] = Some(s.signed.result);
        Ok(DealWrites::of(deal, status, results))
    }

    /// Writes what a rule's check worked out. Every index in `w` was
    /// checked against its tree by the check, so nothing here fails
    /// halfway.
    pub fn write(&mut self, w: DealWrites) -> Result<()> {
        let (deal, status, results) = w.deal;
        if let Some(v) = w.verdict {
            self.verdicts.insert(deal.id, v);
        }
        self.put_deal(&deal, status, results)?;
        for (index, account) in w.accounts {
            self.accounts.set_account(index, account)?;
        }
        self.burned += u128::from(w.burned);
        Ok(())
    }

    /// Opens `deal`: checks its terms and the signatures of the client and
    /// every node (`signatures[0]` the client's, then the nodes' in order),
    /// then locks the deposit and the collaterals.
    pub fn open(&mut self, deal: &Deal, signatures: &[Signature]) -> Result<()> {
        let w = self.check_open(deal, signatures)?;
        self.write(w)
    }

    /// [`Ledger::open`]'s checks: what it would write.
    pub fn check_open(&self, deal: &Deal, signatures: &[Signature]) -> Result<DealWrites> {
        deal.check_terms().map_err(rule)?;
        if deal.id >> self.deal_tree.depth().min(63) != 0 {
            return Err(ComputeError::Unfit(format!(
                "deal {}: ids are below 2^{}",
                deal.id,
                self.deal_tree.depth()
            )));
        }
        if self.deals.contains_key(&deal.id) {
            return Err(rule(ComputeRule::DealExists(deal.id)));
        }
        let total =
            u128::from(deal.deposit) + deal.nodes.len() as u128 * u128::from(deal.collateral);
        if total > u128::from(u64::MAX) {
            return Err(rule(ComputeRule::BadTerms("deposit plus collaterals exceed 2^64 - 1")));
        }
        let parties: Vec<u64> =
            std::iter::once(deal.client).chain(deal.nodes.iter().copied()).collect();
        let message = deal.hash();
        for (party, index) in parties.iter().enumerate() {
            let signed = match (self.accounts.account(*index), signatures.get(party)) {
                (Some(a), Some(sig)) => a.public_key.verify(message, sig).is_ok(),
                _ => false,
            };
            if !signed {
                return Err(rule(ComputeRule::UnsignedDeal { party }));
            }
        }
        let mut w = DealWrites::of(deal.clone(), DealStatus::Open, vec![None; deal.nodes.len()]);
        w.debit(&self.accounts, deal.client, deal.deposit)?;
        for node in &deal.nodes {
            w.debit(&self.accounts, *node, deal.collateral)?;
        }
        Ok(w)
    }

    /// Records the mediators' verdict on a deal in mediation: `committee`
    /// is the deal's (its root the deal's `mediators`), a `threshold` quorum
    /// of it signed `Statement::Data(verdict_commitment(deal, result))`,
    /// and the result is not 0. The deal then settles by the verdict.
    pub fn decide(
        &mut self,
        v: &Verdict,
        committee: &ValidatorSet,
        threshold: Threshold,
    ) -> Result<()> {
        let w = self.check_decide(v, committee, threshold)?;
        self.write(w)
    }

    /// [`Ledger::decide`]'s checks: what it would write.
    pub fn check_decide(
        &self,
        v: &Verdict,
        committee: &ValidatorSet,
        threshold: Threshold,
    ) -> Result<DealWrites> {
        let id = v.deal_id;
        let (deal, status) =
            self.deals.get(&id).cloned().ok_or(rule(ComputeRule::UnknownDeal(id)))?;
        match status {
            DealStatus::Settled => return Err(rule(ComputeRule::AlreadySettled(id))),
            DealStatus::Open => return Err(rule(ComputeRule::NotMediating(id))),
            DealStatus::Decided => return Err(rule(ComputeRule::AlreadyDecided(id))),
            DealStatus::Mediating => {}
        }
        if v.result.is_zero() {
            return Err(rule(ComputeRule::ZeroResult));
        }
        if committee.root() != deal.mediators {
            return Err(rule(ComputeRule::MediatorQuorum));
        }
        let statement = Statement::Data(verdict_commitment(&deal, v.result));
        let slots = v.attestations.len().max(1);
        check_quorum(committee, &statement, &v.attestations, threshold, slots)
            .map_err(|_| rule(ComputeRule::MediatorQuorum))?;
        let results = self.record_of(&deal);
        Ok(DealWrites {
            verdict: Some(v.result),
            ..DealWrites::of(deal, DealStatus::Decided, results)
        })
    }

    /// Settles deal `id` at time `now` from its record: a node with a
    /// recorded result counts as answered, whatever anyone says; one with
    /// none counts as silent, which is allowed only from the deadline on.
    /// An open deal settles when every result is in and all agree; a deal
    /// in mediation only once decided; a decided one by its recorded
    /// verdict. Returns the payouts; the ledger is unchanged on error.
    pub fn settle(&mut self, id: u64, now: u64, rules: &SettlementRules) -> Result<Payouts> {
        let (w, pay) = self.check_settle(id, now, rules)?;
        self.write(w)?;
        Ok(pay)
    }

    /// [`Ledger::settle`]'s checks: what it would write, and the payouts.
    pub fn check_settle(
        &self,
        id: u64,
        now: u64,
        rules: &SettlementRules,
    ) -> Result<(DealWrites, Payouts)> {
        let (deal, status) =
            self.deals.get(&id).cloned().ok_or(rule(ComputeRule::UnknownDeal(id)))?;
        let results = self.record_of(&deal);
        let outcome = match status {
            DealStatus::Settled => return Err(rule(ComputeRule::AlreadySettled(id))),
            DealStatus::Mediating => return Err(rule(ComputeRule::VerdictRequired(id))),
            _ if results.iter().any(Option::is_none) && now < deal.deadline => {
                return Err(rule(ComputeRule::TooEarly))
            }
            DealStatus::Open => {
                let first = results[0];
                let agree = first.is_some() && results.iter().all(|r| *r == first);
                if !agree {
                    return Err(rule(ComputeRule::MediationRequired));
                }
                Outcome { matched: vec![true; results.len()], mediated: false }
            }
            DealStatus::Decided => {
                let verdict = self.verdict_of(&deal);
                let matched = results.iter().map(|r| *r == Some(verdict)).collect();
                Outcome { matched, mediated: true }
            }
        };
        let pay = payouts(&deal, &outcome, rules);
        debug_assert_eq!(
            pay.total(),
            u128::from(deal.deposit) + deal.nodes.len() as u128 * u128::from(deal.collateral)
        );
        let mut w = DealWrites::of(deal.clone(), DealStatus::Settled, results);
        w.credit(&self.accounts, deal.client, pay.client)?;
        for (node, amount) in deal.nodes.iter().zip(&pay.nodes) {
            w.credit(&self.accounts, *node, *amount)?;
        }
        w.credit(&self.accounts, rules.treasury, pay.treasury)?;
        w.burned = pay.burned;
        Ok((w, pay))
    }
}

/// What one of the ledger's rules writes, worked out by its check against
/// the ledger before anything is written: a rule that fails leaves the
/// ledger as it was without copying it, and a node can check a
/// transaction, store it, and only then write it.
#[derive(Clone, Debug)]
pub struct DealWrites {
    deal: (Deal, DealStatus, Vec<Option<Fr>>),
    verdict: Option<Fr>,
    accounts: Vec<(u64, Account)>,
    burned: u64,
}

impl DealWrites {
    fn of(deal: Deal, status: DealStatus, results: Vec<Option<Fr>>) -> Self {
        Self { deal: (deal, status, results), verdict: None, accounts: Vec::new(), burned: 0 }
    }

    /// The accounts it writes, with their new values.
    pub fn accounts(&self) -> impl Iterator<Item = (u64, &Account)> {
        self.accounts.iter().map(|(i, a)| (*i, a))
    }

    /// Account `index` as these writes leave it so far (or as `state` has it).
    fn account(&self, state: &State, index: u64) -> Option<Account> {
        let written = self.accounts.iter().rev().find(|(i, _)| *i == index);
        written.map(|(_, a)| *a).or_else(|| state.account(index).copied())
    }

    fn put(&mut self, index: u64, account: Account) {
        match self.accounts.iter_mut().find(|(i, _)| *i == index) {
            Some(slot) => slot.1 = account,
            None => self.accounts.push((index, account)),
        }
    }

    fn debit(&mut self, state: &State, index: u64, amount: u64) -> Result<()> {
        let overdrawn = || rule(ComputeRule::Overdrawn { account: index });
        let account = self.account(state, index).ok_or_else(overdrawn)?;
        let balance = account.balance.checked_sub(amount).ok_or_else(overdrawn)?;
        self.put(index, Account { balance, ..account });
        Ok(())
    }

    fn credit(&mut self, state: &State, index: u64, amount: u64) -> Result<()> {
        let account = self.account(state, index).ok_or(rule(ComputeRule::Payout(index)))?;
        let balance =
            account.balance.checked_add(amount).ok_or(rule(ComputeRule::Payout(index)))?;
        self.put(index, Account { balance, ..account });
        Ok(())
    }
}

/// Opens `deals` (each with its signatures: the client's, then the nodes')
/// under the native rules and returns the ledger after them and the witness
/// for a circuit of `slots` slots and `k` nodes per deal.
pub fn open_batch(
    ledger: &Ledger,
    deals: &[(Deal, Vec<Signature>)],
    k: usize,
    slots: usize,
) -> Result<(Ledger, OpenWitness)> {
    let mut next = ledger.clone();
    for (deal, signatures) in deals {
        if deal.nodes.len() != k {
            return Err(ComputeError::Unfit(format!("the circuit takes deals of {k} nodes")));
        }
        next.open(deal, signatures)?;
    }
    let witness = build_open_witness_unchecked(ledger, deals, k, slots)?;
    debug_assert_eq!(witness.new_root, next.root());
    Ok((next, witness))
}

/// The settlement of one deal, as a prover submits it: the deal alone.
/// The results and any verdict are not part of it: settlement reads them
/// from the record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Settlement {
    /// The deal.
    pub deal_id: u64,
}

/// Records the mediation `requests` at time `now` under the native rules
/// and returns the ledger after them and the witness for a circuit of
/// `shape`.
pub fn mediate_batch(
    ledger: &Ledger,
    requests: &[MediationRequest],
    shape: &MediationShape,
    now: u64,
) -> Result<(Ledger, MediationWitness)> {
    let mut next = ledger.clone();
    for r in requests {
        let k = next.deal(r.deal_id).map(|(d, _)| d.nodes.len());
        if k.is_some_and(|k| k != shape.k) {
            return Err(ComputeError::Unfit(format!(
                "the circuit takes deals of {} nodes",
                shape.k
            )));
        }
        next.request_mediation(r, now)?;
    }
    let witness = build_mediation_witness_unchecked(ledger, requests, shape, now)?;
    debug_assert_eq!(witness.new_root, next.root());
    Ok((next, witness))
}

/// Puts `submissions` on the record at time `now` under the native rules
/// and returns the ledger after them and the witness for a circuit of
/// `shape`.
pub fn submit_batch(
    ledger: &Ledger,
    submissions: &[ResultSubmission],
    shape: &ResultShape,
    now: u64,
) -> Result<(Ledger, ResultWitness)> {
    let mut next = ledger.clone();
    for s in submissions {
        let k = next.deal(s.deal_id).map(|(d, _)| d.nodes.len());
        if k.is_some_and(|k| k != shape.k) {
            return Err(ComputeError::Unfit(format!(
                "the circuit takes deals of {} nodes",
                shape.k
            )));
        }
        next.submit(s, now)?;
    }
    let witness = build_result_witness_unchecked(ledger, submissions, shape, now)?;
    debug_assert_eq!(witness.new_root, next.root());
    Ok((next, witness))
}

/// The committee named by the deal, or (when none is) the first given, which
/// the quorum rule then refuses for a verdict.
pub(super) fn committee_for<'a>(
    committees: &'a [ValidatorSet],
    deal: &Deal,
) -> Result<&'a ValidatorSet> {
    committees
        .iter()
        .find(|c| c.root() == deal.mediators)
        .or(committees.first())
        .ok_or_else(|| ComputeError::Unfit("no mediator committee given".into()))
}

/// The deal `id` of `ledger` if its node count is the circuit's `k`.
fn deal_of_k(ledger: &Ledger, id: u64, k: usize) -> Result<Deal> {
    let (deal, _) = ledger
        .deal(id)
        .cloned()
        .ok_or_else(|| ComputeError::Unfit(format!("deal {id} is not open")))?;
    if deal.nodes.len() != k {
        return Err(ComputeError::Unfit(format!("the circuit takes deals of {k} nodes")));
    }
    Ok(deal)
}

/// Records `verdicts` under the native rules (each deal's committee looked
/// up among `committees` by its root) and returns the ledger after them and
/// the witness for a circuit of `shape`.
pub fn decide_batch(
    ledger: &Ledger,
    verdicts: &[Verdict],
    committees: &[ValidatorSet],
    shape: &VerdictShape,
) -> Result<(Ledger, VerdictWitness)> {
    let mut next = ledger.clone();
    for v in verdicts {
        let deal = deal_of_k(&next, v.deal_id, shape.k)?;
        if v.attestations.len() > shape.mediator_slots {
            return Err(ComputeError::TooManyAttestations {
                len: v.attestations.len(),
                slots: shape.mediator_slots,
            });
        }
        let committee = committee_for(committees, &deal)?;
        next.decide(v, committee, shape.threshold)?;
    }
    let witness = build_verdict_witness_unchecked(ledger, verdicts, committees, shape)?;
    debug_assert_eq!(witness.new_root, next.root());
    Ok((next, witness))
}

/// Settles a batch under the native rules and returns the ledger after it
/// and the witness.
pub fn settle_batch(
    ledger: &Ledger,
    settlements: &[Settlement],
    shape: &SettleShape,
    now: u64,
) -> Result<(Ledger, SettleWitness)> {
    let mut next = ledger.clone();
    for s in settlements {
        deal_of_k(&next, s.deal_id, shape.k)?;
        next.settle(s.deal_id, now, &shape.rules)?;
    }
    let witness = build_settle_witness_unchecked(ledger, settlements, shape, now)?;
    debug_assert_eq!(witness.new_root, next.root());
    Ok((next, witness))
}
