//! stateproof's node: a long-running process that takes signed transfers
//! over HTTP, checks them against its ledger, keeps them durably in an
//! database (embedded SQLite, or PostgreSQL), seals them into batches, has
//! each batch proven by a worker (in the node's process, or on other
//! machines sharing its PostgreSQL database) with its key kept loaded, and
//! serves the proven updates to light clients; and the clients that talk to
//! it (`send`, `light-client`, `load`).
//!
//! The pieces: [`store`] (SQLite or PostgreSQL through sqlx), [`intake`]
//! (checks and group commits), [`pipeline`] (the batcher, the witness
//! thread and the publisher), [`jobs`] (the prove-job queue in the store),
//! [`worker`] (claims and proves jobs), [`circom`] (the circom proving
//! service: zkeys, proof requests), [`finality`] (headers, validators'
//! attestations, finality proofs), [`api`] (axum, with its OpenAPI
//! description), [`client`] (HTTP clients), [`node`] (the data directory
//! and the process), [`scenario`] (the compute and trust demos, against a
//! node in this process).

pub mod api;
pub mod circom;
pub mod client;
pub mod devnet;
pub mod finality;
pub mod intake;
pub mod jobs;
pub mod ledger;
pub mod metrics;
pub mod node;
pub mod pipeline;
pub mod scenario;
pub mod store;
#[cfg(any(test, feature = "test-hooks"))]
pub mod testdb;
pub mod wire;
pub mod worker;

pub use node::{
    init, retry, run, Genesis, InitOptions, InitReport, RetriedJob, RetryReport, RunOptions,
    Started,
};
