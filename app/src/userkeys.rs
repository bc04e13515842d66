//! Users' own keys: key files (a random 32-byte seed, kept readable by the
//! owner only), their public keys, and transfers signed with them.

use crate::files::{read_json, write_json};
use crate::text::count;
use crate::{AppError, Result};
use serde::{Deserialize, Serialize};
use stateproof_circuits::primitives::eddsa::{PublicKey, SecretKey};
use stateproof_circuits::primitives::field::{key_from_strings, key_to_strings};
use stateproof_circuits::transfer::{BatchJson, Transfer, TransferJson};
use std::fmt;
use std::path::{Path, PathBuf};

/// What a key file says it is.
const KEY_KIND: &str = "stateproof eddsa-poseidon secret key";

/// A key file: the seed its EdDSA-Poseidon key derives from, and the public
/// key for a reader's convenience (checked against the seed on reading).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct KeyFile {
    /// Always [`KEY_KIND`].
    pub kind: String,
    /// The 32-byte seed, hex.
    pub seed: String,
    /// The public key `[x, y]`.
    pub public_key: [String; 2],
}

/// Reads a key file, refusing one whose public key does not match its seed.
pub fn read_key(path: &Path) -> Result<SecretKey> {
    let file: KeyFile = read_json(path)?;
    let bad = |why: String| AppError::unusable(format!("{}: {why}", path.display()));
    if file.kind != KEY_KIND {
        return Err(bad(format!("kind: expected {KEY_KIND:?}, found {:?}", file.kind)));
    }
    let mut seed = [0u8; 32];
    hex::decode_to_slice(&file.seed, &mut seed)
        .map_err(|e| bad(format!("seed: expected 64 hex digits: {e}")))?;
    let key = SecretKey::from_seed(&seed);
    if key_to_strings(&key.public_key()) != file.public_key {
        return Err(bad("public_key: does not belong with the seed".into()));
    }
    Ok(key)
}

/// A public key from a key file, or from `x,y` in decimal.
pub fn read_public_key(text_or_path: &str) -> Result<PublicKey> {
    if let Some((x, y)) = text_or_path.split_once(',') {
        let xy = [x.trim().to_string(), y.trim().to_string()];
        return key_from_strings(&xy)
            .map_err(|e| AppError::unusable(format!("public key {text_or_path:?}: {e}")));
    }
    Ok(read_key(Path::new(text_or_path))?.public_key())
}

/// What `stateproof keys new` wrote.
#[derive(Clone, Debug, Serialize)]
pub struct NewKeyReport {
    /// The key file.
    pub file: PathBuf,
    /// Its public key `[x, y]`.
    pub public_key: [String; 2],
}

impl fmt::Display for NewKeyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "wrote {} (keep it secret: it signs for its accounts)", self.file.display())?;
        write!(f, "public key {},{}", self.public_key[0], self.public_key[1])
    }
}

/// Makes a key from operating-system randomness and writes its file
/// (refusing to overwrite one; owner-only permissions on Unix).
pub fn new_key(path: &Path) -> Result<NewKeyReport> {
    if path.exists() {
        return Err(AppError::unusable(format!(
            "{}: exists; refusing to overwrite a key",
            path.display()
        )));
    }
    let mut seed = [0u8; 32];
    ark_std::rand::RngCore::fill_bytes(&mut stateproof_prover::keys::os_rng(), &mut seed);
    write_key(path, &seed)
}

/// Writes the key file of `seed` (owner-only permissions on Unix).
pub fn write_key(path: &Path, seed: &[u8; 32]) -> Result<NewKeyReport> {
    let key = SecretKey::from_seed(seed);
    let file = KeyFile {
        kind: KEY_KIND.into(),
        seed: hex::encode(seed),
        public_key: key_to_strings(&key.public_key()),
    };
    write_json(path, &file)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            .map_err(|e| AppError::unusable(format!("{}: {e}", path.display())))?;
    }
    Ok(NewKeyReport { file: path.to_path_buf(), public_key: file.public_key })
}

/// What `stateproof keys show` read.
#[derive(Clone, Debug, Serialize)]
pub struct ShowKeyReport {
    /// The public key `[x, y]`.
    pub public_key: [String; 2],
}

impl fmt::Display for ShowKeyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{},{}", self.public_key[0], self.public_key[1])
    }
}

/// The public key of a key file.
pub fn show_key(path: &Path) -> Result<ShowKeyReport> {
    Ok(ShowKeyReport { public_key: key_to_strings(&read_key(path)?.public_key()) })
}

/// A transfer to sign.
#[derive(Clone, Debug)]
pub struct TransferOrder {
    /// The sender's account.
    pub from: u64,
    /// The receiver's account.
    pub to: u64,
    /// The receiver's key (of its account, or of the account this opens).
    pub to_public_key: PublicKey,
    /// Amount.
    pub amount: u64,
    /// The sender's nonce.
    pub nonce: u64,
}

/// What `stateproof sign` did.
#[derive(Clone, Debug, Serialize)]
pub struct SignReport {
    /// The batch file the transfer was added to.
    pub batch: PathBuf,
    /// Transfers in it now.
    pub transfers: usize,
    /// The signed transfer.
    pub transfer: TransferJson,
}

impl fmt::Display for SignReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "signed {} -> {} amount {} nonce {}; {} now holds {}",
            self.transfer.from,
            self.transfer.to,
            self.transfer.amount,
            self.transfer.nonce,
            self.batch.display(),
            count(self.transfers, "transfer")
        )
    }
}

/// Signs `order` with `key` and appends it to the batch file `batch`
/// (created when missing).
pub fn sign_transfer(key: &SecretKey, order: &TransferOrder, batch: &Path) -> Result<SignReport> {
    let mut json: BatchJson =
        if batch.exists() { read_json(batch)? } else { BatchJson { transfers: vec![] } };
    let t =
        Transfer::sign(key, order.from, order.to, order.to_public_key, order.amount, order.nonce);
    let signed =
        BatchJson::from_batch(&stateproof_circuits::transfer::TransferBatch { transfers: vec![t] })
            .transfers
            .remove(0);
    json.transfers.push(signed.clone());
    write_json(batch, &json)?;
    Ok(SignReport { batch: batch.to_path_buf(), transfers: json.transfers.len(), transfer: signed })
}

/// Reads the key files `paths`, in order.
pub fn read_keys(paths: &[PathBuf]) -> Result<Vec<SecretKey>> {
    paths.iter().map(|p| read_key(p)).collect()
}
