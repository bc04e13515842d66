use thiserror::Error;

/// Errors of the circuits crate: malformed inputs and broken state-transition rules.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum Error {
    /// Poseidon was asked for an arity it has no constants for.
    #[error("Poseidon takes 1 to {max} inputs, got {inputs}")]
    PoseidonArity {
        /// Inputs given.
        inputs: usize,
        /// Largest supported.
        max: usize,
    },
    /// A public key is not a usable Baby Jubjub point.
    #[error("invalid public key: {0}")]
    InvalidPublicKey(&'static str),
    /// A signature does not verify.
    #[error("bad signature: {0}")]
    BadSignature(&'static str),
    /// A tree depth outside the supported range.
    #[error("tree depth {depth} is outside 1..={max}")]
    InvalidDepth {
        /// Depth asked for.
        depth: usize,
        /// Largest supported depth.
        max: usize,
    },
    /// An account index that does not fit the tree.
    #[error("account index {index} does not fit a tree of depth {depth}")]
    IndexOutOfRange {
        /// Index given.
        index: u64,
        /// Tree depth.
        depth: usize,
    },
    /// A Merkle proof that does not lead to the expected root.
    #[error("Merkle proof does not match the root")]
    BadMerkleProof,
    /// A transfer in a batch breaks a rule; `slot` is its position.
    #[error("transfer {slot}: {rule}")]
    Transfer {
        /// Position of the transfer in the batch.
        slot: usize,
        /// The rule it breaks.
        rule: TransferRule,
    },
    /// A batch with more transfers than the circuit has slots.
    #[error("batch has {len} transfers but the circuit has {slots} slots")]
    BatchTooLarge {
        /// Transfers in the batch.
        len: usize,
        /// Slots in the circuit.
        slots: usize,
    },
    /// A finality, agreement or slashing rule is broken.
    #[error("{0}")]
    Finality(crate::finality::FinalityRule),
    /// A compute deal, result or settlement rule is broken.
    #[error("compute settlement: {0}")]
    Compute(crate::compute::ComputeRule),
    /// A Proof-of-Trust admission rule is broken.
    #[error("admission: {0}")]
    Trust(crate::trust::TrustRule),
    /// A malformed file or value (state, batch, key).
    #[error("invalid {what}: {reason}")]
    Invalid {
        /// What was being read.
        what: &'static str,
        /// Why it is rejected.
        reason: String,
    },
}

/// The transfer rules that a batch can break, one variant each.
#[derive(Debug, Error, Clone, Copy, PartialEq, Eq)]
pub enum TransferRule {
    /// The sender index holds no account.
    #[error("unknown sender")]
    UnknownSender,
    /// The signature does not verify under the sender's key.
    #[error("bad signature")]
    BadSignature,
    /// The transfer's nonce is not the sender's current nonce.
    #[error("bad nonce")]
    BadNonce,
    /// The sender's balance is below the amount.
    #[error("insufficient balance")]
    InsufficientBalance,
    /// The receiver's balance would exceed 2^64 - 1.
    #[error("receiver balance overflow")]
    BalanceOverflow,
    /// The amount is zero.
    #[error("zero amount")]
    ZeroAmount,
    /// The receiver key named in the transfer is not the receiver account's key,
    /// or is not a usable key for a new account.
    #[error("receiver key mismatch")]
    ReceiverKeyMismatch,
    /// The sender's nonce would exceed 2^64 - 1.
    #[error("nonce overflow")]
    NonceOverflow,
}

/// The circuits crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
