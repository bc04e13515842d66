//! stateproof's circuits: R1CS circuits for each state transition over
//! BN254, and the native rules that mirror each one exactly (the native
//! rules also build the witness).
//!
//! - [`primitives`]: circomlib's Poseidon, Baby Jubjub and EdDSA-Poseidon,
//!   the sparse Merkle tree, shared gadgets and the strict text forms of
//!   field elements. No domain knowledge.
//! - [`ledger`]: accounts and the tree that commits to them, and the one
//!   root over accounts, deals and members.
//! - [`circuit`]: how each circuit declares itself (typed shape, public
//!   inputs in allocation order) and [`circuit::check_input_order`].
//! - The domains, each with the same files (`rules` with its own error
//!   type, `witness`, `circuit`, `json`): [`transfer`] (signed transfers),
//!   [`finality`] (validator-set quorums over headers, set rotation,
//!   double-sign slashing, the trust network's unanimous data agreement),
//!   [`compute`] (deals of replicated compute opened and settled) and
//!   [`trust`] (Proof-of-Trust admission by two sponsors).
//! - [`book`]: the whole ledger (accounts, deals, members) as one value
//!   under one root, each domain's batches applied to it.
//! - [`soundness`]: the witness-mutation checker for under-constrained
//!   circuits.
//!
//! ```
//! use stateproof_circuits::primitives::poseidon::poseidon;
//! use stateproof_circuits::Fr;
//! let h = poseidon(&[Fr::from(1u64), Fr::from(2u64)]).unwrap();
//! assert_eq!(
//!     h.to_string(),
//!     "7853200120776062878684798364095072458815029376092732009249414926327459813530"
//! );
//! ```
//!
//! Features: `sample` adds [`sample`], deterministic keys from public seeds
//! for demos, tests and benchmarks (anyone can sign with them).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod book;
pub mod circuit;
pub mod compute;
mod error;
pub mod finality;
pub mod ledger;
pub mod primitives;
#[cfg(any(test, feature = "sample"))]
pub mod sample;
pub mod soundness;
pub mod transfer;
pub mod trust;
pub mod wire;

pub use error::{Error, Result};

/// BN254's scalar field: the field every circuit here is over.
pub type Fr = ark_bn254::Fr;
