//! The node's counters, served as Prometheus text at `GET /metrics`.

use crate::intake::Outcome;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Mutex;
use std::time::Duration;

/// Counters and sums; gauges are read when rendered.
#[derive(Default)]
pub struct Metrics {
    accepted: AtomicU64,
    duplicates: AtomicU64,
    refused: Mutex<BTreeMap<&'static str, u64>>,
    intake_groups: AtomicU64,
    intake_micros: AtomicU64,
    sealed: AtomicU64,
    proven: AtomicU64,
    cpu_retries: AtomicU64,
    failed: AtomicU64,
    rejected: AtomicU64,
    phases: Mutex<BTreeMap<&'static str, f64>>,
}

/// What the renderer reads at the moment of a scrape.
pub struct Gauges<'a> {
    /// Accepted transactions in no batch.
    pub pool: usize,
    /// Batches sealed, not yet proven.
    pub in_flight: u64,
    /// The backends in use.
    pub backend: &'a str,
    /// The last proven update's number.
    pub proven_updates: u64,
}

impl Metrics {
    /// Counts a decided intake group.
    pub fn intake(&self, outcomes: &[Outcome], took: Duration) {
        self.intake_groups.fetch_add(1, Relaxed);
        self.intake_micros.fetch_add(took.as_micros() as u64, Relaxed);
        let mut refused = self.refused.lock().expect("metrics lock");
        for o in outcomes {
            match o {
                Outcome::Accepted { duplicate: false, .. } => {
                    self.accepted.fetch_add(1, Relaxed);
                }
                Outcome::Accepted { duplicate: true, .. } => {
                    self.duplicates.fetch_add(1, Relaxed);
                }
                Outcome::Refused { rule, .. } => *refused.entry(rule).or_default() += 1,
            }
        }
    }

    /// Counts a sealed batch.
    pub fn sealed(&self) {
        self.sealed.fetch_add(1, Relaxed);
    }

    /// Counts a published update.
    pub fn proven(&self) {
        self.proven.fetch_add(1, Relaxed);
    }

    /// Adds the time of each phase of a proof made in this process.
    pub fn phases(&self, phases: &[(&'static str, Duration)]) {
        let mut sums = self.phases.lock().expect("metrics lock");
        for (name, d) in phases {
            *sums.entry(name).or_default() += d.as_secs_f64();
        }
    }

    /// Counts a batch retried on the CPU after a backend fault.
    pub fn cpu_retry(&self) {
        self.cpu_retries.fetch_add(1, Relaxed);
    }

    /// Counts a worker's proof that the node refused (the job is queued
    /// again).
    pub fn rejected(&self) {
        self.rejected.fetch_add(1, Relaxed);
    }

    /// Counts a batch that could not be proven.
    pub fn failed(&self) {
        self.failed.fetch_add(1, Relaxed);
    }

    /// Prometheus's text format.
    pub fn render(&self, g: &Gauges<'_>) -> String {
        let mut out = String::new();
        let mut counter = |name: &str, help: &str, value: u64| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}");
        };
        counter(
            "stateproof_transactions_accepted_total",
            "Transactions accepted (durable before the answer).",
            self.accepted.load(Relaxed),
        );
        counter(
            "stateproof_transactions_duplicate_total",
            "Idempotent resubmissions of accepted transactions.",
            self.duplicates.load(Relaxed),
        );
        counter(
            "stateproof_intake_groups_total",
            "Intake groups decided and committed together.",
            self.intake_groups.load(Relaxed),
        );
        counter("stateproof_batches_sealed_total", "Batches sealed.", self.sealed.load(Relaxed));
        counter(
            "stateproof_batches_proven_total",
            "Batches proven and published.",
            self.proven.load(Relaxed),
        );
        counter(
            "stateproof_batches_cpu_retries_total",
            "Batches proven again on the CPU after a backend fault.",
            self.cpu_retries.load(Relaxed),
        );
        counter(
            "stateproof_batches_failed_total",
            "Batches that could not be proven (the node stops publishing).",
            self.failed.load(Relaxed),
        );
        counter(
            "stateproof_proofs_rejected_total",
            "Workers' proofs that did not verify, refused by the node and queued again.",
            self.rejected.load(Relaxed),
        );
        let _ = writeln!(
            out,
            "# HELP stateproof_intake_seconds_total Time spent deciding intake groups.\n# TYPE stateproof_intake_seconds_total counter\nstateproof_intake_seconds_total {}",
            self.intake_micros.load(Relaxed) as f64 / 1e6
        );
        let _ = writeln!(out, "# HELP stateproof_transactions_refused_total Transactions refused, by rule.\n# TYPE stateproof_transactions_refused_total counter");
        for (rule, n) in self.refused.lock().expect("metrics lock").iter() {
            let _ = writeln!(out, "stateproof_transactions_refused_total{{rule=\"{rule}\"}} {n}");
        }
        let _ = writeln!(out, "# HELP stateproof_proof_phase_seconds_total Proving time by phase.\n# TYPE stateproof_proof_phase_seconds_total counter");
        for (phase, s) in self.phases.lock().expect("metrics lock").iter() {
            let _ = writeln!(out, "stateproof_proof_phase_seconds_total{{phase=\"{phase}\"}} {s}");
        }
        let mut gauge = |name: &str, help: &str, value: String| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}");
        };
        gauge(
            "stateproof_pool_transactions",
            "Accepted transactions in no batch.",
            g.pool.to_string(),
        );
        gauge(
            "stateproof_batches_in_flight",
            "Batches sealed, not yet proven.",
            g.in_flight.to_string(),
        );
        gauge(
            "stateproof_proven_updates",
            "The last proven update's number.",
            g.proven_updates.to_string(),
        );
        let backend = g.backend.replace(['"', '\\', '\n'], " ");
        let _ = writeln!(
            out,
            "# HELP stateproof_backend_info The backends that prove (label), always 1.\n# TYPE stateproof_backend_info gauge\nstateproof_backend_info{{backend=\"{backend}\"}} 1"
        );
        out
    }
}
