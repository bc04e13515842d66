//! Files in and out, with errors that name the file and the field.

use crate::{AppError, Result};
use serde::de::DeserializeOwned;
use std::path::Path;

pub use stateproof_prover::files::write_atomic;

/// Reads a whole file; a missing or unreadable file is unusable input.
pub fn read(path: &Path) -> Result<Vec<u8>> {
    stateproof_prover::files::read(path).map_err(AppError::unusable)
}

/// Reads a JSON file into `T`. A malformed file, a missing or mistyped
/// field is unusable input named by file and field:
/// `batch.json: transfers[0].amount: invalid type: string "5", expected u64`.
pub fn read_json<T: DeserializeOwned>(path: &Path) -> Result<T> {
    let bytes = read(path)?;
    let de = &mut serde_json::Deserializer::from_slice(&bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let field = e.path().to_string();
        let inner = e.into_inner();
        if field.is_empty() || field == "." {
            AppError::unusable(format!("{}: {inner}", path.display()))
        } else {
            AppError::unusable(format!("{}: {field}: {inner}", path.display()))
        }
    })
}

/// Reads a JSON file and converts it with `convert`, whose errors name the
/// field: both kinds of error are said of the file.
pub fn read_json_as<J: DeserializeOwned, T, E: std::fmt::Display>(
    path: &Path,
    convert: impl FnOnce(&J) -> std::result::Result<T, E>,
) -> Result<T> {
    let json: J = read_json(path)?;
    convert(&json).map_err(|e| AppError::unusable(format!("{}: {e}", path.display())))
}

/// Writes `value` as pretty JSON, atomically.
pub fn write_json(path: &Path, value: &impl serde::Serialize) -> Result<()> {
    let text = serde_json::to_string_pretty(value).map_err(AppError::unusable)?;
    write_atomic(path, format!("{text}\n").as_bytes()).map_err(AppError::unusable)
}

/// Writes bytes atomically, as unusable-output errors.
pub fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic(path, bytes).map_err(AppError::unusable)
}

/// Creates `dir` (and its parents) if missing.
pub fn ensure_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| AppError::unusable(format!("{}: {e}", dir.display())))
}

/// Checks, before slow work, that `path` can be written: its directory
/// exists and takes a new file, and `path` is not a directory.
pub fn check_writable(path: &Path) -> Result<()> {
    let bad = |why: String| Err(AppError::unusable(format!("{}: {why}", path.display())));
    if path.is_dir() {
        return bad("is a directory".into());
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if !dir.is_dir() {
        return bad(format!("the directory {} does not exist", dir.display()));
    }
    let probe = dir.join(format!(".stateproof-write-check-{}", std::process::id()));
    match std::fs::File::create(&probe) {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
            Ok(())
        }
        Err(e) => bad(format!("cannot write in {}: {e}", dir.display())),
    }
}
