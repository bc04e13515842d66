//! Strategies played against the settlement rules ([`super::payouts`]),
//! deal after deal, to measure whether honesty pays.
//!
//! Each simulated deal draws what the rules leave to chance: whether the
//! client checks the result by calling mediation (probability
//! `mediation_probability`) and which mediators sit on the committee
//! (`committee` drawn without replacement from a pool of `pool` mediators,
//! `colluders` of whom side with a dishonest client). The outcome then goes
//! through the same payout function the ledger uses. A party's payoff is
//! what it is paid minus what it locked and what computing cost it.
//!
//! Strategies, each against everyone else honest:
//! - `honest`: every node computes (cost `compute_cost`) and returns the
//!   correct result;
//! - `lazy node`: node 0 skips the work and returns a random result, so
//!   the results disagree and mediation follows;
//! - `colluding nodes`: every node skips the work and returns the same
//!   wrong result; only a client that checks calls mediation;
//! - `client + mediators`: the client always calls mediation and its
//!   colluding mediators sign a false verdict; it wins when they reach the
//!   committee's quorum, the honest ones win when they reach it, and with
//!   neither the deal stays open (nobody is paid, nothing is lost).

use super::{payouts, Deal, Outcome, SettlementRules};
use crate::finality::Threshold;
use crate::Fr;

/// The parameters of a simulation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Params {
    /// Price per node.
    pub price: u64,
    /// Collateral per node.
    pub collateral: u64,
    /// Replication factor.
    pub k: usize,
    /// Mediation fee.
    pub mediation_fee: u64,
    /// What computing the job costs a node.
    pub compute_cost: u64,
    /// Probability that a client checks a unanimous result.
    pub mediation_probability: f64,
    /// Mediators per committee.
    pub committee: u64,
    /// Mediators in the pool committees are drawn from.
    pub pool: u64,
    /// Pool mediators who collude with a dishonest client.
    pub colluders: u64,
    /// The settlement rules (client share, burn).
    pub rules: SettlementRules,
    /// The mediator quorum.
    pub quorum: Threshold,
    /// Deals played per strategy.
    pub deals: usize,
    /// Seed of the draws.
    pub seed: u64,
}

/// A strategy's measured payoffs.
#[derive(Clone, Debug, PartialEq)]
pub struct StrategyReport {
    /// The strategy.
    pub strategy: &'static str,
    /// Who deviates: "node", "nodes" or "client".
    pub deviator: &'static str,
    /// The deviator's mean payoff per deal under honest play.
    pub honest_payoff: f64,
    /// Its mean payoff per deal when deviating.
    pub deviant_payoff: f64,
    /// Deals in which a wrong result was accepted or an honest node slashed.
    pub harmful_outcomes: usize,
}

impl StrategyReport {
    /// Deviating minus honest, per deal: positive means the deviation pays.
    pub fn gain(&self) -> f64 {
        self.deviant_payoff - self.honest_payoff
    }
}

/// splitmix64: a small deterministic generator for the draws.
struct Draws(u64);

impl Draws {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn chance(&mut self, p: f64) -> bool {
        ((self.next() >> 11) as f64 / (1u64 << 53) as f64) < p
    }

    /// Colluders among `committee` drawn without replacement from `pool`.
    fn colluders_drawn(&mut self, committee: u64, pool: u64, colluders: u64) -> u64 {
        let (mut left, mut bad, mut drawn) = (pool, colluders, 0);
        for _ in 0..committee.min(pool) {
            if self.next() % left < bad {
                bad -= 1;
                drawn += 1;
            }
            left -= 1;
        }
        drawn
    }
}

fn deal(p: &Params) -> Deal {
    let k = p.k as u64;
    Deal {
        id: 0,
        client: 0,
        nodes: (1..=k).collect(),
        job: Fr::from(1u64),
        price: p.price,
        deposit: k * p.price + p.mediation_fee,
        collateral: p.collateral,
        mediators: Fr::from(0u64),
        mediation_fee: p.mediation_fee,
        deadline: 0,
    }
}

/// Mean of `f` over the deals.
fn mean(p: &Params, draws: &mut Draws, mut f: impl FnMut(&mut Draws) -> f64) -> f64 {
    (0..p.deals).map(|_| f(draws)).sum::<f64>() / p.deals.max(1) as f64
}

/// Checks the parameters, then plays every strategy.
pub fn run(p: &Params) -> Result<Vec<StrategyReport>, String> {
    if p.k == 0 || p.deals == 0 || p.committee == 0 || p.committee > p.pool || p.colluders > p.pool
    {
        return Err("need k >= 1, deals >= 1, 1 <= committee <= pool, colluders <= pool".into());
    }
    if !(0.0..=1.0).contains(&p.mediation_probability) {
        return Err("mediation probability must be in [0, 1]".into());
    }
    let d = deal(p);
    d.check_terms().map_err(|e| e.to_string())?;
    let rules = &p.rules;
    let pay =
        |matched: Vec<bool>, mediated: bool| payouts(&d, &Outcome { matched, mediated }, rules);
    let node_net = |paid: u64, worked: bool| {
        paid as f64 - p.collateral as f64 - if worked { p.compute_cost as f64 } else { 0.0 }
    };
    let client_net = |paid: u64| paid as f64 - d.deposit as f64;
    let k = p.k;
    let mut draws = Draws(p.seed);
    let mut reports = Vec::new();

    // Honest play: the client checks with probability p and pays the fee.
    let honest_node = mean(p, &mut draws, |r| {
        let mediated = r.chance(p.mediation_probability);
        node_net(pay(vec![true; k], mediated).nodes[0], true)
    });
    let honest_client = mean(p, &mut draws, |r| {
        let mediated = r.chance(p.mediation_probability);
        client_net(pay(vec![true; k], mediated).client)
    });
    reports.push(StrategyReport {
        strategy: "honest",
        deviator: "node",
        honest_payoff: honest_node,
        deviant_payoff: honest_node,
        harmful_outcomes: 0,
    });

    // A lazy node: disagreement, so mediation; an honest verdict unless the
    // colluders capture the committee (who then have no reason to favour it).
    let lazy = mean(p, &mut draws, |_| {
        let mut matched = vec![true; k];
        matched[0] = false;
        node_net(pay(matched, true).nodes[0], false)
    });
    reports.push(StrategyReport {
        strategy: "lazy node",
        deviator: "node",
        honest_payoff: honest_node,
        deviant_payoff: lazy,
        harmful_outcomes: 0,
    });

    // All nodes agree on a wrong result.
    let mut accepted_wrong = 0;
    let colluding = mean(p, &mut draws, |r| {
        if r.chance(p.mediation_probability) {
            node_net(pay(vec![false; k], true).nodes[0], false)
        } else {
            accepted_wrong += 1;
            node_net(pay(vec![true; k], false).nodes[0], false)
        }
    });
    reports.push(StrategyReport {
        strategy: "colluding nodes",
        deviator: "nodes",
        honest_payoff: honest_node,
        deviant_payoff: colluding,
        harmful_outcomes: accepted_wrong,
    });

    // A client with colluding mediators disputes a correct result.
    let quorum = |members: u64| p.quorum.met(members, p.committee);
    let mut slashed_honest = 0;
    let dishonest_client = mean(p, &mut draws, |r| {
        let bad = r.colluders_drawn(p.committee, p.pool, p.colluders);
        if quorum(bad) {
            slashed_honest += 1;
            client_net(pay(vec![false; k], true).client)
        } else if quorum(p.committee - bad) {
            client_net(pay(vec![true; k], true).client)
        } else {
            0.0 // no verdict: the deal stays open, nothing moves
        }
    });
    reports.push(StrategyReport {
        strategy: "client + mediators",
        deviator: "client",
        honest_payoff: honest_client,
        deviant_payoff: dishonest_client,
        harmful_outcomes: slashed_honest,
    });
    Ok(reports)
}

/// Default rules for simulations: half the forfeited collateral to the
/// client, the rest burned.
pub const fn default_rules() -> SettlementRules {
    SettlementRules { client_share: (1, 2), burn_remainder: true, treasury: 0 }
}
