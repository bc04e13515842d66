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
    /// A key that is not a finality key was given to the finality client.
    #[error("not a finality verifying key (circuit finality-quorum with its six inputs)")]
    NotFinalityKey,
    /// A height public input that does not fit 64 bits.
    #[error("height does not fit 64 bits")]
    HeightOutOfRange,
    /// The update's header is the one the client already holds.
    #[error("replayed update for height {height}")]
    Replay {
        /// The height.
        height: u64,
    },
    /// An update for a height the client has passed.
    #[error("stale update for height {height}; the client is at {current}")]
    Stale {
        /// The update's height.
        height: u64,
        /// The client's height.
        current: u64,
    },
    /// An update that skips heights.
    #[error("gap: expected height {expected}, got {found}")]
    Gap {
        /// The next height.
        expected: u64,
        /// The update's height.
        found: u64,
    },
    /// An update signed by another set than the one the client holds.
    #[error("update is signed by another validator set than the client's")]
    WrongSet,
    /// An update whose parent is not the client's header.
    #[error("update does not extend the client's header")]
    DoesNotExtend,
    /// Two valid updates for one height by one set: the set signed a fork.
    #[error("fork at height {}: the set's quorum finalised two headers", .0.height)]
    Fork(crate::finality::ForkEvidence),
    /// The client saw a fork and accepts nothing more.
    #[error("client halted by the fork at height {height}")]
    Halted {
        /// The fork's height.
        height: u64,
    },
}

/// The verifier's result type.
pub type Result<T, E = Error> = core::result::Result<T, E>;
