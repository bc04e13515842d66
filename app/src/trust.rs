//! The Proof-of-Trust demo: admission committed and resolved in proven
//! batches, and the rules refusing what follows.

use crate::backend::{prover, BackendOptions};
use crate::progress::{step, Progress};
use crate::text::{fr, secs};
use crate::{verify_bytes, AppError, Result};
use serde::Serialize;
use stateproof_circuits::sample::{sample_key, sample_sponsorship};
use stateproof_circuits::trust::{
    AdmissionRules, Choice, Commit, CommitCircuit, CommitShape, ResolveCircuit, ResolveShape,
    Reveal, Sponsorship, TrustLedger,
};
use stateproof_circuits::Fr;
use stateproof_prover::keys::{self, Keys, DEVELOPMENT_SETUP_WARNING};
use stateproof_prover::trust::{prove_commits, prove_resolutions};
use std::fmt;
use std::time::{Duration, Instant};

/// What the trust demo did.
#[derive(Clone, Debug, Serialize)]
pub struct TrustDemoReport {
    /// The rules.
    pub suspension: u64,
    /// See `suspension`.
    pub period: u64,
    /// Constraints of the commit circuit (4 slots).
    pub commit_constraints: usize,
    /// Constraints of the resolve circuit (2 slots).
    pub resolve_constraints: usize,
    /// Key generation time.
    pub setup_seconds: f64,
    /// What computed what.
    pub backend: String,
    /// Proving the commitments, then verifying them.
    pub commit_seconds: (f64, f64),
    /// Proving the resolutions, then verifying them.
    pub resolve_seconds: (f64, f64),
    /// Members admitted by each sponsorship.
    pub admitted: Vec<Vec<u64>>,
    /// Until when member 2 is suspended.
    pub suspended_until: u64,
    /// Why the rules refused member 2's and member 0's next commitments.
    pub refused: [String; 2],
    /// Members at the end.
    pub members: usize,
    /// The member tree's root.
    pub root: String,
    /// Keys from a development setup.
    pub development_setup: bool,
}

impl fmt::Display for TrustDemoReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = |x: f64| secs(Duration::from_secs_f64(x));
        writeln!(f, "stateproof trust demo: Proof-of-Trust admission among 4 members (suspension {} epochs, one sponsorship per {} epochs)", self.suspension, self.period)?;
        writeln!(
            f,
            "  circuits: commit {} constraints (4 slots), resolve {} (2 slots)",
            self.commit_constraints, self.resolve_constraints
        )?;
        writeln!(f, "  setup:    {} ({DEVELOPMENT_SETUP_WARNING})", s(self.setup_seconds))?;
        writeln!(f, "  prove:    {}", self.backend)?;
        writeln!(
            f,
            "  commit:   4 sponsors store hidden choices at epoch 0, proven in {}",
            s(self.commit_seconds.0)
        )?;
        writeln!(f, "  verify:   commit batch VALID in {}", s(self.commit_seconds.1))?;
        writeln!(
            f,
            "  resolve:  both sponsorships revealed and applied, proven in {}",
            s(self.resolve_seconds.0)
        )?;
        writeln!(f, "  verify:   resolve batch VALID in {}", s(self.resolve_seconds.1))?;
        writeln!(f, "  outcome:  0 and 1 cooperated: candidate admitted as member {:?}; 3 defected: members {:?} admitted under its keys, 2 suspended until epoch {}", self.admitted[0], self.admitted[1], self.suspended_until)?;
        writeln!(f, "  epoch 3:  member 2 commits again -> refused ({})", self.refused[0])?;
        writeln!(f, "            member 0 commits again -> refused ({})", self.refused[1])?;
        write!(f, "  members:  {}, root {}", self.members, self.root)
    }
}

/// Two sponsorships (both cooperate; one defects) committed and resolved in
/// proven, verified batches; then the rules refuse a suspended sponsor and
/// a second sponsorship in one period.
pub fn demo(progress: &dyn Progress, backend: &BackendOptions) -> Result<TrustDemoReport> {
    let depth = 4;
    let rules = AdmissionRules { suspension: 10, period: 5 };
    let ledger = TrustLedger::new(depth, (0..4).map(|i| (i, sample_key(i).public_key())), rules)
        .map_err(AppError::unusable)?;
    let commit_shape = CommitShape { depth, period: rules.period, slots: 4 };
    let resolve_shape = ResolveShape { depth, suspension: rules.suspension, slots: 2 };
    let commit_constraints =
        keys::count_constraints(CommitCircuit::for_setup(depth, rules.period, 4))?;
    let resolve_constraints =
        keys::count_constraints(ResolveCircuit::for_setup(depth, rules.suspension, 2))?;
    let start = Instant::now();
    let (ckeys, rkeys) = step(progress, "generating keys (development setup)", || {
        Ok::<_, stateproof_prover::Error>((
            Keys::setup::<CommitCircuit>(&commit_shape, &mut keys::os_rng())?,
            Keys::setup::<ResolveCircuit>(&resolve_shape, &mut keys::os_rng())?,
        ))
    })?;
    let setup_seconds = start.elapsed().as_secs_f64();

    // Epoch 0: 0 and 1 both cooperate; 2 cooperates and 3 defects.
    let a = sample_sponsorship(1, [0, 1], 0);
    let b = sample_sponsorship(2, [2, 3], 0);
    let plays =
        [(a, [Choice::Cooperate, Choice::Cooperate]), (b, [Choice::Cooperate, Choice::Defect])];
    let salt = |s: &Sponsorship, i: usize| Fr::from(s.id * 10 + i as u64 + 7);
    let commits: Vec<Commit> = plays
        .iter()
        .flat_map(|(s, choices)| {
            (0..2).map(move |i| {
                Commit::sign(&sample_key(s.sponsors[i]), s.sponsors[i], s, choices[i], salt(s, i))
            })
        })
        .collect();
    let backends = backend.open();
    let cprover = prover(&ckeys, &backends)?;
    let start = Instant::now();
    let (committed, cu, _) = step(progress, "proving the commitments", || {
        prove_commits(&cprover, &ckeys, &ledger, &commits, 0)
    })?;
    let commit_prove = start.elapsed().as_secs_f64();
    let commit_verify = verify_bytes("commit batch", &ckeys.verifying_key, &cu)?;
    let commit_seconds = (commit_prove, commit_verify.as_secs_f64());

    let reveals: Vec<Reveal> = plays
        .iter()
        .map(|(s, choices)| Reveal {
            sponsorship: *s,
            openings: [(choices[0], salt(s, 0)), (choices[1], salt(s, 1))],
        })
        .collect();
    let rprover = prover(&rkeys, &backends)?;
    let mut check_ledger = committed.clone();
    let resolutions = reveals
        .iter()
        .map(|r| check_ledger.resolve(r))
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(AppError::invalid)?;
    let start = Instant::now();
    let (resolved, ru, _) = step(progress, "proving the resolutions", || {
        prove_resolutions(&rprover, &rkeys, &committed, &reveals)
    })?;
    let resolve_seconds = (
        start.elapsed().as_secs_f64(),
        verify_bytes("resolve batch", &rkeys.verifying_key, &ru)?.as_secs_f64(),
    );
    if cu.input("new_root").ok() != ru.input("old_root").ok() {
        return Err(AppError::invalid("the resolve batch does not start where the commits ended"));
    }
    // The rules refuse what follows.
    let again = sample_sponsorship(3, [2, 0], 3);
    let refusal = |member: u64| {
        resolved
            .clone()
            .commit(&Commit::sign(
                &sample_key(member),
                member,
                &again,
                Choice::Cooperate,
                Fr::from(1u64),
            ))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
    };
    let report = TrustDemoReport {
        suspension: rules.suspension,
        period: rules.period,
        commit_constraints,
        resolve_constraints,
        setup_seconds,
        backend: backends.description(),
        commit_seconds,
        resolve_seconds,
        admitted: resolutions
            .iter()
            .map(|r| r.admitted.iter().map(|(i, _)| *i).collect())
            .collect(),
        suspended_until: resolved.member(2).map_or(0, |m| m.suspended_until),
        refused: [refusal(2), refusal(0)],
        members: resolved.members().len(),
        root: fr(&resolved.root()),
        development_setup: true,
    };
    if report.members != 4 + 1 + 2 {
        return Err(AppError::invalid("unexpected membership after the demo"));
    }
    Ok(report)
}
