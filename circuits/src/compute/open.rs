//! The batch circuit for opening deals: each used slot proves a deal's terms
//! (hashed as [`Deal::hash`]), the client's and every node's signature over
//! them with the keys of their accounts, the terms' safety checks, the
//! debits (deposit from the client, collateral from each node) without
//! overdraft, and the deal's empty leaf becoming an open one. Public inputs:
//! the ledger root before and after, and the digest `dᵢ₊₁ = Poseidon(dᵢ,
//! deal hashᵢ)` of the opened deals.

use super::{deal_leaf, Deal, DealStatus, Ledger, DEAL_DOMAIN};
use crate::babyjubjub::{Point, PointVar};
use crate::eddsa::{verify_gadget, Signature};
use crate::gadgets::{enforce_u64, index_bits};
use crate::merkle::MerklePathVar;
use crate::poseidon::{hash2, poseidon, poseidon_gadget, PoseidonGadget};
use crate::{Error, Fr, Result};
use ark_ff::{One, Zero};
use ark_r1cs_std::fields::fp::FpVar;
use ark_r1cs_std::prelude::*;
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError};
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
    /// Public inputs: old root, new root, digest.
    pub fn public_inputs(&self) -> [Fr; 3] {
        [self.old_root, self.new_root, self.digest]
    }

    /// An all-unused witness of the given shape, for key generation.
    pub fn empty(depth: usize, deal_depth: usize, k: usize, slots: usize) -> Self {
        Self {
            depth,
            deal_depth,
            k,
            accounts_root: Fr::zero(),
            deals_root: Fr::zero(),
            old_root: Fr::zero(),
            new_root: Fr::zero(),
            digest: Fr::zero(),
            slots: (0..slots).map(|_| unused_slot(depth, deal_depth, k)).collect(),
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

fn unused_slot(depth: usize, deal_depth: usize, k: usize) -> OpenSlot {
    OpenSlot {
        used: false,
        deal: Deal {
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
        },
        parties: (0..=k).map(|_| unused_party(depth)).collect(),
        deal_path: vec![Fr::zero(); deal_depth],
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
            return Err(Error::Invalid {
                what: "compute settlement",
                reason: format!("the circuit takes deals of {k} nodes"),
            });
        }
        next.open(deal, signatures)?;
    }
    let witness = build_open_witness_unchecked(ledger, deals, k, slots)?;
    debug_assert_eq!(witness.new_root, next.root());
    Ok((next, witness))
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
        return Err(Error::BatchTooLarge { len: deals.len(), slots });
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
            return Err(Error::Invalid {
                what: "compute settlement",
                reason: format!("the circuit takes deals of {k} nodes"),
            });
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
        deal_tree.set(deal.id, deal_leaf(hash, DealStatus::Open))?;
        digest = hash2(digest, hash);
        out.push(OpenSlot { used: true, deal: deal.clone(), parties, deal_path });
    }
    out.resize_with(slots, || unused_slot(depth, deal_depth, k));
    Ok(OpenWitness {
        depth,
        deal_depth,
        k,
        accounts_root,
        deals_root,
        old_root: hash2(accounts_root, deals_root),
        new_root: hash2(accounts.root(), deal_tree.root()),
        digest,
        slots: out,
    })
}

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
    crate::babyjubjub::bits_le_at_most(&(a - b), 66, None).map(|_| ())
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
        let mut accounts = witness(w.accounts_root)?;
        let mut deals = witness(w.deals_root)?;
        PoseidonGadget::hash2(&accounts, &deals)?.enforce_equal(&old_root)?;
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
                let leaf = |b: FpVar<Fr>| {
                    poseidon_gadget(&[key.x.clone(), key.y.clone(), b, nonce.clone()])
                };
                let path = MerklePathVar::new_witness(cs.clone(), bits, &party.path)?;
                let (before, updated) = path.update(&leaf(balance)?, &leaf(after)?)?;
                before.conditional_enforce_equal(&accounts, &used)?;
                accounts = used.select(&updated, &accounts)?;
            }

            // The deal leaf: empty before (no deal id twice), open after.
            let path = MerklePathVar::new_witness(cs.clone(), id_bits, &slot.deal_path)?;
            let open = PoseidonGadget::hash2(&hash, &FpVar::Constant(Fr::from(1u64)))?;
            let (before, after) = path.update(&zero, &open)?;
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
