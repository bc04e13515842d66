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

use crate::intake::{self, Head, Submission};
use crate::metrics::Metrics;
use crate::pipeline::{self, ProverThread, Sealed};
use crate::store::{Meta, Store, StoredTx, DB_FILE};
use serde::{Deserialize, Serialize};
use stateproof_app::backend::{prover, BackendOptions};
use stateproof_app::files::{ensure_dir, read_json, write_json};
use stateproof_app::progress::{step, Progress};
use stateproof_app::text::{fr, hex32};
use stateproof_app::transfer::{check_setup_fits, check_shape, estimated_constraints};
use stateproof_app::userkeys::write_key;
use stateproof_app::{AppError, Result};
use stateproof_circuits::ledger::State;
use stateproof_circuits::primitives::field::parse_fr;
use stateproof_circuits::sample::{sample_seed, SampleLedger};
use stateproof_circuits::transfer::{TransferBatchCircuit, TransferShape};
use stateproof_prover::keys::{self, Keys, DEVELOPMENT_SETUP_WARNING};
use std::collections::VecDeque;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, Notify};

/// Key files written for the first sample accounts (`sample-keys/`).
pub const SAMPLE_KEY_FILES: u64 = 100;

/// The balance of each sample account at genesis.
pub const SAMPLE_BALANCE: u64 = 1_000_000_000;

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
}

impl Default for InitOptions {
    fn default() -> Self {
        Self { depth: 32, slots: 4, fund_sample: 16, keys: None }
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
    /// Slots per batch.
    pub slots: usize,
    /// The genesis root, decimal.
    pub root: String,
    /// The verifying key's fingerprint, hex.
    pub vk_fingerprint: String,
    /// Sample accounts funded (public-seed keys).
    pub sample_accounts: u64,
    /// The keys come from a development setup.
    pub development_setup: bool,
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
    if db.exists() {
        return Err(AppError::unusable(format!(
            "{}: the data directory is initialised already",
            db.display()
        )));
    }
    check_shape(o.depth, o.slots, "--slots")?;
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
            let keys = step(progress, "loading proving key", || {
                Keys::load_proving_key(&dir.join("transfer.pk"), Some(&vk))
            })?;
            let theirs: TransferShape = keys.shape_as()?;
            if theirs != shape {
                return Err(AppError::unusable(format!(
                    "{}: the keys are for {}, the node is asked for depth {} and {} slots",
                    dir.display(),
                    keys.shape.describe(),
                    o.depth,
                    o.slots
                )));
            }
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
    let key_seconds = start.elapsed().as_secs_f64();
    let ledger =
        SampleLedger::new(o.depth, o.fund_sample, SAMPLE_BALANCE).map_err(AppError::unusable)?;
    let genesis = Genesis {
        circuit: keys.spec().id.to_string(),
        depth: o.depth,
        slots: o.slots,
        root: fr(&ledger.state.root().0),
        vk_fingerprint: hex32(&keys.fingerprint()),
        sample_accounts: o.fund_sample,
        development_setup,
    };
    write_json(&data.join("genesis.json"), &genesis)?;
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
    let meta = Meta {
        depth: o.depth,
        slots: o.slots,
        genesis_root: ledger.state.root().0,
        vk_fingerprint: genesis.vk_fingerprint.clone(),
        sample_accounts: o.fund_sample,
    };
    let staging = data.join(format!("{DB_FILE}.init"));
    for leftover in ["", "-wal", "-shm", "-journal"] {
        let _ = std::fs::remove_file(format!("{}{leftover}", staging.display()));
    }
    runtime()?.block_on(async {
        let store = Store::create(&staging).await?;
        store.write_genesis(&meta, &ledger.state).await?;
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

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| AppError::unusable(format!("cannot start the async runtime: {e}")))
}

/// How to run a node.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// The data directory.
    pub data: PathBuf,
    /// Where the API listens.
    pub listen: SocketAddr,
    /// What proves.
    pub backend: BackendOptions,
    /// How long the oldest pending transaction waits before a batch is
    /// sealed with free slots.
    pub batch_age: Duration,
    /// Whether to seal and prove (false: intake only, for benchmarks).
    pub prove: bool,
    /// How to initialise an empty data directory.
    pub init: InitOptions,
}

/// What the running node shares between its tasks.
pub struct Shared {
    /// The store.
    pub store: Store,
    /// The facts fixed at genesis.
    pub meta: Meta,
    /// The accounts after everything accepted.
    pub head: RwLock<Head>,
    /// The ledger at the last proven root, and that update's number.
    pub proven: RwLock<(State, u64)>,
    /// The last proven update's number.
    pub proven_updates: AtomicU64,
    /// The last sealed batch's number.
    pub sealed_batches: AtomicU64,
    /// Accepted transactions in no batch, oldest first, with when they came.
    pub pool: Mutex<VecDeque<(StoredTx, Instant)>>,
    /// Rung when the pool grows or a proof lands.
    pub pool_changed: Notify,
    /// Counters.
    pub metrics: Metrics,
    /// Submissions go here.
    pub intake: mpsc::Sender<Submission>,
    /// The verifying key's bytes.
    pub vk_bytes: Vec<u8>,
    /// What proves, in words.
    pub backend: String,
    /// Whether this node seals and proves.
    pub proving: bool,
    /// The batch age.
    pub batch_age: Duration,
    /// Why proving stopped, if it did.
    pub halted: Mutex<Option<String>>,
}

/// What a started node tells its caller.
#[derive(Clone, Debug, Serialize)]
pub struct Started {
    /// Where the API listens.
    pub listen: SocketAddr,
    /// The data directory.
    pub data: PathBuf,
    /// Proven updates found.
    pub proven_updates: u64,
    /// Sealed batches to prove.
    pub unproven_batches: usize,
    /// Pending transactions restored.
    pub pending: usize,
    /// What proves.
    pub backend: String,
    /// Key load and prover preparation time.
    pub key_seconds: f64,
    /// Whether the data directory was initialised by this start.
    pub initialised: Option<InitReport>,
}

impl fmt::Display for Started {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(init) = &self.initialised {
            writeln!(f, "{init}")?;
        }
        writeln!(
            f,
            "node {}: {} proven updates, {} sealed batches to prove, {} pending transactions restored; key ready in {:.1} s; proving on {}",
            self.data.display(),
            self.proven_updates,
            self.unproven_batches,
            self.pending,
            self.key_seconds,
            self.backend
        )?;
        write!(f, "listening on http://{} (API description at /openapi.json)", self.listen)
    }
}

/// Runs a node until SIGINT or SIGTERM; `ready` is told once it serves.
pub fn run(progress: &dyn Progress, o: &RunOptions, ready: &dyn Fn(&Started)) -> Result<()> {
    let initialised = if o.data.join(DB_FILE).exists() {
        None
    } else {
        tracing::warn!(
            "{}: not initialised; making it with a development setup and sample accounts",
            o.data.display()
        );
        Some(init(progress, &o.data, &o.init)?)
    };
    let rt = runtime()?;
    let store = rt.block_on(Store::open(&o.data.join(DB_FILE)))?;
    let meta = rt.block_on(store.meta())?;
    let key_start = Instant::now();
    let vk_path = keys_dir(&o.data).join("transfer.vk");
    let vk = stateproof_app::transfer::load_vk(&vk_path)?;
    if hex32(&vk.fingerprint()) != meta.vk_fingerprint {
        return Err(AppError::unusable(format!(
            "{}: fingerprint {} is not the store's {}",
            vk_path.display(),
            hex32(&vk.fingerprint()),
            meta.vk_fingerprint
        )));
    }
    let keys = step(progress, "loading proving key", || {
        Keys::load_proving_key(&keys_dir(&o.data).join("transfer.pk"), Some(&vk))
    })?;
    let shape: TransferShape = keys.shape_as()?;
    if shape.depth != meta.depth || shape.slots != meta.slots {
        return Err(AppError::unusable(format!(
            "the keys are for {}, the store for depth {} and {} slots",
            keys.shape.describe(),
            meta.depth,
            meta.slots
        )));
    }
    let backends = o.backend.open();
    let backend = backends.description();
    let the_prover = step(progress, "preparing the prover", || prover(&keys, &backends))?;
    let key_seconds = key_start.elapsed().as_secs_f64();

    // The ledger, the batches to prove and the pool, as the store has them.
    let proven = step(progress, "loading the ledger", || rt.block_on(store.proven_state(&meta)))?;
    let (proven_n, _, _) = rt.block_on(store.counts())?;
    let unproven = rt.block_on(store.unproven())?;
    let mut sealed = Vec::with_capacity(unproven.len());
    for n in &unproven {
        sealed.push(Sealed { n: *n, txs: rt.block_on(store.batch_transactions(*n))? });
    }
    let pending = rt.block_on(store.pending())?;
    let mut head = Head::new(proven.accounts().iter().map(|(i, a)| (*i, *a)));
    for t in sealed.iter().flat_map(|b| b.txs.iter()).chain(pending.iter()) {
        head.check_and_apply(meta.depth, &t.transfer).map_err(|rule| {
            AppError::unusable(format!(
                "{}: stored transaction {} does not apply ({rule}): the store is inconsistent",
                o.data.join(DB_FILE).display(),
                t.id
            ))
        })?;
    }
    let last_sealed = rt.block_on(store.last_sealed())?;

    let (intake_tx, intake_rx) = mpsc::channel(4096);
    let now = Instant::now();
    let shared = Arc::new(Shared {
        store,
        meta,
        head: RwLock::new(head),
        proven: RwLock::new((proven.clone(), proven_n)),
        proven_updates: AtomicU64::new(proven_n),
        sealed_batches: AtomicU64::new(last_sealed),
        pool: Mutex::new(pending.iter().cloned().map(|t| (t, now)).collect()),
        pool_changed: Notify::new(),
        metrics: Metrics::default(),
        intake: intake_tx,
        vk_bytes: vk.to_bytes(),
        backend: backend.clone(),
        proving: o.prove,
        batch_age: o.batch_age,
        halted: Mutex::new(None),
    });
    let listener = rt
        .block_on(tokio::net::TcpListener::bind(o.listen))
        .map_err(|e| AppError::unusable(format!("--listen {}: {e}", o.listen)))?;
    let listen = listener
        .local_addr()
        .map_err(|e| AppError::unusable(format!("--listen {}: {e}", o.listen)))?;

    let intake = rt.spawn(intake::run(shared.clone(), intake_rx));
    let mut batcher = None;
    if o.prove {
        let (to_prover, from_batcher) = std::sync::mpsc::channel();
        for b in sealed {
            let _ = to_prover.send(b);
        }
        // One batch prepared ahead of the one being proven.
        let (to_worker, prepared) = std::sync::mpsc::sync_channel(1);
        let witness_state = proven.clone();
        std::thread::Builder::new()
            .name("witness".into())
            .spawn(move || pipeline::prepare(shape, witness_state, from_batcher, to_worker))
            .map_err(|e| AppError::unusable(format!("cannot start the witness thread: {e}")))?;
        let worker = ProverThread {
            shared: shared.clone(),
            runtime: rt.handle().clone(),
            keys,
            prover: the_prover,
            state: proven,
        };
        // Detached, as the witness thread: a proof in progress at shutdown
        // is abandoned (its batch stays sealed and is proven after the next
        // start).
        std::thread::Builder::new()
            .name("prover".into())
            .spawn(move || worker.run(prepared))
            .map_err(|e| AppError::unusable(format!("cannot start the prover: {e}")))?;
        batcher = Some(rt.spawn(pipeline::batcher(shared.clone(), to_prover, last_sealed + 1)));
    }
    ready(&Started {
        listen,
        data: o.data.clone(),
        proven_updates: proven_n,
        unproven_batches: unproven.len(),
        pending: pending.len(),
        backend,
        key_seconds,
        initialised,
    });
    let app = crate::api::router(shared.clone());
    let died = Arc::new(Mutex::new(None));
    let stop = {
        let died = died.clone();
        async move {
            tokio::select! {
                _ = shutdown_signal() => {}
                why = supervise(intake, batcher) => {
                    tracing::error!("{why}: stopping the node (a restart resumes from the store)");
                    *died.lock().expect("lock") = Some(why);
                }
            }
        }
    };
    rt.block_on(crate::api::serve(listener, app, stop));
    tracing::info!("stopping: what was accepted is on disk; a restart resumes it");
    rt.block_on(shared.store.close());
    let died = died.lock().expect("lock").take();
    match died {
        Some(why) => Err(AppError::unusable(why)),
        None => Ok(()),
    }
}

/// Resolves, with a sentence, when the intake task ends (it runs as long as
/// the node serves) or the batcher panics; the node then stops rather than
/// answer every submission with 503 and say nothing. The batcher ending on
/// its own is the prover having halted, which the node reports and serves
/// through.
async fn supervise(
    intake: tokio::task::JoinHandle<()>,
    batcher: Option<tokio::task::JoinHandle<()>>,
) -> String {
    let batcher_panicked = async {
        match batcher {
            Some(b) => match b.await {
                Err(e) if e.is_panic() => panic_message(e.into_panic()),
                _ => std::future::pending().await,
            },
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        r = intake => match r {
            Err(e) if e.is_panic() => format!("the intake task failed: {}", panic_message(e.into_panic())),
            _ => "the intake task ended".to_string(),
        },
        why = batcher_panicked => format!("the batcher failed: {why}"),
    }
}

fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic".into())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}
