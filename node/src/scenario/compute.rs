//! The compute demo against a node: two deals opened, the six nodes'
//! results put on the record, one deal disputed (node 5 answers wrong),
//! its client calling for mediation and a mediator quorum's verdict, both
//! deals settled; every batch proven by the node, and the payouts read
//! through a light client and checked against the settlement rules.

use super::{now_secs, Phase, ScenarioNode, FUNDED};
use crate::ledger::{LedgerConfig, Tx};
use crate::node::SAMPLE_BALANCE;
use serde::Serialize;
use stateproof_app::backend::BackendOptions;
use stateproof_app::progress::Progress;
use stateproof_app::text::secs;
use stateproof_app::{AppError, Result};
use stateproof_circuits::compute::{
    payouts, verdict_commitment, Deal, MediationRequest, Outcome, ResultSubmission, Settlement,
    SignedResult, Verdict,
};
use stateproof_circuits::finality::Statement;
use stateproof_circuits::sample::{sample_key, SampleChain};
use stateproof_circuits::Fr;
use stateproof_prover::keys::DEVELOPMENT_SETUP_WARNING;
use std::fmt;
use std::time::Duration;

/// The account mediation fees go to.
const TREASURY: u64 = 15;

/// What the compute demo did.
#[derive(Clone, Debug, Serialize)]
pub struct ComputeDemoReport {
    /// The node's API address while it ran.
    pub node: String,
    /// Key generation for every circuit of the ledger.
    pub setup_seconds: f64,
    /// What proved.
    pub backend: String,
    /// The openings.
    pub open: Phase,
    /// The results put on the record.
    pub results: Phase,
    /// Why settling deal 2 before mediation was refused.
    pub early_settlement: String,
    /// The client's call for mediation.
    pub mediation: Phase,
    /// The mediators' verdict.
    pub verdict: Phase,
    /// The settlements.
    pub settle: Phase,
    /// Updates the light client verified and followed.
    pub followed: u64,
    /// The root it ended at.
    pub root: String,
    /// Each deal's status through the light client.
    pub deal_status: Vec<(u64, String)>,
    /// Balances through the light client: (account, balance).
    pub balances: Vec<(u64, u64)>,
    /// Burned by the disputed deal's settlement.
    pub burned: u64,
    /// Keys from a development setup.
    pub development_setup: bool,
}

impl fmt::Display for ComputeDemoReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let gain = |i: u64| {
            let b = self.balances.iter().find(|(a, _)| *a == i).map_or(0, |(_, b)| *b);
            i128::from(b) - i128::from(SAMPLE_BALANCE)
        };
        writeln!(f, "stateproof compute demo: two replicated-compute deals (k = 3) on a node in this process ({}), each batch proven by the node and followed by a light client", self.node)?;
        writeln!(
            f,
            "  setup:    every ledger circuit's key in {} ({DEVELOPMENT_SETUP_WARNING})",
            secs(Duration::from_secs_f64(self.setup_seconds))
        )?;
        writeln!(f, "  prove:    {}", self.backend)?;
        writeln!(
            f,
            "  open:     deals 1 and 2 lock 400 from each client and 250 from each node: {}",
            self.open
        )?;
        writeln!(
            f,
            "  results:  the six nodes' signed results on the record before the deadline: {}",
            self.results
        )?;
        writeln!(
            f,
            "  refused:  settling deal 2 now ({}: its results disagree)",
            self.early_settlement
        )?;
        writeln!(
            f,
            "  mediate:  client 4 calls for mediation of deal 2 (node 5 disagrees): {}",
            self.mediation
        )?;
        writeln!(
            f,
            "  verdict:  mediators 0-2 (more than 2/3 of the committee) sign 42 for deal 2: {}",
            self.verdict
        )?;
        writeln!(
            f,
            "  settle:   both deals from the recorded results and verdict: {}",
            self.settle
        )?;
        writeln!(
            f,
            "  follow:   the light client verified {} updates VALID, root {}",
            self.followed, self.root
        )?;
        let status: Vec<String> =
            self.deal_status.iter().map(|(d, s)| format!("deal {d} {s}")).collect();
        writeln!(f, "  deals:    {} (verified against that root)", status.join(", "))?;
        writeln!(f, "  deal 1:   unanimous: nodes 1-3 {:+} each, client 0 {:+}", gain(1), gain(0))?;
        writeln!(
            f,
            "  deal 2:   by the verdict node 5 answered wrong and loses its collateral ({:+}), nodes 6 and 7 {:+} each, the fee to the treasury ({:+}), client 4 {:+}, {} burned",
            gain(5),
            gain(6),
            gain(TREASURY),
            gain(4),
            self.burned
        )?;
        write!(
            f,
            "  value:    every verified balance is the settlement rules' payout; value conserved"
        )
    }
}

fn deal(id: u64, client: u64, nodes: [u64; 3], mediators: Fr, deadline: u64) -> Deal {
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
        deadline,
    }
}

fn open(d: &Deal) -> Tx {
    let signatures = std::iter::once(d.client)
        .chain(d.nodes.iter().copied())
        .map(|i| sample_key(i).sign(d.hash()))
        .collect();
    Tx::OpenDeal(d.clone(), signatures)
}

/// Two deals opened, recorded, one mediated, and both settled on a node.
pub fn demo(progress: &dyn Progress, backend: &BackendOptions) -> Result<ComputeDemoReport> {
    let config = LedgerConfig { treasury: TREASURY, ..LedgerConfig::default() };
    let committee = SampleChain::new(config.committee_depth, 4)
        .map_err(|e| AppError::unusable(e.to_string()))?;
    let node = ScenarioNode::start(progress, backend, config.clone())?;
    // Deal 1: unanimous. Deal 2: node 5 is lazy; a mediator quorum decides.
    let deadline = now_secs() + 3600;
    let deals = [
        deal(1, 0, [1, 2, 3], committee.set.root(), deadline),
        deal(2, 4, [5, 6, 7], committee.set.root(), deadline),
    ];
    let open_phase =
        node.prove(progress, "proving the openings", &deals.iter().map(open).collect::<Vec<_>>())?;
    let answers = [[7, 7, 7], [13, 42, 42]];
    let results: Vec<Tx> = deals
        .iter()
        .zip(answers)
        .flat_map(|(d, values)| {
            values.into_iter().enumerate().map(move |(node, value)| {
                let signed = SignedResult::sign(&sample_key(d.nodes[node]), d, Fr::from(value));
                Tx::SubmitResult(ResultSubmission { deal_id: d.id, node, signed })
            })
        })
        .collect();
    let results_phase = node.prove(progress, "proving the results", &results)?;
    let early = node.refusal(&Tx::Settle(Settlement { deal_id: 2 }))?.rule;
    let disputed = &deals[1];
    let request =
        Tx::RequestMediation(MediationRequest::sign(&sample_key(disputed.client), disputed));
    let mediation = node.prove(progress, "proving the call for mediation", &[request])?;
    let statement = Statement::Data(verdict_commitment(disputed, Fr::from(42u64)));
    let verdict = Verdict {
        deal_id: disputed.id,
        result: Fr::from(42u64),
        attestations: committee.attest(&statement, &[0, 1, 2]),
    };
    let verdict_tx = Tx::Verdict(verdict, Box::new(committee.set.clone()));
    let verdict_phase = node.prove(progress, "proving the verdict", &[verdict_tx])?;
    let settlements: Vec<Tx> =
        deals.iter().map(|d| Tx::Settle(Settlement { deal_id: d.id })).collect();
    let settle = node.prove(progress, "proving the settlements", &settlements)?;

    let followed = node.follow()?;
    let mut deal_status = Vec::new();
    for d in &deals {
        let report = node.deal(d.id)?;
        deal_status.push((d.id, report.status.unwrap_or_else(|| "empty".into())));
    }
    // Every party's verified balance against the rules' payouts.
    let rules = config.settlement_rules();
    let outcomes = [
        Outcome { matched: vec![true; 3], mediated: false },
        Outcome { matched: vec![false, true, true], mediated: true },
    ];
    let mut expected: Vec<(u64, u64)> = (0..FUNDED).map(|i| (i, SAMPLE_BALANCE)).collect();
    let mut burned = 0;
    for (d, outcome) in deals.iter().zip(&outcomes) {
        let pay = payouts(d, outcome, &rules);
        let credit = |expected: &mut Vec<(u64, u64)>, account: u64, out: u64, back: u64| {
            let b = &mut expected[account as usize].1;
            *b = *b - out + back;
        };
        credit(&mut expected, d.client, d.deposit, pay.client);
        for (i, n) in d.nodes.iter().enumerate() {
            credit(&mut expected, *n, d.collateral, pay.nodes[i]);
        }
        credit(&mut expected, TREASURY, 0, pay.treasury);
        burned += pay.burned;
    }
    let mut balances = Vec::new();
    for (account, want) in &expected {
        let got = node.balance(*account)?.balance;
        if got != *want {
            return Err(AppError::invalid(format!(
                "{}: account {account} holds {got} at the verified root; the settlement rules pay it {want}",
                node.url()
            )));
        }
        balances.push((*account, got));
    }
    let total: u64 = balances.iter().map(|(_, b)| b).sum();
    if total + burned != FUNDED * SAMPLE_BALANCE {
        return Err(AppError::invalid("value was not conserved"));
    }
    let report = ComputeDemoReport {
        node: node.url().to_string(),
        setup_seconds: node.setup_seconds,
        backend: node.backend.clone(),
        open: open_phase,
        results: results_phase,
        early_settlement: early,
        mediation,
        verdict: verdict_phase,
        settle,
        followed: followed.accepted,
        root: followed.root,
        deal_status,
        balances,
        burned,
        development_setup: true,
    };
    node.stop()?;
    Ok(report)
}
