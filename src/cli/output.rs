//! What the command prints: a report as text, or as one JSON object with
//! `--json`; progress on stderr when it is a terminal, or as timestamped
//! lines with `STATEPROOF_PROGRESS=lines` (for logs of unattended runs);
//! warnings (the libraries' `tracing` events) as `warning: …` lines on
//! stderr.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;
use stateproof_app::progress::Progress;
use stateproof_app::AppError;
use std::cell::{Cell, RefCell};
use std::fmt::Display;
use std::io::IsTerminal;
use std::time::{Duration, Instant};

/// The environment variable that asks for progress as plain lines.
pub const PROGRESS_ENV: &str = "STATEPROOF_PROGRESS";

/// Where results and progress go.
pub struct Output {
    json: bool,
    interactive: bool,
    /// Progress as lines on stderr: since when, and the step under way.
    lines: Option<Lines>,
    bar: RefCell<Option<ProgressBar>>,
    /// A JSON object carrying the error was printed already.
    error_printed: Cell<bool>,
}

/// Progress as lines: each step's start and end, and each advance while
/// there are at most [`Lines::EVERY`] of them (else every 1%), each
/// stamped with the seconds since the command started. A run killed by a
/// time limit so still says what it was doing.
struct Lines {
    start: Instant,
    step: RefCell<Option<(String, Instant)>>,
}

impl Lines {
    const EVERY: u64 = 1000;

    fn say(&self, what: &str) {
        eprintln!("[{:8.1} s] {what}", self.start.elapsed().as_secs_f64());
    }
}

impl Output {
    pub fn new(json: bool) -> Self {
        let lines = std::env::var(PROGRESS_ENV).is_ok_and(|v| v == "lines");
        Self {
            json,
            interactive: !json && !lines && std::io::stderr().is_terminal(),
            lines: lines.then(|| Lines { start: Instant::now(), step: RefCell::new(None) }),
            bar: RefCell::new(None),
            error_printed: Cell::new(false),
        }
    }

    /// Prints a report: its text, or its JSON form.
    pub fn report<R: Display + Serialize>(&self, report: &R) {
        if self.json {
            match serde_json::to_value(report) {
                Ok(v) => println!("{v:#}"),
                Err(e) => eprintln!("error: the report does not serialise: {e}"),
            }
        } else {
            println!("{report}");
        }
    }

    /// Prints a report, then fails with `error` when `ok` is false: with
    /// `--json`, one object holding the report and the error.
    pub fn report_or_fail<R: Display + Serialize>(
        &self,
        report: &R,
        ok: bool,
        error: impl FnOnce() -> AppError,
    ) -> Result<(), AppError> {
        if ok {
            self.report(report);
            return Ok(());
        }
        let e = error();
        if self.json {
            let mut v = serde_json::to_value(report).unwrap_or_default();
            if let Some(map) = v.as_object_mut() {
                map.insert("error".into(), e.json()["error"].clone());
                println!("{v:#}");
                self.error_printed.set(true);
                return Err(e);
            }
        } else {
            println!("{report}");
        }
        Err(e)
    }

    /// Prints a failure: one line on stderr, and with `--json` the error
    /// object on stdout (unless a report already carried it).
    pub fn error(&self, e: &AppError) {
        if self.json && !self.error_printed.get() {
            println!("{:#}", e.json());
        }
        eprintln!("error: {}", e.message);
    }
}

impl Progress for Output {
    fn begin(&self, step: &str) {
        if let Some(lines) = &self.lines {
            lines.say(&format!("{step}…"));
            *lines.step.borrow_mut() = Some((step.to_string(), Instant::now()));
        }
        if !self.interactive {
            return;
        }
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.set_message(step.to_string());
        bar.enable_steady_tick(Duration::from_millis(120));
        *self.bar.borrow_mut() = Some(bar);
    }

    fn end(&self) {
        if let Some(lines) = &self.lines {
            if let Some((step, since)) = lines.step.borrow_mut().take() {
                lines.say(&format!("{step}: done in {:.1} s", since.elapsed().as_secs_f64()));
            }
        }
        if let Some(bar) = self.bar.borrow_mut().take() {
            bar.finish_and_clear();
        }
    }

    fn advance(&self, done: u64, total: u64, message: &str) {
        if let Some(lines) = &self.lines {
            if total <= Lines::EVERY || done % total.div_ceil(100) == 0 {
                lines.say(&format!("({done}/{total}) {message}"));
            }
        }
        if let Some(bar) = self.bar.borrow().as_ref() {
            if bar.length() != Some(total) {
                bar.set_length(total);
                bar.set_style(
                    ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len}")
                        .unwrap_or_else(|_| ProgressStyle::default_bar()),
                );
            }
            bar.set_position(done);
            bar.set_message(message.to_string());
        }
    }
}

/// Prints the libraries' warnings (`tracing` events at WARN and above) as
/// `warning: …` lines on stderr, and nothing else. Only events (of INFO and
/// above) are enabled, at their call sites: arkworks' gadgets open an INFO
/// span per gadget call, and recording those made constraint synthesis
/// eight times slower (0.45 s against 54 ms for a 4-slot transfer batch at
/// depth 32).
pub fn install_warnings() {
    use tracing_subscriber::layer::SubscriberExt;
    let events = tracing_subscriber::filter::filter_fn(|meta| {
        meta.is_event() && *meta.level() <= tracing::Level::INFO
    });
    let subscriber = tracing_subscriber::registry().with(events).with(WarningLines);
    let _ = tracing::subscriber::set_global_default(subscriber);
}

/// The node's log: its info lines (batches sealed and proven) as well as
/// warnings, on stderr.
pub fn install_node_log() {
    NODE_LOG.store(true, std::sync::atomic::Ordering::Relaxed);
}

static NODE_LOG: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

struct WarningLines;

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for WarningLines {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        let level = *event.metadata().level();
        let info = level == tracing::Level::INFO
            && NODE_LOG.load(std::sync::atomic::Ordering::Relaxed)
            && ["stateproof_node", "stateproof_kernels::select"]
                .iter()
                .any(|t| event.metadata().target().starts_with(t));
        if level > tracing::Level::WARN && !info {
            return;
        }
        struct Message(String);
        impl tracing::field::Visit for Message {
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                if field.name() == "message" {
                    self.0 = format!("{value:?}");
                }
            }
        }
        let mut message = Message(String::new());
        event.record(&mut message);
        let level = match level {
            tracing::Level::ERROR => "error",
            tracing::Level::WARN => "warning",
            _ if event.metadata().target().starts_with("stateproof_node::worker") => "worker",
            _ if event.metadata().target().starts_with("stateproof_node::client::validator") => {
                "validator"
            }
            _ => "node",
        };
        eprintln!("{level}: {}", message.0);
    }
}
