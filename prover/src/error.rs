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
    /// The finished proof did not verify and the backend keeps no CPU
    /// reference to tell a bad witness from a faulty device.
    #[error("the proof computed with MSM on {msm} and NTT on {ntt} does not verify, and that backend cannot recompute it on the CPU to say why; rerun with --backend cpu")]
    Unverifiable {
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
    /// Witness bytes (a prove job's) that are not a witness of their
    /// circuit.
    #[error(transparent)]
    Witness(#[from] stateproof_circuits::wire::WireError),
    /// A prove job for a circuit that has no witness format.
    #[error("no witness format for circuit {0:?}")]
    UnknownCircuit(String),
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

/// Each domain's refusal is a refusal of the rules.
macro_rules! rules_error {
    ($($domain:ty),*) => {
        $(impl From<$domain> for Error {
            fn from(e: $domain) -> Self {
                Error::Rules(e.into())
            }
        })*
    };
}

rules_error!(
    stateproof_circuits::primitives::Error,
    stateproof_circuits::transfer::TransferError,
    stateproof_circuits::finality::FinalityError,
    stateproof_circuits::compute::ComputeError,
    stateproof_circuits::trust::TrustError
);
