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
//! **Slashing.** Double-sign evidence (`POST /v1/evidence`: one validator's
//! signatures over two headers of one height) is checked at once against
//! the current set and kept; the `finality` thread proves it with the
//! slashing key, checks the proof, and records the slashed set (the
//! offender's stake at 0) as the one the next header not yet computed
//! names next. From there the slashed set signs, and a light client follows
//! the rotation like any other.
//!
//! **Set changes by quorum** (`POST /v1/set-changes`): a new set of the
//! same depth and at most as many validators, with attestations by more
//! than 2/3 of the current set's stake over [`set_change_commitment`] (a
//! data statement of the finality-quorum circuit, its own key); checked at
//! once, proven in the same thread, recorded the same way.
//!
//! Data directory (with `node init --validators N`): `validators.json`
//! (the genesis set), `keys/finality.pk|vk`, `keys/slashing.pk|vk`,
//! `keys/set-change.pk|vk`, and
//! `validator-keys/validator-I.key` (the validators' secret keys, for a
//! development network on one machine: each belongs on its validator's
//! machine only).

pub mod api;
mod prove;
mod wire;

pub use prove::{run_prover, Provers};

use crate::store::{ChangeKind, SetChange, Store};
use serde::{Deserialize, Serialize};
use stateproof_app::files::{ensure_dir, read_json, write_json};
use stateproof_app::progress::{step, Progress};
use stateproof_app::text::{fr, hex32};
use stateproof_app::userkeys::write_key;
use stateproof_app::{AppError, Result};
use stateproof_circuits::finality::{
    Attestation, AttestationJson, DoubleSignCircuit, FinalityRule, Header, QuorumCircuit,
    QuorumShape, SetJson, SlashingShape, StatementKind, Threshold, Validator, ValidatorSet,
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
    /// Its members.
    pub validators: u64,
    /// The threshold, as `finality setup --threshold` writes it.
    pub threshold: String,
    /// The finality verifying key's fingerprint, hex.
    pub vk_fingerprint: String,
    /// The double-sign-slash verifying key's fingerprint, hex.
    pub slashing_vk_fingerprint: String,
    /// The set-change key's fingerprint, hex (a quorum of the current set
    /// signed a new set: the finality-quorum circuit over data statements).
    pub set_change_vk_fingerprint: String,
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

/// `validators` fresh validators with stake 1, their key files written.
fn generate_set(data: &Path, validators: u64) -> Result<ValidatorSet> {
    if !(1..=MAX_VALIDATORS).contains(&validators) {
        return Err(AppError::unusable(format!(
            "--validators must be 0 (no finality) or 1 to {MAX_VALIDATORS}, got {validators}"
        )));
    }
    ensure_dir(&data.join(VALIDATOR_KEYS))?;
    let mut members = Vec::new();
    for i in 0..validators {
        let mut seed = [0u8; 32];
        ark_std::rand::RngCore::fill_bytes(&mut keys::os_rng(), &mut seed);
        let key = stateproof_circuits::primitives::eddsa::SecretKey::from_seed(&seed);
        write_key(&validator_key_path(data, i), &seed)?;
        members.push((i, Validator { public_key: key.public_key(), stake: 1 }));
    }
    ValidatorSet::new(set_depth_for(validators), members).map_err(AppError::unusable)
}

/// Where a node's validator set comes from.
#[derive(Clone, Debug)]
pub enum ValidatorSource {
    /// This many fresh validators, stake 1 each, their secret keys written
    /// to `validator-keys/` (a development network on one machine).
    Generate(u64),
    /// A set read from a file (`SetJson`: the validators' public keys and
    /// stakes; their secret keys stay on their machines).
    Given(ValidatorSet),
}

impl ValidatorSource {
    /// Reads a set file, refusing one a node cannot take.
    pub fn read(path: &Path) -> Result<Self> {
        let set = read_json::<SetJson>(path)?
            .to_set()
            .map_err(|e| AppError::unusable(format!("{}: {e}", path.display())))?;
        let n = set.members().len() as u64;
        if !(1..=MAX_VALIDATORS).contains(&n) {
            return Err(AppError::unusable(format!(
                "{}: {n} validators; a node takes 1 to {MAX_VALIDATORS}",
                path.display()
            )));
        }
        Ok(Self::Given(set))
    }
}

/// Makes the validator set (generated or read), and a development setup of
/// the finality and slashing circuits for it, in `data`.
pub fn init_validators(
    progress: &dyn Progress,
    data: &Path,
    source: &ValidatorSource,
    genesis_root: Fr,
) -> Result<FinalityGenesis> {
    let set = match source {
        ValidatorSource::Generate(n) => generate_set(data, *n)?,
        ValidatorSource::Given(set) => set.clone(),
    };
    let validators = set.members().len() as u64;
    let depth = set.depth();
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
    let slashing = step(progress, "generating slashing keys (development setup)", || {
        Keys::setup::<DoubleSignCircuit>(&SlashingShape { set_depth: depth }, &mut keys::os_rng())
    })?;
    let change_shape = QuorumShape { kind: StatementKind::Data, ..shape };
    let set_change = step(progress, "generating set-change keys (development setup)", || {
        Keys::setup::<QuorumCircuit>(&change_shape, &mut keys::os_rng())
    })?;
    let key_dir = data.join("keys");
    keys.save_proving_key(&key_dir.join("finality.pk"))?;
    keys.save_verifying_key(&key_dir.join("finality.vk"))?;
    slashing.save_proving_key(&key_dir.join("slashing.pk"))?;
    slashing.save_verifying_key(&key_dir.join("slashing.vk"))?;
    set_change.save_proving_key(&key_dir.join("set-change.pk"))?;
    set_change.save_verifying_key(&key_dir.join("set-change.vk"))?;
    let header = Header::genesis(genesis_root, set.root());
    Ok(FinalityGenesis {
        set_root: fr(&set.root()),
        set_depth: depth,
        validators,
        threshold: "2/3".into(),
        vk_fingerprint: hex32(&keys.fingerprint()),
        slashing_vk_fingerprint: hex32(&slashing.fingerprint()),
        set_change_vk_fingerprint: hex32(&set_change.fingerprint()),
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

/// Domain tag of set-change commitments (ASCII `sp:chset`).
pub const SET_CHANGE_DOMAIN: u64 = 0x73_70_3a_63_68_73_65_74;

/// What a quorum of the current set signs (as a data statement) to change
/// it: `Poseidon(SET_CHANGE_DOMAIN, old_set_root, new_set_root, n)`, `n`
/// the number of set changes before it, so that no signed change can be
/// replayed later.
pub fn set_change_commitment(old_set_root: Fr, new_set_root: Fr, n: u64) -> Fr {
    stateproof_circuits::primitives::poseidon::poseidon(&[
        Fr::from(SET_CHANGE_DOMAIN),
        old_set_root,
        new_set_root,
        Fr::from(n),
    ])
    .expect("Poseidon(4) has parameters")
}

/// Validator `i`'s key file in a data directory made with `--validators`.
pub fn validator_key_path(data: &Path, i: u64) -> PathBuf {
    data.join(VALIDATOR_KEYS).join(format!("validator-{i}.key"))
}

/// What the running node holds for finality.
pub struct Finality {
    /// The genesis header.
    pub genesis: Header,
    /// The finality verifying key.
    pub vk: VerifyingKey,
    /// The double-sign-slash verifying key.
    pub slashing_vk: VerifyingKey,
    /// The set-change verifying key.
    pub set_change_vk: VerifyingKey,
    /// The headers computed so far and the sets they name.
    chain: RwLock<Chain>,
    /// Held while the chain grows, so that a set change lands between two
    /// headers, never under one already served.
    growing: tokio::sync::Mutex<()>,
    /// The highest height with a finality proof.
    pub final_height: AtomicU64,
}

/// Headers and the sets they name.
struct Chain {
    /// Header `h` at index `h`.
    headers: Vec<Header>,
    /// `(from, set)`: headers from height `from` on name `set` next; the
    /// genesis set from 0, then each slashing's.
    sets: Vec<(u64, ValidatorSet)>,
}

impl Chain {
    /// The set header `height` names next.
    fn named_by(&self, height: u64) -> &ValidatorSet {
        let i = self.sets.partition_point(|(from, _)| *from <= height);
        &self.sets[i.max(1) - 1].1
    }
}

/// Why the node refuses an attestation: the rule's name and a sentence.
pub type Refused = (&'static str, String);

impl Finality {
    /// Loads the genesis set and the verifying keys named by `genesis` from
    /// `data`, and the set changes made since (`changes`, from the
    /// store).
    pub fn load(
        data: &Path,
        genesis: &FinalityGenesis,
        genesis_root: Fr,
        final_height: u64,
        changes: &[SetChange],
    ) -> Result<Self> {
        let genesis_path = data.join("genesis.json");
        let (set_root, header) = genesis.genesis_header(genesis_root, &genesis_path)?;
        let set = read_set(&data.join(SET_FILE), set_root)?;
        let key = |name: &str, fingerprint: &str| -> Result<VerifyingKey> {
            let path = data.join("keys").join(name);
            let vk = stateproof_app::transfer::load_vk(&path)?;
            if hex32(&vk.fingerprint()) != fingerprint {
                return Err(AppError::unusable(format!(
                    "{}: fingerprint {} is not genesis.json's {fingerprint}",
                    path.display(),
                    hex32(&vk.fingerprint()),
                )));
            }
            Ok(vk)
        };
        let vk = key("finality.vk", &genesis.vk_fingerprint)?;
        let slashing_vk = key("slashing.vk", &genesis.slashing_vk_fingerprint)?;
        let set_change_vk = key("set-change.vk", &genesis.set_change_vk_fingerprint)?;
        let mut sets = vec![(0, set)];
        for c in changes {
            let changed = serde_json::from_str::<SetJson>(&c.set_json)
                .map_err(|e| e.to_string())
                .and_then(|j| j.to_set().map_err(|e| e.to_string()))
                .map_err(|e| {
                    AppError::unusable(format!("the store's set change at {}: {e}", c.from_height))
                })?;
            sets.push((c.from_height, changed));
        }
        Ok(Self {
            genesis: header,
            vk,
            slashing_vk,
            set_change_vk,
            chain: RwLock::new(Chain { headers: vec![header], sets }),
            growing: tokio::sync::Mutex::new(()),
            final_height: AtomicU64::new(final_height),
        })
    }

    /// The finality, slashing and set-change proving keys, from `data`.
    pub fn load_proving_keys(
        &self,
        progress: &dyn Progress,
        data: &Path,
    ) -> Result<(Keys, Keys, Keys)> {
        let load = |name: &str, vk: &VerifyingKey| {
            let path = data.join("keys").join(name);
            step(progress, "loading the finality keys", || Keys::load_proving_key(&path, Some(vk)))
                .map_err(AppError::from)
        };
        Ok((
            load("finality.pk", &self.vk)?,
            load("slashing.pk", &self.slashing_vk)?,
            load("set-change.pk", &self.set_change_vk)?,
        ))
    }

    /// Computes headers while proven updates follow the last one computed,
    /// up to `want` headers (`u64::MAX`: all). Call with `growing` held.
    async fn grow(&self, store: &Store, want: u64) -> Result<()> {
        loop {
            let known = self.chain.read().expect("chain lock").headers.len() as u64;
            if known >= want {
                return Ok(());
            }
            let roots = store.new_roots(known, 1000).await?;
            if roots.is_empty() {
                return Ok(());
            }
            let mut chain = self.chain.write().expect("chain lock");
            for (n, root) in roots {
                if n != chain.headers.len() as u64 {
                    break;
                }
                let last = *chain.headers.last().expect("the genesis header is first");
                let next_set = chain.named_by(n).root();
                chain.headers.push(last.child(root, next_set));
            }
        }
    }

    /// Headers `from` to `from + limit - 1` as far as updates are proven.
    pub async fn headers_from(&self, store: &Store, from: u64, limit: u32) -> Result<Vec<Header>> {
        let want = from.saturating_add(u64::from(limit));
        if (self.chain.read().expect("chain lock").headers.len() as u64) < want {
            let _growing = self.growing.lock().await;
            self.grow(store, want).await?;
        }
        let chain = self.chain.read().expect("chain lock");
        let headers = &chain.headers;
        let from = usize::try_from(from).unwrap_or(usize::MAX).min(headers.len());
        let to = usize::try_from(want).unwrap_or(usize::MAX).min(headers.len());
        Ok(headers[from..to].to_vec())
    }

    /// The header at `height`, if its update is proven.
    pub async fn header(&self, store: &Store, height: u64) -> Result<Option<Header>> {
        Ok(self.headers_from(store, height, 1).await?.first().copied())
    }

    /// The set that signs header `height` (from 1): the one header
    /// `height - 1` names.
    pub fn signing_set(&self, height: u64) -> ValidatorSet {
        self.chain.read().expect("chain lock").named_by(height.saturating_sub(1)).clone()
    }

    /// The latest set (the one requests are checked against) and how many
    /// changes made it.
    pub fn current_set(&self) -> (ValidatorSet, u64) {
        let chain = self.chain.read().expect("chain lock");
        let (_, set) = chain.sets.last().expect("the genesis set is first");
        (set.clone(), chain.sets.len() as u64 - 1)
    }

    /// Records that `next` (proven by `update`, for `evidence`) is named by
    /// every header not yet computed, after computing all that can be.
    pub async fn change_set(
        &self,
        store: &Store,
        next: ValidatorSet,
        made: (ChangeKind, Option<u64>),
        update: Vec<u8>,
        request: i64,
    ) -> Result<u64> {
        let _growing = self.growing.lock().await;
        self.grow(store, u64::MAX).await?;
        let from = self.chain.read().expect("chain lock").headers.len() as u64;
        let set_json =
            serde_json::to_string(&SetJson::from_set(&next)).map_err(AppError::unusable)?;
        let (kind, offender) = made;
        let change = SetChange { from_height: from, kind, offender, set_json, bytes: update };
        store.insert_set_change(&change, request).await?;
        self.chain.write().expect("chain lock").sets.push((from, next));
        Ok(from)
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
        let set = self.signing_set(header.height);
        let member = set.member(a.index).filter(|m| m.public_key == a.public_key);
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

    /// The attested stake among `attestations` of header `height`, and the
    /// total stake of the set that signs it.
    pub fn stake_of(&self, height: u64, attestations: &[Attestation]) -> (u64, u64) {
        let set = self.signing_set(height);
        let signed = attestations.iter().filter_map(|a| set.member(a.index)).map(|m| m.stake).sum();
        (signed, set.total_stake())
    }

    /// The finality circuit's signer slots: the most validators a set may
    /// have.
    pub fn slots(&self) -> usize {
        self.vk
            .params
            .iter()
            .find(|(n, _)| n == "slots")
            .map_or(0, |(_, v)| usize::try_from(*v).unwrap_or(usize::MAX))
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
