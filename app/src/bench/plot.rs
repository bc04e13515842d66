//! The plot of a `stateproof bench` run: per operation, the median time
//! against size on log-log axes, and beside it each backend's time as a
//! ratio to arkworks' (the column that a single size still makes readable).

use super::report::{operations, size_label};
use super::Series;
use crate::{AppError, Result};
use plotters::prelude::*;
use std::collections::BTreeMap;

const COLORS: [RGBColor; 4] =
    [RGBColor(31, 119, 180), RGBColor(214, 39, 40), RGBColor(44, 160, 44), RGBColor(148, 103, 189)];

fn plot_error(e: impl std::fmt::Display) -> AppError {
    AppError::unusable(format!("plot: {e}"))
}

/// Bounds of `values` on a log axis, widened so points sit inside.
fn log_range(values: impl Iterator<Item = f64>) -> std::ops::Range<f64> {
    let (mut lo, mut hi) = (f64::MAX, f64::MIN);
    for v in values.filter(|v| *v > 0.0) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if lo > hi {
        return 1.0..10.0;
    }
    lo / 1.5..hi * 1.5
}

/// The SVG plot of `series`.
pub fn svg(series: &[Series]) -> Result<String> {
    let ops = operations(series);
    let rows = ops.len().max(1);
    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, (1100, 300 * rows as u32)).into_drawing_area();
        root.fill(&WHITE).map_err(plot_error)?;
        let panels = root.split_evenly((rows, 2));
        for (i, op) in ops.iter().enumerate() {
            let points: Vec<&Series> = series.iter().filter(|s| &s.operation == op).collect();
            let mut by_backend: BTreeMap<&str, Vec<&Series>> = BTreeMap::new();
            for s in &points {
                by_backend.entry(&s.backend).or_default().push(s);
            }
            let x = log_range(points.iter().map(|s| s.size as f64));
            let sizes: Vec<usize> = points.iter().map(|s| s.size).collect();
            let label = |v: &f64| {
                let nearest = sizes.iter().min_by(|a, b| {
                    ((**a as f64) / v).ln().abs().total_cmp(&((**b as f64) / v).ln().abs())
                });
                nearest.map_or(String::new(), |n| size_label(op, *n))
            };

            // Time against size.
            let mut chart = ChartBuilder::on(&panels[2 * i])
                .caption(format!("{op}: median time"), ("sans-serif", 15))
                .margin(12)
                .x_label_area_size(32)
                .y_label_area_size(70)
                .build_cartesian_2d(
                    x.clone().log_scale(),
                    log_range(points.iter().map(|s| s.median)).log_scale(),
                )
                .map_err(plot_error)?;
            chart
                .configure_mesh()
                .x_desc("size")
                .y_desc("median time")
                .x_label_formatter(&label)
                .y_label_formatter(&|v| super::human(*v))
                .draw()
                .map_err(plot_error)?;
            for (j, (backend, line)) in by_backend.iter().enumerate() {
                let color = COLORS[j % COLORS.len()];
                let mut line = line.clone();
                line.sort_by_key(|s| s.size);
                let xy: Vec<(f64, f64)> = line.iter().map(|s| (s.size as f64, s.median)).collect();
                chart
                    .draw_series(LineSeries::new(xy.clone(), color.stroke_width(2)))
                    .map_err(plot_error)?
                    .label(*backend)
                    .legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2))
                    });
                chart
                    .draw_series(xy.iter().map(|p| Circle::new(*p, 3, color.filled())))
                    .map_err(plot_error)?;
            }
            chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.8))
                .border_style(BLACK)
                .draw()
                .map_err(plot_error)?;

            // Ratio to arkworks against size.
            let ratios: Vec<f64> = points.iter().filter_map(|s| s.ratio_to_arkworks).collect();
            let top = ratios.iter().copied().fold(1.0f64, f64::max) * 1.15;
            let mut chart = ChartBuilder::on(&panels[2 * i + 1])
                .caption(format!("{op}: time / arkworks' time"), ("sans-serif", 15))
                .margin(12)
                .x_label_area_size(32)
                .y_label_area_size(50)
                .build_cartesian_2d(x.log_scale(), 0.0..top)
                .map_err(plot_error)?;
            chart
                .configure_mesh()
                .x_desc("size")
                .y_desc("ratio (below 1: faster than arkworks)")
                .x_label_formatter(&label)
                .draw()
                .map_err(plot_error)?;
            for (j, (_, line)) in by_backend.iter().enumerate() {
                let color = COLORS[j % COLORS.len()];
                let mut line = line.clone();
                line.sort_by_key(|s| s.size);
                let xy: Vec<(f64, f64)> = line
                    .iter()
                    .filter_map(|s| s.ratio_to_arkworks.map(|r| (s.size as f64, r)))
                    .collect();
                chart
                    .draw_series(LineSeries::new(xy.clone(), color.stroke_width(2)))
                    .map_err(plot_error)?;
                chart
                    .draw_series(xy.iter().map(|p| Circle::new(*p, 3, color.filled())))
                    .map_err(plot_error)?;
            }
        }
        root.present().map_err(plot_error)?;
    }
    Ok(buf)
}
