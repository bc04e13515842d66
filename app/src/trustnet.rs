//! A trust network's unanimous agreement on a data file: its commitment,
//! sample authorities, proving and verifying the agreement.

use crate::backend::BackendOptions;
use crate::files::{ensure_dir, write_json};
use crate::finality::{prove_statement, read_set, QuorumFiles, QuorumReport};
use crate::progress::Progress;
use crate::text::fr;
use crate::transfer::{load_vk, read_update};
use crate::{AppError, Result};
use serde::Serialize;
use stateproof_circuits::circuit::spec;
use stateproof_circuits::finality::{
    data_commitment_of_file, AttestationsJson, SetJson, Statement, Validator, ValidatorSet,
};
use stateproof_circuits::sample::SampleChain;
use stateproof_circuits::Fr;
use std::fmt;
use std::path::{Path, PathBuf};

fn commitment(path: &Path) -> Result<(blake3::Hash, Fr)> {
    data_commitment_of_file(path).map_err(AppError::unusable)
}

/// A file's digest and commitment.
#[derive(Clone, Debug, Serialize)]
pub struct CommitReport {
    /// The file.
    pub file: PathBuf,
    /// Its blake3 digest (b3sum's).
    pub blake3: String,
    /// Its data commitment, a field element.
    pub commitment: String,
}

impl fmt::Display for CommitReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "blake3      {}", self.blake3)?;
        write!(f, "commitment  {}", self.commitment)
    }
}

/// A file's blake3 digest and data commitment.
pub fn commit(path: &Path) -> Result<CommitReport> {
    let (digest, c) = commitment(path)?;
    Ok(CommitReport {
        file: path.to_path_buf(),
        blake3: digest.to_hex().to_string(),
        commitment: fr(&c),
    })
}

/// What `trustnet sample` wrote.
#[derive(Clone, Debug, Serialize)]
pub struct TrustnetSampleReport {
    /// The directory.
    pub dir: PathBuf,
    /// Authorities in the set.
    pub validators: u64,
    /// The set's root.
    pub set_root: String,
    /// The file's commitment.
    pub commitment: String,
}

impl fmt::Display for TrustnetSampleReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "wrote authorities.json ({} authorities) and attestations.json (all of them over commitment {}) to {}",
            self.validators,
            self.commitment,
            self.dir.display()
        )?;
        write!(f, "sample keys come from public seeds: for demos only")
    }
}

/// Writes a sample authority set (stake 1 each) and every authority's
/// signature over `file`'s commitment (public demo keys).
pub fn sample(
    file: &Path,
    validators: u64,
    depth: usize,
    dir: &Path,
) -> Result<TrustnetSampleReport> {
    if !(1..=32).contains(&depth) || validators == 0 || validators > (1u64 << depth).min(1024) {
        return Err(AppError::unusable(
            "--validators must be 1 to 1024 and fit the tree (2^depth, depth 1 to 32)",
        ));
    }
    let (_, c) = commitment(file)?;
    let chain = SampleChain::new(depth, validators).map_err(AppError::unusable)?;
    // Equal weight: "all" then means every authority.
    let members = chain.set.members().iter().map(|(i, v)| (*i, Validator { stake: 1, ..*v }));
    let set = ValidatorSet::new(depth, members).map_err(AppError::unusable)?;
    let indices: Vec<u64> = set.members().keys().copied().collect();
    let attestations = chain.attest(&Statement::Data(c), &indices);
    ensure_dir(dir)?;
    write_json(&dir.join("authorities.json"), &SetJson::from_set(&set))?;
    write_json(
        &dir.join("attestations.json"),
        &AttestationsJson::from_attestations(&attestations),
    )?;
    Ok(TrustnetSampleReport {
        dir: dir.to_path_buf(),
        validators,
        set_root: fr(&set.root()),
        commitment: fr(&c),
    })
}

/// Proves that every authority signed `file`'s commitment.
pub fn prove(
    progress: &dyn Progress,
    f: &QuorumFiles<'_>,
    file: &Path,
    backend: &BackendOptions,
) -> Result<QuorumReport> {
    let (_, c) = commitment(file)?;
    prove_statement(progress, f, Statement::Data(c), backend)
}

/// What `trustnet verify` found.
#[derive(Clone, Debug, Serialize)]
pub struct AgreementReport {
    /// Whether every authority of the set agrees on the file.
    pub valid: bool,
    /// Why not, if not.
    pub reason: Option<String>,
    /// The file's commitment.
    pub commitment: String,
    /// Authorities with stake.
    pub authorities: usize,
    /// The file.
    pub file: PathBuf,
}

impl fmt::Display for AgreementReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.reason {
            Some(r) => write!(f, "INVALID: {r}"),
            None => write!(
                f,
                "VALID: all {} authorities agree on {} (commitment {})",
                self.authorities,
                self.file.display(),
                self.commitment
            ),
        }
    }
}

/// Verifies that the authorities of `set` all agree on `file`, by the
/// update: `valid` false with the reason when it does not verify.
pub fn verify(vk: &Path, set: &Path, file: &Path, update: &Path) -> Result<AgreementReport> {
    let vk = load_vk(vk)?;
    if vk.circuit_id != spec::DATA_AGREEMENT.id {
        return Err(AppError::unusable(format!("{} is not a data-agreement key", vk.circuit_id)));
    }
    let set = read_set(set)?;
    let (_, c) = commitment(file)?;
    let u = read_update(update)?;
    let result = u.verify(&vk).map_err(|e| e.to_string()).and_then(|()| {
        if u.input("set_root").map_err(|e| e.to_string())? != set.root() {
            return Err("the proof is for another authority set".to_string());
        }
        if u.input("data_commitment").map_err(|e| e.to_string())? != c {
            return Err("the proof is for other data than this file".to_string());
        }
        Ok(())
    });
    Ok(AgreementReport {
        valid: result.is_ok(),
        reason: result.err(),
        commitment: fr(&c),
        authorities: set.members().values().filter(|m| m.stake > 0).count(),
        file: file.to_path_buf(),
    })
}
