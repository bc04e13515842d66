//! stateproof's light verifier: what a light client embeds to check
//! stateproof's Groth16 proofs over BN254.
//!
//! It depends on no prover, GPU or thread pool: the pairing check is written
//! against `ark-ec` and `ark-bn254` directly, and with `default-features =
//! false` the crate is `no_std` + `alloc`.
//!
//! Everything that crosses the wire is parsed strictly: points must be
//! canonically encoded, on the curve, in the prime-order subgroup and not the
//! identity; public inputs must be canonical (below `r`) and exactly as many
//! as the key expects; an update must name the key it was made for by its
//! blake3 fingerprint; truncated input, trailing bytes and unknown versions
//! are errors.
//!
//! ```no_run
//! # fn main() -> Result<(), stateproof_verifier::Error> {
//! # let (vk_bytes, update_bytes): (Vec<u8>, Vec<u8>) = (vec![], vec![]);
//! use stateproof_verifier::{CompressedUpdate, LightClient, VerifyingKey};
//! let vk = VerifyingKey::from_bytes(&vk_bytes)?;
//! let update = CompressedUpdate::from_bytes(&update_bytes)?;
//! update.verify(&vk)?;
//! let mut client = LightClient::new(vk, update.input("old_root")?);
//! client.apply(&update)?; // checks continuity, then moves to the new root
//! # Ok(()) }
//! ```
//!
//! [`FinalityClient`] follows finality proofs (quorum-signed headers, set
//! rotations) from a trusted checkpoint, rejecting gaps, replays and updates
//! by another set and reporting forks; its state is a few hundred bytes.
//!
//! Both clients catch up on a run of updates with one batched pairing check
//! (`catch_up`, [`batch`]): about `k + 3` Miller loops and one final
//! exponentiation for `k` proofs instead of `4k` and `k`.
//!
//! Features: `std` (default) adds the JSON forms and snarkjs export.
#![cfg_attr(not(feature = "std"), no_std)]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;

pub mod batch;
mod decimal;
mod encoding;
mod envelope;
mod error;
pub mod finality;
mod groth16;
mod light_client;
#[cfg(feature = "std")]
pub mod snarkjs;
pub mod spec;

pub use batch::{verify_batch, verify_each, CatchUp};
pub use decimal::{parse_decimal, DecimalError};
pub use envelope::{
    verify_update_bytes, verify_updates, CompressedUpdate, Verified, FORMAT_VERSION, UPDATE_MAGIC,
};
pub use error::{Error, Result};
pub use finality::{Checkpoint, FinalityClient};
pub use groth16::{verify_proof, Proof, VerifyingKey, PROOF_BYTES, VK_MAGIC};
pub use light_client::LightClient;
pub use spec::CircuitSpec;

/// BN254's scalar field, the type of public inputs.
pub type Fr = ark_bn254::Fr;

#[cfg(all(test, feature = "std"))]
mod batch_tests;
#[cfg(all(test, feature = "std"))]
mod finality_tests;
#[cfg(all(test, feature = "std"))]
mod test_support;
#[cfg(all(test, feature = "std"))]
mod tests;
