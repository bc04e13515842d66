use thiserror::Error;

/// Any error of the circuits crate: one domain's, or a primitive's. Each
/// domain returns its own type; this one is for callers that handle them
/// together.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum Error {
    /// A malformed value, key, tree or file entry.
    #[error(transparent)]
    Primitive(#[from] crate::primitives::Error),
    /// A transfer batch is refused.
    #[error(transparent)]
    Transfer(#[from] crate::transfer::TransferError),
    /// Attestations, evidence or a validator set are refused.
    #[error(transparent)]
    Finality(#[from] crate::finality::FinalityError),
    /// A deal, result or settlement is refused.
    #[error(transparent)]
    Compute(#[from] crate::compute::ComputeError),
    /// A commitment or reveal is refused.
    #[error(transparent)]
    Trust(#[from] crate::trust::TrustError),
    /// A circuit shape that cannot be read or built.
    #[error(transparent)]
    Shape(#[from] crate::circuit::ShapeError),
}

/// The circuits crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
