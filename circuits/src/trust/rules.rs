//! The rules of Proof-of-Trust admission: members, sponsorships, commitments
//! and reveals, and the member ledger they move.

use super::witness::{build_commit_witness_unchecked, build_resolve_witness_unchecked};
use super::{CommitWitness, ResolveWitness, Result};
use crate::ledger::LedgerRoots;
use crate::primitives::eddsa::{PublicKey, SecretKey, Signature};
use crate::primitives::merkle::SparseMerkleTree;
use crate::primitives::poseidon::poseidon;
use crate::Fr;
use ark_ff::Zero;
use std::collections::BTreeMap;
use thiserror::Error as ThisError;

/// Domain tag of choice commitments (ASCII `sp:cmmit`).
pub const COMMIT_DOMAIN: u64 = 0x73_70_3a_63_6d_6d_69_74;

/// Domain tag of sponsorship hashes (ASCII `sp:spnsr`).
pub const SPONSOR_DOMAIN: u64 = 0x73_70_3a_73_70_6e_73_72;

/// A sponsor's choice.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Choice {
    /// Admit the candidate.
    Cooperate,
    /// Take two admissions for oneself.
    Defect,
}

impl Choice {
    /// The choice as committed: 1 cooperate, 2 defect.
    pub fn field(self) -> Fr {
        Fr::from(match self {
            Choice::Cooperate => 1u64,
            Choice::Defect => 2,
        })
    }
}

/// The admission rules fixed at setup.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AdmissionRules {
    /// Epochs a suspension lasts.
    pub suspension: u64,
    /// Epochs per sponsoring period (one sponsorship per member per period).
    pub period: u64,
}

/// A member's admission state: what its leaf holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Member {
    /// The member's key.
    pub public_key: PublicKey,
    /// Its sponsoring privilege is suspended before this epoch.
    pub suspended_until: u64,
    /// The last period in which it sponsored (`None`: never).
    pub last_period: Option<u64>,
    /// Its stored commitment (zero: none).
    pub pending: Fr,
}

impl Member {
    /// A new member: not suspended, never sponsored, nothing pending.
    pub fn new(public_key: PublicKey) -> Self {
        Self { public_key, suspended_until: 0, last_period: None, pending: Fr::zero() }
    }

    /// The member's leaf.
    pub fn leaf(&self) -> Fr {
        member_leaf(
            &self.public_key,
            Fr::from(self.suspended_until),
            Fr::from(self.last_period.map_or(0, |p| p + 1)),
            self.pending,
        )
    }
}

fn member_leaf(pk: &PublicKey, suspended_until: Fr, last_period_plus_one: Fr, pending: Fr) -> Fr {
    poseidon(&[pk.0.x, pk.0.y, suspended_until, last_period_plus_one, pending])
        .expect("Poseidon(5)")
}

/// The rules an admission can break, one variant each.
#[derive(Debug, ThisError, Clone, Copy, PartialEq, Eq)]
pub enum TrustRule {
    /// A sponsor who is not a member.
    #[error("{0} is not a member")]
    NotMember(u64),
    /// A sponsor whose privilege is suspended.
    #[error("sponsor {0} is suspended")]
    Suspended(u64),
    /// A sponsor who already sponsored in this period.
    #[error("sponsor {0} already sponsored in this period")]
    SponsoredThisPeriod(u64),
    /// A sponsor with a commitment already pending.
    #[error("sponsor {0} already has a pending commitment")]
    Pending(u64),
    /// The same member twice.
    #[error("the two sponsors are one member")]
    SameSponsor,
    /// A commitment not signed by its sponsor.
    #[error("the commitment of sponsor {0} is not signed by it")]
    UnsignedCommitment(u64),
    /// A reveal with no pending commitment (never committed, or revealed).
    #[error("sponsor {0} reveals without a pending commitment")]
    RevealWithoutCommitment(u64),
    /// A reveal that does not open the commitment.
    #[error("the reveal of sponsor {0} does not match its commitment")]
    RevealMismatch(u64),
}

impl TrustRule {
    /// The rule's name in kebab case, as APIs report it (`suspended`).
    pub fn name(self) -> &'static str {
        match self {
            TrustRule::NotMember(_) => "not-member",
            TrustRule::Suspended(_) => "suspended",
            TrustRule::SponsoredThisPeriod(_) => "sponsored-this-period",
            TrustRule::Pending(_) => "commitment-pending",
            TrustRule::SameSponsor => "same-sponsor",
            TrustRule::UnsignedCommitment(_) => "unsigned-commitment",
            TrustRule::RevealWithoutCommitment(_) => "reveal-without-commitment",
            TrustRule::RevealMismatch(_) => "reveal-mismatch",
        }
    }
}

/// Why a commitment or a reveal is refused.
#[derive(Debug, ThisError, Clone, PartialEq, Eq)]
pub enum TrustError {
    /// An admission rule is broken.
    #[error("admission: {0}")]
    Rule(TrustRule),
    /// Input that does not fit the batch or the ledger (another epoch, an
    /// epoch that overflows, a full member tree).
    #[error("admission: {0}")]
    Unfit(&'static str),
    /// More commitments or reveals than the circuit has slots.
    #[error("{len} entries for a circuit of {slots} slots")]
    TooMany {
        /// Entries given.
        len: usize,
        /// Slots of the circuit.
        slots: usize,
    },
    /// A malformed key, index, tree or value.
    #[error(transparent)]
    Primitive(#[from] crate::primitives::Error),
}

fn rule(r: TrustRule) -> TrustError {
    TrustError::Rule(r)
}

/// A sponsorship's terms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sponsorship {
    /// Id.
    pub id: u64,
    /// The two sponsors' member indices.
    pub sponsors: [u64; 2],
    /// The candidate's key.
    pub candidate: PublicKey,
    /// The keys each sponsor gets admitted if it alone defects.
    pub defector_keys: [[PublicKey; 2]; 2],
    /// The epoch.
    pub epoch: u64,
}

impl Sponsorship {
    /// `h₁ = P(SPONSOR_DOMAIN, id, s₀, s₁, cand.x, cand.y)`,
    /// `h₂ = P(h₁, epoch, d₀₀.x, d₀₀.y, d₀₁.x, d₀₁.y)`,
    /// `P(h₂, d₁₀.x, d₁₀.y, d₁₁.x, d₁₁.y)`.
    pub fn hash(&self) -> Fr {
        let p = |v: &[Fr]| poseidon(v).expect("Poseidon arities 5 and 6");
        let [[a, b], [c, d]] = self.defector_keys.map(|pair| pair.map(|k| k.0));
        let h1 = p(&[
            Fr::from(SPONSOR_DOMAIN),
            Fr::from(self.id),
            Fr::from(self.sponsors[0]),
            Fr::from(self.sponsors[1]),
            self.candidate.0.x,
            self.candidate.0.y,
        ]);
        let h2 = p(&[h1, Fr::from(self.epoch), a.x, a.y, b.x, b.y]);
        p(&[h2, c.x, c.y, d.x, d.y])
    }
}

/// The commitment to a choice for a sponsorship.
pub fn commitment(sponsorship: &Sponsorship, choice: Choice, salt: Fr) -> Fr {
    poseidon(&[Fr::from(COMMIT_DOMAIN), sponsorship.hash(), choice.field(), salt])
        .expect("Poseidon(4)")
}

/// A sponsor's signed commitment, as the commit step sees it: the
/// sponsorship stays hidden inside the commitment until the reveal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Commit {
    /// The sponsor.
    pub sponsor: u64,
    /// The sponsorship's epoch (the batch's).
    pub epoch: u64,
    /// The commitment.
    pub commitment: Fr,
    /// Its signature by the sponsor.
    pub signature: Signature,
}

impl Commit {
    /// Commits `choice` for `sponsorship` as `sponsor`, signed with `key`.
    pub fn sign(
        key: &SecretKey,
        sponsor: u64,
        sponsorship: &Sponsorship,
        choice: Choice,
        salt: Fr,
    ) -> Self {
        let c = commitment(sponsorship, choice, salt);
        Self { sponsor, epoch: sponsorship.epoch, commitment: c, signature: key.sign(c) }
    }
}

/// Both reveals of a sponsorship.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reveal {
    /// The sponsorship.
    pub sponsorship: Sponsorship,
    /// Each sponsor's choice and salt.
    pub openings: [(Choice, Fr); 2],
}

/// What a resolution did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolution {
    /// Member indices admitted, with their keys.
    pub admitted: Vec<(u64, PublicKey)>,
    /// Sponsors suspended.
    pub suspended: Vec<u64>,
}

/// What one of the admission rules writes (members by index), worked out
/// by its check before anything is written: a rule that fails leaves the
/// ledger as it was without copying it.
#[derive(Clone, Debug)]
pub struct MemberWrites(Vec<(u64, Member)>);

impl MemberWrites {
    /// The members it writes, with their new values.
    pub fn members(&self) -> impl Iterator<Item = (u64, &Member)> {
        self.0.iter().map(|(i, m)| (*i, m))
    }
}

/// The member tree, with the account and deal roots that admissions carry
/// through. Its root is the ledger's, [`LedgerRoots::root`] over the three.
#[derive(Clone, Debug)]
pub struct TrustLedger {
    pub(super) tree: SparseMerkleTree,
    pub(super) members: BTreeMap<u64, Member>,
    pub(super) rules: AdmissionRules,
    /// The account tree's root, which no admission moves (0: a ledger of
    /// members alone).
    pub accounts_root: Fr,
    /// The deal tree's root, which no admission moves (0: none).
    pub deals_root: Fr,
}

impl TrustLedger {
    /// A ledger of `depth` with genesis members.
    pub fn new(
        depth: usize,
        members: impl IntoIterator<Item = (u64, PublicKey)>,
        rules: AdmissionRules,
    ) -> Result<Self> {
        let mut ledger = Self {
            tree: SparseMerkleTree::new(depth)?,
            members: BTreeMap::new(),
            rules,
            accounts_root: Fr::zero(),
            deals_root: Fr::zero(),
        };
        for (i, k) in members {
            ledger.set(i, Member::new(k))?;
        }
        Ok(ledger)
    }

    /// A member tree as a store kept it: every member with its admission
    /// state, each leaf rehashed from it.
    pub fn restore(
        depth: usize,
        members: impl IntoIterator<Item = (u64, Member)>,
        rules: AdmissionRules,
    ) -> Result<Self> {
        let mut ledger = Self::new(depth, [], rules)?;
        for (i, m) in members {
            ledger.set(i, m)?;
        }
        Ok(ledger)
    }

    fn set(&mut self, index: u64, m: Member) -> Result<()> {
        self.tree.set(index, m.leaf())?;
        self.members.insert(index, m);
        Ok(())
    }

    /// The ledger's parts.
    pub fn roots(&self) -> LedgerRoots {
        LedgerRoots {
            accounts: self.accounts_root,
            deals: self.deals_root,
            members: self.tree.root(),
        }
    }

    /// The ledger's root.
    pub fn root(&self) -> Fr {
        self.roots().root()
    }

    /// The rules.
    pub fn rules(&self) -> AdmissionRules {
        self.rules
    }

    /// The tree.
    pub fn tree(&self) -> &SparseMerkleTree {
        &self.tree
    }

    /// A member.
    pub fn member(&self, index: u64) -> Option<&Member> {
        self.members.get(&index)
    }

    /// All members.
    pub fn members(&self) -> &BTreeMap<u64, Member> {
        &self.members
    }

    /// The period of an epoch.
    pub fn period(&self, epoch: u64) -> u64 {
        epoch / self.rules.period.max(1)
    }

    /// The first `n` empty leaves, lowest first.
    pub(crate) fn free_indices(&self, n: usize) -> Vec<u64> {
        (0u64..).filter(|i| !self.members.contains_key(i)).take(n).collect()
    }

    /// Stores a sponsor's commitment under the commit rules. (Which
    /// sponsorship it is for is hidden until the reveal, which checks it.)
    pub fn commit(&mut self, c: &Commit) -> Result<()> {
        let w = self.check_commit(c)?;
        self.write(w)
    }

    /// [`TrustLedger::commit`]'s checks: what it would write.
    pub fn check_commit(&self, c: &Commit) -> Result<MemberWrites> {
        let m = *self.members.get(&c.sponsor).ok_or(rule(TrustRule::NotMember(c.sponsor)))?;
        if c.epoch < m.suspended_until {
            return Err(rule(TrustRule::Suspended(c.sponsor)));
        }
        let period = self.period(c.epoch);
        if m.last_period == Some(period) {
            return Err(rule(TrustRule::SponsoredThisPeriod(c.sponsor)));
        }
        if !m.pending.is_zero() {
            return Err(rule(TrustRule::Pending(c.sponsor)));
        }
        if c.commitment.is_zero() || m.public_key.verify(c.commitment, &c.signature).is_err() {
            return Err(rule(TrustRule::UnsignedCommitment(c.sponsor)));
        }
        Ok(MemberWrites(vec![(
            c.sponsor,
            Member { last_period: Some(period), pending: c.commitment, ..m },
        )]))
    }

    /// Writes what a rule's check worked out (every index in `w` checked
    /// against the tree by the check: nothing here fails halfway).
    pub fn write(&mut self, w: MemberWrites) -> Result<()> {
        for (index, m) in w.0 {
            self.set(index, m)?;
        }
        Ok(())
    }

    /// Opens both commitments and applies the outcome.
    pub fn resolve(&mut self, r: &Reveal) -> Result<Resolution> {
        let (w, resolution) = self.check_resolve(r)?;
        self.write(w)?;
        Ok(resolution)
    }

    /// [`TrustLedger::resolve`]'s checks: what it would write, and the
    /// outcome.
    pub fn check_resolve(&self, r: &Reveal) -> Result<(MemberWrites, Resolution)> {
        let s = &r.sponsorship;
        if s.sponsors[0] == s.sponsors[1] {
            return Err(rule(TrustRule::SameSponsor));
        }
        for (slot, sponsor) in s.sponsors.iter().enumerate() {
            let m = self.members.get(sponsor).ok_or(rule(TrustRule::NotMember(*sponsor)))?;
            if m.pending.is_zero() {
                return Err(rule(TrustRule::RevealWithoutCommitment(*sponsor)));
            }
            let (choice, salt) = r.openings[slot];
            if commitment(s, choice, salt) != m.pending {
                return Err(rule(TrustRule::RevealMismatch(*sponsor)));
            }
        }
        let defects = r.openings.map(|(c, _)| c == Choice::Defect);
        let keys: Vec<PublicKey> = match defects {
            [false, false] => vec![s.candidate],
            [true, false] => s.defector_keys[0].to_vec(),
            [false, true] => s.defector_keys[1].to_vec(),
            [true, true] => vec![],
        };
        let mut writes = Vec::new();
        let mut suspended = Vec::new();
        for (slot, sponsor) in s.sponsors.iter().enumerate() {
            let m = self.members[sponsor];
            let suspend = defects[1 - slot];
            let until = if suspend {
                s.epoch
                    .checked_add(self.rules.suspension)
                    .ok_or(TrustError::Unfit("epoch + suspension overflows"))?
            } else {
                m.suspended_until
            };
            if suspend {
                suspended.push(*sponsor);
            }
            writes.push((*sponsor, Member { suspended_until: until, pending: Fr::zero(), ..m }));
        }
        let depth = self.tree.depth();
        let admitted: Vec<(u64, PublicKey)> =
            self.free_indices(keys.len()).into_iter().zip(keys).collect();
        if admitted.iter().any(|(i, _)| i >> depth.min(63) != 0) {
            return Err(TrustError::Unfit("the member tree is full"));
        }
        writes.extend(admitted.iter().map(|(i, key)| (*i, Member::new(*key))));
        Ok((MemberWrites(writes), Resolution { admitted, suspended }))
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
            return Err(TrustError::Unfit("commits of another epoch"));
        }
        next.commit(c)?;
    }
    let w = build_commit_witness_unchecked(ledger, commits, epoch, slots)?;
    debug_assert_eq!(w.new_root, next.root());
    Ok((next, w))
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
