//! circom and snarkjs interop: circom's `.r1cs` and `.wtns`, snarkjs's
//! Groth16 `.zkey`, and a prover that follows snarkjs's QAP variant on
//! stateproof's backends, so its proofs verify with `snarkjs groth16
//! verify` and the zkey's `verification_key.json`.
//!
//! Every parser checks magic, version, section sizes against the bytes
//! present (nothing is allocated from an unchecked length), the field
//! moduli (BN254 only), every index and every point.

mod binfile;
mod prove;
mod r1cs;
mod wtns;
mod zkey;

pub use prove::ZkeyProver;
pub use r1cs::{parse_r1cs, Lc, R1cs, R1csCircuit};
pub use wtns::parse_wtns;
pub use zkey::{load_zkey, parse_zkey, Coefficient, Validation, Zkey, MAX_LOG_DOMAIN};

/// Why a circom file or proof was rejected.
#[derive(Debug, thiserror::Error)]
pub enum CircomError {
    /// A malformed or unsupported file.
    #[error("{0}")]
    Format(String),
    /// A file for another curve or field.
    #[error("{0} (stateproof proves over BN254 only)")]
    Curve(String),
    /// A witness that does not fit the key or the constraints.
    #[error("witness: {0}")]
    Witness(String),
    /// Proving failed on a backend.
    #[error(transparent)]
    Prove(#[from] crate::Error),
}

/// The circom module's result type.
pub type Result<T, E = CircomError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests;
