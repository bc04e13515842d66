//! stateproof's Groth16 prover over BN254, computing every NTT and MSM
//! through pluggable backends ([`stateproof_kernels`]).
//!
//! It reuses ark-groth16's key types, key generation and its R1CS-to-QAP
//! reduction (libsnark's), and assembles proofs itself, so that for the same
//! randomness `(r, s)` it produces byte-identical proofs to ark-groth16's
//! `create_proof_with_reduction` on any backend.
//!
//! ```no_run
//! use stateproof_prover::{keys::{self, Keys}, Prover, transfer};
//! use stateproof_kernels::cpu::CpuBackend;
//! use stateproof_circuits::ledger::State;
//! use stateproof_circuits::transfer::{TransferBatch, TransferBatchCircuit, TransferShape};
//! # fn main() -> Result<(), stateproof_prover::Error> {
//! let state = State::new(8)?;
//! // A development setup: one machine, not a ceremony.
//! let shape = TransferShape { depth: 8, slots: 2 };
//! let keys = Keys::setup::<TransferBatchCircuit>(&shape, &mut keys::os_rng())?;
//! let prover = Prover::new(CpuBackend, CpuBackend, &keys.proving_key)?;
//! let proved = transfer::prove_batch(&prover, &keys, &state, &state.roots_alone(), &TransferBatch::default())?;
//! proved.update.verify(&keys.verifying_key)?;
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod circom;
pub mod compute;
mod error;
pub mod files;
pub mod finality;
pub mod groth16;
pub mod job;
pub mod keys;
pub mod solidity;
pub mod transfer;
pub mod trust;

pub use error::{Error, Result};
pub use groth16::{
    Assignment, KeyPoints, LibsnarkReduction, PhaseTimings, PreparedKey, Prover, QapReduction,
    SnarkjsReduction,
};

#[cfg(test)]
mod tests;
