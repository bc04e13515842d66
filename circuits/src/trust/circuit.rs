//! The commit and resolve circuits of Proof-of-Trust admission. See the
//! module docs for the rules they prove.

use super::{
    build_commit_witness_unchecked, build_resolve_witness_unchecked, AdmissionRules, CommitWitness,
    ResolveWitness, TrustLedger, COMMIT_DOMAIN, SPONSOR_DOMAIN,
};
use crate::circuit::{plural, sizes, spec, Circuit, CircuitShape, CircuitSpec, ShapeError};
use crate::ledger::LedgerRootsVar;
use crate::primitives::babyjubjub::{bits_le_at_most, Point, PointVar};
use crate::primitives::eddsa::verify_gadget;
use crate::primitives::gadgets::{enforce_u64, index_bits};
use crate::primitives::merkle::{MerklePathVar, MAX_DEPTH};
use crate::primitives::poseidon::{poseidon_gadget, PoseidonGadget};
use crate::Fr;
use ark_ff::{One, Zero};
use ark_r1cs_std::fields::fp::FpVar;
use ark_r1cs_std::prelude::*;
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError};

// ---------------------------------------------------------------- commit

/// Proves a batch of commitments.
#[derive(Clone, Debug)]
pub struct CommitCircuit {
    /// The witness.
    pub witness: CommitWitness,
}

impl CommitCircuit {
    /// The shape for key generation.
    pub fn for_setup(depth: usize, period: u64, slots: usize) -> Self {
        let ledger = TrustLedger::new(depth, [], AdmissionRules { suspension: 0, period })
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

        let before = LedgerRootsVar::opening(&cs, &w.before, &old_root)?;
        let mut root = before.members.clone();
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
            path.update_if(
                &mut root,
                &leaf_gadget(&key, &susp, &lp1, &pending)?,
                &leaf_gadget(&key, &susp, &period_plus_one, &c)?,
                &used,
            )?;
            PoseidonGadget::chain_if(&mut digest, &c, &used)?;
        }
        LedgerRootsVar { members: root, ..before }.root()?.enforce_equal(&new_root)?;
        digest.enforce_equal(&digest_in)
    }
}

// --------------------------------------------------------------- resolve

/// Proves a batch of resolutions.
#[derive(Clone, Debug)]
pub struct ResolveCircuit {
    /// The witness.
    pub witness: ResolveWitness,
}

impl ResolveCircuit {
    /// The shape for key generation.
    pub fn for_setup(depth: usize, suspension: u64, slots: usize) -> Self {
        let ledger = TrustLedger::new(depth, [], AdmissionRules { suspension, period: 1 })
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
        let before = LedgerRootsVar::opening(&cs, &w.before, &old_root)?;
        let mut root = before.members.clone();
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
                path.update_if(
                    &mut root,
                    &leaf_gadget(&key, &susp, &lp1, &pending)?,
                    &leaf_gadget(&key, &new_susp, &lp1, &zero)?,
                    &used,
                )?;
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
                path.update_if(&mut root, &zero, &leaf_gadget(key, &zero, &zero, &zero)?, on)?;
            }
            PoseidonGadget::chain_if(&mut digest, &hash, &used)?;
        }
        LedgerRootsVar { members: root, ..before }.root()?.enforce_equal(&new_root)?;
        digest.enforce_equal(&digest_in)
    }
}

/// The most commit or resolve slots a circuit is made with.
pub const MAX_TRUST_SLOTS: usize = 1024;

/// The shape of a commit circuit: member tree depth, epochs per period, slots.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CommitShape {
    /// Member tree depth.
    pub depth: usize,
    /// Epochs per sponsoring period.
    pub period: u64,
    /// Commitment slots.
    pub slots: usize,
}

impl CircuitShape for CommitShape {
    const SPECS: &'static [&'static CircuitSpec] = &[&spec::TRUST_COMMIT];

    fn values(&self) -> Vec<u64> {
        vec![self.depth as u64, self.period, self.slots as u64]
    }

    fn from_values(spec: &'static CircuitSpec, values: &[u64]) -> Result<Self, ShapeError> {
        let max = [MAX_DEPTH as u64, u64::MAX, MAX_TRUST_SLOTS as u64];
        let [depth, _, slots] = sizes(spec, values, max)?;
        Ok(Self { depth, period: values[1], slots })
    }

    fn describe(&self) -> String {
        format!(
            "member depth {}, period {} epoch{}, {} slot{}",
            self.depth,
            self.period,
            plural(self.period as usize),
            self.slots,
            plural(self.slots)
        )
    }
}

impl Circuit for CommitCircuit {
    type Shape = CommitShape;

    fn shape(&self) -> CommitShape {
        let w = &self.witness;
        CommitShape { depth: w.depth, period: w.period, slots: w.slots.len() }
    }

    fn for_setup(shape: &CommitShape) -> Self {
        Self::for_setup(shape.depth, shape.period, shape.slots)
    }

    fn named_inputs(&self) -> Vec<(&'static str, Fr)> {
        let w = &self.witness;
        vec![
            ("old_root", w.old_root),
            ("new_root", w.new_root),
            ("epoch", Fr::from(w.epoch)),
            ("commit_digest", w.digest),
        ]
    }
}

/// The shape of a resolve circuit: member tree depth, suspension, slots.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResolveShape {
    /// Member tree depth.
    pub depth: usize,
    /// Epochs a cooperator betrayed by its co-sponsor is suspended.
    pub suspension: u64,
    /// Reveal slots.
    pub slots: usize,
}

impl CircuitShape for ResolveShape {
    const SPECS: &'static [&'static CircuitSpec] = &[&spec::TRUST_RESOLVE];

    fn values(&self) -> Vec<u64> {
        vec![self.depth as u64, self.suspension, self.slots as u64]
    }

    fn from_values(spec: &'static CircuitSpec, values: &[u64]) -> Result<Self, ShapeError> {
        if values.len() != 3 {
            return Err(ShapeError::value(spec, "expected 3 parameters"));
        }
        let [depth, slots] =
            sizes(spec, &[values[0], values[2]], [MAX_DEPTH as u64, MAX_TRUST_SLOTS as u64])?;
        Ok(Self { depth, suspension: values[1], slots })
    }

    fn describe(&self) -> String {
        format!(
            "member depth {}, suspension {} epoch{}, {} slot{}",
            self.depth,
            self.suspension,
            plural(self.suspension as usize),
            self.slots,
            plural(self.slots)
        )
    }
}

impl Circuit for ResolveCircuit {
    type Shape = ResolveShape;

    fn shape(&self) -> ResolveShape {
        let w = &self.witness;
        ResolveShape { depth: w.depth, suspension: w.suspension, slots: w.slots.len() }
    }

    fn for_setup(shape: &ResolveShape) -> Self {
        Self::for_setup(shape.depth, shape.suspension, shape.slots)
    }

    fn named_inputs(&self) -> Vec<(&'static str, Fr)> {
        let w = &self.witness;
        vec![("old_root", w.old_root), ("new_root", w.new_root), ("sponsorship_digest", w.digest)]
    }
}
