//! `stateproof simulate compute`: strategies played against the native
//! settlement rules, and a sweep of the parameter region where honesty pays.

use crate::commands::{unusable, CliResult};
use crate::output::Output;
use serde_json::json;
use stateproof_circuits::compute::simulate::{default_rules, run, Params, StrategyReport};

fn best_deviation(reports: &[StrategyReport]) -> Option<&StrategyReport> {
    reports
        .iter()
        .filter(|r| r.strategy != "honest" && r.gain() > 0.0)
        .max_by(|a, b| a.gain().total_cmp(&b.gain()))
}

pub fn compute(out: &Output, p: Params, sweep: bool) -> CliResult {
    let reports = run(&p).map_err(unusable)?;
    out.line(format!(
        "simulate compute: {} deals per strategy, k = {}, price {}, collateral {}, fee {}, compute cost {}, \
         mediation probability {}, committee {} of {} ({} colluding), client share {}/{}",
        p.deals, p.k, p.price, p.collateral, p.mediation_fee, p.compute_cost, p.mediation_probability,
        p.committee, p.pool, p.colluders, p.rules.client_share.0, p.rules.client_share.1
    ));
    out.line(format!(
        "  {:<20} {:<8} {:>14} {:>14} {:>12}  harmful outcomes",
        "strategy", "who", "honest payoff", "deviant payoff", "gain"
    ));
    for r in &reports {
        out.line(format!(
            "  {:<20} {:<8} {:>14.2} {:>14.2} {:>12.2}  {}",
            r.strategy,
            r.deviator,
            r.honest_payoff,
            r.deviant_payoff,
            r.gain(),
            r.harmful_outcomes
        ));
    }
    match best_deviation(&reports) {
        None => out.line("  honesty pays best: no deviation gains"),
        Some(r) => out.line(format!(
            "  honesty does NOT pay: {} gains {:.2} per deal",
            r.strategy,
            r.gain()
        )),
    }
    let mut grid = Vec::new();
    if sweep {
        let probabilities = [0.0, 0.02, 0.05, 0.1, 0.2, 0.5];
        let multiples = [0.25, 0.5, 1.0, 2.0, 4.0];
        out.line("");
        out.line("  sweep: collateral (x price) down, mediation probability across; H = honesty pays best,");
        out.line("  otherwise the most profitable deviation (L lazy node, N colluding nodes, C client + mediators)");
        out.line(format!(
            "  {:>10} {}",
            "",
            probabilities.iter().map(|p| format!("{p:>6}")).collect::<String>()
        ));
        for m in multiples {
            let mut row = format!("  {:>9}x ", m);
            for prob in probabilities {
                let collateral = ((p.price as f64 * m) as u64).max(p.mediation_fee);
                let q = Params {
                    collateral,
                    mediation_probability: prob,
                    deals: p.deals.min(5_000),
                    ..p
                };
                let r = run(&q).map_err(unusable)?;
                let cell = match best_deviation(&r).map(|r| r.strategy) {
                    None => "H",
                    Some("lazy node") => "L",
                    Some("colluding nodes") => "N",
                    Some(_) => "C",
                };
                row.push_str(&format!("{cell:>6}"));
                grid.push(
                    json!({"collateral": collateral, "mediation_probability": prob, "best": cell}),
                );
            }
            out.line(row);
        }
    }
    out.json(json!({
        "params": {
            "price": p.price, "collateral": p.collateral, "k": p.k, "mediation_fee": p.mediation_fee,
            "compute_cost": p.compute_cost, "mediation_probability": p.mediation_probability,
            "committee": p.committee, "pool": p.pool, "colluders": p.colluders, "deals": p.deals,
        },
        "strategies": reports.iter().map(|r| json!({
            "strategy": r.strategy, "deviator": r.deviator, "honest_payoff": r.honest_payoff,
            "deviant_payoff": r.deviant_payoff, "gain": r.gain(), "harmful_outcomes": r.harmful_outcomes,
        })).collect::<Vec<_>>(),
        "honesty_pays": best_deviation(&reports).is_none(),
        "sweep": grid,
    }));
    Ok(())
}

/// `stateproof simulate compute`'s arguments.
#[derive(clap::Args, Debug)]
pub struct ComputeArgs {
    /// Price per node.
    #[arg(long, default_value_t = 100)]
    price: u64,
    /// Collateral per node.
    #[arg(long, default_value_t = 300)]
    collateral: u64,
    /// Replication factor.
    #[arg(long, default_value_t = 3)]
    k: usize,
    /// Mediation fee.
    #[arg(long, default_value_t = 20)]
    fee: u64,
    /// What computing a job costs a node.
    #[arg(long, default_value_t = 40)]
    compute_cost: u64,
    /// Probability that a client checks a unanimous result.
    #[arg(long, default_value_t = 0.2)]
    mediation_probability: f64,
    /// Mediators per committee.
    #[arg(long, default_value_t = 7)]
    committee: u64,
    /// Mediators in the pool.
    #[arg(long, default_value_t = 50)]
    pool: u64,
    /// Pool mediators colluding with a dishonest client.
    #[arg(long, default_value_t = 5)]
    colluders: u64,
    /// Deals per strategy.
    #[arg(long, default_value_t = 20_000)]
    deals: usize,
    /// Seed of the random draws.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Also sweep collateral and mediation probability.
    #[arg(long)]
    pub sweep: bool,
}

impl ComputeArgs {
    /// The simulation's parameters, with the default rules.
    pub fn params(&self) -> Params {
        Params {
            price: self.price,
            collateral: self.collateral,
            k: self.k,
            mediation_fee: self.fee,
            compute_cost: self.compute_cost,
            mediation_probability: self.mediation_probability,
            committee: self.committee,
            pool: self.pool,
            colluders: self.colluders,
            rules: default_rules(),
            deals: self.deals,
            seed: self.seed,
        }
    }
}
