//! The node: its data directory (`node init`), and the running process
//! (`node run`): the store opened and checked, the ledger and the pool
//! restored, the intake, the batcher and the prover started, the API served.
//!
//! Data directory:
//! - `node.db` (and SQLite's `-wal`, `-shm`): the store; its existence means
//!   the directory is initialised (it is created under a temporary name and
//!   renamed last).
//! - `keys/transfer.pk`, `keys/transfer.vk`: the circuit's keys.
//! - `genesis.json`: what a light client needs to start: the circuit, its
//!   shape, the genesis root and the verifying key's fingerprint.
//! - `sample-keys/account-N.key`: key files of the first sample-funded
//!   accounts (public seeds: anyone can spend them; for trying the node).
//! - with `--validators N`: `validators.json`, `keys/finality.pk|vk` and
//!   `validator-keys/` ([`crate::finality`]).

use crate::finality::{init_validators, FinalityGenesis, ValidatorSource};
use crate::jobs::JobKind;
use crate::ledger::{LedgerConfig, LedgerGenesis, Shapes};
use crate::store::{redact_url, Meta, Store, DB_FILE};
use serde::{Deserialize, Serialize};
use stateproof_app::files::{ensure_dir, read_json, write_json};
use stateproof_app::progress::{step, Progress};
use stateproof_app::text::{fr, hex32};
use stateproof_app::transfer::{check_setup_fits, check_shape, estimated_constraints};
use stateproof_app::userkeys::write_key;
use stateproof_app::{AppError, Result};
use stateproof_circuits::circuit::{Circuit, CircuitShape};
use stateproof_circuits::primitives::field::parse_fr;
use stateproof_circuits::sample::{sample_seed, SampleLedger};
use stateproof_circuits::transfer::{TransferBatchCircuit, TransferShape};
use stateproof_circuits::Fr;
use stateproof_prover::keys::{self, Keys, DEVELOPMENT_SETUP_WARNING};
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Key files written for the first sample accounts (`sample-keys/`).
pub const SAMPLE_KEY_FILES: u64 = 100;

/// The balance of each sample account at genesis.
pub const SAMPLE_BALANCE: u64 = 1_000_000_000;

/// The deal tree's depth at genesis (deal ids below 2^20).
pub const DEAL_DEPTH: usize = 20;

/// The member tree's depth at genesis (up to 2^20 members).
pub const MEMBER_DEPTH: usize = 20;

/// How to make a data directory.
#[derive(Clone, Debug)]
pub struct InitOptions {
    /// Account tree depth.
    pub depth: usize,
    /// Transfer slots per batch.
    pub slots: usize,
    /// Sample accounts to fund (public-seed keys, indices 0 to n-1).
    pub fund_sample: u64,
    /// Keys from a ceremony (`transfer.pk`, `transfer.vk`), instead of a
    /// development setup.
    pub keys: Option<PathBuf>,
    /// A PostgreSQL database for the store, instead of the embedded
    /// `node.db`.
    pub database: Option<String>,
    /// Validators to make for finality (0: none; `crate::finality`).
    pub validators: u64,
    /// A validator-set file instead (real keys: public keys and stakes).
    pub validator_set: Option<PathBuf>,
    /// The ledger's rules beyond transfers (deals, sponsorships), with a
    /// key for each of its circuits; `None`: the node takes transfers
    /// alone.
    pub ledger: Option<LedgerConfig>,
    /// The deal tree's depth.
    pub deal_depth: usize,
    /// The member tree's depth.
    pub member_depth: usize,
}

impl Default for InitOptions {
    fn default() -> Self {
        Self {
            depth: 32,
            slots: 4,
            fund_sample: 16,
            keys: None,
            database: None,
            validators: 0,
            validator_set: None,
            ledger: None,
            deal_depth: DEAL_DEPTH,
            member_depth: MEMBER_DEPTH,
        }
    }
}

/// `genesis.json`: what a light client starts from.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Genesis {
    /// The circuit (`transfer-batch`).
    pub circuit: String,
    /// Account tree depth.
    pub depth: usize,
    /// Deal tree depth.
    pub deal_depth: usize,
    /// Member tree depth.
    pub member_depth: usize,
    /// Slots per batch.
    pub slots: usize,
    /// The genesis ledger root, `Poseidon(LEDGER_DOMAIN, accounts, deals,
    /// members)`, decimal.
    pub root: String,
    /// The verifying key's fingerprint, hex.
    pub vk_fingerprint: String,
    /// Sample accounts funded (public-seed keys).
    pub sample_accounts: u64,
    /// The keys come from a development setup.
    pub development_setup: bool,
    /// The validator set and its finality key, on a node with validators.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finality: Option<FinalityGenesis>,
    /// The ledger's rules beyond transfers and its circuits' key
    /// fingerprints, on a node that takes deals and sponsorships.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ledger: Option<LedgerGenesis>,
}

impl Genesis {
    /// Reads a genesis file.
    pub fn read(path: &Path) -> Result<Self> {
        read_json(path)
    }

    /// The genesis root.
    pub fn root_fr(&self, path: &Path) -> Result<stateproof_circuits::Fr> {
        parse_fr(&self.root)
            .map_err(|e| AppError::unusable(format!("{}: root: {e}", path.display())))
    }
}

/// What `node init` made.
#[derive(Clone, Debug, Serialize)]
pub struct InitReport {
    /// The data directory.
    pub data: PathBuf,
    /// The genesis.
    pub genesis: Genesis,
    /// Key generation or loading time.
    pub key_seconds: f64,
}

impl fmt::Display for InitReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.genesis.development_setup {
            writeln!(f, "{DEVELOPMENT_SETUP_WARNING}")?;
        }
        writeln!(
            f,
            "initialised {}: depth {}, {} slots per batch, keys in {:.1} s",
            self.data.display(),
            self.genesis.depth,
            self.genesis.slots,
            self.key_seconds
        )?;
        writeln!(f, "genesis root {}", self.genesis.root)?;
        writeln!(f, "verifying key fingerprint {}", self.genesis.vk_fingerprint)?;
        if let Some(v) = &self.genesis.finality {
            write!(f, "{} validators (set root {})", v.validators, v.set_root)?;
            let keys = self.data.join(crate::finality::VALIDATOR_KEYS);
            if keys.is_dir() {
                write!(
                    f,
                    "; their secret keys are in {}/: each belongs on its own validator's machine",
                    keys.display()
                )?;
            }
            writeln!(f)?;
        }
        if self.genesis.sample_accounts > 0 {
            write!(
                f,
                "sample accounts 0 to {} hold {SAMPLE_BALANCE} each; their keys ({}/sample-keys/) are PUBLIC SEEDS (anyone can spend them): for trying the node only",
                self.genesis.sample_accounts - 1,
                self.data.display()
            )?;
        }
        Ok(())
    }
}

fn keys_dir(data: &Path) -> PathBuf {
    data.join("keys")
}

/// Makes a data directory: keys (a development setup, or a ceremony's from
/// `--keys`), genesis, and the store, renamed into place last.
pub fn init(progress: &dyn Progress, data: &Path, o: &InitOptions) -> Result<InitReport> {
    let db = data.join(DB_FILE);
    let marker = initialised_marker(data, o.database.as_deref());
    if marker.exists() {
        return Err(AppError::unusable(format!(
            "{}: the data directory is initialised already",
            marker.display()
        )));
    }
    // A PostgreSQL database must be empty before keys are made for it.
    let postgres = match &o.database {
        Some(url) => {
            let rt = runtime()?;
            let store = rt.block_on(Store::connect_postgres(url, 2))?;
            if rt.block_on(store.has_genesis())? {
                let meta = rt.block_on(store.meta())?;
                return Err(AppError::unusable(format!(
                    "--database {}: it holds a node's store already (genesis root {}); give an empty database",
                    redact_url(url),
                    fr(&meta.genesis_root)
                )));
            }
            Some((rt, store))
        }
        None => None,
    };
    check_shape(o.depth, o.slots, "--slots")?;
    let validators = match (o.validators, &o.validator_set) {
        (0, None) => None,
        (n, None) if n <= crate::finality::MAX_VALIDATORS => Some(ValidatorSource::Generate(n)),
        (n, None) => {
            return Err(AppError::unusable(format!(
                "--validators must be 0 (no finality) or 1 to {}, got {n}",
                crate::finality::MAX_VALIDATORS
            )))
        }
        (0, Some(path)) => Some(ValidatorSource::read(path)?),
        (_, Some(_)) => {
            return Err(AppError::unusable(
                "give --validators N (development keys) or --set FILE (real keys), not both",
            ))
        }
    };
    let shape = TransferShape { depth: o.depth, slots: o.slots };
    if o.depth < 64 && o.fund_sample > 1u64 << o.depth {
        return Err(AppError::unusable(format!(
            "--fund-sample {} does not fit a tree of depth {}",
            o.fund_sample, o.depth
        )));
    }
    ensure_dir(&keys_dir(data))?;
    let start = Instant::now();
    let (keys, development_setup) = match &o.keys {
        Some(dir) => {
            let vk = stateproof_app::transfer::load_vk(&dir.join("transfer.vk"))?;
            let keys = load_proving_key(
                progress,
                &dir.join("transfer.pk"),
                &vk,
                shape,
                "the node is asked for",
            )?;
            (keys, false)
        }
        None => {
            check_setup_fits(estimated_constraints(&shape))?;
            let keys = step(progress, "generating keys (development setup)", || {
                Keys::setup::<TransferBatchCircuit>(&shape, &mut keys::os_rng())
            })?;
            (keys, true)
        }
    };
    keys.save_proving_key(&keys_dir(data).join("transfer.pk"))?;
    keys.save_verifying_key(&keys_dir(data).join("transfer.vk"))?;
    let ledger_genesis = match &o.ledger {
        None => None,
        Some(config) => {
            let shapes = config.shapes(o.depth, o.deal_depth, o.member_depth)?;
            if o.depth < 64 && config.treasury >> o.depth != 0 {
                return Err(AppError::unusable(format!(
                    "ledger.treasury: account {} does not fit a tree of depth {}",
                    config.treasury, o.depth
                )));
            }
            if o.member_depth < 64 && config.members > 1u64 << o.member_depth {
                return Err(AppError::unusable(format!(
                    "ledger.members: {} do not fit a member tree of depth {}",
                    config.members, o.member_depth
                )));
            }
            let made = ledger_keys(progress, &shapes, o.keys.as_deref())?;
            let mut fingerprints = std::collections::BTreeMap::new();
            for k in &made {
                let id = k.spec().id;
                k.save_proving_key(&keys_dir(data).join(format!("{id}.pk")))?;
                k.save_verifying_key(&keys_dir(data).join(format!("{id}.vk")))?;
                fingerprints.insert(id.to_string(), hex32(&k.fingerprint()));
            }
            Some(LedgerGenesis { config: config.clone(), keys: fingerprints })
        }
    };
    let key_seconds = start.elapsed().as_secs_f64();
    let ledger =
        SampleLedger::new(o.depth, o.fund_sample, SAMPLE_BALANCE).map_err(AppError::unusable)?;
    let meta = Meta {
        depth: o.depth,
        deal_depth: o.deal_depth,
        member_depth: o.member_depth,
        slots: o.slots,
        genesis_root: Fr::from(0u64),
        vk_fingerprint: hex32(&keys.fingerprint()),
        sample_accounts: o.fund_sample,
        ledger: ledger_genesis,
    };
    let book = meta.genesis_book(ledger.state).map_err(AppError::unusable)?;
    let meta = Meta { genesis_root: book.root(), ..meta };
    let genesis = Genesis {
        circuit: keys.spec().id.to_string(),
        depth: o.depth,
        deal_depth: meta.deal_depth,
        member_depth: meta.member_depth,
        slots: o.slots,
        root: fr(&meta.genesis_root),
        vk_fingerprint: hex32(&keys.fingerprint()),
        sample_accounts: o.fund_sample,
        development_setup,
        ledger: meta.ledger.clone(),
        finality: match validators {
            None => None,
            Some(source) => Some(init_validators(progress, data, &source, meta.genesis_root)?),
        },
    };
    let sample_keys = data.join("sample-keys");
    if o.fund_sample > 0 {
        ensure_dir(&sample_keys)?;
        for i in 0..o.fund_sample.min(SAMPLE_KEY_FILES) {
            let path = sample_keys.join(format!("account-{i}.key"));
            if !path.exists() {
                write_key(&path, &sample_seed(i))?;
            }
        }
    }
    if let Some((rt, store)) = postgres {
        // Genesis in the database first (one transaction), the key for
        // workers beside it, then genesis.json: its existence marks the
        // directory initialised.
        rt.block_on(async {
            store.write_genesis(&meta, &book).await?;
            upload_proving_keys(&store, data, &genesis).await?;
            store.close().await;
            Ok::<_, AppError>(())
        })?;
        write_json(&data.join("genesis.json"), &genesis)?;
        return Ok(InitReport { data: data.to_path_buf(), genesis, key_seconds });
    }
    write_json(&data.join("genesis.json"), &genesis)?;
    let staging = data.join(format!("{DB_FILE}.init"));
    for leftover in ["", "-wal", "-shm", "-journal"] {
        let _ = std::fs::remove_file(format!("{}{leftover}", staging.display()));
    }
    runtime()?.block_on(async {
        let store = Store::create(&staging).await?;
        store.write_genesis(&meta, &book).await?;
        store.checkpoint().await?;
        store.close().await;
        Ok::<_, AppError>(())
    })?;
    // The log is empty after the checkpoint; its files are named after the
    // staging file and would be stale beside the renamed one.
    for sidecar in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{sidecar}", staging.display()));
    }
    std::fs::rename(&staging, &db)
        .map_err(|e| AppError::unusable(format!("{}: {e}", db.display())))?;
    Ok(InitReport { data: data.to_path_buf(), genesis, key_seconds })
}

/// The file whose existence means a data directory is initialised: the
/// store for the embedded database, `genesis.json` (written last) for
/// PostgreSQL.
fn initialised_marker(data: &Path, database: Option<&str>) -> PathBuf {
    match database {
        Some(_) => data.join("genesis.json"),
        None => data.join(DB_FILE),
    }
}

/// Loads the proving key at `path` (checked against `vk`) and checks that it
/// is for `shape`; `wanted` says whose shape that is, in the error.
fn load_proving_key(
    progress: &dyn Progress,
    path: &Path,
    vk: &stateproof_verifier::VerifyingKey,
    shape: TransferShape,
    wanted: &str,
) -> Result<Keys> {
    let keys = step(progress, "loading proving key", || Keys::load_proving_key(path, Some(vk)))?;
    let theirs: TransferShape = keys.shape_as()?;
    if theirs != shape {
        return Err(AppError::unusable(format!(
            "{}: the key is for {}, {wanted} depth {} and {} slots",
            path.display(),
            keys.shape.describe(),
            shape.depth,
            shape.slots
        )));
    }
    Ok(keys)
}

/// Puts the proving key files' bytes in the database for workers, unless
/// the keys are there already.
async fn upload_proving_keys(store: &Store, data: &Path, genesis: &Genesis) -> Result<()> {
    let mut keys =
        vec![(genesis.vk_fingerprint.clone(), genesis.circuit.clone(), "transfer".into())];
    if let Some(ledger) = &genesis.ledger {
        keys.extend(ledger.keys.iter().map(|(id, f)| (f.clone(), id.clone(), id.clone())));
    }
    for (fingerprint, circuit, file) in keys {
        if store.has_proving_key(&fingerprint).await? {
            continue;
        }
        let path = keys_dir(data).join(format!("{file}.pk"));
        let bytes = std::fs::read(&path)
            .map_err(|e| AppError::unusable(format!("{}: {e}", path.display())))?;
        store.put_proving_key(&fingerprint, &circuit, &bytes).await?;
    }
    Ok(())
}

/// The keys of the ledger's circuits beyond transfers: a development
/// setup, or a ceremony's from `dir` (`<circuit>.pk` and `<circuit>.vk`),
/// each checked against the shape genesis gives it.
fn ledger_keys(progress: &dyn Progress, shapes: &Shapes, dir: Option<&Path>) -> Result<Vec<Keys>> {
    use stateproof_circuits::compute::{
        OpenDealsCircuit, RecordVerdictsCircuit, RequestMediationCircuit, SettleDealsCircuit,
        SubmitResultsCircuit,
    };
    use stateproof_circuits::trust::{CommitCircuit, ResolveCircuit};
    Ok(vec![
        circuit_keys::<OpenDealsCircuit>(progress, &shapes.open, dir)?,
        circuit_keys::<SubmitResultsCircuit>(progress, &shapes.result, dir)?,
        circuit_keys::<RequestMediationCircuit>(progress, &shapes.mediation, dir)?,
        circuit_keys::<RecordVerdictsCircuit>(progress, &shapes.verdict, dir)?,
        circuit_keys::<SettleDealsCircuit>(progress, &shapes.settle, dir)?,
        circuit_keys::<CommitCircuit>(progress, &shapes.commit, dir)?,
        circuit_keys::<ResolveCircuit>(progress, &shapes.resolve, dir)?,
    ])
}

fn circuit_keys<C: Circuit>(
    progress: &dyn Progress,
    shape: &C::Shape,
    dir: Option<&Path>,
) -> Result<Keys> {
    let id = shape.spec().id;
    let Some(dir) = dir else {
        return Ok(step(
            progress,
            &format!("generating the {id} key (development setup)"),
            || Keys::setup::<C>(shape, &mut keys::os_rng()),
        )?);
    };
    let pk = dir.join(format!("{id}.pk"));
    let vk = stateproof_app::transfer::load_vk(&dir.join(format!("{id}.vk")))?;
    let keys = step(progress, &format!("loading the {id} key"), || {
        Keys::load_proving_key(&pk, Some(&vk))
    })?;
    let wanted: stateproof_circuits::circuit::AnyShape = shape.clone().into();
    if keys.shape != wanted {
        return Err(AppError::unusable(format!(
            "{}: the key is for {}, the ledger's genesis asks for {}",
            pk.display(),
            keys.shape.describe(),
            wanted.describe()
        )));
    }
    Ok(keys)
}

/// What `node retry` queued again.
#[derive(Clone, Debug, Serialize)]
pub struct RetryReport {
    /// Each failed batch queued again, with the reason it had failed.
    pub requeued: Vec<RetriedJob>,
}

/// One prove job queued again.
#[derive(Clone, Debug, Serialize)]
pub struct RetriedJob {
    /// Its batch.
    pub batch: u64,
    /// Why it had failed.
    pub error: String,
}

impl fmt::Display for RetryReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.requeued.is_empty() {
            return write!(f, "no prove job has failed");
        }
        for (i, job) in self.requeued.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "batch {} queued again (it had failed: {})", job.batch, job.error)?;
        }
        Ok(())
    }
}

/// Queues again the failed prove jobs of the node at `data` (its store on
/// `database` when given): all of them, or batch `only`'s, with their
/// attempts back at zero, for an operator who has mended what failed them
/// (a worker's device, a key). A running node resumes publishing within a
/// second; a stopped one proves them when it starts.
pub fn retry(data: &Path, database: Option<&str>, only: Option<u64>) -> Result<RetryReport> {
    let marker = initialised_marker(data, database);
    if !marker.exists() {
        return Err(AppError::unusable(format!(
            "{}: not an initialised data directory (no {})",
            data.display(),
            marker.display()
        )));
    }
    runtime()?.block_on(async {
        let store = match database {
            Some(url) => Store::connect_postgres(url, 2).await?,
            None => Store::open(&data.join(DB_FILE)).await?,
        };
        let requeued = store.requeue_failed(JobKind::Batch, only).await;
        store.close().await;
        let requeued: Vec<RetriedJob> =
            requeued?.into_iter().map(|(batch, error)| RetriedJob { batch, error }).collect();
        match only {
            Some(n) if requeued.is_empty() => {
                Err(AppError::invalid(format!("batch {n} has no failed prove job")))
            }
            _ => Ok(RetryReport { requeued }),
        }
    })
}

/// A multi-threaded async runtime for the store and the API.
fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| AppError::unusable(format!("cannot start the async runtime: {e}")))
}

pub(crate) mod run;
pub(crate) use run::shutdown_signal;
pub use run::{run, run_until, RunOptions, Shared, Started, StopHandle};
