//! The commit and resolve circuits of Proof-of-Trust admission, and their
//! witnesses. See the module docs for the rules they prove.

use super::{Commit, Member, Reveal, TrustLedger, COMMIT_DOMAIN, SPONSOR_DOMAIN};
use crate::babyjubjub::{bits_le_at_most, Point, PointVar};
use crate::eddsa::verify_gadget;
use crate::gadgets::{enforce_u64, index_bits};
use crate::merkle::{MerklePathVar, SparseMerkleTree};
use crate::poseidon::{hash2, poseidon, poseidon_gadget, PoseidonGadget};
use crate::{Error, Fr, Result};
use ark_ff::{One, Zero};
use ark_r1cs_std::fields::fp::FpVar;
use ark_r1cs_std::prelude::*;
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError};
use std::collections::BTreeMap;

/// A member's leaf fields and path, as a slot reads them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberSlot {
    /// Leaf index.
    pub index: u64,
    /// Key.
    pub public_key: Point,
    /// Suspended before this epoch.
    pub suspended_until: Fr,
    /// Last sponsoring period plus one (0: never).
    pub last_period_plus_one: Fr,
    /// Pending commitment (0: none).
    pub pending: Fr,
    /// Merkle path before the slot's update.
    pub path: Vec<Fr>,
}

fn identity() -> Point {
    Point::new_unchecked(Fr::zero(), Fr::one())
}

fn unused_member(depth: usize) -> MemberSlot {
    MemberSlot {
        index: 0,
        public_key: identity(),
        suspended_until: Fr::zero(),
        last_period_plus_one: Fr::zero(),
        pending: Fr::zero(),
        path: vec![Fr::zero(); depth],
    }
}

/// A member tree with field-valued leaves, so forced witnesses can hold
/// values the native types cannot.
#[derive(Clone)]
struct FieldTree {
    tree: SparseMerkleTree,
    leaves: BTreeMap<u64, (Point, Fr, Fr, Fr)>,
}

impl FieldTree {
    fn of(ledger: &TrustLedger) -> Result<Self> {
        let mut leaves = BTreeMap::new();
        for (i, m) in ledger.members() {
            let lp1 = Fr::from(m.last_period.map_or(0, |p| p + 1));
            leaves.insert(*i, (m.public_key.0, Fr::from(m.suspended_until), lp1, m.pending));
        }
        Ok(Self { tree: ledger.tree().clone(), leaves })
    }

    fn slot(&self, index: u64) -> Result<MemberSlot> {
        let (key, susp, lp1, pending) = self.leaves.get(&index).copied().unwrap_or((
            identity(),
            Fr::zero(),
            Fr::zero(),
            Fr::zero(),
        ));
        Ok(MemberSlot {
            index,
            public_key: key,
            suspended_until: susp,
            last_period_plus_one: lp1,
            pending,
            path: self.tree.proof(index)?.siblings,
        })
    }

    fn set(&mut self, index: u64, key: Point, susp: Fr, lp1: Fr, pending: Fr) -> Result<()> {
        let leaf = poseidon(&[key.x, key.y, susp, lp1, pending]).expect("Poseidon(5)");
        self.tree.set(index, leaf)?;
        self.leaves.insert(index, (key, susp, lp1, pending));
        Ok(())
    }
}

// ---------------------------------------------------------------- commit

/// One commit slot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommitSlot {
    /// Whether the slot commits.
    pub used: bool,
    /// The sponsor's leaf.
    pub sponsor: MemberSlot,
    /// The commitment.
    pub commitment: Fr,
    /// Signature nonce point.
    pub sig_r8: Point,
    /// Signature response.
    pub sig_s: Fr,
}

/// The witness of a commit batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommitWitness {
    /// Tree depth.
    pub depth: usize,
    /// Epochs per period (setup).
    pub period: u64,
    /// The batch's epoch (public).
    pub epoch: u64,
    /// Root before (public).
    pub old_root: Fr,
    /// Root after (public).
    pub new_root: Fr,
    /// `dᵢ₊₁ = Poseidon(dᵢ, commitmentᵢ)` (public).
    pub digest: Fr,
    /// Slots.
    pub slots: Vec<CommitSlot>,
}

impl CommitWitness {
    /// Public inputs: old root, new root, epoch, digest.
    pub fn public_inputs(&self) -> [Fr; 4] {
        [self.old_root, self.new_root, Fr::from(self.epoch), self.digest]
    }
}

/// Applies `commits` (all of `epoch`) under the native rules and builds the
/// witness.
pub fn commit_batch(
    ledger: &TrustLedger,
    commits: &[Commit],
    epoch: u64,
    slots: usize,
) -> Result<(TrustLedger, CommitWitness)> {
    let mut next = ledger.clone();
    for c in commits {
        if c.epoch != epoch {
            return Err(Error::Invalid {
                what: "admission",
                reason: "commits of another epoch".into(),
            });
        }
        next.commit(c)?;
    }
    let w = build_commit_witness_unchecked(ledger, commits, epoch, slots)?;
    debug_assert_eq!(w.new_root, next.root());
    Ok((next, w))
}

/// The witness a prover would build, checking nothing.
pub fn build_commit_witness_unchecked(
    ledger: &TrustLedger,
    commits: &[Commit],
    epoch: u64,
    slots: usize,
) -> Result<CommitWitness> {
    if commits.len() > slots {
        return Err(Error::BatchTooLarge { len: commits.len(), slots });
    }
    let depth = ledger.tree().depth();
    let mut tree = FieldTree::of(ledger)?;
    let old_root = tree.tree.root();
    let period_plus_one = Fr::from(ledger.period(epoch) + 1);
    let mut digest = Fr::zero();
    let mut out = Vec::with_capacity(slots);
    for c in commits {
        let sponsor = tree.slot(c.sponsor)?;
        tree.set(
            c.sponsor,
            sponsor.public_key,
            sponsor.suspended_until,
            period_plus_one,
            c.commitment,
        )?;
        digest = hash2(digest, c.commitment);
        out.push(CommitSlot {
            used: true,
            sponsor,
            commitment: c.commitment,
            sig_r8: c.signature.r8,
            sig_s: c.signature.s,
        });
    }
    out.resize_with(slots, || CommitSlot {
        used: false,
        sponsor: unused_member(depth),
        commitment: Fr::zero(),
        sig_r8: identity(),
        sig_s: Fr::zero(),
    });
    Ok(CommitWitness {
        depth,
        period: ledger.rules().period,
        epoch,
        old_root,
        new_root: tree.tree.root(),
        digest,
        slots: out,
    })
}

/// Proves a batch of commitments.
#[derive(Clone, Debug)]
pub struct CommitCircuit {
    /// The witness.
    pub witness: CommitWitness,
}

impl CommitCircuit {
    /// The shape for key generation.
    pub fn for_setup(depth: usize, period: u64, slots: usize) -> Self {
        let ledger = TrustLedger::new(depth, [], super::AdmissionRules { suspension: 0, period })
            .expect("depth checked by the caller");
        let witness = build_commit_witness_unchecked(&ledger, &[], 0, slots).expect("empty batch");
        Self { witness }
    }
}

fn leaf_gadget(
    key: &PointVar,
    susp: &FpVar<Fr>,
    lp1: &FpVar<Fr>,
    pending: &FpVar<Fr>,
) -> Result<FpVar<Fr>, SynthesisError> {
    poseidon_gadget(&[key.x.clone(), key.y.clone(), susp.clone(), lp1.clone(), pending.clone()])
}

/// `a ≥ b` for values below 2^64 (range-checked elsewhere), when `cond`.
fn at_least_when(a: &FpVar<Fr>, b: &FpVar<Fr>, cond: &Boolean<Fr>) -> Result<(), SynthesisError> {
    bits_le_at_most(&cond.select(&(a - b), &FpVar::Constant(Fr::zero()))?, 66, None).map(|_| ())
}

impl ConstraintSynthesizer<Fr> for CommitCircuit {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        let w = self.witness;
        if w.period == 0 {
            return Err(SynthesisError::Unsatisfiable);
        }
        let input = |v: Fr| FpVar::new_input(cs.clone(), || Ok(v));
        let witness = |v: Fr| FpVar::new_witness(cs.clone(), || Ok(v));
        let zero = FpVar::Constant(Fr::zero());
        let old_root = input(w.old_root)?;
        let new_root = input(w.new_root)?;
        let epoch = input(Fr::from(w.epoch))?;
        let digest_in = input(w.digest)?;
        enforce_u64(&epoch)?;
        // period = ⌊epoch / P⌋: epoch = period·P + rem with rem < P.
        let period = witness(Fr::from(w.epoch / w.period))?;
        let rem = witness(Fr::from(w.epoch % w.period))?;
        enforce_u64(&period)?;
        enforce_u64(&rem)?;
        enforce_u64(&(FpVar::Constant(Fr::from(w.period - 1)) - &rem))?;
        (&period * Fr::from(w.period) + &rem).enforce_equal(&epoch)?;
        let period_plus_one = &period + Fr::one();

        let mut root = old_root;
        let mut digest = zero.clone();
        for slot in &w.slots {
            let m = &slot.sponsor;
            if m.path.len() != w.depth {
                return Err(SynthesisError::Unsatisfiable);
            }
            let used = Boolean::new_witness(cs.clone(), || Ok(slot.used))?;
            let bits = index_bits(&cs, m.index, w.depth)?;
            let key = PointVar::new_witness(cs.clone(), || Ok((m.public_key.x, m.public_key.y)))?;
            let susp = witness(m.suspended_until)?;
            let lp1 = witness(m.last_period_plus_one)?;
            let pending = witness(m.pending)?;
            enforce_u64(&susp)?;
            enforce_u64(&lp1)?;
            // Not suspended, not sponsored this period, nothing pending.
            at_least_when(&epoch, &susp, &used)?;
            lp1.conditional_enforce_not_equal(&period_plus_one, &used)?;
            pending.conditional_enforce_equal(&zero, &used)?;
            // The commitment, signed by the member's key.
            let c = witness(slot.commitment)?;
            c.conditional_enforce_not_equal(&zero, &used)?;
            let r8 = PointVar::new_witness(cs.clone(), || Ok((slot.sig_r8.x, slot.sig_r8.y)))?;
            let s = witness(slot.sig_s)?;
            verify_gadget(&key, &c, &r8, &s, &used)?;
            let path = MerklePathVar::new_witness(cs.clone(), bits, &m.path)?;
            let (before, after) = path.update(
                &leaf_gadget(&key, &susp, &lp1, &pending)?,
                &leaf_gadget(&key, &susp, &period_plus_one, &c)?,
            )?;
            before.conditional_enforce_equal(&root, &used)?;
            root = used.select(&after, &root)?;
            digest = used.select(&PoseidonGadget::hash2(&digest, &c)?, &digest)?;
        }
        root.enforce_equal(&new_root)?;
        digest.enforce_equal(&digest_in)
    }
}

// --------------------------------------------------------------- resolve

/// One resolve slot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResolveSlot {
    /// Whether the slot resolves a sponsorship.
    pub used: bool,
    /// The sponsorship.
    pub sponsorship: super::Sponsorship,
    /// The two sponsors' leaves, each read after the previous update.
    pub sponsors: [MemberSlot; 2],
    /// Whether each sponsor defected.
    pub defects: [bool; 2],
    /// Each sponsor's salt.
    pub salts: [Fr; 2],
    /// The two insertion targets (empty leaves) and their paths.
    pub inserts: [(u64, Vec<Fr>); 2],
}

/// The witness of a resolve batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResolveWitness {
    /// Tree depth.
    pub depth: usize,
    /// Suspension length (setup).
    pub suspension: u64,
    /// Root before (public).
    pub old_root: Fr,
    /// Root after (public).
    pub new_root: Fr,
    /// `dᵢ₊₁ = Poseidon(dᵢ, sponsorship hashᵢ)` (public).
    pub digest: Fr,
    /// Slots.
    pub slots: Vec<ResolveSlot>,
}

impl ResolveWitness {
    /// Public inputs: old root, new root, digest.
    pub fn public_inputs(&self) -> [Fr; 3] {
        [self.old_root, self.new_root, self.digest]
    }
}

/// Resolves `reveals` under the native rules and builds the witness.
pub fn resolve_batch(
    ledger: &TrustLedger,
    reveals: &[Reveal],
    slots: usize,
) -> Result<(TrustLedger, ResolveWitness)> {
    let mut next = ledger.clone();
    for r in reveals {
        next.resolve(r)?;
    }
    let w = build_resolve_witness_unchecked(ledger, reveals, slots)?;
    debug_assert_eq!(w.new_root, next.root());
    Ok((next, w))
}

/// The witness a prover would build, checking nothing.
pub fn build_resolve_witness_unchecked(
    ledger: &TrustLedger,
    reveals: &[Reveal],
    slots: usize,
) -> Result<ResolveWitness> {
    if reveals.len() > slots {
        return Err(Error::BatchTooLarge { len: reveals.len(), slots });
    }
    let depth = ledger.tree().depth();
    let suspension = ledger.rules().suspension;
    let mut tree = FieldTree::of(ledger)?;
    let mut members = ledger.clone();
    let old_root = tree.tree.root();
    let mut digest = Fr::zero();
    let mut out = Vec::with_capacity(slots);
    for r in reveals {
        let s = &r.sponsorship;
        let defects = r.openings.map(|(c, _)| c == super::Choice::Defect);
        let mut sponsor_slots = Vec::with_capacity(2);
        for (slot, sponsor) in s.sponsors.iter().enumerate() {
            let m = tree.slot(*sponsor)?;
            let susp = if defects[1 - slot] {
                Fr::from(s.epoch) + Fr::from(suspension)
            } else {
                m.suspended_until
            };
            tree.set(*sponsor, m.public_key, susp, m.last_period_plus_one, Fr::zero())?;
            sponsor_slots.push(m);
        }
        let keys: Vec<Point> = match defects {
            [false, false] => vec![s.candidate.0],
            [true, false] => s.defector_keys[0].iter().map(|k| k.0).collect(),
            [false, true] => s.defector_keys[1].iter().map(|k| k.0).collect(),
            [true, true] => vec![],
        };
        // New members take the lowest empty leaves, as the native rules do.
        let free = members.free_indices(2);
        let mut inserts = Vec::with_capacity(2);
        for (j, index) in free.iter().enumerate() {
            let path = tree.tree.proof(*index)?.siblings;
            if let Some(key) = keys.get(j) {
                tree.set(*index, *key, Fr::zero(), Fr::zero(), Fr::zero())?;
                let pk = crate::eddsa::PublicKey(*key);
                members.members.insert(*index, Member::new(pk));
            }
            inserts.push((*index, path));
        }
        digest = hash2(digest, s.hash());
        let [a, b] = <[MemberSlot; 2]>::try_from(sponsor_slots).expect("two sponsors");
        let [i0, i1] = <[(u64, Vec<Fr>); 2]>::try_from(inserts).map_err(|_| Error::Invalid {
            what: "admission",
            reason: "the member tree is full".into(),
        })?;
        out.push(ResolveSlot {
            used: true,
            sponsorship: *s,
            sponsors: [a, b],
            defects,
            salts: r.openings.map(|(_, salt)| salt),
            inserts: [i0, i1],
        });
    }
    let unused_key = crate::eddsa::PublicKey(identity());
    out.resize_with(slots, || ResolveSlot {
        used: false,
        sponsorship: super::Sponsorship {
            id: 0,
            sponsors: [0, 0],
            candidate: unused_key,
            defector_keys: [[unused_key; 2]; 2],
            epoch: 0,
        },
        sponsors: [unused_member(depth), unused_member(depth)],
        defects: [false, false],
        salts: [Fr::zero(); 2],
        inserts: [(0, vec![Fr::zero(); depth]), (0, vec![Fr::zero(); depth])],
    });
    Ok(ResolveWitness {
        depth,
        suspension,
        old_root,
        new_root: tree.tree.root(),
        digest,
        slots: out,
    })
}

/// Proves a batch of resolutions.
#[derive(Clone, Debug)]
pub struct ResolveCircuit {
    /// The witness.
    pub witness: ResolveWitness,
}

impl ResolveCircuit {
    /// The shape for key generation.
    pub fn for_setup(depth: usize, suspension: u64, slots: usize) -> Self {
        let ledger = TrustLedger::new(depth, [], super::AdmissionRules { suspension, period: 1 })
            .expect("depth checked by the caller");
        let mut witness =
            build_resolve_witness_unchecked(&ledger, &[], slots).expect("empty batch");
        witness.suspension = suspension;
        Self { witness }
    }
}

impl ConstraintSynthesizer<Fr> for ResolveCircuit {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        let w = self.witness;
        let input = |v: Fr| FpVar::new_input(cs.clone(), || Ok(v));
        let witness = |v: Fr| FpVar::new_witness(cs.clone(), || Ok(v));
        let point = |p: Point| PointVar::new_witness(cs.clone(), || Ok((p.x, p.y)));
        let zero = FpVar::Constant(Fr::zero());
        let old_root = input(w.old_root)?;
        let new_root = input(w.new_root)?;
        let digest_in = input(w.digest)?;
        let mut root = old_root;
        let mut digest = zero.clone();
        for slot in &w.slots {
            let s = &slot.sponsorship;
            let shape_ok = slot.sponsors.iter().all(|m| m.path.len() == w.depth)
                && slot.inserts.iter().all(|(_, p)| p.len() == w.depth);
            if !shape_ok {
                return Err(SynthesisError::Unsatisfiable);
            }
            let used = Boolean::new_witness(cs.clone(), || Ok(slot.used))?;

            // The sponsorship and its hash.
            let id = witness(Fr::from(s.id))?;
            let epoch = witness(Fr::from(s.epoch))?;
            enforce_u64(&id)?;
            enforce_u64(&epoch)?;
            let sponsor_bits = [
                index_bits(&cs, s.sponsors[0], w.depth)?,
                index_bits(&cs, s.sponsors[1], w.depth)?,
            ];
            let sponsor_index = [
                Boolean::le_bits_to_fp(&sponsor_bits[0])?,
                Boolean::le_bits_to_fp(&sponsor_bits[1])?,
            ];
            sponsor_index[0].conditional_enforce_not_equal(&sponsor_index[1], &used)?;
            let candidate = point(s.candidate.0)?;
            let dk = [
                [point(s.defector_keys[0][0].0)?, point(s.defector_keys[0][1].0)?],
                [point(s.defector_keys[1][0].0)?, point(s.defector_keys[1][1].0)?],
            ];
            for k in [&candidate, &dk[0][0], &dk[0][1], &dk[1][0], &dk[1][1]] {
                k.enforce_on_curve()?;
            }
            let h1 = poseidon_gadget(&[
                FpVar::Constant(Fr::from(SPONSOR_DOMAIN)),
                id,
                sponsor_index[0].clone(),
                sponsor_index[1].clone(),
                candidate.x.clone(),
                candidate.y.clone(),
            ])?;
            let h2 = poseidon_gadget(&[
                h1,
                epoch.clone(),
                dk[0][0].x.clone(),
                dk[0][0].y.clone(),
                dk[0][1].x.clone(),
                dk[0][1].y.clone(),
            ])?;
            let hash = poseidon_gadget(&[
                h2,
                dk[1][0].x.clone(),
                dk[1][0].y.clone(),
                dk[1][1].x.clone(),
                dk[1][1].y.clone(),
            ])?;

            // Reveals open the pending commitments; clear them; suspend a
            // sponsor exactly when the other defects.
            let defects = [
                Boolean::new_witness(cs.clone(), || Ok(slot.defects[0]))?,
                Boolean::new_witness(cs.clone(), || Ok(slot.defects[1]))?,
            ];
            let until = &epoch + Fr::from(w.suspension);
            enforce_u64(&until)?;
            for (i, (m, bits)) in slot.sponsors.iter().zip(sponsor_bits).enumerate() {
                let key = point(m.public_key)?;
                let susp = witness(m.suspended_until)?;
                let lp1 = witness(m.last_period_plus_one)?;
                let pending = witness(m.pending)?;
                let salt = witness(slot.salts[i])?;
                let choice = FpVar::Constant(Fr::one()) + FpVar::from(defects[i].clone());
                let c = poseidon_gadget(&[
                    FpVar::Constant(Fr::from(COMMIT_DOMAIN)),
                    hash.clone(),
                    choice,
                    salt,
                ])?;
                pending.conditional_enforce_not_equal(&zero, &used)?;
                c.conditional_enforce_equal(&pending, &used)?;
                let new_susp = defects[1 - i].select(&until, &susp)?;
                let path = MerklePathVar::new_witness(cs.clone(), bits, &m.path)?;
                let (before, after) = path.update(
                    &leaf_gadget(&key, &susp, &lp1, &pending)?,
                    &leaf_gadget(&key, &new_susp, &lp1, &zero)?,
                )?;
                before.conditional_enforce_equal(&root, &used)?;
                root = used.select(&after, &root)?;
            }

            // Admissions into empty leaves: both cooperate, the candidate;
            // one defects, its two keys; both defect, nobody.
            let both_defect = &defects[0] & &defects[1];
            let one_defects = &defects[0] ^ &defects[1];
            let enabled = [&!&both_defect & &used, &one_defects & &used];
            let first_defector_key = PointVar::select(&defects[0], &dk[0][0], &dk[1][0])?;
            let keys = [
                PointVar::select(&one_defects, &first_defector_key, &candidate)?,
                PointVar::select(&defects[0], &dk[0][1], &dk[1][1])?,
            ];
            for ((index, path), (key, on)) in slot.inserts.iter().zip(keys.iter().zip(&enabled)) {
                // A new member's key may not have small order.
                let key8 = key.double()?.double()?.double()?;
                key8.x.conditional_enforce_not_equal(&zero, on)?;
                let bits = index_bits(&cs, *index, w.depth)?;
                let path = MerklePathVar::new_witness(cs.clone(), bits, path)?;
                let (before, after) =
                    path.update(&zero, &leaf_gadget(key, &zero, &zero, &zero)?)?;
                before.conditional_enforce_equal(&root, on)?;
                root = on.select(&after, &root)?;
            }
            digest = used.select(&PoseidonGadget::hash2(&digest, &hash)?, &digest)?;
        }
        root.enforce_equal(&new_root)?;
        digest.enforce_equal(&digest_in)
    }
}
