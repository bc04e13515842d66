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
    /// An NTT program whose vectors differ in length or whose steps name
    /// vectors it does not have.
    #[error("NTT program: {0}")]
    ProgramShape(String),
    /// No usable GPU adapter.
    #[error("no GPU adapter: {0}")]
    NoAdapter(String),
    /// The adapter lacks a feature or limit the kernels need.
    #[error("GPU adapter unsuitable: {0}")]
    MissingFeature(String),
    /// An allocation failed on the device.
    #[error("GPU out of memory: {0}")]
    OutOfMemory(String),
    /// The device was lost or stopped answering.
    #[error("GPU device lost: {0}")]
    DeviceLost(String),
    /// The device rejected a submission (a kernel's bindings or dispatch).
    #[error("GPU dispatch rejected: {0}")]
    Dispatch(String),
    /// A WGSL module failed to compile or validate.
    #[error("GPU shader failed to compile: {0}")]
    ShaderCompile(String),
    /// The device returned output that fails validation (a field element
    /// that is not canonical, a point off the curve): the result is not
    /// used.
    #[error("GPU device fault: {0}")]
    DeviceFault(String),
    /// An array larger than one storage binding.
    #[error("{what} needs {size} bytes, over the adapter's {max}-byte storage binding")]
    BindingTooLarge {
        /// What was being allocated.
        what: String,
        /// Bytes needed.
        size: u64,
        /// The limit.
        max: u64,
    },
}

/// The kernels crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
