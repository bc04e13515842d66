//! Trust-sponsored admission (Proof-of-Trust): the native rules.
//!
//! Two members sponsor a candidate. Each first **commits** to cooperate or
//! defect with `Poseidon(COMMIT_DOMAIN, sponsorship, choice, salt)`, signed
//! and stored, then **reveals** `(choice, salt)`, which must open its
//! commitment; so neither sees the other's choice first. Once both have
//! revealed, the sponsorship **resolves**:
//!
//! - both cooperate: the candidate becomes a member;
//! - one defects: the defector gets two new members under keys it names,
//!   and the cooperator's sponsoring privilege is suspended for
//!   `suspension` epochs;
//! - both defect: both are suspended, nobody is admitted.
//!
//! A sponsor must be a member whose privilege is not suspended at the
//! sponsorship's epoch, and may sponsor at most once per period of
//! `period` epochs. A reveal without a commitment, a second reveal, a reveal
//! that does not open the commitment, or a suspended sponsor is rejected.
//! The circuit proving these rules is not written yet (see the issue notes).

use crate::eddsa::{PublicKey, SecretKey, Signature};
use crate::poseidon::poseidon;
use crate::{Error, Fr, Result};
use std::collections::BTreeMap;
use thiserror::Error as ThisError;

/// Domain tag of choice commitments (ASCII `sp:cmmit`).
pub const COMMIT_DOMAIN: u64 = 0x73_70_3a_63_6d_6d_69_74;
/// Domain tag of sponsorship hashes (ASCII `sp:spnsr`).
pub const SPONSOR_DOMAIN: u64 = 0x73_70_3a_73_70_6e_73_72;

/// A sponsor's choice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Choice {
    /// Admit the candidate.
    Cooperate,
    /// Take two admissions for oneself.
    Defect,
}

impl Choice {
    fn field(self) -> Fr {
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

/// A member's admission state (what its account leaf gains).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Member {
    /// The member's key.
    pub public_key: PublicKey,
    /// Its sponsoring privilege is suspended before this epoch.
    pub suspended_until: u64,
    /// The last period in which it sponsored (`None`: never).
    pub last_period: Option<u64>,
}

/// The rules an admission can break, one variant each.
#[derive(Debug, ThisError, Clone, Copy, PartialEq, Eq)]
pub enum TrustRule {
    /// A sponsor who is not a member.
    #[error("sponsor {0} is not a member")]
    NotMember(u64),
    /// A sponsor whose privilege is suspended.
    #[error("sponsor {0} is suspended")]
    Suspended(u64),
    /// A sponsor who already sponsored in this period.
    #[error("sponsor {0} already sponsored in this period")]
    SponsoredThisPeriod(u64),
    /// The same member twice, or a candidate slot already taken.
    #[error("bad sponsorship: {0}")]
    BadSponsorship(&'static str),
    /// A commitment not signed by its sponsor, or committed twice.
    #[error("commitment of sponsor {0} is unsigned or repeated")]
    BadCommitment(u64),
    /// A reveal with no commitment before it.
    #[error("sponsor {0} reveals without a commitment")]
    RevealWithoutCommitment(u64),
    /// A reveal that does not open the commitment.
    #[error("the reveal of sponsor {0} does not match its commitment")]
    RevealMismatch(u64),
    /// A second reveal.
    #[error("sponsor {0} already revealed")]
    SecondReveal(u64),
    /// Resolving before both reveals.
    #[error("sponsorship {0} is not fully revealed")]
    NotRevealed(u64),
    /// A sponsorship id that does not exist or is already resolved.
    #[error("sponsorship {0} is unknown or resolved")]
    UnknownSponsorship(u64),
}

fn rule(r: TrustRule) -> Error {
    Error::Invalid { what: "admission", reason: r.to_string() }
}

/// The commitment to a choice.
pub fn commitment(sponsorship: u64, choice: Choice, salt: Fr) -> Fr {
    poseidon(&[Fr::from(COMMIT_DOMAIN), Fr::from(sponsorship), choice.field(), salt])
        .expect("Poseidon(4)")
}

/// A sponsorship: two sponsors, a candidate key, the epoch it starts in,
/// and the member slots admissions fill.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sponsorship {
    /// Id.
    pub id: u64,
    /// The two sponsors' member indices.
    pub sponsors: [u64; 2],
    /// The candidate's key.
    pub candidate: PublicKey,
    /// Keys the sponsors name for their own two admissions if they defect.
    pub defector_keys: [[PublicKey; 2]; 2],
    /// The epoch.
    pub epoch: u64,
}

#[derive(Clone, Debug, Default)]
struct Progress {
    commitments: [Option<Fr>; 2],
    reveals: [Option<Choice>; 2],
}

/// What a resolution did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolution {
    /// The choices.
    pub choices: [Choice; 2],
    /// Member indices admitted, with their keys.
    pub admitted: Vec<(u64, PublicKey)>,
    /// Sponsors suspended.
    pub suspended: Vec<u64>,
}

/// Members and sponsorships in progress.
#[derive(Clone, Debug)]
pub struct TrustLedger {
    members: BTreeMap<u64, Member>,
    open: BTreeMap<u64, (Sponsorship, Progress)>,
    rules: AdmissionRules,
}

impl TrustLedger {
    /// A ledger with genesis members.
    pub fn new(members: impl IntoIterator<Item = (u64, PublicKey)>, rules: AdmissionRules) -> Self {
        let members = members
            .into_iter()
            .map(|(i, k)| (i, Member { public_key: k, suspended_until: 0, last_period: None }))
            .collect();
        Self { members, open: BTreeMap::new(), rules }
    }

    /// A member.
    pub fn member(&self, index: u64) -> Option<&Member> {
        self.members.get(&index)
    }

    /// All members.
    pub fn members(&self) -> &BTreeMap<u64, Member> {
        &self.members
    }

    fn next_index(&self) -> u64 {
        self.members.keys().next_back().map_or(0, |i| i + 1)
    }

    /// Starts a sponsorship: both sponsors members, distinct, not suspended
    /// at its epoch, and neither has sponsored in this period.
    pub fn start(&mut self, s: Sponsorship) -> Result<()> {
        if s.sponsors[0] == s.sponsors[1] {
            return Err(rule(TrustRule::BadSponsorship("the two sponsors are one member")));
        }
        if self.open.contains_key(&s.id) {
            return Err(rule(TrustRule::BadSponsorship("id in use")));
        }
        let period = s.epoch / self.rules.period.max(1);
        for sponsor in s.sponsors {
            let m = self.members.get(&sponsor).ok_or(rule(TrustRule::NotMember(sponsor)))?;
            if s.epoch < m.suspended_until {
                return Err(rule(TrustRule::Suspended(sponsor)));
            }
            if m.last_period == Some(period) {
                return Err(rule(TrustRule::SponsoredThisPeriod(sponsor)));
            }
        }
        for sponsor in s.sponsors {
            if let Some(m) = self.members.get_mut(&sponsor) {
                m.last_period = Some(period);
            }
        }
        self.open.insert(s.id, (s, Progress::default()));
        Ok(())
    }

    fn slot(&self, id: u64, sponsor: u64) -> Result<usize> {
        let (s, _) = self.open.get(&id).ok_or(rule(TrustRule::UnknownSponsorship(id)))?;
        s.sponsors.iter().position(|x| *x == sponsor).ok_or(rule(TrustRule::NotMember(sponsor)))
    }

    /// Stores a sponsor's commitment, signed with its member key.
    pub fn commit(&mut self, id: u64, sponsor: u64, c: Fr, signature: &Signature) -> Result<()> {
        let slot = self.slot(id, sponsor)?;
        let key = self.members[&sponsor].public_key;
        let progress = &mut self.open.get_mut(&id).expect("slot found it").1;
        if progress.commitments[slot].is_some() || key.verify(c, signature).is_err() {
            return Err(rule(TrustRule::BadCommitment(sponsor)));
        }
        progress.commitments[slot] = Some(c);
        Ok(())
    }

    /// Opens a sponsor's commitment.
    pub fn reveal(&mut self, id: u64, sponsor: u64, choice: Choice, salt: Fr) -> Result<()> {
        let slot = self.slot(id, sponsor)?;
        let progress = &mut self.open.get_mut(&id).expect("slot found it").1;
        let c =
            progress.commitments[slot].ok_or(rule(TrustRule::RevealWithoutCommitment(sponsor)))?;
        if progress.reveals[slot].is_some() {
            return Err(rule(TrustRule::SecondReveal(sponsor)));
        }
        if commitment(id, choice, salt) != c {
            return Err(rule(TrustRule::RevealMismatch(sponsor)));
        }
        progress.reveals[slot] = Some(choice);
        Ok(())
    }

    /// Applies the outcome once both have revealed.
    pub fn resolve(&mut self, id: u64) -> Result<Resolution> {
        let (s, progress) =
            self.open.get(&id).cloned().ok_or(rule(TrustRule::UnknownSponsorship(id)))?;
        let (Some(a), Some(b)) = (progress.reveals[0], progress.reveals[1]) else {
            return Err(rule(TrustRule::NotRevealed(id)));
        };
        let mut admitted = Vec::new();
        let mut suspended = Vec::new();
        let mut next = self.next_index();
        let mut admit = |key: PublicKey, admitted: &mut Vec<(u64, PublicKey)>| {
            admitted.push((next, key));
            next += 1;
        };
        match (a, b) {
            (Choice::Cooperate, Choice::Cooperate) => admit(s.candidate, &mut admitted),
            (Choice::Defect, Choice::Defect) => suspended.extend(s.sponsors),
            _ => {
                let defector = usize::from(a == Choice::Cooperate);
                for key in s.defector_keys[defector] {
                    admit(key, &mut admitted);
                }
                suspended.push(s.sponsors[1 - defector]);
            }
        }
        for (index, key) in &admitted {
            self.members
                .insert(*index, Member { public_key: *key, suspended_until: 0, last_period: None });
        }
        for sponsor in &suspended {
            if let Some(m) = self.members.get_mut(sponsor) {
                m.suspended_until = s.epoch + self.rules.suspension;
            }
        }
        self.open.remove(&id);
        Ok(Resolution { choices: [a, b], admitted, suspended })
    }
}

/// A sponsor's signed commitment, for demos and tests.
pub fn sign_commitment(key: &SecretKey, id: u64, choice: Choice, salt: Fr) -> (Fr, Signature) {
    let c = commitment(id, choice, salt);
    (c, key.sign(c))
}

#[cfg(test)]
mod tests;
