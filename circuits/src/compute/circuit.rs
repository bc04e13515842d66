//! The batch circuits of compute deals: openings and settlements here;
//! results put on the record in `submit.rs`, calls for mediation in
//! `mediate.rs`, the mediators' verdicts in `verdict.rs`.
//!
//! **Openings** ([`OpenDealsCircuit`]): each used slot proves a deal's terms
//! (hashed as [`Deal::hash`]), the client's and every node's signature over
//! them with the keys of their accounts, the terms' safety checks, the
//! debits (deposit from the client, collateral from each node) without
//! overdraft, and the deal's empty leaf becoming an open one with an empty
//! record. Public inputs:
//! the ledger root before and after, and the digest `dᵢ₊₁ = Poseidon(dᵢ,
//! deal hashᵢ)` of the opened deals.
//!
//! **Settlements** ([`SettleDealsCircuit`]): each used slot proves the deal
//! is in the deal tree with its record (its terms, recorded results and
//! verdict hash to the leaf), open, or decided (its verdict on the record,
//! see `verdict.rs`), and becomes settled with its record kept; a node
//! answered iff its entry on the record is not 0 (results were signed when
//! recorded, see `submit.rs`); an open deal needs all `k` results present
//! and equal, and in a decided one each node matches iff its recorded
//! result is the recorded verdict; missing results only at or after the
//! deadline (`now` is public); the payouts are exactly [`super::payouts`]'s,
//! credited to the client, each node and the treasury.
//! Public inputs: ledger root before and after, the digest of the settled
//! deals (`dᵢ₊₁ = Poseidon(dᵢ, deal hashᵢ)`), and `now`.

use super::{Deal, DealStatus, OpenWitness, SettleWitness, SettlementRules, DEAL_DOMAIN};
use crate::circuit::{plural, sizes, spec, Circuit, CircuitShape, CircuitSpec, ShapeError};
use crate::ledger::LedgerRootsVar;
use crate::primitives::babyjubjub::{bits_le_at_most, PointVar};
use crate::primitives::eddsa::verify_gadget;
use crate::primitives::gadgets::{enforce_u64, index_bits, is_zero};
use crate::primitives::merkle::{MerklePathVar, MAX_DEPTH};
use crate::primitives::poseidon::{poseidon_gadget, PoseidonGadget};
use crate::Fr;
use ark_ff::{One, Zero};
use ark_r1cs_std::fields::fp::FpVar;
use ark_r1cs_std::prelude::*;
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError};

/// Proves a batch of deal openings; see the module docs.
#[derive(Clone, Debug)]
pub struct OpenDealsCircuit {
    /// The witness; [`OpenDealsCircuit::for_setup`] gives the shape.
    pub witness: OpenWitness,
}

impl OpenDealsCircuit {
    /// An all-unused witness of the given shape, for key generation.
    pub fn for_setup(depth: usize, deal_depth: usize, k: usize, slots: usize) -> Self {
        Self { witness: OpenWitness::empty(depth, deal_depth, k, slots) }
    }
}

/// `a ≥ b` for values below 2^64 (both range-checked by the caller):
/// `a − b` fits 65 bits only then (otherwise it wraps near the modulus).
fn enforce_at_least(a: &FpVar<Fr>, b: &FpVar<Fr>) -> Result<(), SynthesisError> {
    bits_le_at_most(&(a - b), 66, None).map(|_| ())
}

/// An account's leaf, `Poseidon(x, y, balance, nonce)` (as
/// [`crate::ledger::account_leaf`]).
pub(super) fn account_leaf(
    key: &PointVar,
    balance: &FpVar<Fr>,
    nonce: &FpVar<Fr>,
) -> Result<FpVar<Fr>, SynthesisError> {
    poseidon_gadget(&[key.x.clone(), key.y.clone(), balance.clone(), nonce.clone()])
}

/// A deal's leaf in the deal tree over the commitment to its recorded
/// results and its verdict (as [`super::deal_leaf`]).
pub(super) fn deal_leaf(
    hash: &FpVar<Fr>,
    status: DealStatus,
    results: &FpVar<Fr>,
    verdict: &FpVar<Fr>,
) -> Result<FpVar<Fr>, SynthesisError> {
    deal_leaf_of(hash, &status_var(status), results, verdict)
}

/// [`deal_leaf`] with the status a variable.
pub(super) fn deal_leaf_of(
    hash: &FpVar<Fr>,
    status: &FpVar<Fr>,
    results: &FpVar<Fr>,
    verdict: &FpVar<Fr>,
) -> Result<FpVar<Fr>, SynthesisError> {
    poseidon_gadget(&[hash.clone(), status.clone(), results.clone(), verdict.clone()])
}

/// The verdict of a deal with none on the record.
pub(super) fn no_verdict() -> FpVar<Fr> {
    FpVar::Constant(Fr::zero())
}

/// A status's code as a constant.
pub(super) fn status_var(status: DealStatus) -> FpVar<Fr> {
    FpVar::Constant(Fr::from(status.code()))
}

/// The commitment to a deal's record entries (as
/// [`super::results_commitment`]).
pub(super) fn results_commitment(entries: &[FpVar<Fr>]) -> Result<FpVar<Fr>, SynthesisError> {
    let mut r = FpVar::Constant(Fr::zero());
    for e in entries {
        r = PoseidonGadget::hash2(&r, e)?;
    }
    Ok(r)
}

/// Declares a circuit of a batch that records something in deal leaves
/// (results, calls for mediation): its shape (the opening circuit's
/// parameters and limits: account and deal tree depths, nodes per deal,
/// slots), the circuit over its [`super::DealBatchWitness`], and its
/// [`Circuit`] impl with the inputs old root, new root, `$digest`, `now`.
macro_rules! deal_batch_circuit {
    (
        $(#[$shape_doc:meta])* shape $shape:ident for $spec:path, slots of $slot:literal;
        $(#[$doc:meta])* circuit $circuit:ident($witness:ty), digest $digest:literal;
    ) => {
        $(#[$shape_doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub struct $shape {
            /// Account tree depth.
            pub depth: usize,
            /// Deal tree depth.
            pub deal_depth: usize,
            /// Nodes per deal.
            pub k: usize,
            /// Slots.
            pub slots: usize,
        }

        impl $crate::circuit::CircuitShape for $shape {
            const SPECS: &'static [&'static $crate::circuit::CircuitSpec] = &[&$spec];

            fn values(&self) -> Vec<u64> {
                let Self { depth, deal_depth, k, slots } = *self;
                super::OpenShape { depth, deal_depth, k, slots }.values()
            }

            fn from_values(
                spec: &'static $crate::circuit::CircuitSpec,
                values: &[u64],
            ) -> Result<Self, $crate::circuit::ShapeError> {
                let super::OpenShape { depth, deal_depth, k, slots } =
                    super::OpenShape::from_values(spec, values)?;
                Ok(Self { depth, deal_depth, k, slots })
            }

            fn describe(&self) -> String {
                format!(
                    "account depth {}, deal depth {}, {} nodes per deal, {} {} slot{}",
                    self.depth,
                    self.deal_depth,
                    self.k,
                    self.slots,
                    $slot,
                    $crate::circuit::plural(self.slots)
                )
            }
        }

        $(#[$doc])*
        #[derive(Clone, Debug)]
        pub struct $circuit {
            /// The witness; `for_setup` gives the shape.
            pub witness: $witness,
        }

        impl $circuit {
            /// An all-unused witness of `shape`, for key generation.
            pub fn for_setup(shape: $shape) -> Self {
                Self { witness: <$witness>::empty(shape) }
            }
        }

        impl $crate::circuit::Circuit for $circuit {
            type Shape = $shape;

            fn shape(&self) -> $shape {
                $shape { slots: self.witness.slots.len(), ..self.witness.shape }
            }

            fn for_setup(shape: &$shape) -> Self {
                Self::for_setup(*shape)
            }

            fn named_inputs(&self) -> Vec<(&'static str, Fr)> {
                let w = &self.witness;
                vec![
                    ("old_root", w.old_root),
                    ("new_root", w.new_root),
                    ($digest, w.digest),
                    ("now", Fr::from(w.now)),
                ]
            }
        }
    };
}
pub(super) use deal_batch_circuit;

/// The public side of a batch that records something in deal leaves (the
/// result, mediation and verdict circuits): its inputs in the declared
/// order (old root, new root, digest, and `now` for the timed ones), the
/// old root opened into the ledger's parts, and the deal root and digest
/// the slots move.
pub(super) struct DealBatchVars {
    /// The ledger's parts before.
    pub(super) before: LedgerRootsVar,
    /// The deal root, moved slot by slot.
    pub(super) deals: FpVar<Fr>,
    /// The digest, chained slot by slot.
    pub(super) digest: FpVar<Fr>,
    /// The batch's time (range-checked to 64 bits); a constant 0 in an
    /// untimed batch.
    pub(super) now: FpVar<Fr>,
    new_root: FpVar<Fr>,
    digest_in: FpVar<Fr>,
}

impl DealBatchVars {
    /// Allocates the public inputs of `w` (`now` among them when `timed`)
    /// and opens its old root.
    pub(super) fn open<S, T>(
        cs: &ConstraintSystemRef<Fr>,
        w: &super::DealBatchWitness<S, T>,
        timed: bool,
    ) -> Result<Self, SynthesisError> {
        let input = |v: Fr| FpVar::new_input(cs.clone(), || Ok(v));
        let old_root = input(w.old_root)?;
        let new_root = input(w.new_root)?;
        let digest_in = input(w.digest)?;
        let now = if timed { input(Fr::from(w.now))? } else { FpVar::Constant(Fr::zero()) };
        enforce_u64(&now)?;
        let before = LedgerRootsVar::opening(cs, &w.before, &old_root)?;
        let deals = before.deals.clone();
        let digest = FpVar::Constant(Fr::zero());
        Ok(Self { before, deals, digest, now, new_root, digest_in })
    }

    /// The new root is the ledger's with the moved deal root, and the
    /// digest the declared one.
    pub(super) fn close(self) -> Result<(), SynthesisError> {
        let after = LedgerRootsVar { deals: self.deals, ..self.before };
        after.root()?.enforce_equal(&self.new_root)?;
        self.digest.enforce_equal(&self.digest_in)
    }
}

/// A deal's terms in a circuit: index bits, range-checked amounts and the
/// hash of [`Deal::hash`], shared by the opening and settlement circuits.
pub(crate) struct DealVars {
    pub(crate) id_bits: Vec<Boolean<Fr>>,
    /// The client's, then each node's account-index bits.
    pub(crate) party_bits: Vec<Vec<Boolean<Fr>>>,
    pub(crate) party_index: Vec<FpVar<Fr>>,
    pub(crate) price: FpVar<Fr>,
    pub(crate) deposit: FpVar<Fr>,
    pub(crate) collateral: FpVar<Fr>,
    pub(crate) mediators: FpVar<Fr>,
    pub(crate) fee: FpVar<Fr>,
    pub(crate) deadline: FpVar<Fr>,
    pub(crate) hash: FpVar<Fr>,
}

/// Allocates `d`'s terms and hashes them.
pub(crate) fn deal_gadget(
    cs: &ConstraintSystemRef<Fr>,
    d: &Deal,
    depth: usize,
    deal_depth: usize,
) -> Result<DealVars, SynthesisError> {
    let witness = |v: Fr| FpVar::new_witness(cs.clone(), || Ok(v));
    let id_bits = index_bits(cs, d.id, deal_depth)?;
    let id = Boolean::le_bits_to_fp(&id_bits)?;
    let party_bits = std::iter::once(d.client)
        .chain(d.nodes.iter().copied())
        .map(|i| index_bits(cs, i, depth))
        .collect::<Result<Vec<_>, _>>()?;
    let party_index =
        party_bits.iter().map(|b| Boolean::le_bits_to_fp(b)).collect::<Result<Vec<_>, _>>()?;
    let job = witness(d.job)?;
    let price = witness(Fr::from(d.price))?;
    let deposit = witness(Fr::from(d.deposit))?;
    let collateral = witness(Fr::from(d.collateral))?;
    let mediators = witness(d.mediators)?;
    let fee = witness(Fr::from(d.mediation_fee))?;
    let deadline = witness(Fr::from(d.deadline))?;
    for v in [&price, &deposit, &collateral, &fee, &deadline] {
        enforce_u64(v)?;
    }
    let h1 = poseidon_gadget(&[
        FpVar::Constant(Fr::from(DEAL_DOMAIN)),
        id,
        party_index[0].clone(),
        job,
        price.clone(),
        deposit.clone(),
    ])?;
    let h2 = poseidon_gadget(&[
        h1,
        collateral.clone(),
        mediators.clone(),
        fee.clone(),
        deadline.clone(),
        FpVar::Constant(Fr::from(d.nodes.len() as u64)),
    ])?;
    let mut hash = h2;
    for node in &party_index[1..] {
        hash = PoseidonGadget::hash2(&hash, node)?;
    }
    Ok(DealVars {
        id_bits,
        party_bits,
        party_index,
        price,
        deposit,
        collateral,
        mediators,
        fee,
        deadline,
        hash,
    })
}

impl ConstraintSynthesizer<Fr> for OpenDealsCircuit {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        let w = self.witness;
        let (depth, k) = (w.depth, w.k);
        let input = |v: Fr| FpVar::new_input(cs.clone(), || Ok(v));
        let witness = |v: Fr| FpVar::new_witness(cs.clone(), || Ok(v));
        let old_root = input(w.old_root)?;
        let new_root = input(w.new_root)?;
        let digest_in = input(w.digest)?;
        let before = LedgerRootsVar::opening(&cs, &w.before(), &old_root)?;
        let (mut accounts, mut deals) = (before.accounts.clone(), before.deals.clone());
        let mut digest = FpVar::Constant(Fr::zero());
        let zero = FpVar::Constant(Fr::zero());

        for slot in &w.slots {
            let d = &slot.deal;
            let shape_ok = d.nodes.len() == k
                && slot.parties.len() == k + 1
                && slot.deal_path.len() == w.deal_depth
                && slot.parties.iter().all(|p| p.path.len() == depth);
            if !shape_ok {
                return Err(SynthesisError::Unsatisfiable);
            }
            let used = Boolean::new_witness(cs.clone(), || Ok(slot.used))?;

            // Terms, range-checked, and their hash.
            let DealVars {
                id_bits,
                party_bits,
                party_index,
                price,
                deposit,
                collateral,
                fee,
                hash,
                ..
            } = deal_gadget(&cs, d, depth, w.deal_depth)?;

            // Safety of the terms: deposit ≥ k·price + fee, collateral ≥
            // fee, deposit + k·collateral < 2^64, nodes distinct and not the
            // client.
            enforce_at_least(&deposit, &(&price * Fr::from(k as u64) + &fee))?;
            enforce_at_least(&collateral, &fee)?;
            enforce_u64(&(&deposit + &collateral * Fr::from(k as u64)))?;
            for i in 0..=k {
                for j in i + 1..=k {
                    party_index[i].conditional_enforce_not_equal(&party_index[j], &used)?;
                }
            }

            // Each party: its account, its signature, its debit.
            for (p, (party, bits)) in slot.parties.iter().zip(party_bits).enumerate() {
                let key = PointVar::new_witness(cs.clone(), || {
                    Ok((party.public_key.x, party.public_key.y))
                })?;
                let balance = witness(party.balance)?;
                let nonce = witness(party.nonce)?;
                enforce_u64(&balance)?;
                let r8 =
                    PointVar::new_witness(cs.clone(), || Ok((party.sig_r8.x, party.sig_r8.y)))?;
                let s = witness(party.sig_s)?;
                verify_gadget(&key, &hash, &r8, &s, &used)?;
                let amount = if p == 0 { &deposit } else { &collateral };
                let after = &balance - amount;
                enforce_u64(&used.select(&after, &zero)?)?;
                let path = MerklePathVar::new_witness(cs.clone(), bits, &party.path)?;
                let [old, new] = [&balance, &after].map(|b| account_leaf(&key, b, &nonce));
                path.update_if(&mut accounts, &old?, &new?, &used)?;
            }

            // The deal leaf: empty before (no deal id twice), open after.
            let path = MerklePathVar::new_witness(cs.clone(), id_bits, &slot.deal_path)?;
            let none = FpVar::Constant(super::results_commitment(&vec![Fr::zero(); k]));
            let open = deal_leaf(&hash, DealStatus::Open, &none, &no_verdict())?;
            path.update_if(&mut deals, &zero, &open, &used)?;
            PoseidonGadget::chain_if(&mut digest, &hash, &used)?;
        }
        LedgerRootsVar { accounts, deals, ..before }.root()?.enforce_equal(&new_root)?;
        digest.enforce_equal(&digest_in)?;
        Ok(())
    }
}

/// The shape of a settlement circuit, fixed at setup.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SettleShape {
    /// Account tree depth.
    pub depth: usize,
    /// Deal tree depth.
    pub deal_depth: usize,
    /// Nodes per deal.
    pub k: usize,
    /// Deal slots.
    pub slots: usize,
    /// The payout rules.
    pub rules: SettlementRules,
}

/// Proves a batch of settlements; see the module docs.
#[derive(Clone, Debug)]
pub struct SettleDealsCircuit {
    /// The witness; [`SettleDealsCircuit::for_setup`] gives the shape.
    pub witness: SettleWitness,
}

impl SettleDealsCircuit {
    /// An all-unused witness of `shape`, for key generation.
    pub fn for_setup(shape: SettleShape) -> Self {
        Self { witness: SettleWitness::empty(shape) }
    }
}

/// The largest client-share denominator the circuit takes.
pub const MAX_SHARE_DEN: u64 = 1 << 16;

impl ConstraintSynthesizer<Fr> for SettleDealsCircuit {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        let w = self.witness;
        let (depth, k) = (w.shape.depth, w.shape.k);
        let (num, den) = w.shape.rules.client_share;
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
        let before = LedgerRootsVar::opening(&cs, &w.before(), &old_root)?;
        let (mut accounts, mut deals) = (before.accounts.clone(), before.deals.clone());
        let mut digest = zero.clone();
        let treasury_bits_value = w.shape.rules.treasury;

        for slot in &w.slots {
            let d = &slot.deal;
            let shape_ok = d.nodes.len() == k
                && slot.results.len() == k
                && slot.credits.len() == k + 2
                && slot.deal_path.len() == w.shape.deal_depth
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
                fee,
                deadline,
                hash,
                ..
            } = deal_gadget(&cs, d, depth, w.shape.deal_depth)?;
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

            // The record: each node's entry (signed by its node when it
            // was submitted; a node answered iff its entry is not 0) and
            // the verdict (0 unless the deal is decided: then a quorum of
            // its mediators signed it, see `verdict.rs`), both committed
            // to by the deal leaf.
            let mediated = Boolean::new_witness(cs.clone(), || Ok(slot.mediated))?;
            let verdict = witness(slot.verdict)?;
            verdict.conditional_enforce_equal(&zero, &!&mediated)?;
            let entries =
                slot.results.iter().map(|e| witness(*e)).collect::<Result<Vec<_>, _>>()?;
            let mut answered_all = Boolean::TRUE;
            let mut results = Vec::with_capacity(k);
            for result in &entries {
                let answered = !is_zero(&cs, result)?;
                answered_all = &answered_all & &answered;
                results.push((answered, result.clone()));
            }
            // Missing results only at or after the deadline.
            let late = &used & &!&answered_all;
            bits_le_at_most(&late.select(&(&now - &deadline), &zero)?, 66, None)?;

            // An open deal: all answered, all equal.
            let unmediated = &used & &!&mediated;
            answered_all.conditional_enforce_equal(&Boolean::TRUE, &unmediated)?;
            for (_, result) in &results[1..] {
                result.conditional_enforce_equal(&results[0].1, &unmediated)?;
            }

            // Payouts.
            let mut matched_count = zero.clone();
            let mut node_pay = Vec::with_capacity(k);
            for (answered, result) in &results {
                let matches = answered & &is_zero(&cs, &(result - &verdict))?;
                let matched =
                    mediated.select(&FpVar::from(matches), &FpVar::Constant(Fr::one()))?;
                matched_count += &matched;
                node_pay.push(&matched * (&price + &collateral));
            }
            let faulty = FpVar::Constant(Fr::from(k as u64)) - &matched_count;
            let any_fault = !is_zero(&cs, &faulty)?;
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
            let to_treasury = if w.shape.rules.burn_remainder { zero.clone() } else { remainder };
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
                let path = MerklePathVar::new_witness(cs.clone(), bits, &credit.path)?;
                let [old, new] = [balance, &after].map(|b| account_leaf(key, b, nonce));
                path.update_if(&mut accounts, &old?, &new?, &used)?;
            }

            // The deal leaf before: decided (its verdict on the record) or
            // open; settled after, the record and verdict kept.
            let path = MerklePathVar::new_witness(cs.clone(), id_bits, &slot.deal_path)?;
            let record = results_commitment(&entries)?;
            let status =
                mediated.select(&status_var(DealStatus::Decided), &status_var(DealStatus::Open))?;
            let before = deal_leaf_of(&hash, &status, &record, &verdict)?;
            let settled = deal_leaf(&hash, DealStatus::Settled, &record, &verdict)?;
            path.update_if(&mut deals, &before, &settled, &used)?;
            PoseidonGadget::chain_if(&mut digest, &hash, &used)?;
        }
        LedgerRootsVar { accounts, deals, ..before }.root()?.enforce_equal(&new_root)?;
        digest.enforce_equal(&digest_in)?;
        Ok(())
    }
}

/// The most nodes a deal of a circuit has.
pub const MAX_NODES: usize = 64;
/// The most deal slots a circuit is made with.
pub const MAX_DEAL_SLOTS: usize = 1024;

/// The shape of an opening circuit: account and deal tree depths, nodes per
/// deal, and deal slots.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpenShape {
    /// Account tree depth.
    pub depth: usize,
    /// Deal tree depth.
    pub deal_depth: usize,
    /// Nodes per deal.
    pub k: usize,
    /// Deal slots.
    pub slots: usize,
}

impl CircuitShape for OpenShape {
    const SPECS: &'static [&'static CircuitSpec] = &[&spec::COMPUTE_OPEN];

    fn values(&self) -> Vec<u64> {
        [self.depth, self.deal_depth, self.k, self.slots].map(|v| v as u64).to_vec()
    }

    fn from_values(spec: &'static CircuitSpec, values: &[u64]) -> Result<Self, ShapeError> {
        let max = [MAX_DEPTH, MAX_DEPTH, MAX_NODES, MAX_DEAL_SLOTS].map(|v| v as u64);
        let [depth, deal_depth, k, slots] = sizes(spec, values, max)?;
        Ok(Self { depth, deal_depth, k, slots })
    }

    fn describe(&self) -> String {
        format!(
            "account depth {}, deal depth {}, {} nodes per deal, {} slot{}",
            self.depth,
            self.deal_depth,
            self.k,
            self.slots,
            plural(self.slots)
        )
    }
}

impl Circuit for OpenDealsCircuit {
    type Shape = OpenShape;

    fn shape(&self) -> OpenShape {
        let w = &self.witness;
        OpenShape { depth: w.depth, deal_depth: w.deal_depth, k: w.k, slots: w.slots.len() }
    }

    fn for_setup(shape: &OpenShape) -> Self {
        Self::for_setup(shape.depth, shape.deal_depth, shape.k, shape.slots)
    }

    fn named_inputs(&self) -> Vec<(&'static str, Fr)> {
        let w = &self.witness;
        vec![("old_root", w.old_root), ("new_root", w.new_root), ("deal_digest", w.digest)]
    }
}

impl CircuitShape for SettleShape {
    const SPECS: &'static [&'static CircuitSpec] = &[&spec::COMPUTE_SETTLE];

    fn values(&self) -> Vec<u64> {
        let r = &self.rules;
        let mut v = [self.depth, self.deal_depth, self.k, self.slots].map(|v| v as u64).to_vec();
        v.extend([r.client_share.0, r.client_share.1, u64::from(r.burn_remainder), r.treasury]);
        v
    }

    fn from_values(spec: &'static CircuitSpec, values: &[u64]) -> Result<Self, ShapeError> {
        if values.len() != 8 {
            return Err(ShapeError::value(spec, "expected 8 parameters"));
        }
        let OpenShape { depth, deal_depth, k, slots } = OpenShape::from_values(spec, &values[..4])?;
        let (num, den) = (values[4], values[5]);
        if den == 0 || den > MAX_SHARE_DEN || num > den {
            return Err(ShapeError::value(
                spec,
                format!("client share {num}/{den}: need num <= den, 1 <= den <= {MAX_SHARE_DEN}"),
            ));
        }
        let burn_remainder = match values[6] {
            0 => false,
            1 => true,
            other => {
                return Err(ShapeError::value(spec, format!("burn must be 0 or 1, got {other}")))
            }
        };
        let rules =
            SettlementRules { client_share: (num, den), burn_remainder, treasury: values[7] };
        Ok(Self { depth, deal_depth, k, slots, rules })
    }

    fn describe(&self) -> String {
        format!(
            "account depth {}, deal depth {}, {} nodes per deal, {} slot{}; client share {}/{}, \
             remainder {}, treasury account {}",
            self.depth,
            self.deal_depth,
            self.k,
            self.slots,
            plural(self.slots),
            self.rules.client_share.0,
            self.rules.client_share.1,
            if self.rules.burn_remainder { "burned" } else { "to the treasury" },
            self.rules.treasury,
        )
    }
}

impl Circuit for SettleDealsCircuit {
    type Shape = SettleShape;

    fn shape(&self) -> SettleShape {
        SettleShape { slots: self.witness.slots.len(), ..self.witness.shape }
    }

    fn for_setup(shape: &SettleShape) -> Self {
        Self::for_setup(*shape)
    }

    fn named_inputs(&self) -> Vec<(&'static str, Fr)> {
        let w = &self.witness;
        vec![
            ("old_root", w.old_root),
            ("new_root", w.new_root),
            ("settlement_digest", w.digest),
            ("now", Fr::from(w.now)),
        ]
    }
}
