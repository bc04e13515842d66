//! The Markdown report of a `stateproof bench` run.

use super::{human, BenchPlan, Series};
use std::fmt::Write;

pub(super) fn operations(series: &[Series]) -> Vec<String> {
    let mut ops: Vec<String> = Vec::new();
    for s in series {
        if !ops.contains(&s.operation) {
            ops.push(s.operation.clone());
        }
    }
    ops
}

pub(super) fn size_label(operation: &str, size: usize) -> String {
    if operation.starts_with("Groth16") {
        format!("{size} constraints")
    } else {
        format!("2^{}", size.trailing_zeros())
    }
}

/// The Markdown report: the machine, then one table per operation with the
/// median, the spread (min–max) and the ratio to arkworks; the notes
/// (what was left out, which backend failed) before the tables.
pub fn markdown(
    machine: &serde_json::Value,
    plan: &BenchPlan,
    series: &[Series],
    notes: &[String],
) -> String {
    let mut out = String::new();
    let text = |k: &str| machine[k].as_str().unwrap_or("unknown").to_string();
    let _ = writeln!(out, "# stateproof bench\n");
    let _ = writeln!(out, "- CPU: {} ({} cores)", text("cpu"), machine["cores"]);
    let gpus: Vec<String> = machine["gpu"]
        .as_array()
        .map(|a| a.iter().filter_map(|g| g.as_str().map(str::to_string)).collect())
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "- GPU: {}",
        if gpus.is_empty() { "none".to_string() } else { gpus.join("; ") }
    );
    let _ = writeln!(out, "- commit {}, {}", text("commit"), text("date"));
    let _ = writeln!(
        out,
        "- at least {} repetitions per measurement (cases under 50 ms repeat until each backend has run about 0.25 s, at most {}; the count is in the runs column), interleaved across backends in an order rotated each repetition; median (min–max); ratio = median / arkworks' median\n",
        plan.reps,
        10 * plan.reps
    );
    for note in notes {
        let _ = writeln!(out, "- note: {note}");
    }
    if !notes.is_empty() {
        let _ = writeln!(out);
    }
    for op in operations(series) {
        let _ = writeln!(out, "## {op}\n");
        let _ = writeln!(out, "| size | backend | runs | median | spread | ratio to arkworks |");
        let _ = writeln!(out, "|---|---|---|---|---|---|");
        for s in series.iter().filter(|s| s.operation == op) {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} – {} | {} |",
                size_label(&op, s.size),
                s.backend,
                s.seconds.len(),
                human(s.median),
                human(s.min),
                human(s.max),
                s.ratio_to_arkworks.map_or("–".into(), |r| format!("{r:.2}x")),
            );
        }
        let _ = writeln!(out);
    }
    out
}
