//! `stateproof compute demo`: deals opened and settled (one unanimous, one
//! disputed by a lazy node and decided by mediators), each batch proven and
//! verified.

use crate::commands::{invalid, make_prover, unusable, verify_and_report, CliError, CliResult};
use crate::output::{secs, Output};
use crate::Backend;
use serde_json::json;
use stateproof_circuits::compute::simulate::default_rules;
use stateproof_circuits::compute::{
    verdict_commitment, Deal, Ledger, OpenDealsCircuit, SettleDealsCircuit, SettleShape,
    Settlement, SettlementRules, SignedResult, Verdict,
};
use stateproof_circuits::field::fr_to_string;
use stateproof_circuits::finality::{SampleChain, Statement, Threshold};
use stateproof_circuits::transfer::{sample_key, Account, State};
use stateproof_circuits::Fr;
use stateproof_prover::compute::{open_keys, prove_open, prove_settle, settle_keys};
use stateproof_prover::keys::{self, DEVELOPMENT_SETUP_WARNING};
use std::time::Instant;

const TREASURY: u64 = 15;

fn sample_ledger(depth: usize) -> Result<Ledger, CliError> {
    let mut state = State::new(depth).map_err(unusable)?;
    for i in (0..8).chain([TREASURY]) {
        let account = Account { public_key: sample_key(i).public_key(), balance: 10_000, nonce: 0 };
        state.set_account(i, account).map_err(unusable)?;
    }
    Ledger::new(state, depth).map_err(unusable)
}

fn deal(id: u64, client: u64, nodes: [u64; 3], mediators: Fr) -> Deal {
    Deal {
        id,
        client,
        nodes: nodes.to_vec(),
        job: Fr::from(1000 + id),
        price: 100,
        deposit: 400,
        collateral: 250,
        mediators,
        mediation_fee: 60,
        deadline: 50,
    }
}

fn signed(d: Deal) -> (Deal, Vec<stateproof_circuits::eddsa::Signature>) {
    let sigs = std::iter::once(d.client)
        .chain(d.nodes.iter().copied())
        .map(|i| sample_key(i).sign(d.hash()))
        .collect();
    (d, sigs)
}

pub fn demo(out: &Output, backend: Backend, device: Option<usize>) -> CliResult {
    let depth = 4;
    let k = 3;
    let rules = SettlementRules { treasury: TREASURY, ..default_rules() };
    let committee = SampleChain::new(3, 4).map_err(unusable)?;
    let shape = SettleShape {
        depth,
        deal_depth: depth,
        committee_depth: 3,
        k,
        mediator_slots: 4,
        slots: 2,
    };
    out.line("stateproof compute demo: two replicated-compute deals (k = 3), opened and settled in proven batches");
    let ledger = sample_ledger(depth)?;
    let total_before = ledger.total_value();
    out.line(format!("  ledger:   9 accounts of 10,000, root {}", fr_to_string(&ledger.root())));

    let open_constraints =
        keys::count_constraints(OpenDealsCircuit::for_setup(depth, depth, k, 2))?;
    let settle_constraints = keys::count_constraints(SettleDealsCircuit::for_setup(shape, rules))?;
    out.line(format!(
        "  circuits: opening {open_constraints} constraints (2 deal slots), settlement {settle_constraints} (2 slots, 4 mediator slots)"
    ));
    let start = Instant::now();
    let open_pk = out.step("generating keys (development setup)", || {
        keys::setup(OpenDealsCircuit::for_setup(depth, depth, k, 2), &mut keys::os_rng())
    })?;
    let settle_pk = out.step("generating keys (development setup)", || {
        keys::setup(SettleDealsCircuit::for_setup(shape, rules), &mut keys::os_rng())
    })?;
    let open_keys = open_keys(depth, depth, k, 2, open_pk)?;
    let settle_keys = settle_keys(&shape, &rules, settle_pk)?;
    out.line(format!("  setup:    {} ({DEVELOPMENT_SETUP_WARNING})", secs(start.elapsed())));

    // Deal 1: unanimous. Deal 2: node 5 is lazy; a mediator quorum decides.
    let deals = vec![
        signed(deal(1, 0, [1, 2, 3], committee.set.root())),
        signed(deal(2, 4, [5, 6, 7], committee.set.root())),
    ];
    let (open_prover, description) = make_prover(&open_keys, backend, device)?;
    out.line(format!("  prove:    {description}"));
    let start = Instant::now();
    let (opened, open_update, _) = out.step("proving the openings", || {
        prove_open(&open_prover, &open_keys, &ledger, &deals, k, 2)
    })?;
    out.line(format!(
        "  open:     deals 1 and 2 lock 400 from each client and 250 from each node, proven in {}",
        secs(start.elapsed())
    ));
    verify_and_report(out, "opening batch", &open_keys.verifying_key, &open_update)?;

    let result = |d: &Deal, node: u64, value: u64| {
        Some(SignedResult::sign(&sample_key(node), d, Fr::from(value)))
    };
    let (d1, d2) = (&deals[0].0, &deals[1].0);
    let verdict_statement = Statement::Data(verdict_commitment(d2, Fr::from(42u64)));
    let settlements = vec![
        Settlement {
            deal_id: 1,
            results: vec![result(d1, 1, 7), result(d1, 2, 7), result(d1, 3, 7)],
            verdict: None,
        },
        Settlement {
            deal_id: 2,
            results: vec![result(d2, 5, 13), result(d2, 6, 42), result(d2, 7, 42)],
            verdict: Some(Verdict {
                result: Fr::from(42u64),
                attestations: committee.attest(&verdict_statement, &[0, 1, 2]),
            }),
        },
    ];
    let (settle_prover, _) = make_prover(&settle_keys, backend, device)?;
    let start = Instant::now();
    let (settled, settle_update, _) = out.step("proving the settlements", || {
        prove_settle(
            &settle_prover,
            &settle_keys,
            &opened,
            &settlements,
            std::slice::from_ref(&committee.set),
            &rules,
            &shape,
            60,
        )
    })?;
    out.line(format!("  settle:   both deals at time 60, proven in {}", secs(start.elapsed())));
    verify_and_report(out, "settlement batch", &settle_keys.verifying_key, &settle_update)?;
    let chained = open_update.input("new_root").ok() == settle_update.input("old_root").ok();
    if !chained {
        return Err(invalid("the settlement does not start where the opening ended"));
    }
    let balance = |i: u64| settled.accounts.account(i).map_or(0, |a| a.balance);
    out.line(format!(
        "  deal 1:   unanimous: nodes 1-3 get 100 + 250 back ({}, {}, {}), client 0 gets 100 back ({})",
        balance(1), balance(2), balance(3), balance(0)
    ));
    out.line(format!(
        "  deal 2:   node 5 answered wrong; mediators 0-2 (more than 2/3) signed the verdict: node 5 loses 250 ({}), \
         the fee 60 goes to the treasury ({}), the client gets its 200 back plus half of the rest ({}), {} burned",
        balance(5), balance(TREASURY), balance(4), settled.burned
    ));
    let conserved = settled.total_value() + settled.burned == total_before;
    out.line(format!(
        "  value:    before {total_before}, after {} + {} burned: {}",
        settled.total_value(),
        settled.burned,
        if conserved { "conserved" } else { "NOT conserved" }
    ));
    out.json(json!({
        "open_constraints": open_constraints, "settle_constraints": settle_constraints,
        "open_verified": true, "settle_verified": true, "chained": chained, "conserved": conserved,
        "burned": settled.burned.to_string(), "new_root": fr_to_string(&settled.root()),
        "threshold": Threshold::TWO_THIRDS.to_string(), "development_setup": true,
    }));
    if !conserved {
        return Err(invalid("value was not conserved"));
    }
    Ok(())
}
