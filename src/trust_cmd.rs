//! `stateproof trust demo`: Proof-of-Trust admission, committed and
//! resolved in proven batches.

use crate::commands::{invalid, make_prover, unusable, verify_and_report, CliResult};
use crate::output::{secs, Output};
use crate::Backend;
use serde_json::json;
use stateproof_circuits::field::fr_to_string;
use stateproof_circuits::transfer::sample_key;
use stateproof_circuits::trust::{
    sample_sponsorship, AdmissionRules, Choice, Commit, CommitCircuit, ResolveCircuit, Reveal,
    Sponsorship, TrustLedger,
};
use stateproof_circuits::Fr;
use stateproof_prover::keys::{self, DEVELOPMENT_SETUP_WARNING};
use stateproof_prover::trust::{commit_keys, prove_commits, prove_resolutions, resolve_keys};
use std::time::Instant;

pub fn demo(out: &Output, backend: Backend, device: Option<usize>) -> CliResult {
    let depth = 4;
    let rules = AdmissionRules { suspension: 10, period: 5 };
    let ledger = TrustLedger::new(depth, (0..4).map(|i| (i, sample_key(i).public_key())), rules)
        .map_err(unusable)?;
    out.line(format!(
        "stateproof trust demo: Proof-of-Trust admission among 4 members (suspension {} epochs, one sponsorship per {} epochs)",
        rules.suspension, rules.period
    ));
    let commit_constraints =
        keys::count_constraints(CommitCircuit::for_setup(depth, rules.period, 4))?;
    let resolve_constraints =
        keys::count_constraints(ResolveCircuit::for_setup(depth, rules.suspension, 2))?;
    out.line(format!(
        "  circuits: commit {commit_constraints} constraints (4 slots), resolve {resolve_constraints} (2 slots)"
    ));
    let start = Instant::now();
    let cpk = out.step("generating keys (development setup)", || {
        keys::setup(CommitCircuit::for_setup(depth, rules.period, 4), &mut keys::os_rng())
    })?;
    let rpk = out.step("generating keys (development setup)", || {
        keys::setup(ResolveCircuit::for_setup(depth, rules.suspension, 2), &mut keys::os_rng())
    })?;
    let ckeys = commit_keys(depth, rules.period, 4, cpk)?;
    let rkeys = resolve_keys(depth, rules.suspension, 2, rpk)?;
    out.line(format!("  setup:    {} ({DEVELOPMENT_SETUP_WARNING})", secs(start.elapsed())));

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
    let (prover, description) = make_prover(&ckeys, backend, device)?;
    out.line(format!("  prove:    {description}"));
    let start = Instant::now();
    let (committed, cu, _) = out.step("proving the commitments", || {
        prove_commits(&prover, &ckeys, &ledger, &commits, 0, 4)
    })?;
    out.line(format!(
        "  commit:   4 sponsors store hidden choices at epoch 0, proven in {}",
        secs(start.elapsed())
    ));
    verify_and_report(out, "commit batch", &ckeys.verifying_key, &cu)?;

    let reveals: Vec<Reveal> = plays
        .iter()
        .map(|(s, choices)| Reveal {
            sponsorship: *s,
            openings: [(choices[0], salt(s, 0)), (choices[1], salt(s, 1))],
        })
        .collect();
    let (rprover, _) = make_prover(&rkeys, backend, device)?;
    let start = Instant::now();
    let mut check_ledger = committed.clone();
    let resolutions = reveals
        .iter()
        .map(|r| check_ledger.resolve(r))
        .collect::<Result<Vec<_>, _>>()
        .map_err(invalid)?;
    let (resolved, ru, _) = out.step("proving the resolutions", || {
        prove_resolutions(&rprover, &rkeys, &committed, &reveals, 2)
    })?;
    out.line(format!(
        "  resolve:  both sponsorships revealed and applied, proven in {}",
        secs(start.elapsed())
    ));
    verify_and_report(out, "resolve batch", &rkeys.verifying_key, &ru)?;
    if cu.input("new_root").ok() != ru.input("old_root").ok() {
        return Err(invalid("the resolve batch does not start where the commits ended"));
    }
    out.line(format!(
        "  outcome:  0 and 1 cooperated: candidate admitted as member {:?}; 3 defected: members {:?} admitted under its keys, 2 suspended until epoch {}",
        resolutions[0].admitted.iter().map(|(i, _)| i).collect::<Vec<_>>(),
        resolutions[1].admitted.iter().map(|(i, _)| i).collect::<Vec<_>>(),
        resolved.member(2).map_or(0, |m| m.suspended_until)
    ));
    // The rules refuse what follows.
    let again = sample_sponsorship(3, [2, 0], 3);
    let refused_suspended = resolved
        .clone()
        .commit(&Commit::sign(&sample_key(2), 2, &again, Choice::Cooperate, Fr::from(1u64)))
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    let refused_period = resolved
        .clone()
        .commit(&Commit::sign(&sample_key(0), 0, &again, Choice::Cooperate, Fr::from(1u64)))
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    out.line(format!("  epoch 3:  member 2 commits again -> refused ({refused_suspended})"));
    out.line(format!("            member 0 commits again -> refused ({refused_period})"));
    out.line(format!(
        "  members:  {}, root {}",
        resolved.members().len(),
        fr_to_string(&resolved.root())
    ));
    out.json(json!({
        "commit_constraints": commit_constraints, "resolve_constraints": resolve_constraints,
        "members": resolved.members().len(), "root": fr_to_string(&resolved.root()),
        "refused": [refused_suspended, refused_period], "development_setup": true,
    }));
    if resolved.members().len() != 4 + 1 + 2 {
        return Err(invalid("unexpected membership after the demo"));
    }
    Ok(())
}
