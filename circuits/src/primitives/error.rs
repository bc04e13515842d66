use thiserror::Error;

/// Errors of the primitives: hashes, keys, signatures, trees and the text
/// forms of field elements.
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
    /// An index that does not fit the tree.
    #[error("index {index} does not fit a tree of depth {depth}")]
    IndexOutOfRange {
        /// Index given.
        index: u64,
        /// Tree depth.
        depth: usize,
    },
    /// A Merkle proof that does not lead to the expected root.
    #[error("Merkle proof does not match the root")]
    BadMerkleProof,
    /// A malformed value (a field element, a key, a file's entry).
    #[error("invalid {what}: {reason}")]
    Invalid {
        /// What was being read.
        what: &'static str,
        /// Why it is rejected.
        reason: String,
    },
    /// An error about one field of a file or message, e.g.
    /// `transfers[0].signature_s: leading zero`.
    #[error("{field}: {error}")]
    At {
        /// The field's path.
        field: String,
        /// What is wrong with it.
        error: Box<Error>,
    },
}

impl Error {
    /// This error, said of `field` (innermost last: `at("transfers[0]")`
    /// on an error at `signature_s` gives `transfers[0].signature_s`).
    pub fn at(self, field: impl Into<String>) -> Self {
        let field = field.into();
        match self {
            Error::At { field: inner, error } => {
                let sep = if inner.starts_with('[') { "" } else { "." };
                Error::At { field: format!("{field}{sep}{inner}"), error }
            }
            other => Error::At { field, error: Box::new(other) },
        }
    }

    /// The error without the field it is about.
    pub fn root_cause(&self) -> &Error {
        match self {
            Error::At { error, .. } => error.root_cause(),
            other => other,
        }
    }
}

/// The primitives' result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_nest_outermost_first() {
        let e = Error::Invalid { what: "field element", reason: "leading zero".into() };
        let e = e.at("signature_s").at("transfers[0]");
        assert_eq!(e.to_string(), "transfers[0].signature_s: invalid field element: leading zero");
        assert!(matches!(e.root_cause(), Error::Invalid { .. }));
        let e = Error::BadMerkleProof.at("[3]").at("accounts");
        assert_eq!(e.to_string(), "accounts[3]: Merkle proof does not match the root");
    }
}
