use alloc::string::String;

/// Why a key, proof or update was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The input ended before a field it declares.
    #[error("truncated input: needed {needed} more bytes for {what}")]
    Truncated {
        /// What was being read.
        what: &'static str,
        /// Bytes missing.
        needed: usize,
    },
    /// Bytes left after a complete structure.
    #[error("{0} trailing bytes")]
    TrailingBytes(usize),
    /// Wrong magic bytes: not this kind of file.
    #[error("not a stateproof {0}")]
    BadMagic(&'static str),
    /// A format version this verifier does not know.
    #[error("unknown format version {0}")]
    UnknownVersion(u16),
    /// A point that is not on the curve, not in the prime-order subgroup, or
    /// not canonically encoded.
    #[error("invalid {0} point: not canonical, not on the curve or not in the subgroup")]
    InvalidPoint(&'static str),
    /// A proof point equal to the identity.
    #[error("proof point {0} is the identity")]
    IdentityPoint(&'static str),
    /// A field element encoded as a value `≥ r`.
    #[error("public input {0} is not canonical (not below the field modulus)")]
    NonCanonicalInput(usize),
    /// Public-input count different from the key's.
    #[error("key expects {expected} public inputs, update has {found}")]
    InputCount {
        /// The key's count.
        expected: usize,
        /// The update's count.
        found: usize,
    },
    /// The update was made for another verifying key.
    #[error("verifying-key fingerprint does not match the key")]
    FingerprintMismatch,
    /// A declared length beyond what this format allows.
    #[error("{what} length {len} exceeds the limit {max}")]
    TooLong {
        /// What was being read.
        what: &'static str,
        /// Declared length.
        len: usize,
        /// Limit.
        max: usize,
    },
    /// Text that is not valid UTF-8 or not printable ASCII where required.
    #[error("malformed {0}")]
    Malformed(&'static str),
    /// The pairing check failed: the proof does not verify.
    #[error("proof does not verify")]
    InvalidProof,
    /// The update names another circuit or shape than the key's.
    #[error("update is for another circuit or circuit shape than the key")]
    CircuitMismatch,
    /// The update's public-input names are not the key's.
    #[error("update's public-input names differ from the key's")]
    InputNames,
    /// A named public input the update does not have.
    #[error("update has no public input named {0:?}")]
    MissingInput(String),
    /// The update does not start from the light client's root.
    #[error("update starts from another root than the client's")]
    RootMismatch,
}

/// The verifier's result type.
pub type Result<T, E = Error> = core::result::Result<T, E>;
