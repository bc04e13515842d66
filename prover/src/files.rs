//! File I/O with paths in errors and atomic replacement.

use crate::{Error, Result};
use std::io::Write;
use std::path::Path;

fn io_error(path: &Path, source: std::io::Error) -> Error {
    Error::Io { path: path.display().to_string(), source }
}

/// Reads a whole file.
pub fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| io_error(path, e))
}

/// Test hook (feature `test-hooks`): makes [`write_atomic`] pause after
/// each 256 KiB, so a test can kill the process mid-write.
#[cfg(feature = "test-hooks")]
pub fn set_write_delay(delay: std::time::Duration) {
    WRITE_DELAY_MS.store(delay.as_millis() as u64, std::sync::atomic::Ordering::SeqCst);
}

#[cfg(feature = "test-hooks")]
static WRITE_DELAY_MS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

fn write_delay() -> Option<std::time::Duration> {
    #[cfg(feature = "test-hooks")]
    {
        let ms = WRITE_DELAY_MS.load(std::sync::atomic::Ordering::SeqCst);
        if ms > 0 {
            return Some(std::time::Duration::from_millis(ms));
        }
    }
    None
}

/// Writes `bytes` to `path` atomically: a temporary file in the same
/// directory is written, flushed to disk and renamed over `path`, so a crash
/// leaves either the old file or the new one, never a torn one.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path.file_name().ok_or_else(|| {
        io_error(path, std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a file path"))
    })?;
    let tmp = dir.join(format!(".{}.tmp-{}", name.to_string_lossy(), std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        match write_delay() {
            // Tests stretch the write to kill the process in the middle of it.
            Some(delay) => {
                for piece in bytes.chunks(256 << 10) {
                    f.write_all(piece)?;
                    f.flush()?;
                    std::thread::sleep(delay);
                }
            }
            None => f.write_all(bytes)?,
        }
        f.sync_all()?;
        std::fs::rename(&tmp, path)?;
        // Persist the rename itself.
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(|e| io_error(path, e))
}
