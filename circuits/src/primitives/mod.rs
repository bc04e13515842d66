//! The primitives every circuit is built from, natively and as gadgets:
//! circomlib's Poseidon, Baby Jubjub and EdDSA-Poseidon, the sparse Merkle
//! tree, small shared gadgets, and the strict text form of field elements.
//! Nothing here knows about any domain.

pub mod babyjubjub;
pub mod eddsa;
mod error;
pub mod field;
pub(crate) mod gadgets;
pub mod merkle;
pub mod poseidon;

pub use error::{Error, Result};
