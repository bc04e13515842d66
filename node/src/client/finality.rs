//! `light-client finality`: follows a node's finality proofs from the
//! genesis header with [`FinalityClient`], each page checked in one
//! batched pairing check. It trusts `genesis.json` (the genesis root, the
//! set root, the finality key's fingerprint) and nothing the node says: a
//! state root is final for it only once a proof that more than 2/3 of the
//! set signed a header carrying it verifies, and each header must extend
//! the last.

use super::*;
use stateproof_verifier::spec::FINALITY_QUORUM;
use stateproof_verifier::{Checkpoint, FinalityClient};

/// What a finality light client keeps between runs.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct FinalityFile {
    /// Always [`FINALITY_CLIENT_KIND`].
    pub kind: String,
    /// The finality verifying key, hex (stateproof's format).
    pub vk: String,
    /// [`FinalityClient::state_bytes`], hex.
    pub state: String,
}

/// What a finality light-client state file says it is.
pub const FINALITY_CLIENT_KIND: &str = "stateproof finality light client";

/// What `light-client finality` did.
#[derive(Clone, Debug, Serialize)]
pub struct FinalityReport {
    /// Finality proofs verified and applied in this run.
    pub accepted: u64,
    /// The final height now.
    pub height: u64,
    /// The state root final at that height, decimal.
    pub state_root: String,
    /// That header's hash, decimal.
    pub header_hash: String,
    /// Why a proof was rejected, if one was (the client kept its height).
    pub rejected: Option<String>,
}

impl fmt::Display for FinalityReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.rejected {
            None => write!(
                f,
                "verified {} finality proofs; final height {} with state root {}",
                self.accepted, self.height, self.state_root
            ),
            Some(r) => write!(
                f,
                "REJECTED the finality proof for height {}: {r}; kept final height {} after {} verified proofs",
                self.height + 1,
                self.height,
                self.accepted
            ),
        }
    }
}

fn open(
    client: &NodeClient,
    path: &Path,
    genesis: Option<&Path>,
    checkpoint: Option<&Path>,
) -> Result<FinalityClient> {
    let bad = |why: String| AppError::unusable(format!("{}: {why}", path.display()));
    if path.exists() {
        let file: FinalityFile = read_json(path)?;
        if file.kind != FINALITY_CLIENT_KIND {
            return Err(bad(format!("kind: expected {FINALITY_CLIENT_KIND:?}")));
        }
        let vk = hex::decode(&file.vk).map_err(|e| bad(format!("vk: {e}")))?;
        let vk = VerifyingKey::from_bytes(&vk).map_err(|e| bad(format!("vk: {e}")))?;
        let state = hex::decode(&file.state).map_err(|e| bad(format!("state: {e}")))?;
        return FinalityClient::resume(vk, &state).map_err(|e| bad(format!("state: {e}")));
    }
    let g = genesis.ok_or_else(|| {
        AppError::unusable(format!(
            "{}: no state yet: give --genesis (the node's genesis.json) to start from",
            path.display()
        ))
    })?;
    let gen = Genesis::read(g)?;
    let finality = gen.finality.as_ref().ok_or_else(|| {
        AppError::unusable(format!(
            "{}: no finality section: the node has no validators",
            g.display()
        ))
    })?;
    let (set_root, header) = finality.genesis_header(gen.root_fr(g)?, g)?;
    let vk = client.trusted_key(FINALITY_QUORUM.id, &finality.vk_fingerprint)?;
    let checkpoint = match checkpoint {
        // A later header obtained out of band: the client starts there.
        Some(c) => {
            stateproof_app::finality::checkpoint_of(&stateproof_app::finality::read_header(c)?)
        }
        None => Checkpoint {
            height: 0,
            header_hash: header.hash(),
            state_root: header.state_root,
            set_root,
        },
    };
    FinalityClient::new(vk, checkpoint).map_err(|e| bad(format!("{e}")))
}

fn save(path: &Path, client: &FinalityClient) -> Result<()> {
    write_json(
        path,
        &FinalityFile {
            kind: FINALITY_CLIENT_KIND.into(),
            vk: hex::encode(client.verifying_key().to_bytes()),
            state: hex::encode(client.state_bytes()),
        },
    )
}

/// Follows the node's finality proofs into a state file, starting (on
/// first use) from the genesis header or from `checkpoint`, a trusted
/// header file (`{"height", "prev_hash", "state_root", "next_set_root"}`).
pub fn follow_finality(
    node: &str,
    path: &Path,
    genesis: Option<&Path>,
    checkpoint: Option<&Path>,
) -> Result<FinalityReport> {
    let client = NodeClient::new(node)?;
    let mut light = open(&client, path, genesis, checkpoint)?;
    save(path, &light)?;
    let (accepted, rejected) = catch_up_finality(&client, &mut light, path)?;
    let s = light.state();
    Ok(FinalityReport {
        accepted,
        height: s.height,
        state_root: fr(&s.state_root),
        header_hash: fr(&s.header_hash),
        rejected,
    })
}

/// Applies the node's finality proofs after the client's height, a page at
/// a time, saving after each; how many it applied, and why it stopped
/// early if it did.
fn catch_up_finality(
    client: &NodeClient,
    light: &mut FinalityClient,
    path: &Path,
) -> Result<(u64, Option<String>)> {
    let mut accepted = 0;
    loop {
        let from = light.state().height + 1;
        let page = client.finality(from)?;
        if page.proofs.is_empty() {
            return Ok((accepted, None));
        }
        let mut parsed = Vec::with_capacity(page.proofs.len());
        let mut unreadable = None;
        for p in &page.proofs {
            match hex::decode(&p.update_hex)
                .map_err(|e| e.to_string())
                .and_then(|b| CompressedUpdate::from_bytes(&b).map_err(|e| e.to_string()))
            {
                Ok(u) => parsed.push(u),
                Err(e) => {
                    unreadable = Some(format!("height {}: {e}", p.height));
                    break;
                }
            }
        }
        let done = light.catch_up(&parsed);
        accepted += done.accepted.len() as u64;
        save(path, light)?;
        if let Some((_, e)) = done.rejected {
            return Ok((accepted, Some(e.to_string())));
        }
        if unreadable.is_some() {
            return Ok((accepted, unreadable));
        }
    }
}

/// The final height and state root after following the node's finality
/// proofs into `path` (`light-client follow --finality`).
pub fn final_root(client: &NodeClient, path: &Path, genesis: Option<&Path>) -> Result<(u64, Fr)> {
    let mut light = open(client, path, genesis, None)?;
    save(path, &light)?;
    let (_, rejected) = catch_up_finality(client, &mut light, path)?;
    if let Some(r) = rejected {
        return Err(AppError::invalid(format!("{}: finality: {r}", client.url())));
    }
    Ok((light.state().height, light.state().state_root))
}
