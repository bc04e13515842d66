//! Strategies played against the native settlement rules, and a sweep of
//! the parameter region where honesty pays.

use crate::{AppError, Result};
use serde::Serialize;
use stateproof_circuits::compute::simulate::{run, Params, StrategyReport};
use std::fmt;

/// One strategy's outcome.
#[derive(Clone, Debug, Serialize)]
pub struct StrategyLine {
    /// The strategy.
    pub strategy: &'static str,
    /// Who deviates.
    pub deviator: &'static str,
    /// Payoff when honest.
    pub honest_payoff: f64,
    /// Payoff when deviating.
    pub deviant_payoff: f64,
    /// The difference.
    pub gain: f64,
    /// Deals that ended badly for the honest side.
    pub harmful_outcomes: usize,
}

/// One cell of the sweep.
#[derive(Clone, Debug, Serialize)]
pub struct SweepCell {
    /// Collateral.
    pub collateral: u64,
    /// Mediation probability.
    pub mediation_probability: f64,
    /// `H` when honesty pays best, else the best deviation's letter.
    pub best: &'static str,
}

/// What `simulate compute` found.
#[derive(Clone, Debug, Serialize)]
pub struct SimulationReport {
    /// The parameters.
    pub params: serde_json::Value,
    /// Each strategy.
    pub strategies: Vec<StrategyLine>,
    /// No deviation gains.
    pub honesty_pays: bool,
    /// The sweep, if asked for.
    pub sweep: Vec<SweepCell>,
    #[serde(skip)]
    header: String,
    #[serde(skip)]
    multiples: Vec<f64>,
    #[serde(skip)]
    probabilities: Vec<f64>,
}

fn best_deviation(reports: &[StrategyReport]) -> Option<&StrategyReport> {
    reports
        .iter()
        .filter(|r| r.strategy != "honest" && r.gain() > 0.0)
        .max_by(|a, b| a.gain().total_cmp(&b.gain()))
}

impl fmt::Display for SimulationReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.header)?;
        writeln!(
            f,
            "  {:<20} {:<8} {:>14} {:>14} {:>12}  harmful outcomes",
            "strategy", "who", "honest payoff", "deviant payoff", "gain"
        )?;
        for r in &self.strategies {
            writeln!(
                f,
                "  {:<20} {:<8} {:>14.2} {:>14.2} {:>12.2}  {}",
                r.strategy,
                r.deviator,
                r.honest_payoff,
                r.deviant_payoff,
                r.gain,
                r.harmful_outcomes
            )?;
        }
        let best = self
            .strategies
            .iter()
            .filter(|r| r.strategy != "honest" && r.gain > 0.0)
            .max_by(|a, b| a.gain.total_cmp(&b.gain));
        match best {
            None => write!(f, "  honesty pays best: no deviation gains")?,
            Some(r) => {
                write!(f, "  honesty does NOT pay: {} gains {:.2} per deal", r.strategy, r.gain)?
            }
        }
        if !self.sweep.is_empty() {
            writeln!(f, "\n")?;
            writeln!(f, "  sweep: collateral (x price) down, mediation probability across; H = honesty pays best,")?;
            writeln!(f, "  otherwise the most profitable deviation (L lazy node, N colluding nodes, C client + mediators)")?;
            let cols: String = self.probabilities.iter().map(|p| format!("{p:>6}")).collect();
            write!(f, "  {:>10} {cols}", "")?;
            for (row, m) in self.sweep.chunks(self.probabilities.len()).zip(&self.multiples) {
                let cells: String = row.iter().map(|c| format!("{:>6}", c.best)).collect();
                write!(f, "\n  {m:>9}x {cells}")?;
            }
        }
        Ok(())
    }
}

/// Plays every strategy with `p`, and the sweep when asked.
pub fn compute(p: Params, sweep: bool) -> Result<SimulationReport> {
    let reports = run(&p).map_err(AppError::unusable)?;
    let header = format!(
        "simulate compute: {} deals per strategy, k = {}, price {}, collateral {}, fee {}, compute cost {}, \
         mediation probability {}, committee {} of {} ({} colluding), client share {}/{}",
        p.deals, p.k, p.price, p.collateral, p.mediation_fee, p.compute_cost, p.mediation_probability,
        p.committee, p.pool, p.colluders, p.rules.client_share.0, p.rules.client_share.1
    );
    let probabilities = vec![0.0, 0.02, 0.05, 0.1, 0.2, 0.5];
    let multiples = vec![0.25, 0.5, 1.0, 2.0, 4.0];
    let mut grid = Vec::new();
    if sweep {
        for m in &multiples {
            for &prob in &probabilities {
                let collateral = ((p.price as f64 * m) as u64).max(p.mediation_fee);
                let q = Params {
                    collateral,
                    mediation_probability: prob,
                    deals: p.deals.min(5_000),
                    ..p
                };
                let r = run(&q).map_err(AppError::unusable)?;
                let best = match best_deviation(&r).map(|r| r.strategy) {
                    None => "H",
                    Some("lazy node") => "L",
                    Some("colluding nodes") => "N",
                    Some(_) => "C",
                };
                grid.push(SweepCell { collateral, mediation_probability: prob, best });
            }
        }
    }
    Ok(SimulationReport {
        params: serde_json::json!({
            "price": p.price, "collateral": p.collateral, "k": p.k, "mediation_fee": p.mediation_fee,
            "compute_cost": p.compute_cost, "mediation_probability": p.mediation_probability,
            "committee": p.committee, "pool": p.pool, "colluders": p.colluders, "deals": p.deals,
        }),
        strategies: reports
            .iter()
            .map(|r| StrategyLine {
                strategy: r.strategy,
                deviator: r.deviator,
                honest_payoff: r.honest_payoff,
                deviant_payoff: r.deviant_payoff,
                gain: r.gain(),
                harmful_outcomes: r.harmful_outcomes,
            })
            .collect(),
        honesty_pays: best_deviation(&reports).is_none(),
        sweep: grid,
        header,
        multiples,
        probabilities,
    })
}
