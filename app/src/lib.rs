//! stateproof's application as a library: what every `stateproof`
//! command does, with typed reports (text through `Display`, JSON through
//! `Serialize`), file I/O whose errors name the file and the field, the
//! finality light client's follow loop, and the benchmark's plan, run and
//! report. The binary only parses arguments and prints; tests call these
//! functions directly.
//!
//! Nothing here prints or reads the environment: long work reports through
//! a [`progress::Progress`], warnings go out as `tracing` events, and every
//! failure is an [`AppError`] whose kind decides the exit code (1: input
//! that breaks a rule or fails verification; 2: input that cannot be read
//! or used).
//!
//! ```no_run
//! use stateproof_app::{backend::BackendOptions, progress::Silent, transfer};
//! # fn main() -> Result<(), stateproof_app::AppError> {
//! let report = transfer::demo(&Silent, 8, 1, &BackendOptions::cpu())?;
//! assert!(report.valid);
//! println!("{report}");
//! # Ok(()) }
//! ```
//!
//! Features: `test-hooks` adds [`install_test_hooks`] (fault injection and
//! a write delay), for tests only.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod backend;
pub mod bench;
pub mod circom;
mod error;
pub mod files;
pub mod finality;
pub mod follow;
pub mod inspect;
pub mod progress;
pub mod simulate;
pub mod text;
pub mod transfer;
pub mod trustnet;
pub mod userkeys;

pub use backend::AppProver;
pub use error::{AppError, ErrorKind, Result};

use stateproof_verifier::{CompressedUpdate, VerifyingKey};
use std::time::{Duration, Instant};

/// Parses `update`'s bytes back and verifies them under `vk`, as a light
/// client would: what the demos do with each batch they prove. Returns the
/// time it took.
pub fn verify_bytes(what: &str, vk: &VerifyingKey, update: &CompressedUpdate) -> Result<Duration> {
    let bytes = update.to_bytes();
    let start = Instant::now();
    CompressedUpdate::from_bytes(&bytes)
        .and_then(|u| u.verify(vk))
        .map_err(|e| AppError::invalid(format!("{what} does not verify: {e}")))?;
    Ok(start.elapsed())
}

/// Test hooks, read from the environment (a test build only):
/// `STATEPROOF_TEST_WRITE_DELAY_MS` slows every atomic write so a test can
/// kill the process mid-write; `STATEPROOF_GPU_FAULT` makes the GPU fail
/// (`no-adapter`, `device-lost`, `out-of-memory`, `corrupt`, `garbage`).
#[cfg(feature = "test-hooks")]
pub fn install_test_hooks() {
    if let Some(ms) =
        std::env::var("STATEPROOF_TEST_WRITE_DELAY_MS").ok().and_then(|v| v.parse().ok())
    {
        stateproof_prover::files::set_write_delay(Duration::from_millis(ms));
    }
    if let Ok(fault) = std::env::var("STATEPROOF_GPU_FAULT") {
        backend::hooks::set(&fault);
    }
}

/// Without the `test-hooks` feature there are no hooks to install.
#[cfg(not(feature = "test-hooks"))]
pub fn install_test_hooks() {}
