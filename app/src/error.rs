use serde::Serialize;

/// What kind of failure an [`AppError`] is, which decides the exit code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ErrorKind {
    /// Well-formed input that breaks a rule or fails verification: exit 1.
    Invalid,
    /// Input that cannot be read or used (a missing or truncated file, a
    /// malformed field, an impossible option): exit 2.
    Unusable,
}

/// A command's failure: one line for the user, and its kind.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct AppError {
    /// Invalid or unusable.
    pub kind: ErrorKind,
    /// One line, naming the file and field it is about where there is one.
    pub message: String,
}

impl AppError {
    /// Well-formed input that breaks a rule or fails verification.
    pub fn invalid(message: impl std::fmt::Display) -> Self {
        Self { kind: ErrorKind::Invalid, message: message.to_string() }
    }

    /// Input that cannot be read or used.
    pub fn unusable(message: impl std::fmt::Display) -> Self {
        Self { kind: ErrorKind::Unusable, message: message.to_string() }
    }

    /// The process exit code: 1 invalid, 2 unusable.
    pub fn exit_code(&self) -> u8 {
        match self.kind {
            ErrorKind::Invalid => 1,
            ErrorKind::Unusable => 2,
        }
    }

    /// The same error, said of `file`.
    pub fn in_file(self, file: &std::path::Path) -> Self {
        Self { message: format!("{}: {}", file.display(), self.message), ..self }
    }

    /// The JSON form `--json` prints: `{"error": {"kind", "code", "message"}}`.
    pub fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "error": { "kind": self.kind, "code": self.exit_code(), "message": self.message }
        })
    }
}

impl From<stateproof_prover::Error> for AppError {
    fn from(e: stateproof_prover::Error) -> Self {
        use stateproof_prover::Error as E;
        match e {
            E::Rules(_) | E::Unsatisfied(_) | E::Verify(_) => Self::invalid(e),
            _ => Self::unusable(e),
        }
    }
}

/// The application's result type.
pub type Result<T, E = AppError> = std::result::Result<T, E>;
