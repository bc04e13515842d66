//! Terminal output: text or JSON on stdout, progress on stderr when it is a
//! terminal and text output is on.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::time::Duration;

/// Where results and progress go.
pub struct Output {
    /// JSON summaries instead of text.
    pub json: bool,
    interactive: bool,
}

impl Output {
    pub fn new(json: bool) -> Self {
        Self { json, interactive: !json && std::io::stderr().is_terminal() }
    }

    /// A line of text output (suppressed in JSON mode).
    pub fn line(&self, text: impl AsRef<str>) {
        if !self.json {
            println!("{}", text.as_ref());
        }
    }

    /// A JSON summary (printed only in JSON mode).
    pub fn json(&self, value: serde_json::Value) {
        if self.json {
            println!("{value:#}");
        }
    }

    /// Runs `f` under a spinner named `step` when on a terminal.
    pub fn step<T>(&self, step: &str, f: impl FnOnce() -> T) -> T {
        let bar = if self.interactive {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            bar.set_message(step.to_string());
            bar.enable_steady_tick(Duration::from_millis(120));
            Some(bar)
        } else {
            None
        };
        let out = f();
        if let Some(bar) = bar {
            bar.finish_and_clear();
        }
        out
    }
}

impl Output {
    /// A progress bar over `total` steps on a terminal, `None` otherwise.
    pub fn progress(&self, total: u64, what: &str) -> Option<ProgressBar> {
        if !self.interactive {
            return None;
        }
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.set_prefix(what.to_string());
        Some(bar)
    }
}

/// Seconds with three decimals, for reports.
pub fn secs(d: Duration) -> String {
    format!("{:.3} s", d.as_secs_f64())
}
