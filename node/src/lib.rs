//! stateproof's node: a long-running process that takes signed transfers
//! over HTTP, checks them against its ledger, keeps them durably in an
//! embedded database, seals them into batches, proves each batch with its
//! key kept loaded, and serves the proven updates to light clients; and the
//! clients that talk to it (`send`, `light-client`, `load`).
//!
//! The pieces: [`store`] (SQLite through sqlx), [`intake`] (checks and group
//! commits), [`pipeline`] (the batcher and the prover thread), [`api`] (axum,
//! with its OpenAPI description), [`client`] (HTTP clients), [`node`] (the
//! data directory and the process).

pub mod api;
pub mod client;
pub mod intake;
pub mod metrics;
pub mod node;
pub mod pipeline;
pub mod store;
pub mod wire;

pub use node::{init, run, Genesis, InitOptions, InitReport, RunOptions, Started};
