//! The batch circuit for settling deals, and its witness. Each used slot
//! proves: the deal is open in the deal tree (its terms hash to the open
//! leaf) and becomes settled; each answered node signed its result with the
//! key of its account; either all `k` results are present and equal (no
//! mediation), or a quorum of the deal's mediator committee signed the
//! verdict and each node matches iff it answered with the verdict; missing
//! results only at or after the deadline (`now` is public); the payouts are
//! exactly [`super::payouts`]'s, credited to the client, each node and the
//! treasury. Public inputs: ledger root before and after, the digest of the
//! settled deals (`dᵢ₊₁ = Poseidon(dᵢ, deal hashᵢ)`), and `now`.

use super::open::{deal_gadget, DealVars};
use super::{
    deal_leaf, payouts, verdict_commitment, Deal, DealStatus, Ledger, Outcome, SettlementRules,
    SignedResult, Verdict, RESULT_DOMAIN, VERDICT_DOMAIN,
};
use crate::babyjubjub::{bits_le_at_most, Point, PointVar};
use crate::eddsa::verify_gadget;
use crate::finality::{
    build_quorum_witness_unchecked, quorum_gadget, QuorumParts, SignerSlot, Statement,
    ValidatorSet, DATA_DOMAIN,
};
use crate::gadgets::enforce_u64;
use crate::merkle::MerklePathVar;
use crate::poseidon::{hash2, poseidon, poseidon_gadget, PoseidonGadget};
use crate::{Error, Fr, Result};
use ark_ff::{One, Zero};
use ark_r1cs_std::fields::fp::FpVar;
use ark_r1cs_std::prelude::*;
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError};
use std::collections::BTreeMap;

/// The settlement of one deal, as a prover submits it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settlement {
    /// The deal.
    pub deal_id: u64,
    /// One entry per node, `None` if it never answered.
    pub results: Vec<Option<SignedResult>>,
    /// The mediators' verdict, if mediation was called.
    pub verdict: Option<Verdict>,
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

/// A node's result in a slot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResultSlot {
    /// Whether the node answered.
    pub answered: bool,
    /// The result hash.
    pub result: Fr,
    /// Signature nonce point.
    pub sig_r8: Point,
    /// Signature response.
    pub sig_s: Fr,
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
    /// One per node.
    pub results: Vec<ResultSlot>,
    /// Whether a verdict is given.
    pub mediated: bool,
    /// The verdict.
    pub verdict: Fr,
    /// The committee's tree root.
    pub committee_tree_root: Fr,
    /// The committee's total stake.
    pub committee_total: Fr,
    /// Mediator signer slots.
    pub mediators: Vec<SignerSlot>,
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
    /// Account tree depth.
    pub depth: usize,
    /// Deal tree depth.
    pub deal_depth: usize,
    /// Committee tree depth.
    pub committee_depth: usize,
    /// Nodes per deal.
    pub k: usize,
    /// The rules.
    pub rules: SettlementRules,
    /// Settlement time (public).
    pub now: u64,
    /// Accounts root before.
    pub accounts_root: Fr,
    /// Deals root before.
    pub deals_root: Fr,
    /// Ledger root before (public).
    pub old_root: Fr,
    /// Ledger root after (public).
    pub new_root: Fr,
    /// Digest (public).
    pub digest: Fr,
    /// Slots.
    pub slots: Vec<SettleSlot>,
}

/// The shape of a settlement circuit, fixed at setup.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SettleShape {
    /// Account tree depth.
    pub depth: usize,
    /// Deal tree depth.
    pub deal_depth: usize,
    /// Committee tree depth.
    pub committee_depth: usize,
    /// Nodes per deal.
    pub k: usize,
    /// Mediator signer slots.
    pub mediator_slots: usize,
    /// Deal slots.
    pub slots: usize,
}

impl SettleWitness {
    /// Public inputs: old root, new root, digest, now.
    pub fn public_inputs(&self) -> [Fr; 4] {
        [self.old_root, self.new_root, self.digest, Fr::from(self.now)]
    }
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

fn unused_slot(shape: &SettleShape) -> SettleSlot {
    let committee = build_unused_signers(shape.committee_depth, shape.mediator_slots);
    SettleSlot {
        used: false,
        deal: Deal {
            id: 0,
            client: 0,
            nodes: vec![0; shape.k],
            job: Fr::zero(),
            price: 0,
            deposit: 0,
            collateral: 0,
            mediators: Fr::zero(),
            mediation_fee: 0,
            deadline: 0,
        },
        deal_path: vec![Fr::zero(); shape.deal_depth],
        results: (0..shape.k)
            .map(|_| ResultSlot {
                answered: false,
                result: Fr::zero(),
                sig_r8: identity(),
                sig_s: Fr::zero(),
            })
            .collect(),
        mediated: false,
        verdict: Fr::zero(),
        committee_tree_root: Fr::zero(),
        committee_total: Fr::zero(),
        mediators: committee,
        credits: (0..shape.k + 2).map(|_| unused_credit(shape.depth)).collect(),
        compensation: Fr::zero(),
        compensation_rem: Fr::zero(),
    }
}

fn build_unused_signers(depth: usize, slots: usize) -> Vec<SignerSlot> {
    crate::finality::QuorumWitness::empty(
        depth,
        slots,
        crate::finality::Threshold::ALL,
        crate::finality::StatementKind::Data,
    )
    .slots
}

impl SettleWitness {
    /// An all-unused witness of `shape`, for key generation.
    pub fn empty(shape: SettleShape, rules: SettlementRules) -> Self {
        Self {
            depth: shape.depth,
            deal_depth: shape.deal_depth,
            committee_depth: shape.committee_depth,
            k: shape.k,
            rules,
            now: 0,
            accounts_root: Fr::zero(),
            deals_root: Fr::zero(),
            old_root: Fr::zero(),
            new_root: Fr::zero(),
            digest: Fr::zero(),
            slots: (0..shape.slots).map(|_| unused_slot(&shape)).collect(),
        }
    }
}

/// The committee named by the deal, or (when none is) the first given, which
/// the quorum rule then refuses for a verdict.
fn committee_for<'a>(committees: &'a [ValidatorSet], deal: &Deal) -> Result<&'a ValidatorSet> {
    committees.iter().find(|c| c.root() == deal.mediators).or(committees.first()).ok_or(
        Error::Invalid { what: "compute settlement", reason: "no mediator committee given".into() },
    )
}

/// Settles a batch under the native rules (each deal's committee looked up
/// among `committees` by its root) and returns the ledger after it and the
/// witness.
pub fn settle_batch(
    ledger: &Ledger,
    settlements: &[Settlement],
    committees: &[ValidatorSet],
    rules: &SettlementRules,
    shape: &SettleShape,
    now: u64,
) -> Result<(Ledger, SettleWitness)> {
    let mut next = ledger.clone();
    for s in settlements {
        let (deal, _) = next.deal(s.deal_id).cloned().ok_or(Error::Invalid {
            what: "compute settlement",
            reason: format!("deal {} is not open", s.deal_id),
        })?;
        if deal.nodes.len() != shape.k {
            return Err(Error::Invalid {
                what: "compute settlement",
                reason: format!("the circuit takes deals of {} nodes", shape.k),
            });
        }
        if s.verdict.as_ref().is_some_and(|v| v.attestations.len() > shape.mediator_slots) {
            return Err(Error::BatchTooLarge {
                len: s.verdict.as_ref().map_or(0, |v| v.attestations.len()),
                slots: shape.mediator_slots,
            });
        }
        let committee = committee_for(committees, &deal)?;
        next.settle(s.deal_id, now, &s.results, s.verdict.as_ref(), committee, rules)?;
    }
    let witness =
        build_settle_witness_unchecked(ledger, settlements, committees, rules, shape, now)?;
    debug_assert_eq!(witness.new_root, next.root());
    Ok((next, witness))
}

/// The witness a prover would build, checking nothing: the payouts are
/// computed from what the results and verdict say, in the field.
pub fn build_settle_witness_unchecked(
    ledger: &Ledger,
    settlements: &[Settlement],
    committees: &[ValidatorSet],
    rules: &SettlementRules,
    shape: &SettleShape,
    now: u64,
) -> Result<SettleWitness> {
    if settlements.len() > shape.slots {
        return Err(Error::BatchTooLarge { len: settlements.len(), slots: shape.slots });
    }
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
        let deal = ledger.deal(s.deal_id).map(|(d, _)| d.clone()).ok_or(Error::Invalid {
            what: "compute settlement",
            reason: format!("deal {} is unknown", s.deal_id),
        })?;
        let hash = deal.hash();
        let results: Vec<ResultSlot> = (0..shape.k)
            .map(|i| match s.results.get(i).copied().flatten() {
                Some(r) => ResultSlot {
                    answered: true,
                    result: r.result,
                    sig_r8: r.signature.r8,
                    sig_s: r.signature.s,
                },
                None => ResultSlot {
                    answered: false,
                    result: Fr::zero(),
                    sig_r8: identity(),
                    sig_s: Fr::zero(),
                },
            })
            .collect();
        let (mediated, verdict, tree_root, total, mediators) = match &s.verdict {
            Some(v) => {
                let committee = committee_for(committees, &deal)?;
                let st = Statement::Data(verdict_commitment(&deal, v.result));
                let q = build_quorum_witness_unchecked(
                    committee,
                    &st,
                    &v.attestations,
                    rules.mediator_threshold,
                    shape.mediator_slots,
                )?;
                (true, v.result, q.tree_root, q.total_stake, q.slots)
            }
            None => (
                false,
                Fr::zero(),
                Fr::zero(),
                Fr::zero(),
                build_unused_signers(shape.committee_depth, shape.mediator_slots),
            ),
        };
        let matched: Vec<bool> = results
            .iter()
            .map(|r| if mediated { r.answered && r.result == verdict } else { true })
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
        deal_tree.set(deal.id, deal_leaf(hash, DealStatus::Settled))?;
        digest = hash2(digest, hash);
        slots.push(SettleSlot {
            used: true,
            deal,
            deal_path,
            results,
            mediated,
            verdict,
            committee_tree_root: tree_root,
            committee_total: total,
            mediators,
            credits,
            compensation: Fr::from(compensation as u64),
            compensation_rem: Fr::from(compensation_rem as u64),
        });
    }
    slots.resize_with(shape.slots, || unused_slot(shape));
    Ok(SettleWitness {
        depth: shape.depth,
        deal_depth: shape.deal_depth,
        committee_depth: shape.committee_depth,
        k: shape.k,
        rules: *rules,
        now,
        accounts_root,
        deals_root,
        old_root: hash2(accounts_root, deals_root),
        new_root: hash2(accounts.root(), deal_tree.root()),
        digest,
        slots,
    })
}

/// Proves a batch of settlements; see the module docs.
#[derive(Clone, Debug)]
pub struct SettleDealsCircuit {
    /// The witness; [`SettleDealsCircuit::for_setup`] gives the shape.
    pub witness: SettleWitness,
}

impl SettleDealsCircuit {
    /// An all-unused witness of `shape`, for key generation.
    pub fn for_setup(shape: SettleShape, rules: SettlementRules) -> Self {
        Self { witness: SettleWitness::empty(shape, rules) }
    }
}

/// The largest client-share denominator the circuit takes.
pub const MAX_SHARE_DEN: u64 = 1 << 16;

impl ConstraintSynthesizer<Fr> for SettleDealsCircuit {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        let w = self.witness;
        let (depth, k) = (w.depth, w.k);
        let (num, den) = w.rules.client_share;
        if den == 0 || den > MAX_SHARE_DEN || num > den {
            return Err(SynthesisError::Unsatisfiable);
        }
        let input = |v: Fr| FpVar::new_input(cs.clone(), || Ok(v));
        let witness = |v: Fr| FpVar::new_witness(cs.clone(), || Ok(v));
        let zero = FpVar::Constant(Fr::zero());
        let old_root = input(w.old_root)?;
        let new_root = input(w.new_root)?;
        let digest_in = input(w.digest)?;
        let now = input(Fr::from(w.now))?;
        enforce_u64(&now)?;
        let mut accounts = witness(w.accounts_root)?;
        let mut deals = witness(w.deals_root)?;
        PoseidonGadget::hash2(&accounts, &deals)?.enforce_equal(&old_root)?;
        let mut digest = zero.clone();
        let treasury_bits_value = w.rules.treasury;

        for slot in &w.slots {
            let d = &slot.deal;
            let shape_ok = d.nodes.len() == k
                && slot.results.len() == k
                && slot.credits.len() == k + 2
                && slot.deal_path.len() == w.deal_depth
                && slot.credits.iter().all(|c| c.path.len() == depth);
            if !shape_ok {
                return Err(SynthesisError::Unsatisfiable);
            }
            let used = Boolean::new_witness(cs.clone(), || Ok(slot.used))?;

            // The terms and their hash, as at opening.
            let DealVars {
                id_bits,
                mut party_bits,
                price,
                deposit,
                collateral,
                mediators: mediators_root,
                fee,
                deadline,
                hash,
                ..
            } = deal_gadget(&cs, d, depth, w.deal_depth)?;
            // The treasury is fixed at setup: its index bits are constants.
            party_bits.push(
                (0..depth)
                    .map(|i| Boolean::constant(i < 64 && (treasury_bits_value >> i) & 1 == 1))
                    .collect(),
            );

            // Accounts to credit, in order; node keys come from theirs.
            let credit_vars = slot
                .credits
                .iter()
                .map(|c| -> Result<_, SynthesisError> {
                    Ok((
                        PointVar::new_witness(cs.clone(), || Ok((c.public_key.x, c.public_key.y)))?,
                        witness(c.balance)?,
                        witness(c.nonce)?,
                    ))
                })
                .collect::<Result<Vec<_>, _>>()?;

            // Results: each answered one signed by its node.
            let mediated = Boolean::new_witness(cs.clone(), || Ok(slot.mediated))?;
            let verdict = witness(slot.verdict)?;
            let mut answered_all = Boolean::TRUE;
            let mut results = Vec::with_capacity(k);
            for (i, r) in slot.results.iter().enumerate() {
                let answered = Boolean::new_witness(cs.clone(), || Ok(r.answered))?;
                let result = witness(r.result)?;
                let msg = poseidon_gadget(&[
                    FpVar::Constant(Fr::from(RESULT_DOMAIN)),
                    hash.clone(),
                    result.clone(),
                ])?;
                let r8 = PointVar::new_witness(cs.clone(), || Ok((r.sig_r8.x, r.sig_r8.y)))?;
                let s = witness(r.sig_s)?;
                verify_gadget(&credit_vars[1 + i].0, &msg, &r8, &s, &(&answered & &used))?;
                answered_all = &answered_all & &answered;
                results.push((answered, result));
            }
            // Missing results only at or after the deadline.
            let late = &used & &!&answered_all;
            bits_le_at_most(&late.select(&(&now - &deadline), &zero)?, 66, None)?;

            // Without mediation: all answered, all equal. With it: a quorum
            // of the deal's committee signed the verdict.
            let unmediated = &used & &!&mediated;
            answered_all.conditional_enforce_equal(&Boolean::TRUE, &unmediated)?;
            for (_, result) in &results[1..] {
                result.conditional_enforce_equal(&results[0].1, &unmediated)?;
            }
            let verdict_message = poseidon_gadget(&[
                FpVar::Constant(Fr::from(DATA_DOMAIN)),
                poseidon_gadget(&[
                    FpVar::Constant(Fr::from(VERDICT_DOMAIN)),
                    hash.clone(),
                    verdict.clone(),
                ])?,
            ])?;
            let parts = QuorumParts {
                tree_root: slot.committee_tree_root,
                total_stake: slot.committee_total,
                slots: &slot.mediators,
            };
            quorum_gadget(
                &cs,
                &mediators_root,
                &verdict_message,
                &parts,
                w.committee_depth,
                w.rules.mediator_threshold,
                &(&used & &mediated),
            )?;

            // Payouts.
            let mut matched_count = zero.clone();
            let mut node_pay = Vec::with_capacity(k);
            for (answered, result) in &results {
                let matches = answered & &result.is_eq(&verdict)?;
                let matched =
                    mediated.select(&FpVar::from(matches), &FpVar::Constant(Fr::one()))?;
                matched_count += &matched;
                node_pay.push(&matched * (&price + &collateral));
            }
            let faulty = FpVar::Constant(Fr::from(k as u64)) - &matched_count;
            let any_fault = faulty.is_neq(&zero)?;
            let fault = &any_fault & &mediated;
            let rest = fault.select(&(&faulty * &collateral - &fee), &zero)?;
            enforce_u64(&rest)?;
            let compensation = witness(slot.compensation)?;
            let rem = witness(slot.compensation_rem)?;
            enforce_u64(&compensation)?;
            // rem < den: rem and den − 1 − rem both fit 17 bits.
            bits_le_at_most(&rem, 17, None)?;
            bits_le_at_most(&(FpVar::Constant(Fr::from(den - 1)) - &rem), 17, None)?;
            (&rest * Fr::from(num)).enforce_equal(&(&compensation * Fr::from(den) + &rem))?;
            let remainder = &rest - &compensation;
            let needless = &mediated & &!&any_fault;
            let client_pay =
                &deposit - &matched_count * &price - needless.select(&fee, &zero)? + &compensation;
            let to_treasury = if w.rules.burn_remainder { zero.clone() } else { remainder };
            let treasury_pay = mediated.select(&fee, &zero)? + to_treasury;
            let pays: Vec<FpVar<Fr>> = std::iter::once(client_pay)
                .chain(node_pay)
                .chain(std::iter::once(treasury_pay))
                .collect();

            // Credits: client, nodes, treasury.
            for ((credit, (key, balance, nonce)), (bits, pay)) in
                slot.credits.iter().zip(&credit_vars).zip(party_bits.into_iter().zip(&pays))
            {
                enforce_u64(balance)?;
                enforce_u64(&used.select(pay, &zero)?)?;
                let after = balance + pay;
                enforce_u64(&used.select(&after, &zero)?)?;
                let leaf = |b: FpVar<Fr>| {
                    poseidon_gadget(&[key.x.clone(), key.y.clone(), b, nonce.clone()])
                };
                let path = MerklePathVar::new_witness(cs.clone(), bits, &credit.path)?;
                let (before, updated) = path.update(&leaf(balance.clone())?, &leaf(after)?)?;
                before.conditional_enforce_equal(&accounts, &used)?;
                accounts = used.select(&updated, &accounts)?;
            }

            // The deal leaf: open before, settled after.
            let path = MerklePathVar::new_witness(cs.clone(), id_bits, &slot.deal_path)?;
            let open = PoseidonGadget::hash2(&hash, &FpVar::Constant(Fr::from(1u64)))?;
            let settled = PoseidonGadget::hash2(&hash, &FpVar::Constant(Fr::from(2u64)))?;
            let (before, after) = path.update(&open, &settled)?;
            before.conditional_enforce_equal(&deals, &used)?;
            deals = used.select(&after, &deals)?;
            let chained = PoseidonGadget::hash2(&digest, &hash)?;
            digest = used.select(&chained, &digest)?;
        }
        PoseidonGadget::hash2(&accounts, &deals)?.enforce_equal(&new_root)?;
        digest.enforce_equal(&digest_in)?;
        Ok(())
    }
}
