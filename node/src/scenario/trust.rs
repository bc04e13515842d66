//! The Proof-of-Trust demo against a node: two sponsorships among the four
//! genesis members committed and revealed (0 and 1 cooperate; 3 defects
//! against 2), each batch proven by the node; the node's rules refusing a
//! suspended sponsor and a second sponsorship in one period; and every
//! member read through a light client and checked against the native
//! rules' ledger.

use super::{Phase, ScenarioNode, TREE_DEPTH};
use crate::ledger::{LedgerConfig, Tx};
use crate::wire::MemberFields;
use serde::Serialize;
use stateproof_app::backend::BackendOptions;
use stateproof_app::progress::Progress;
use stateproof_app::text::secs;
use stateproof_app::{AppError, Result};
use stateproof_circuits::sample::{sample_key, sample_sponsorship};
use stateproof_circuits::trust::{Choice, Commit, Reveal, Sponsorship, TrustLedger};
use stateproof_circuits::Fr;
use stateproof_prover::keys::DEVELOPMENT_SETUP_WARNING;
use std::fmt;
use std::time::Duration;

/// What the trust demo did.
#[derive(Clone, Debug, Serialize)]
pub struct TrustDemoReport {
    /// The node's API address while it ran.
    pub node: String,
    /// The rules.
    pub suspension: u64,
    /// See `suspension`.
    pub period: u64,
    /// Key generation for every circuit of the ledger.
    pub setup_seconds: f64,
    /// What proved.
    pub backend: String,
    /// The commitments.
    pub commit: Phase,
    /// The reveals.
    pub resolve: Phase,
    /// Members admitted by each sponsorship.
    pub admitted: Vec<Vec<u64>>,
    /// Until when member 2 is suspended.
    pub suspended_until: u64,
    /// The rules the node named refusing member 2's and member 0's next
    /// commitments.
    pub refused: [String; 2],
    /// Updates the light client verified and followed.
    pub followed: u64,
    /// Members at the verified root.
    pub members: u64,
    /// That root.
    pub root: String,
    /// Keys from a development setup.
    pub development_setup: bool,
}

impl fmt::Display for TrustDemoReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "stateproof trust demo: Proof-of-Trust admission among 4 members (suspension {} epochs, one sponsorship per {} epochs) on a node in this process ({})", self.suspension, self.period, self.node)?;
        writeln!(
            f,
            "  setup:    every ledger circuit's key in {} ({DEVELOPMENT_SETUP_WARNING})",
            secs(Duration::from_secs_f64(self.setup_seconds))
        )?;
        writeln!(f, "  prove:    {}", self.backend)?;
        writeln!(f, "  commit:   4 sponsors store hidden choices at epoch 0: {}", self.commit)?;
        writeln!(f, "  resolve:  both sponsorships revealed and applied: {}", self.resolve)?;
        writeln!(f, "  outcome:  0 and 1 cooperated: candidate admitted as member {:?}; 3 defected: members {:?} admitted under its keys, 2 suspended until epoch {}", self.admitted[0], self.admitted[1], self.suspended_until)?;
        writeln!(f, "  epoch 3:  member 2 commits again -> refused ({})", self.refused[0])?;
        writeln!(f, "            member 0 commits again -> refused ({})", self.refused[1])?;
        writeln!(f, "  follow:   the light client verified {} updates VALID", self.followed)?;
        write!(
            f,
            "  members:  {}, each as the admission rules say (verified against root {})",
            self.members, self.root
        )
    }
}

/// Two sponsorships committed and resolved on a node; then the node
/// refuses a suspended sponsor and a second sponsorship in one period.
pub fn demo(progress: &dyn Progress, backend: &BackendOptions) -> Result<TrustDemoReport> {
    let config = LedgerConfig::default();
    let rules = config.admission_rules();
    let node = ScenarioNode::start(progress, backend, config.clone())?;
    // The same play through the native rules, to check the node by.
    let genesis = (0..config.members).map(|i| (i, sample_key(i).public_key()));
    let mut native = TrustLedger::new(TREE_DEPTH, genesis, rules).map_err(AppError::unusable)?;

    // Epoch 0: 0 and 1 both cooperate; 2 cooperates and 3 defects.
    let plays = [
        (sample_sponsorship(1, [0, 1], 0), [Choice::Cooperate, Choice::Cooperate]),
        (sample_sponsorship(2, [2, 3], 0), [Choice::Cooperate, Choice::Defect]),
    ];
    let salt = |s: &Sponsorship, i: usize| Fr::from(s.id * 10 + i as u64 + 7);
    let commits: Vec<Commit> = plays
        .iter()
        .flat_map(|(s, choices)| {
            (0..2).map(move |i| {
                Commit::sign(&sample_key(s.sponsors[i]), s.sponsors[i], s, choices[i], salt(s, i))
            })
        })
        .collect();
    for c in &commits {
        native.commit(c).map_err(AppError::invalid)?;
    }
    let txs: Vec<Tx> = commits.into_iter().map(Tx::SponsorCommit).collect();
    let commit = node.prove(progress, "proving the commitments", &txs)?;

    let reveals: Vec<Reveal> = plays
        .iter()
        .map(|(s, choices)| Reveal {
            sponsorship: *s,
            openings: [(choices[0], salt(s, 0)), (choices[1], salt(s, 1))],
        })
        .collect();
    let resolutions = reveals
        .iter()
        .map(|r| native.resolve(r))
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(AppError::invalid)?;
    let txs: Vec<Tx> = reveals.into_iter().map(|r| Tx::SponsorReveal(Box::new(r))).collect();
    let resolve = node.prove(progress, "proving the resolutions", &txs)?;

    // Epoch 3: the node refuses what the rules forbid.
    let again = sample_sponsorship(3, [2, 0], 3);
    let refusal = |member: u64| {
        let c =
            Commit::sign(&sample_key(member), member, &again, Choice::Cooperate, Fr::from(1u64));
        node.refusal(&Tx::SponsorCommit(c)).map(|r| r.rule)
    };
    let refused = [refusal(2)?, refusal(0)?];

    // Every member the native rules know, and the first index past them,
    // through the light client.
    let followed = node.follow()?;
    let mut root = followed.root.clone();
    let last = native.members().keys().next_back().copied().unwrap_or(0);
    for index in 0..=last + 1 {
        let report = node.member(index)?;
        let want = native.member(index).map(MemberFields::of);
        if report.member != want {
            return Err(AppError::invalid(format!(
                "{}: member {index} at the verified root is {:?}; the admission rules say {want:?}",
                node.url(),
                report.member
            )));
        }
        root = report.root;
    }
    let report = TrustDemoReport {
        node: node.url().to_string(),
        suspension: rules.suspension,
        period: rules.period,
        setup_seconds: node.setup_seconds,
        backend: node.backend.clone(),
        commit,
        resolve,
        admitted: resolutions
            .iter()
            .map(|r| r.admitted.iter().map(|(i, _)| *i).collect())
            .collect(),
        suspended_until: native.member(2).map_or(0, |m| m.suspended_until),
        refused,
        followed: followed.accepted,
        members: native.members().len() as u64,
        root,
        development_setup: true,
    };
    node.stop()?;
    Ok(report)
}
