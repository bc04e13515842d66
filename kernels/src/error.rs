use thiserror::Error;

/// Errors of the MSM/NTT backends.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum Error {
    /// An MSM whose scalars run past the prepared bases.
    #[error("MSM of {scalars} scalars at offset {offset} exceeds {bases} bases")]
    LengthMismatch {
        /// Prepared bases.
        bases: usize,
        /// Offset into them.
        offset: usize,
        /// Scalars given.
        scalars: usize,
    },
    /// An NTT length that is not a power of two in 1..=2^28.
    #[error("NTT length {len} is not a power of two up to 2^28")]
    UnsupportedSize {
        /// Length given.
        len: usize,
    },
    /// Quotient inputs of different lengths.
    #[error("quotient inputs differ in length: a {a}, b {b}, c {c}")]
    QuotientShape {
        /// Length of a.
        a: usize,
        /// Length of b.
        b: usize,
        /// Length of c.
        c: usize,
    },
}

/// The kernels crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
