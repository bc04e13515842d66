//! stateproof's circuits: R1CS gadgets and state-transition circuits over
//! BN254, and the native rules that mirror each circuit.
//!
//! - [`poseidon`]: circomlib's Poseidon, natively and as a gadget.
//! - [`babyjubjub`] and [`eddsa`]: circomlib's Baby Jubjub and EdDSA-Poseidon.
//! - [`merkle`]: the sparse Merkle tree of accounts and its gadgets.
//! - [`transfer`]: the transfer-batch state transition, native and in-circuit.
//! - [`compute`]: settlement of replicated compute (native rules and a
//!   strategy simulation; the circuit is still to come).
//! - [`trust`]: Proof-of-Trust admission by two sponsors (native rules; the
//!   circuit is still to come).
//! - [`finality`]: validator-set quorums over headers, set rotation,
//!   double-sign slashing and the trust network's unanimous data agreement.
//!
//! ```
//! use stateproof_circuits::poseidon::poseidon;
//! use stateproof_circuits::Fr;
//! let h = poseidon(&[Fr::from(1u64), Fr::from(2u64)]).unwrap();
//! assert_eq!(
//!     h.to_string(),
//!     "7853200120776062878684798364095072458815029376092732009249414926327459813530"
//! );
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod babyjubjub;
pub mod compute;
pub mod eddsa;
mod error;
pub mod field;
pub mod finality;
mod gadgets;
pub mod merkle;
pub mod poseidon;
pub mod soundness;
pub mod transfer;
pub mod trust;

pub use error::{Error, Result};

/// BN254's scalar field: the field every circuit here is over.
pub type Fr = ark_bn254::Fr;
