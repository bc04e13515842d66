//! Finality in the node: a validator set named at genesis, one header per
//! proven update, validators' attestations, and a finality proof for each
//! header a quorum (more than 2/3 of the stake) attested.
//!
//! **Headers.** Header 0 is `Header::genesis(genesis_root, set_root)`;
//! header `h` (from 1) is the child of header `h − 1` whose state root is
//! proven update `h`'s new root and whose next set is the genesis set (no
//! rotation or slashing yet). Headers follow from the proven updates, so
//! they are computed (and cached) rather than stored.
//!
//! **Attestations** (`POST /v1/attestations`) are checked at once: the
//! header exists and has the hash attested, the signer is a member with
//! that key, the signature verifies over the hash. The first attestation a
//! validator sends for a height is the one kept.
//!
//! **Finality proofs** are made in height order by the `finality` thread
//! with the finality key loaded once: for the next height, once the kept
//! attestations reach the threshold, a proof of the finality-quorum circuit
//! over them, checked against the finality verifying key before it is
//! stored and served (`GET /v1/finality`). A light client follows them
//! from the genesis header with [`stateproof_verifier::FinalityClient`].
//!
//! Data directory (with `node init --validators N`): `validators.json`
//! (the set), `keys/finality.pk`, `keys/finality.vk`, and
//! `validator-keys/validator-I.key` (the validators' secret keys, for a
//! development network on one machine: each belongs on its validator's
//! machine only).

pub mod api;
mod prove;

pub use prove::run_prover;

use crate::store::Store;
use serde::{Deserialize, Serialize};
use stateproof_app::files::{ensure_dir, read_json, write_json};
use stateproof_app::progress::{step, Progress};
use stateproof_app::text::{fr, hex32};
use stateproof_app::userkeys::write_key;
use stateproof_app::{AppError, Result};
use stateproof_circuits::finality::{
    Attestation, AttestationJson, FinalityRule, Header, QuorumCircuit, QuorumShape, SetJson,
    StatementKind, Threshold, Validator, ValidatorSet,
};
use stateproof_circuits::primitives::field::parse_fr;
use stateproof_circuits::Fr;
use stateproof_prover::keys::{self, Keys};
use stateproof_verifier::VerifyingKey;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::RwLock;

/// The set's file in a data directory.
pub const SET_FILE: &str = "validators.json";
/// Where `node init --validators N` writes the validators' key files.
pub const VALIDATOR_KEYS: &str = "validator-keys";
/// Most validators `node init --validators` sets up (each is a signer slot
/// of the finality circuit: 29,122 constraints for 4 slots over a set of
/// depth 4, BENCHMARKS.md).
pub const MAX_VALIDATORS: u64 = 64;
/// The finality threshold: strictly more than two thirds of the stake.
pub const THRESHOLD: Threshold = Threshold::TWO_THIRDS;

/// `genesis.json`'s finality part: what a validator and a light client
/// need besides the ledger's genesis.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct FinalityGenesis {
    /// The validator set's root, decimal.
    pub set_root: String,
    /// Its tree's depth.
    pub set_depth: usize,
    /// Its members, each with stake 1.
    pub validators: u64,
    /// The threshold, as `finality setup --threshold` writes it.
    pub threshold: String,
    /// The finality verifying key's fingerprint, hex.
    pub vk_fingerprint: String,
    /// The genesis header's hash, decimal (height 0, the genesis root, the
    /// set root).
    pub header_hash: String,
}

impl FinalityGenesis {
    /// The set root and the genesis header, checked against the recorded
    /// hash.
    pub fn genesis_header(&self, genesis_root: Fr, path: &Path) -> Result<(Fr, Header)> {
        let bad = |field: &str, e: String| {
            AppError::unusable(format!("{}: finality.{field}: {e}", path.display()))
        };
        let set_root = parse_fr(&self.set_root).map_err(|e| bad("set_root", e.to_string()))?;
        let hash = parse_fr(&self.header_hash).map_err(|e| bad("header_hash", e.to_string()))?;
        let header = Header::genesis(genesis_root, set_root);
        if header.hash() != hash {
            return Err(bad("header_hash", "is not the hash of the genesis header".into()));
        }
        Ok((set_root, header))
    }
}

fn set_depth_for(validators: u64) -> usize {
    (64 - (validators.max(2) - 1).leading_zeros()) as usize
}

/// Makes `validators` validators (fresh random keys, stake 1 each), their
/// set and a development setup of the finality circuit for them, in `data`.
pub fn init_validators(
    progress: &dyn Progress,
    data: &Path,
    validators: u64,
    genesis_root: Fr,
) -> Result<FinalityGenesis> {
    if !(1..=MAX_VALIDATORS).contains(&validators) {
        return Err(AppError::unusable(format!(
            "--validators must be 0 (no finality) or 1 to {MAX_VALIDATORS}, got {validators}"
        )));
    }
    let depth = set_depth_for(validators);
    let dir = data.join(VALIDATOR_KEYS);
    ensure_dir(&dir)?;
    let mut members = Vec::new();
    for i in 0..validators {
        let mut seed = [0u8; 32];
        ark_std::rand::RngCore::fill_bytes(&mut keys::os_rng(), &mut seed);
        let key = stateproof_circuits::primitives::eddsa::SecretKey::from_seed(&seed);
        write_key(&validator_key_path(data, i), &seed)?;
        members.push((i, Validator { public_key: key.public_key(), stake: 1 }));
    }
    let set = ValidatorSet::new(depth, members).map_err(AppError::unusable)?;
    write_json(&data.join(SET_FILE), &SetJson::from_set(&set))?;
    let shape = QuorumShape {
        depth,
        slots: validators as usize,
        threshold: THRESHOLD,
        kind: StatementKind::Header,
    };
    let keys = step(progress, "generating finality keys (development setup)", || {
        Keys::setup::<QuorumCircuit>(&shape, &mut keys::os_rng())
    })?;
    let key_dir = data.join("keys");
    keys.save_proving_key(&key_dir.join("finality.pk"))?;
    keys.save_verifying_key(&key_dir.join("finality.vk"))?;
    let header = Header::genesis(genesis_root, set.root());
    Ok(FinalityGenesis {
        set_root: fr(&set.root()),
        set_depth: depth,
        validators,
        threshold: "2/3".into(),
        vk_fingerprint: hex32(&keys.fingerprint()),
        header_hash: fr(&header.hash()),
    })
}

/// Reads a set file, refusing a set whose root is not `set_root` (the
/// genesis's).
pub fn read_set(path: &Path, set_root: Fr) -> Result<ValidatorSet> {
    let set = read_json::<SetJson>(path)?
        .to_set()
        .map_err(|e| AppError::unusable(format!("{}: {e}", path.display())))?;
    if set.root() != set_root {
        return Err(AppError::unusable(format!(
            "{}: its root {} is not genesis.json's finality.set_root {}",
            path.display(),
            fr(&set.root()),
            fr(&set_root)
        )));
    }
    Ok(set)
}

/// Validator `i`'s key file in a data directory made with `--validators`.
pub fn validator_key_path(data: &Path, i: u64) -> PathBuf {
    data.join(VALIDATOR_KEYS).join(format!("validator-{i}.key"))
}

/// What the running node holds for finality.
pub struct Finality {
    /// The validator set.
    pub set: ValidatorSet,
    /// The genesis header.
    pub genesis: Header,
    /// The finality verifying key.
    pub vk: VerifyingKey,
    /// Header `h` at index `h`, as far as they have been asked for.
    headers: RwLock<Vec<Header>>,
    /// The highest height with a finality proof.
    pub final_height: AtomicU64,
}

/// Why the node refuses an attestation: the rule's name and a sentence.
pub type Refused = (&'static str, String);

impl Finality {
    /// Loads the set and the verifying key named by `genesis` from `data`.
    pub fn load(
        data: &Path,
        genesis: &FinalityGenesis,
        genesis_root: Fr,
        final_height: u64,
    ) -> Result<Self> {
        let genesis_path = data.join("genesis.json");
        let (set_root, header) = genesis.genesis_header(genesis_root, &genesis_path)?;
        let set = read_set(&data.join(SET_FILE), set_root)?;
        let vk_path = data.join("keys").join("finality.vk");
        let vk = stateproof_app::transfer::load_vk(&vk_path)?;
        if hex32(&vk.fingerprint()) != genesis.vk_fingerprint {
            return Err(AppError::unusable(format!(
                "{}: fingerprint {} is not genesis.json's finality.vk_fingerprint {}",
                vk_path.display(),
                hex32(&vk.fingerprint()),
                genesis.vk_fingerprint
            )));
        }
        Ok(Self {
            set,
            genesis: header,
            vk,
            headers: RwLock::new(vec![header]),
            final_height: AtomicU64::new(final_height),
        })
    }

    /// The finality proving key for the set, from `data`.
    pub fn load_proving_key(&self, progress: &dyn Progress, data: &Path) -> Result<Keys> {
        let path = data.join("keys").join("finality.pk");
        step(progress, "loading the finality key", || Keys::load_proving_key(&path, Some(&self.vk)))
            .map_err(AppError::from)
    }

    /// Headers `from` to `from + limit - 1` as far as updates are proven.
    pub async fn headers_from(&self, store: &Store, from: u64, limit: u32) -> Result<Vec<Header>> {
        let want = from.saturating_add(u64::from(limit));
        loop {
            let known = self.headers.read().expect("headers lock").len() as u64;
            if known >= want {
                break;
            }
            let roots = store.new_roots(known, 1000).await?;
            if roots.is_empty() {
                break;
            }
            let mut headers = self.headers.write().expect("headers lock");
            for (n, root) in roots {
                // Another request may have extended the list meanwhile.
                if n != headers.len() as u64 {
                    continue;
                }
                let last = *headers.last().expect("the genesis header is first");
                headers.push(last.child(root, self.genesis.next_set_root));
            }
        }
        let headers = self.headers.read().expect("headers lock");
        let from = usize::try_from(from).unwrap_or(usize::MAX).min(headers.len());
        let to = usize::try_from(want).unwrap_or(usize::MAX).min(headers.len());
        Ok(headers[from..to].to_vec())
    }

    /// The header at `height`, if its update is proven.
    pub async fn header(&self, store: &Store, height: u64) -> Result<Option<Header>> {
        Ok(self.headers_from(store, height, 1).await?.first().copied())
    }

    /// Checks an attestation of `header` by the rules above.
    pub fn check(&self, header: &Header, claimed_hash: Fr, a: &Attestation) -> Result<(), Refused> {
        if claimed_hash != header.hash() {
            return Err((
                "wrong-header",
                format!(
                    "header {}'s hash is {}, not {}: the attestation is for another header",
                    header.height,
                    fr(&header.hash()),
                    fr(&claimed_hash)
                ),
            ));
        }
        let member = self.set.member(a.index).filter(|m| m.public_key == a.public_key);
        if member.is_none() {
            return Err(("not-member", FinalityRule::NotMember { index: a.index }.to_string()));
        }
        if a.public_key.verify(header.hash(), &a.signature).is_err() {
            return Err((
                "bad-signature",
                FinalityRule::BadSignature { index: a.index }.to_string(),
            ));
        }
        Ok(())
    }

    /// The stake of the validators among `attestations`.
    pub fn stake_of(&self, attestations: &[Attestation]) -> u64 {
        attestations.iter().filter_map(|a| self.set.member(a.index)).map(|m| m.stake).sum()
    }

    /// The highest height with a finality proof.
    pub fn final_height(&self) -> u64 {
        self.final_height.load(Ordering::SeqCst)
    }
}

/// The attestations kept for a header, parsed (they were checked when they
/// arrived; one that no longer parses is left out, with a warning).
pub async fn kept_attestations(store: &Store, header: &Header) -> Result<Vec<Attestation>> {
    let bodies = store.attestations_at(header.height, &header.hash()).await?;
    Ok(bodies
        .iter()
        .filter_map(|b| {
            let parsed = serde_json::from_str::<AttestationJson>(b)
                .map_err(|e| e.to_string())
                .and_then(|j| j.to_attestation().map_err(|e| e.to_string()));
            parsed.map_err(|e| tracing::warn!("a stored attestation does not parse: {e}")).ok()
        })
        .collect())
}
