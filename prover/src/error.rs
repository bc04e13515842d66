use thiserror::Error;

/// Errors of proving, key handling and files.
#[derive(Debug, Error)]
pub enum Error {
    /// Constraint synthesis failed.
    #[error("constraint synthesis failed: {0}")]
    Synthesis(#[from] ark_relations::gr1cs::SynthesisError),
    /// The witness does not satisfy the circuit.
    #[error("the witness does not satisfy the circuit (first failing constraint: {0})")]
    Unsatisfied(String),
    /// The finished proof did not verify although the witness satisfies the
    /// circuit: a backend computed a wrong result. No proof is returned.
    #[error("backend fault: the proof computed with MSM on {msm} and NTT on {ntt} does not verify; rerun with --backend cpu")]
    BackendFault {
        /// The MSM backend's name.
        msm: &'static str,
        /// The NTT backend's name.
        ntt: &'static str,
    },
    /// An MSM/NTT backend failed.
    #[error("backend error: {0}")]
    Kernel(#[from] stateproof_kernels::Error),
    /// The state-transition rules rejected the input.
    #[error(transparent)]
    Rules(#[from] stateproof_circuits::Error),
    /// A proof or key was rejected by the verifier.
    #[error("verification failed: {0}")]
    Verify(#[from] stateproof_verifier::Error),
    /// A key file that is malformed or does not belong with the other key.
    #[error("key file: {0}")]
    KeyFile(String),
    /// A proving key whose shape does not fit the circuit.
    #[error("proving key does not fit the circuit: {0}")]
    KeyMismatch(String),
    /// Reading or writing a file.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// What went wrong.
        source: std::io::Error,
    },
}

/// The prover's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
