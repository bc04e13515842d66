//! The finality light client over update files: the follow loop.

use crate::files;
use crate::finality::{checkpoint_of, read_header};
use crate::text::fr;
use crate::transfer::load_vk;
use crate::{AppError, Result};
use serde::Serialize;
use stateproof_verifier::{verify_updates, CompressedUpdate, FinalityClient};
use std::fmt;
use std::path::{Path, PathBuf};

/// Update files verified together in one batched pairing check; the state
/// is saved after each such run.
const FOLLOW_BATCH: usize = 64;

/// The update files among `paths`: files as given, directories expanded to
/// their files sorted by name.
pub fn update_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let read = |e: std::io::Error| AppError::unusable(format!("{}: {e}", p.display()));
            let mut entries = std::fs::read_dir(p)
                .map_err(read)?
                .map(|e| e.map(|e| e.path()))
                .collect::<std::io::Result<Vec<_>>>()
                .map_err(read)?;
            entries.retain(|e| e.is_file());
            entries.sort();
            out.extend(entries);
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

/// What became of one update file.
#[derive(Clone, Debug, Serialize)]
pub struct FollowStep {
    /// The file.
    pub file: PathBuf,
    /// Accepted: the client moved to its height.
    pub accepted: bool,
    /// Skipped: a height the client already holds (re-running over a
    /// growing directory is normal use).
    pub skipped: bool,
    /// The file could not be read or parsed.
    pub unusable: bool,
    /// The height it finalised, if accepted.
    pub height: Option<u64>,
    /// The state root it finalised, if accepted.
    pub state_root: Option<String>,
    /// Whether the next set rotated.
    pub rotated: bool,
    /// Why it was not accepted.
    pub reason: Option<String>,
}

/// Two finalised headers at one height, reported by the client.
#[derive(Clone, Debug, Serialize)]
pub struct ForkReport {
    /// The height.
    pub height: u64,
    /// The set whose quorum signed both.
    pub set_root: String,
    /// The header accepted first.
    pub accepted: String,
    /// The conflicting one.
    pub conflicting: String,
}

/// What `finality follow` did.
#[derive(Clone, Debug, Serialize)]
pub struct FollowReport {
    /// The height the client started from.
    pub start_height: u64,
    /// Each update file.
    pub updates: Vec<FollowStep>,
    /// The client's height at the end.
    pub height: u64,
    /// Its header.
    pub header_hash: String,
    /// Its state root.
    pub state_root: String,
    /// The set that signs the next header.
    pub set_root: String,
    /// A fork, if one was seen (the client halts).
    pub fork: Option<ForkReport>,
}

impl FollowReport {
    /// Update files that were rejected (read, but not accepted or skipped).
    pub fn rejected(&self) -> usize {
        self.updates.iter().filter(|s| !s.accepted && !s.skipped && !s.unusable).count()
    }

    /// Update files that could not be read or parsed.
    pub fn unusable(&self) -> usize {
        self.updates.iter().filter(|s| s.unusable).count()
    }

    /// The error the run amounts to: a fork or rejected updates are
    /// invalid input, unreadable files unusable input.
    pub fn outcome(&self) -> Result<()> {
        if let Some(f) = &self.fork {
            return Err(AppError::invalid(format!(
                "FORK at height {}: the set {} finalised both {} and {}; the client halts",
                f.height, f.set_root, f.accepted, f.conflicting
            )));
        }
        if let Some(first) = self.updates.iter().find(|s| s.unusable) {
            let more = match self.unusable() {
                1 => String::new(),
                n => format!(" (and {} more unusable update files)", n - 1),
            };
            return Err(AppError::unusable(format!(
                "{}: {}{more}",
                first.file.display(),
                first.reason.as_deref().unwrap_or_default()
            )));
        }
        if self.rejected() > 0 {
            return Err(AppError::invalid(format!("{} update(s) rejected", self.rejected())));
        }
        Ok(())
    }
}

impl fmt::Display for FollowReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "light client at height {}", self.start_height)?;
        for s in &self.updates {
            let file = s.file.display();
            match (s.accepted, s.skipped, &s.reason) {
                (true, _, _) => writeln!(
                    f,
                    "  {file}: final height {} state root {}{}",
                    s.height.unwrap_or_default(),
                    s.state_root.as_deref().unwrap_or_default(),
                    if s.rotated { " (next set rotated)" } else { "" }
                )?,
                (false, true, Some(r)) => writeln!(f, "  {file}: skipped: {r}")?,
                (false, _, r) => {
                    let what = if s.unusable { "UNUSABLE" } else { "REJECTED" };
                    writeln!(f, "  {file}: {what}: {}", r.as_deref().unwrap_or_default())?
                }
            }
        }
        write!(
            f,
            "light client at height {}, header {}, state root {}",
            self.height, self.header_hash, self.state_root
        )
    }
}

/// Runs the light client over update files, from a trusted genesis or a
/// saved state, verifying up to [`FOLLOW_BATCH`] files' proofs in one
/// batched pairing check and saving the state after each such run (and when
/// it sees a fork). The report's [`FollowReport::outcome`] is the verdict.
pub fn follow(
    vk_path: &Path,
    genesis: Option<&Path>,
    state_path: Option<&Path>,
    updates: &[PathBuf],
) -> Result<FollowReport> {
    let vk = load_vk(vk_path)?;
    let saved = state_path.filter(|p| p.exists());
    let mut client = match (saved, genesis) {
        (Some(p), _) => {
            let bytes = files::read(p)?;
            FinalityClient::resume(vk, &bytes)
                .map_err(|e| AppError::unusable(format!("{}: {e}", p.display())))?
        }
        (None, Some(g)) => {
            FinalityClient::new(vk, checkpoint_of(&read_header(g)?)).map_err(AppError::unusable)?
        }
        (None, None) => {
            return Err(AppError::unusable(
                "give --genesis (a trusted header) or an existing --state file",
            ))
        }
    };
    let save = |client: &FinalityClient| -> Result<()> {
        match state_path {
            Some(p) => files::write(p, &client.state_bytes()),
            None => Ok(()),
        }
    };
    let start_height = client.state().height;
    let mut steps = Vec::new();
    let mut fork = None;
    'files: for chunk in update_files(updates)?.chunks(FOLLOW_BATCH) {
        let read: Vec<std::result::Result<CompressedUpdate, String>> = chunk
            .iter()
            .map(|path| {
                std::fs::read(path)
                    .map_err(|e| e.to_string())
                    .and_then(|b| CompressedUpdate::from_bytes(&b).map_err(|e| e.to_string()))
            })
            .collect();
        let mut parsed = Vec::with_capacity(read.len());
        let unreadable: Vec<Option<String>> = read
            .into_iter()
            .map(|r| match r {
                Ok(update) => {
                    parsed.push(update);
                    None
                }
                Err(e) => Some(e),
            })
            .collect();
        let mut verdicts = verify_updates(client.verifying_key(), &parsed).into_iter();
        let mut moved = false;
        for (path, unreadable) in chunk.iter().zip(unreadable) {
            let mut step = FollowStep {
                file: path.clone(),
                accepted: false,
                skipped: false,
                unusable: false,
                height: None,
                state_root: None,
                rotated: false,
                reason: None,
            };
            let verdict = match unreadable {
                Some(e) => {
                    step.unusable = true;
                    step.reason = Some(e);
                    None
                }
                None => verdicts.next(),
            };
            match verdict.map(|v| v.and_then(|v| client.apply_verified(&v))) {
                None => {}
                Some(Ok(done)) => {
                    step.accepted = true;
                    step.height = Some(done.height);
                    step.state_root = Some(fr(&done.state_root));
                    step.rotated = done.rotated;
                    moved = true;
                }
                Some(Err(
                    e @ (stateproof_verifier::Error::Stale { .. }
                    | stateproof_verifier::Error::Replay { .. }),
                )) => {
                    step.skipped = true;
                    step.reason = Some(e.to_string());
                }
                Some(Err(e)) => step.reason = Some(e.to_string()),
            }
            steps.push(step);
            if let Some(f) = client.state().fork {
                fork = Some(ForkReport {
                    height: f.height,
                    set_root: fr(&f.set_root),
                    accepted: fr(&f.accepted),
                    conflicting: fr(&f.conflicting),
                });
                save(&client)?;
                break 'files;
            }
        }
        if moved {
            save(&client)?;
        }
    }
    let s = client.state();
    Ok(FollowReport {
        start_height,
        updates: steps,
        height: s.height,
        header_hash: fr(&s.header_hash),
        state_root: fr(&s.state_root),
        set_root: fr(&s.set_root),
        fork,
    })
}
