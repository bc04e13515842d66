//! The Markdown table and SVG plot of a `stateproof bench` run.

use crate::bench::{human, BenchPlan, Series};
use std::collections::BTreeMap;
use std::fmt::Write;

fn operations(series: &[Series]) -> Vec<String> {
    let mut ops: Vec<String> = Vec::new();
    for s in series {
        if !ops.contains(&s.operation) {
            ops.push(s.operation.clone());
        }
    }
    ops
}

fn size_label(operation: &str, size: usize) -> String {
    if operation.starts_with("Groth16") {
        format!("{size} constraints")
    } else {
        format!("2^{}", size.trailing_zeros())
    }
}

/// The Markdown report: the machine, then one table per operation with the
/// median, the spread (min–max) and the ratio to arkworks.
pub fn markdown(machine: &serde_json::Value, plan: &BenchPlan, series: &[Series]) -> String {
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

const COLORS: [&str; 4] = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"];

/// Time against size on log-log axes, one panel per operation, one line per
/// backend.
pub fn svg(series: &[Series]) -> String {
    let ops = operations(series);
    let (panel_w, panel_h, margin) = (420.0f64, 260.0f64, 70.0f64);
    let cols = 2usize;
    let rows = ops.len().div_ceil(cols).max(1);
    let width = cols as f64 * (panel_w + margin) + margin;
    let height = rows as f64 * (panel_h + 2.0 * margin) + margin;
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="11">"#
    );
    let _ = writeln!(out, r#"<rect width="100%" height="100%" fill="white"/>"#);
    for (i, op) in ops.iter().enumerate() {
        let x0 = margin + (i % cols) as f64 * (panel_w + margin);
        let y0 = margin + (i / cols) as f64 * (panel_h + 2.0 * margin);
        let points: Vec<&Series> = series.iter().filter(|s| &s.operation == op).collect();
        let lx = |v: f64| v.max(1e-12).log10();
        let (mut xmin, mut xmax, mut ymin, mut ymax) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
        for s in &points {
            xmin = xmin.min(lx(s.size as f64));
            xmax = xmax.max(lx(s.size as f64));
            ymin = ymin.min(lx(s.median));
            ymax = ymax.max(lx(s.median));
        }
        if xmax - xmin < 1e-9 {
            xmin -= 0.5;
            xmax += 0.5;
        }
        if ymax - ymin < 1e-9 {
            ymin -= 0.5;
            ymax += 0.5;
        }
        // 8% headroom so points sit inside the frame.
        let pad = 0.08 * (ymax - ymin);
        let (ymin, ymax) = (ymin - pad, ymax + pad);
        let pad = 0.05 * (xmax - xmin);
        let (xmin, xmax) = (xmin - pad, xmax + pad);
        let px = |v: f64| x0 + (lx(v) - xmin) / (xmax - xmin) * panel_w;
        let py = |v: f64| y0 + panel_h - (lx(v) - ymin) / (ymax - ymin) * panel_h;
        let _ = writeln!(
            out,
            r#"<text x="{x0}" y="{}" font-size="13" font-weight="bold">{op}</text>"#,
            y0 - 12.0
        );
        let _ = writeln!(
            out,
            r##"<rect x="{x0}" y="{y0}" width="{panel_w}" height="{panel_h}" fill="none" stroke="#999"/>"##
        );
        let _ = writeln!(
            out,
            r#"<text x="{}" y="{}" text-anchor="middle">size (log scale)</text>"#,
            x0 + panel_w / 2.0,
            y0 + panel_h + 32.0
        );
        let _ = writeln!(
            out,
            r#"<text x="{}" y="{}" transform="rotate(-90 {} {})" text-anchor="middle">median time (log scale)</text>"#,
            x0 - 12.0,
            y0 + panel_h / 2.0,
            x0 - 12.0,
            y0 + panel_h / 2.0
        );
        for (v, y) in [(ymax, y0 + 4.0), (ymin, y0 + panel_h)] {
            let _ = writeln!(
                out,
                r#"<text x="{}" y="{y}" text-anchor="end">{}</text>"#,
                x0 - 4.0,
                human(10f64.powf(v))
            );
        }
        let mut by_backend: BTreeMap<&str, Vec<&Series>> = BTreeMap::new();
        for s in &points {
            by_backend.entry(&s.backend).or_default().push(s);
        }
        let mut sizes: Vec<usize> = points.iter().map(|s| s.size).collect();
        sizes.sort_unstable();
        sizes.dedup();
        for size in sizes {
            let _ = writeln!(
                out,
                r#"<text x="{}" y="{}" text-anchor="middle">{}</text>"#,
                px(size as f64),
                y0 + panel_h + 14.0,
                size_label(op, size)
            );
        }
        for (j, (backend, mut line)) in by_backend.into_iter().enumerate() {
            line.sort_by_key(|s| s.size);
            let color = COLORS[j % COLORS.len()];
            let path: Vec<String> = line
                .iter()
                .map(|s| format!("{:.1},{:.1}", px(s.size as f64), py(s.median)))
                .collect();
            let _ = writeln!(
                out,
                r#"<polyline points="{}" fill="none" stroke="{color}" stroke-width="2"/>"#,
                path.join(" ")
            );
            for s in &line {
                let _ = writeln!(
                    out,
                    r#"<circle cx="{:.1}" cy="{:.1}" r="3" fill="{color}"><title>{backend}: {}</title></circle>"#,
                    px(s.size as f64),
                    py(s.median),
                    human(s.median)
                );
            }
            let ly = y0 + 14.0 + 14.0 * j as f64;
            let _ = writeln!(
                out,
                r#"<line x1="{}" y1="{ly}" x2="{}" y2="{ly}" stroke="{color}" stroke-width="2"/><text x="{}" y="{}">{backend}</text>"#,
                x0 + 8.0,
                x0 + 24.0,
                x0 + 28.0,
                ly + 4.0
            );
        }
    }
    out.push_str("</svg>\n");
    out
}
