//! The witnesses of the commit and resolve circuits, and the builders that
//! make them without checking any rule (what a cheating prover would force
//! in).

use super::{Commit, Member, Result, Reveal, TrustError, TrustLedger};
use crate::ledger::LedgerRoots;
use crate::primitives::babyjubjub::Point;
use crate::primitives::merkle::SparseMerkleTree;
use crate::primitives::poseidon::{hash2, poseidon};
use crate::Fr;
use ark_ff::{One, Zero};
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
    /// The ledger's parts before the batch (the member root the slots
    /// start from; the others carried through).
    pub before: LedgerRoots,
    /// Ledger root before (public).
    pub old_root: Fr,
    /// Root after (public).
    pub new_root: Fr,
    /// `dᵢ₊₁ = Poseidon(dᵢ, commitmentᵢ)` (public).
    pub digest: Fr,
    /// Slots.
    pub slots: Vec<CommitSlot>,
}

/// The witness a prover would build, checking nothing.
pub fn build_commit_witness_unchecked(
    ledger: &TrustLedger,
    commits: &[Commit],
    epoch: u64,
    slots: usize,
) -> Result<CommitWitness> {
    if commits.len() > slots {
        return Err(TrustError::TooMany { len: commits.len(), slots });
    }
    let depth = ledger.tree().depth();
    let mut tree = FieldTree::of(ledger)?;
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
        before: ledger.roots(),
        old_root: ledger.root(),
        new_root: ledger.roots().with_members(tree.tree.root()).root(),
        digest,
        slots: out,
    })
}

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
    /// The ledger's parts before the batch (the member root the slots
    /// start from; the others carried through).
    pub before: LedgerRoots,
    /// Ledger root before (public).
    pub old_root: Fr,
    /// Root after (public).
    pub new_root: Fr,
    /// `dᵢ₊₁ = Poseidon(dᵢ, sponsorship hashᵢ)` (public).
    pub digest: Fr,
    /// Slots.
    pub slots: Vec<ResolveSlot>,
}

/// The witness a prover would build, checking nothing.
pub fn build_resolve_witness_unchecked(
    ledger: &TrustLedger,
    reveals: &[Reveal],
    slots: usize,
) -> Result<ResolveWitness> {
    if reveals.len() > slots {
        return Err(TrustError::TooMany { len: reveals.len(), slots });
    }
    let depth = ledger.tree().depth();
    let suspension = ledger.rules().suspension;
    let mut tree = FieldTree::of(ledger)?;
    let mut members = ledger.clone();
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
                let pk = crate::primitives::eddsa::PublicKey(*key);
                members.members.insert(*index, Member::new(pk));
            }
            inserts.push((*index, path));
        }
        digest = hash2(digest, s.hash());
        let [a, b] = <[MemberSlot; 2]>::try_from(sponsor_slots).expect("two sponsors");
        let [i0, i1] = <[(u64, Vec<Fr>); 2]>::try_from(inserts)
            .map_err(|_| TrustError::Unfit("the member tree is full"))?;
        out.push(ResolveSlot {
            used: true,
            sponsorship: *s,
            sponsors: [a, b],
            defects,
            salts: r.openings.map(|(_, salt)| salt),
            inserts: [i0, i1],
        });
    }
    let unused_key = crate::primitives::eddsa::PublicKey(identity());
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
        before: ledger.roots(),
        old_root: ledger.root(),
        new_root: ledger.roots().with_members(tree.tree.root()).root(),
        digest,
        slots: out,
    })
}
