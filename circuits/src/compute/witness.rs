//! The witnesses of the opening, result, mediation, verdict and settlement
//! circuits,
//! and the builders that make them without checking any rule (what a
//! cheating prover would force in).

use super::rules::{committee_for, entries};
use super::{
    deal_leaf, mediation_message, payouts, result_message, verdict_commitment, ComputeError, Deal,
    DealStatus, Ledger, MediationRequest, MediationShape, Outcome, Result, ResultShape,
    ResultSubmission, SettleShape, Settlement, Verdict, VerdictShape,
};
use crate::finality::{
    build_quorum_witness_unchecked, QuorumWitness, SignerSlot, Statement, StatementKind, Threshold,
    ValidatorSet,
};
use crate::ledger::LedgerRoots;
use crate::primitives::babyjubjub::Point;
use crate::primitives::eddsa::Signature;
use crate::primitives::poseidon::{hash2, poseidon};
use crate::Fr;
use ark_ff::{One, Zero};
use std::collections::BTreeMap;

/// One party of a deal in a slot: the account it debits and its signature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartySlot {
    /// Account index.
    pub index: u64,
    /// Account key.
    pub public_key: Point,
    /// Balance before the debit.
    pub balance: Fr,
    /// Account nonce.
    pub nonce: Fr,
    /// Merkle path before the debit.
    pub path: Vec<Fr>,
    /// Signature over the deal hash.
    pub sig_r8: Point,
    /// Signature response.
    pub sig_s: Fr,
}

/// One slot: a deal to open, or unused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenSlot {
    /// Whether the slot opens a deal.
    pub used: bool,
    /// The deal's terms.
    pub deal: Deal,
    /// The client, then each node.
    pub parties: Vec<PartySlot>,
    /// The deal leaf's path in the deal tree before opening.
    pub deal_path: Vec<Fr>,
}

/// The witness of an opening batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenWitness {
    /// Account tree depth.
    pub depth: usize,
    /// Deal tree depth.
    pub deal_depth: usize,
    /// Nodes per deal (fixed at setup).
    pub k: usize,
    /// Accounts root before.
    pub accounts_root: Fr,
    /// Deals root before.
    pub deals_root: Fr,
    /// Members root, carried through.
    pub members_root: Fr,
    /// Ledger root before (public).
    pub old_root: Fr,
    /// Ledger root after (public).
    pub new_root: Fr,
    /// Digest of the opened deals (public).
    pub digest: Fr,
    /// Slots.
    pub slots: Vec<OpenSlot>,
}

impl OpenWitness {
    /// The ledger's parts before the batch.
    pub fn before(&self) -> LedgerRoots {
        LedgerRoots {
            accounts: self.accounts_root,
            deals: self.deals_root,
            members: self.members_root,
        }
    }

    /// An all-unused witness of the given shape, for key generation.
    pub fn empty(depth: usize, deal_depth: usize, k: usize, slots: usize) -> Self {
        Self {
            depth,
            deal_depth,
            k,
            accounts_root: Fr::zero(),
            deals_root: Fr::zero(),
            members_root: Fr::zero(),
            old_root: Fr::zero(),
            new_root: Fr::zero(),
            digest: Fr::zero(),
            slots: (0..slots).map(|_| unused_open_slot(depth, deal_depth, k)).collect(),
        }
    }
}

fn unused_party(depth: usize) -> PartySlot {
    let identity = Point::new_unchecked(Fr::zero(), Fr::one());
    PartySlot {
        index: 0,
        public_key: identity,
        balance: Fr::zero(),
        nonce: Fr::zero(),
        path: vec![Fr::zero(); depth],
        sig_r8: identity,
        sig_s: Fr::zero(),
    }
}

fn unused_open_slot(depth: usize, deal_depth: usize, k: usize) -> OpenSlot {
    OpenSlot {
        used: false,
        deal: empty_deal(k),
        parties: (0..=k).map(|_| unused_party(depth)).collect(),
        deal_path: vec![Fr::zero(); deal_depth],
    }
}

/// The witness a prover would build, checking nothing: balances are field
/// elements (a debit may go negative), unknown accounts read as empty, a
/// missing signature is the identity.
pub fn build_open_witness_unchecked(
    ledger: &Ledger,
    deals: &[(Deal, Vec<Signature>)],
    k: usize,
    slots: usize,
) -> Result<OpenWitness> {
    if deals.len() > slots {
        return Err(ComputeError::TooManyDeals { len: deals.len(), slots });
    }
    let depth = ledger.accounts.depth();
    let deal_depth = ledger.deal_tree().depth();
    let identity = Point::new_unchecked(Fr::zero(), Fr::one());
    let mut accounts = ledger.accounts.tree().clone();
    let mut ledger_accounts: BTreeMap<u64, (Point, Fr, Fr)> = ledger
        .accounts
        .accounts()
        .iter()
        .map(|(i, a)| (*i, (a.public_key.0, Fr::from(a.balance), Fr::from(a.nonce))))
        .collect();
    let mut deal_tree = ledger.deal_tree().clone();
    let (accounts_root, deals_root) = (accounts.root(), deal_tree.root());
    let mut digest = Fr::zero();
    let mut out = Vec::with_capacity(slots);
    for (deal, signatures) in deals {
        if deal.nodes.len() != k {
            return Err(ComputeError::Unfit(format!("the circuit takes deals of {k} nodes")));
        }
        let hash = deal.hash();
        let mut parties = Vec::with_capacity(k + 1);
        let indices = std::iter::once(deal.client).chain(deal.nodes.iter().copied());
        let amounts = std::iter::once(deal.deposit).chain(std::iter::repeat(deal.collateral));
        for (party, (index, amount)) in indices.zip(amounts).enumerate() {
            let (key, balance, nonce) =
                ledger_accounts.get(&index).copied().unwrap_or((identity, Fr::zero(), Fr::zero()));
            let path = accounts.proof(index)?.siblings;
            let after = balance - Fr::from(amount);
            let leaf = poseidon(&[key.x, key.y, after, nonce]).expect("Poseidon(4)");
            accounts.set(index, leaf)?;
            ledger_accounts.insert(index, (key, after, nonce));
            let sig =
                signatures.get(party).copied().unwrap_or(Signature { r8: identity, s: Fr::zero() });
            parties.push(PartySlot {
                index,
                public_key: key,
                balance,
                nonce,
                path,
                sig_r8: sig.r8,
                sig_s: sig.s,
            });
        }
        let deal_path = deal_tree.proof(deal.id)?.siblings;
        deal_tree.set(deal.id, deal_leaf(hash, DealStatus::Open, &vec![None; k], Fr::zero()))?;
        digest = hash2(digest, hash);
        out.push(OpenSlot { used: true, deal: deal.clone(), parties, deal_path });
    }
    out.resize_with(slots, || unused_open_slot(depth, deal_depth, k));
    Ok(OpenWitness {
        depth,
        deal_depth,
        k,
        accounts_root,
        deals_root,
        members_root: ledger.members_root,
        old_root: ledger.roots().root(),
        new_root: ledger.roots().with_accounts(accounts.root()).with_deals(deal_tree.root()).root(),
        digest,
        slots: out,
    })
}

/// An account credited by a settlement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CreditSlot {
    /// Account index.
    pub index: u64,
    /// Its key.
    pub public_key: Point,
    /// Balance before the credit.
    pub balance: Fr,
    /// Nonce.
    pub nonce: Fr,
    /// Merkle path before the credit.
    pub path: Vec<Fr>,
}

/// One settlement slot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SettleSlot {
    /// Whether the slot settles a deal.
    pub used: bool,
    /// The deal's terms.
    pub deal: Deal,
    /// The deal leaf's path.
    pub deal_path: Vec<Fr>,
    /// The results on the record, one entry per node (0: none), which the
    /// deal leaf commits to.
    pub results: Vec<Fr>,
    /// Whether the deal is decided (settles by its verdict) rather than
    /// open.
    pub mediated: bool,
    /// The verdict on the record (0 for an open deal).
    pub verdict: Fr,
    /// Credits: the client, then each node, then the treasury.
    pub credits: Vec<CreditSlot>,
    /// `⌊rest·num/den⌋`: the client's compensation.
    pub compensation: Fr,
    /// `rest·num mod den`.
    pub compensation_rem: Fr,
}

/// The witness of a settlement batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SettleWitness {
    /// The circuit's shape, rules included.
    pub shape: SettleShape,
    /// Settlement time (public).
    pub now: u64,
    /// Accounts root before.
    pub accounts_root: Fr,
    /// Deals root before.
    pub deals_root: Fr,
    /// Members root, carried through.
    pub members_root: Fr,
    /// Ledger root before (public).
    pub old_root: Fr,
    /// Ledger root after (public).
    pub new_root: Fr,
    /// Digest (public).
    pub digest: Fr,
    /// Slots.
    pub slots: Vec<SettleSlot>,
}

fn identity() -> Point {
    Point::new_unchecked(Fr::zero(), Fr::one())
}

fn unused_credit(depth: usize) -> CreditSlot {
    CreditSlot {
        index: 0,
        public_key: identity(),
        balance: Fr::zero(),
        nonce: Fr::zero(),
        path: vec![Fr::zero(); depth],
    }
}

fn unused_settle_slot(shape: &SettleShape) -> SettleSlot {
    SettleSlot {
        used: false,
        deal: empty_deal(shape.k),
        deal_path: vec![Fr::zero(); shape.deal_depth],
        results: vec![Fr::zero(); shape.k],
        mediated: false,
        verdict: Fr::zero(),
        credits: (0..shape.k + 2).map(|_| unused_credit(shape.depth)).collect(),
        compensation: Fr::zero(),
        compensation_rem: Fr::zero(),
    }
}

fn build_unused_signers(depth: usize, slots: usize) -> Vec<SignerSlot> {
    QuorumWitness::empty(depth, slots, Threshold::ALL, StatementKind::Data).slots
}

impl SettleWitness {
    /// An all-unused witness of `shape`, for key generation.
    pub fn empty(shape: SettleShape) -> Self {
        Self {
            shape,
            now: 0,
            accounts_root: Fr::zero(),
            deals_root: Fr::zero(),
            members_root: Fr::zero(),
            old_root: Fr::zero(),
            new_root: Fr::zero(),
            digest: Fr::zero(),
            slots: (0..shape.slots).map(|_| unused_settle_slot(&shape)).collect(),
        }
    }
}

impl SettleWitness {
    /// The ledger's parts before the batch.
    pub fn before(&self) -> LedgerRoots {
        LedgerRoots {
            accounts: self.accounts_root,
            deals: self.deals_root,
            members: self.members_root,
        }
    }
}

/// The witness a prover would build, checking nothing: the payouts are
/// computed from what the record's results and verdict say, in the field
/// (a deal in mediation settles as if decided on a verdict of 0).
pub fn build_settle_witness_unchecked(
    ledger: &Ledger,
    settlements: &[Settlement],
    shape: &SettleShape,
    now: u64,
) -> Result<SettleWitness> {
    if settlements.len() > shape.slots {
        return Err(ComputeError::TooManyDeals { len: settlements.len(), slots: shape.slots });
    }
    let rules = &shape.rules;
    let mut accounts = ledger.accounts.tree().clone();
    let mut balances: BTreeMap<u64, (Point, Fr, Fr)> = ledger
        .accounts
        .accounts()
        .iter()
        .map(|(i, a)| (*i, (a.public_key.0, Fr::from(a.balance), Fr::from(a.nonce))))
        .collect();
    let mut deal_tree = ledger.deal_tree().clone();
    let (accounts_root, deals_root) = (accounts.root(), deal_tree.root());
    let mut digest = Fr::zero();
    let mut slots = Vec::with_capacity(shape.slots);
    for s in settlements {
        let deal = ledger
            .deal(s.deal_id)
            .map(|(d, _)| d.clone())
            .ok_or_else(|| ComputeError::Unfit(format!("deal {} is unknown", s.deal_id)))?;
        let hash = deal.hash();
        let recorded = ledger.record_of(&deal);
        let results = entries(&recorded);
        let status = ledger.deal(deal.id).map(|(_, s)| *s);
        let mediated = matches!(status, Some(DealStatus::Mediating | DealStatus::Decided));
        let verdict = ledger.verdict_of(&deal);
        let matched: Vec<bool> = results
            .iter()
            .map(|r| if mediated { !r.is_zero() && *r == verdict } else { true })
            .collect();
        let pay = payouts(&deal, &Outcome { matched: matched.clone(), mediated }, rules);
        let faulty = matched.iter().filter(|m| !**m).count() as u128;
        let rest = if mediated && faulty > 0 {
            (faulty * u128::from(deal.collateral)).saturating_sub(u128::from(deal.mediation_fee))
        } else {
            0
        };
        let (num, den) = rules.client_share;
        let compensation = rest * u128::from(num) / u128::from(den.max(1));
        let compensation_rem = rest * u128::from(num) % u128::from(den.max(1));
        // Credits in order: client, nodes, treasury.
        let targets = std::iter::once((deal.client, pay.client))
            .chain(deal.nodes.iter().copied().zip(pay.nodes.iter().copied()))
            .chain(std::iter::once((rules.treasury, pay.treasury)));
        let mut credits = Vec::with_capacity(shape.k + 2);
        for (index, amount) in targets {
            let (key, balance, nonce) =
                balances.get(&index).copied().unwrap_or((identity(), Fr::zero(), Fr::zero()));
            let path = accounts.proof(index)?.siblings;
            let after = balance + Fr::from(amount);
            accounts.set(index, poseidon(&[key.x, key.y, after, nonce]).expect("Poseidon(4)"))?;
            balances.insert(index, (key, after, nonce));
            credits.push(CreditSlot { index, public_key: key, balance, nonce, path });
        }
        let deal_path = deal_tree.proof(deal.id)?.siblings;
        deal_tree.set(deal.id, deal_leaf(hash, DealStatus::Settled, &recorded, verdict))?;
        digest = hash2(digest, hash);
        slots.push(SettleSlot {
            used: true,
            deal,
            deal_path,
            results,
            mediated,
            verdict,
            credits,
            compensation: Fr::from(compensation as u64),
            compensation_rem: Fr::from(compensation_rem as u64),
        });
    }
    slots.resize_with(shape.slots, || unused_settle_slot(shape));
    Ok(SettleWitness {
        shape: *shape,
        now,
        accounts_root,
        deals_root,
        members_root: ledger.members_root,
        old_root: ledger.roots().root(),
        new_root: ledger.roots().with_accounts(accounts.root()).with_deals(deal_tree.root()).root(),
        digest,
        slots,
    })
}

/// One result submission in a slot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubmitSlot {
    /// Whether the slot records a result.
    pub used: bool,
    /// The deal's terms.
    pub deal: Deal,
    /// The deal leaf's path before the slot.
    pub deal_path: Vec<Fr>,
    /// The record's entries before the slot, one per node (0: none).
    pub entries: Vec<Fr>,
    /// The node's position in the deal.
    pub node: usize,
    /// The result.
    pub result: Fr,
    /// The node's account key, balance and nonce (read, not changed).
    pub account: (Point, Fr, Fr),
    /// The node's account path.
    pub account_path: Vec<Fr>,
    /// Signature nonce point.
    pub sig_r8: Point,
    /// Signature response.
    pub sig_s: Fr,
}

/// The witness of a batch that records something in deal leaves (a
/// result, a call for mediation): `S` the circuit's shape, `T` a slot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DealBatchWitness<S, T> {
    /// The circuit's shape.
    pub shape: S,
    /// The batch's time (public).
    pub now: u64,
    /// The ledger's parts before the batch (the deal root moves; the others
    /// are carried through).
    pub before: LedgerRoots,
    /// Ledger root before (public).
    pub old_root: Fr,
    /// Ledger root after (public).
    pub new_root: Fr,
    /// `dᵢ₊₁ = Poseidon(dᵢ, signed messageᵢ)` over the slots' messages
    /// (public).
    pub digest: Fr,
    /// Slots.
    pub slots: Vec<T>,
}

impl<S, T> DealBatchWitness<S, T> {
    /// The witness of a batch from `before` whose deal tree ends at
    /// `deals_after`.
    fn assemble(
        shape: S,
        now: u64,
        before: LedgerRoots,
        deals_after: Fr,
        digest: Fr,
        slots: Vec<T>,
    ) -> Self {
        let new_root = before.with_deals(deals_after).root();
        Self { shape, now, before, old_root: before.root(), new_root, digest, slots }
    }
}

/// The witness of a batch of result submissions.
pub type ResultWitness = DealBatchWitness<ResultShape, SubmitSlot>;

fn empty_deal(k: usize) -> Deal {
    Deal {
        id: 0,
        client: 0,
        nodes: vec![0; k],
        job: Fr::zero(),
        price: 0,
        deposit: 0,
        collateral: 0,
        mediators: Fr::zero(),
        mediation_fee: 0,
        deadline: 0,
    }
}

fn unused_submit_slot(shape: &ResultShape) -> SubmitSlot {
    SubmitSlot {
        used: false,
        deal: empty_deal(shape.k),
        deal_path: vec![Fr::zero(); shape.deal_depth],
        entries: vec![Fr::zero(); shape.k],
        node: 0,
        result: Fr::zero(),
        account: (identity(), Fr::zero(), Fr::zero()),
        account_path: vec![Fr::zero(); shape.depth],
        sig_r8: identity(),
        sig_s: Fr::zero(),
    }
}

impl ResultWitness {
    /// An all-unused witness of `shape`, for key generation.
    pub fn empty(shape: ResultShape) -> Self {
        let before = LedgerRoots::accounts_only(Fr::zero());
        let slots = (0..shape.slots).map(|_| unused_submit_slot(&shape)).collect();
        Self::assemble(shape, 0, before, before.deals, Fr::zero(), slots)
    }
}

/// The witness a prover would build for `submissions` at `now`, checking
/// nothing: a node position past the deal's reads as the last, an unknown
/// deal or account as empty.
pub fn build_result_witness_unchecked(
    ledger: &Ledger,
    submissions: &[ResultSubmission],
    shape: &ResultShape,
    now: u64,
) -> Result<ResultWitness> {
    if submissions.len() > shape.slots {
        return Err(ComputeError::TooManyDeals { len: submissions.len(), slots: shape.slots });
    }
    if shape.k == 0 {
        return Err(ComputeError::Unfit(
            "a result circuit takes deals of at least one node".into(),
        ));
    }
    let mut deal_tree = ledger.deal_tree().clone();
    let mut records: BTreeMap<u64, Vec<Fr>> = BTreeMap::new();
    let mut digest = Fr::zero();
    let mut slots = Vec::with_capacity(shape.slots);
    for s in submissions {
        let (deal, status) = ledger
            .deal(s.deal_id)
            .cloned()
            .ok_or_else(|| ComputeError::Unfit(format!("deal {} is unknown", s.deal_id)))?;
        if deal.nodes.len() != shape.k {
            return Err(ComputeError::Unfit(format!(
                "the circuit takes deals of {} nodes",
                shape.k
            )));
        }
        let node = s.node.min(shape.k.saturating_sub(1));
        let before =
            records.entry(s.deal_id).or_insert_with(|| entries(&ledger.record_of(&deal))).clone();
        let index = deal.nodes[node];
        let account =
            ledger.accounts.account(index).map_or((identity(), Fr::zero(), Fr::zero()), |a| {
                (a.public_key.0, Fr::from(a.balance), Fr::from(a.nonce))
            });
        let account_path = ledger.accounts.tree().proof(index)?.siblings;
        let deal_path = deal_tree.proof(deal.id)?.siblings;
        let mut after = before.clone();
        after[node] = s.signed.result;
        let recorded: Vec<Option<Fr>> =
            after.iter().map(|e| Some(*e).filter(|e| !e.is_zero())).collect();
        deal_tree.set(deal.id, deal_leaf(deal.hash(), status, &recorded, Fr::zero()))?;
        records.insert(s.deal_id, after);
        digest = hash2(digest, result_message(&deal, s.signed.result));
        slots.push(SubmitSlot {
            used: true,
            deal,
            deal_path,
            entries: before,
            node,
            result: s.signed.result,
            account,
            account_path,
            sig_r8: s.signed.signature.r8,
            sig_s: s.signed.signature.s,
        });
    }
    slots.resize_with(shape.slots, || unused_submit_slot(shape));
    let (before, deals) = (ledger.roots(), deal_tree.root());
    Ok(ResultWitness::assemble(*shape, now, before, deals, digest, slots))
}

/// One mediation request in a slot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MediationSlot {
    /// Whether the slot records a request.
    pub used: bool,
    /// The deal's terms.
    pub deal: Deal,
    /// The deal leaf's path before the slot.
    pub deal_path: Vec<Fr>,
    /// The record's entries, one per node (0: none).
    pub entries: Vec<Fr>,
    /// The client's account key, balance and nonce (read, not changed).
    pub client: (Point, Fr, Fr),
    /// The client's account path.
    pub client_path: Vec<Fr>,
    /// Signature nonce point.
    pub sig_r8: Point,
    /// Signature response.
    pub sig_s: Fr,
}

/// The witness of a batch of mediation requests.
pub type MediationWitness = DealBatchWitness<MediationShape, MediationSlot>;

fn unused_mediation_slot(shape: &MediationShape) -> MediationSlot {
    MediationSlot {
        used: false,
        deal: empty_deal(shape.k),
        deal_path: vec![Fr::zero(); shape.deal_depth],
        entries: vec![Fr::zero(); shape.k],
        client: (identity(), Fr::zero(), Fr::zero()),
        client_path: vec![Fr::zero(); shape.depth],
        sig_r8: identity(),
        sig_s: Fr::zero(),
    }
}

impl MediationWitness {
    /// An all-unused witness of `shape`, for key generation.
    pub fn empty(shape: MediationShape) -> Self {
        let before = LedgerRoots::accounts_only(Fr::zero());
        let slots = (0..shape.slots).map(|_| unused_mediation_slot(&shape)).collect();
        Self::assemble(shape, 0, before, before.deals, Fr::zero(), slots)
    }
}

/// The witness a prover would build for `requests` at `now`, checking
/// nothing: an unknown client account reads as empty.
pub fn build_mediation_witness_unchecked(
    ledger: &Ledger,
    requests: &[MediationRequest],
    shape: &MediationShape,
    now: u64,
) -> Result<MediationWitness> {
    if requests.len() > shape.slots {
        return Err(ComputeError::TooManyDeals { len: requests.len(), slots: shape.slots });
    }
    let mut deal_tree = ledger.deal_tree().clone();
    let mut digest = Fr::zero();
    let mut slots = Vec::with_capacity(shape.slots);
    for r in requests {
        let (deal, _) = ledger
            .deal(r.deal_id)
            .cloned()
            .ok_or_else(|| ComputeError::Unfit(format!("deal {} is unknown", r.deal_id)))?;
        if deal.nodes.len() != shape.k {
            return Err(ComputeError::Unfit(format!(
                "the circuit takes deals of {} nodes",
                shape.k
            )));
        }
        let recorded = ledger.record_of(&deal);
        let client = ledger
            .accounts
            .account(deal.client)
            .map_or((identity(), Fr::zero(), Fr::zero()), |a| {
                (a.public_key.0, Fr::from(a.balance), Fr::from(a.nonce))
            });
        let client_path = ledger.accounts.tree().proof(deal.client)?.siblings;
        let deal_path = deal_tree.proof(deal.id)?.siblings;
        deal_tree
            .set(deal.id, deal_leaf(deal.hash(), DealStatus::Mediating, &recorded, Fr::zero()))?;
        digest = hash2(digest, mediation_message(&deal));
        slots.push(MediationSlot {
            used: true,
            deal,
            deal_path,
            entries: entries(&recorded),
            client,
            client_path,
            sig_r8: r.signature.r8,
            sig_s: r.signature.s,
        });
    }
    slots.resize_with(shape.slots, || unused_mediation_slot(shape));
    let (before, deals) = (ledger.roots(), deal_tree.root());
    Ok(MediationWitness::assemble(*shape, now, before, deals, digest, slots))
}

/// One verdict in a slot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerdictSlot {
    /// Whether the slot records a verdict.
    pub used: bool,
    /// The deal's terms.
    pub deal: Deal,
    /// The deal leaf's path before the slot.
    pub deal_path: Vec<Fr>,
    /// The record's entries, one per node (0: none).
    pub entries: Vec<Fr>,
    /// The verdict.
    pub verdict: Fr,
    /// The committee's tree root.
    pub committee_tree_root: Fr,
    /// The committee's total stake.
    pub committee_total: Fr,
    /// Mediator signer slots.
    pub mediators: Vec<SignerSlot>,
}

/// The witness of a batch of verdicts (its `now` is not used: a verdict
/// has no time rule, and the circuit has no `now` input).
pub type VerdictWitness = DealBatchWitness<VerdictShape, VerdictSlot>;

fn unused_verdict_slot(shape: &VerdictShape) -> VerdictSlot {
    VerdictSlot {
        used: false,
        deal: empty_deal(shape.k),
        deal_path: vec![Fr::zero(); shape.deal_depth],
        entries: vec![Fr::zero(); shape.k],
        verdict: Fr::zero(),
        committee_tree_root: Fr::zero(),
        committee_total: Fr::zero(),
        mediators: build_unused_signers(shape.committee_depth, shape.mediator_slots),
    }
}

impl VerdictWitness {
    /// An all-unused witness of `shape`, for key generation.
    pub fn empty(shape: VerdictShape) -> Self {
        let before = LedgerRoots::accounts_only(Fr::zero());
        let slots = (0..shape.slots).map(|_| unused_verdict_slot(&shape)).collect();
        Self::assemble(shape, 0, before, before.deals, Fr::zero(), slots)
    }
}

/// The witness a prover would build for `verdicts`, checking nothing: the
/// committee is the deal's when given (else the first), the attestations
/// are placed as given.
pub fn build_verdict_witness_unchecked(
    ledger: &Ledger,
    verdicts: &[Verdict],
    committees: &[ValidatorSet],
    shape: &VerdictShape,
) -> Result<VerdictWitness> {
    if verdicts.len() > shape.slots {
        return Err(ComputeError::TooManyDeals { len: verdicts.len(), slots: shape.slots });
    }
    let mut deal_tree = ledger.deal_tree().clone();
    let mut digest = Fr::zero();
    let mut slots = Vec::with_capacity(shape.slots);
    for v in verdicts {
        let (deal, _) = ledger
            .deal(v.deal_id)
            .cloned()
            .ok_or_else(|| ComputeError::Unfit(format!("deal {} is unknown", v.deal_id)))?;
        if deal.nodes.len() != shape.k {
            return Err(ComputeError::Unfit(format!(
                "the circuit takes deals of {} nodes",
                shape.k
            )));
        }
        let committee = committee_for(committees, &deal)?;
        let commitment = verdict_commitment(&deal, v.result);
        let q = build_quorum_witness_unchecked(
            committee,
            &Statement::Data(commitment),
            &v.attestations,
            shape.threshold,
            shape.mediator_slots,
        )?;
        let recorded = ledger.record_of(&deal);
        let deal_path = deal_tree.proof(deal.id)?.siblings;
        deal_tree.set(deal.id, deal_leaf(deal.hash(), DealStatus::Decided, &recorded, v.result))?;
        digest = hash2(digest, commitment);
        slots.push(VerdictSlot {
            used: true,
            deal,
            deal_path,
            entries: entries(&recorded),
            verdict: v.result,
            committee_tree_root: q.tree_root,
            committee_total: q.total_stake,
            mediators: q.slots,
        });
    }
    slots.resize_with(shape.slots, || unused_verdict_slot(shape));
    let (before, deals) = (ledger.roots(), deal_tree.root());
    Ok(VerdictWitness::assemble(*shape, 0, before, deals, digest, slots))
}
