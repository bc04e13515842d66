//! Small helpers for the text of reports.

use stateproof_circuits::primitives::field::fr_to_string;
use stateproof_circuits::Fr;
use std::time::Duration;

/// Seconds with three decimals.
pub fn secs(d: Duration) -> String {
    format!("{:.3} s", d.as_secs_f64())
}

/// A 32-byte value in hex.
pub fn hex32(bytes: &[u8; 32]) -> String {
    hex::encode(bytes)
}

/// A field element in decimal.
pub fn fr(x: &Fr) -> String {
    fr_to_string(x)
}

/// `n` and its noun, plural unless `n` is 1: `count(2, "slot")` is `2 slots`.
pub fn count(n: usize, noun: &str) -> String {
    format!("{n} {noun}{}", stateproof_circuits::circuit::plural(n))
}

/// A duration as the JSON reports give it.
pub fn seconds(d: Duration) -> f64 {
    d.as_secs_f64()
}
