//! `node run`: the store opened and checked, the ledger and the pool
//! restored, the intake, the batcher, the witness thread, the publisher and
//! the in-process workers started, the API served, the threads supervised.

use super::{
    init, initialised_marker, keys_dir, load_proving_key, runtime, upload_proving_keys, Genesis,
    InitOptions, InitReport,
};
use crate::finality::{run_prover, Finality};
use crate::intake::{self, Head, Submission};
use crate::jobs::LOCAL_WORKER_PREFIX;
use crate::ledger::{Rules, KINDS};
use crate::metrics::Metrics;
use crate::pipeline::{self, Publisher, Sealed};
use crate::store::{redact_url, Meta, Store, StoredTx, DB_FILE};
use crate::worker::{Worker, WorkerOptions};
use serde::Serialize;
use stateproof_app::backend::{prover, BackendOptions};
use stateproof_app::progress::{step, Progress};
use stateproof_app::text::{fr, hex32};
use stateproof_app::{AppError, Result};
use stateproof_circuits::book::Book;
use stateproof_circuits::transfer::TransferShape;
use stateproof_verifier::spec::TRANSFER_BATCH;
use stateproof_verifier::VerifyingKey;
use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, Notify};

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
    /// A PostgreSQL database for the store and the job queue, instead of
    /// the embedded `node.db`.
    pub database: Option<String>,
    /// Workers in this process (0: only workers elsewhere prove).
    pub local_workers: usize,
    /// Most batches sealed and not yet published.
    pub in_flight: u64,
    /// The lease of the in-process workers' claims.
    pub lease: Duration,
    /// The largest zkey or witness the circom service takes, in bytes.
    pub max_upload: usize,
    /// Each in-process worker's budget for prepared zkeys, in bytes.
    pub key_cache: usize,
}

impl RunOptions {
    /// The defaults around a data directory and a listening address.
    pub fn new(data: PathBuf, listen: SocketAddr) -> Self {
        Self {
            data,
            listen,
            backend: BackendOptions::cpu(),
            batch_age: Duration::from_secs(2),
            prove: true,
            init: InitOptions::default(),
            database: None,
            local_workers: 1,
            in_flight: pipeline::DEFAULT_IN_FLIGHT,
            lease: Duration::from_secs(30),
            max_upload: crate::circom::DEFAULT_MAX_UPLOAD_MB << 20,
            key_cache: crate::circom::DEFAULT_KEY_CACHE_MB << 20,
        }
    }
}

/// What the running node shares between its tasks.
pub struct Shared {
    /// The store.
    pub store: Store,
    /// The facts fixed at genesis.
    pub meta: Meta,
    /// The ledger's rules beyond transfers (`None`: transfers alone).
    pub rules: Option<Rules>,
    /// The ledger after everything accepted.
    pub head: RwLock<Head>,
    /// The ledger at the last proven root, and that update's number.
    pub proven: RwLock<(Book, u64)>,
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
    /// The verifying key of each circuit the node's updates are proven
    /// by, with its fingerprint (hex), by circuit id.
    pub keys: BTreeMap<&'static str, (String, VerifyingKey)>,
    /// What proves, in words.
    pub backend: String,
    /// Whether this node seals and proves.
    pub proving: bool,
    /// The batch age.
    pub batch_age: Duration,
    /// Why proving stopped, if it did.
    pub halted: Mutex<Option<String>>,
    /// Set when the node stops: its threads end after what they are doing
    /// (a proof in progress is abandoned, to be proven after the next
    /// start), and their ending is no failure.
    pub stopping: AtomicBool,
    /// Most batches sealed and not yet published.
    pub in_flight: u64,
    /// Rung when a prove job is queued (wakes the in-process workers).
    pub job_queued: Notify,
    /// Rung when an in-process worker stores a proof (wakes the publisher).
    pub job_done: Notify,
    /// The circom proving service.
    pub circom: crate::circom::Service,
    /// Headers, attestations and finality proofs, on a node with validators.
    pub finality: Option<Arc<crate::finality::Finality>>,
}

impl Shared {
    /// The key fingerprint of `circuit`, if the node proves it.
    pub fn fingerprint(&self, circuit: &str) -> Option<&str> {
        self.keys.get(circuit).map(|(f, _)| f.as_str())
    }
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

/// Stops a node started by [`run_until`] from another thread, as SIGTERM
/// would: the API stops, the store is closed, and `run_until` returns.
#[derive(Clone, Debug, Default)]
pub struct StopHandle(Arc<Notify>);

impl StopHandle {
    /// Asks the node to stop (before or after it has started serving).
    pub fn stop(&self) {
        self.0.notify_one();
    }
}

/// Runs a node until SIGINT or SIGTERM; `ready` is told once it serves.
pub fn run(progress: &dyn Progress, o: &RunOptions, ready: &dyn Fn(&Started)) -> Result<()> {
    run_until(progress, o, ready, &StopHandle::default())
}

/// [`run`], which also stops when `stop` is asked to: a node in this
/// process (the demos' scenarios).
pub fn run_until(
    progress: &dyn Progress,
    o: &RunOptions,
    ready: &dyn Fn(&Started),
    stop: &StopHandle,
) -> Result<()> {
    let database = o.database.as_deref();
    let initialised = if initialised_marker(&o.data, database).exists() {
        None
    } else {
        tracing::warn!(
            "{}: not initialised; making it with a development setup and sample accounts",
            o.data.display()
        );
        let init = InitOptions { database: o.database.clone(), ..o.init.clone() };
        Some(self::init(progress, &o.data, &init)?)
    };
    let rt = runtime()?;
    let store = match database {
        Some(url) => rt.block_on(Store::connect_postgres(url, 8))?,
        None => rt.block_on(Store::open(&o.data.join(DB_FILE)))?,
    };
    if !rt.block_on(store.has_genesis())? {
        return Err(AppError::unusable(format!(
            "--database {}: the database is empty but {} says the node was initialised on it; give the database it was initialised on",
            redact_url(database.unwrap_or_default()),
            o.data.join("genesis.json").display()
        )));
    }
    let meta = rt.block_on(store.meta())?;
    let genesis_path = o.data.join("genesis.json");
    let genesis = Genesis::read(&genesis_path)?;
    if genesis.root_fr(&genesis_path)? != meta.genesis_root
        || genesis.vk_fingerprint != meta.vk_fingerprint
    {
        return Err(AppError::unusable(format!(
            "{}: genesis root {} and key {} are not the store's ({} and {}): the data directory and the database belong to different nodes",
            genesis_path.display(),
            genesis.root,
            genesis.vk_fingerprint,
            fr(&meta.genesis_root),
            meta.vk_fingerprint
        )));
    }
    if genesis.ledger != meta.ledger {
        return Err(AppError::unusable(format!(
            "{}: its ledger rules and keys are not the store's: the data directory and the database belong to different nodes",
            genesis_path.display()
        )));
    }
    let rules = Rules::of(&meta)?;
    let key_start = Instant::now();
    let mut key_files =
        vec![(TRANSFER_BATCH.id, "transfer".to_string(), meta.vk_fingerprint.clone())];
    if let Some(ledger) = &meta.ledger {
        for kind in KINDS.into_iter().skip(1) {
            let id = kind.spec().id;
            let fingerprint = ledger.fingerprint(kind).ok_or_else(|| {
                AppError::unusable(format!("{}: ledger.keys: no {id} key", genesis_path.display()))
            })?;
            key_files.push((id, id.to_string(), fingerprint.to_string()));
        }
    }
    let mut keys = BTreeMap::new();
    for (id, file, fingerprint) in &key_files {
        let vk_path = keys_dir(&o.data).join(format!("{file}.vk"));
        let vk = stateproof_app::transfer::load_vk(&vk_path)?;
        if hex32(&vk.fingerprint()) != *fingerprint {
            return Err(AppError::unusable(format!(
                "{}: fingerprint {} is not the store's {fingerprint}",
                vk_path.display(),
                hex32(&vk.fingerprint()),
            )));
        }
        keys.insert(*id, (fingerprint.clone(), vk));
    }
    if database.is_some() {
        rt.block_on(upload_proving_keys(&store, &o.data, &genesis))?;
    }
    let shape = TransferShape { depth: meta.depth, slots: meta.slots };
    // The keys are loaded only where this process proves.
    // One set of backends for every prover in this process (one device,
    // one fixed-base table budget), opened only if something proves here.
    let proves_here = o.local_workers > 0 || genesis.finality.is_some();
    let backends = (o.prove && proves_here).then(|| o.backend.open());
    let local = match &backends {
        Some(backends) if o.local_workers > 0 => {
            let mut loaded = Vec::with_capacity(key_files.len());
            for (id, file, _) in &key_files {
                let pk_path = keys_dir(&o.data).join(format!("{file}.pk"));
                let vk = &keys[id].1;
                let k = if *id == TRANSFER_BATCH.id {
                    load_proving_key(progress, &pk_path, vk, shape, "the store is for")?
                } else {
                    step(progress, &format!("loading the {id} proving key"), || {
                        stateproof_prover::keys::Keys::load_proving_key(&pk_path, Some(vk))
                    })?
                };
                loaded.push(Arc::new(k));
            }
            // One prover per in-process worker and key (each holds its
            // prepared key).
            let provers = step(progress, "preparing the provers", || {
                (0..o.local_workers)
                    .map(|_| {
                        loaded
                            .iter()
                            .map(|k| Ok((k.clone(), prover(k, backends)?)))
                            .collect::<Result<Vec<_>>>()
                    })
                    .collect::<Result<Vec<_>>>()
            })?;
            Some((provers, backends.description()))
        }
        _ => None,
    };
    let backend = match &local {
        Some((_, b)) => b.clone(),
        None if o.prove => "workers elsewhere (no worker in the node)".to_string(),
        None => "nothing (intake only)".to_string(),
    };
    let key_seconds = key_start.elapsed().as_secs_f64();

    // The ledger, the batches to prove and the pool, as the store has them.
    let proven = step(progress, "loading the ledger", || rt.block_on(store.proven_book(&meta)))?;
    let (proven_n, _, _) = rt.block_on(store.counts())?;
    let unproven = rt.block_on(store.unproven())?;
    let mut sealed = Vec::with_capacity(unproven.len());
    for n in &unproven {
        sealed.push(Sealed { n: *n, txs: rt.block_on(store.batch_transactions(*n))? });
    }
    let pending = rt.block_on(store.pending())?;
    let mut head = Head::new(&proven, rules.is_some());
    for t in sealed.iter().flat_map(|b| b.txs.iter()).chain(pending.iter()) {
        head.check_and_apply(meta.depth, rules.as_ref(), t).map_err(|rule| {
            AppError::unusable(format!(
                "{}: stored transaction {} does not apply ({rule}): the store is inconsistent",
                o.data.join(DB_FILE).display(),
                t.id
            ))
        })?;
    }
    let last_sealed = rt.block_on(store.last_sealed())?;
    // What this node's own workers held when it stopped is free again now,
    // rather than after their leases.
    let released = rt.block_on(store.release_claims(LOCAL_WORKER_PREFIX))?;
    if released > 0 {
        tracing::info!("released {released} prove jobs this node's workers held when it stopped");
    }

    let finality = match &genesis.finality {
        Some(g) => {
            let last = rt.block_on(store.last_final())?;
            let changes = rt.block_on(store.set_changes())?;
            Some(Arc::new(Finality::load(&o.data, g, meta.genesis_root, last, &changes)?))
        }
        None => None,
    };

    let (intake_tx, intake_rx) = mpsc::channel(4096);
    let now = Instant::now();
    let shared = Arc::new(Shared {
        store,
        meta,
        rules,
        head: RwLock::new(head),
        proven: RwLock::new((proven.clone(), proven_n)),
        proven_updates: AtomicU64::new(proven_n),
        sealed_batches: AtomicU64::new(last_sealed),
        pool: Mutex::new(pending.iter().cloned().map(|t| (t, now)).collect()),
        pool_changed: Notify::new(),
        metrics: Metrics::default(),
        intake: intake_tx,
        keys,
        backend: backend.clone(),
        proving: o.prove,
        batch_age: o.batch_age,
        halted: Mutex::new(None),
        stopping: AtomicBool::new(false),
        in_flight: o.in_flight.max(1),
        job_queued: Notify::new(),
        job_done: Notify::new(),
        circom: crate::circom::Service::new(o.max_upload),
        finality: finality.clone(),
    });
    let listener = rt
        .block_on(tokio::net::TcpListener::bind(o.listen))
        .map_err(|e| AppError::unusable(format!("--listen {}: {e}", o.listen)))?;
    let listen = listener
        .local_addr()
        .map_err(|e| AppError::unusable(format!("--listen {}: {e}", o.listen)))?;

    let intake = rt.spawn(intake::run(shared.clone(), intake_rx));
    let mut batcher = None;
    // The threads that use the runtime, and the workers' stop flags: the
    // runtime outlives them (see the end).
    let mut threads = Vec::new();
    let mut worker_stops = Vec::new();
    if o.prove {
        let (to_witness, from_batcher) = std::sync::mpsc::channel();
        for b in sealed {
            let _ = to_witness.send(b);
        }
        let (to_publisher, applied) = std::sync::mpsc::sync_channel(shared.in_flight as usize);
        let (witness_shared, handle, witness_book) =
            (shared.clone(), rt.handle().clone(), proven.clone());
        // The threads are detached: a proof in progress at shutdown is
        // abandoned (its batch stays sealed and its job queued, proven
        // after the next start or by another worker).
        threads.push(spawn("witness", move || {
            pipeline::prepare(witness_shared, handle, witness_book, from_batcher, to_publisher)
        })?);
        let publisher = Publisher {
            shared: shared.clone(),
            runtime: rt.handle().clone(),
            keys: shared.keys.values().map(|(_, vk)| vk.clone()).collect(),
            book: proven,
        };
        threads.push(spawn_watched("publisher", shared.clone(), move || publisher.run(applied))?);
        if let Some((provers, _)) = local {
            for (i, the_provers) in (1..).zip(provers) {
                let options = WorkerOptions {
                    name: format!("{LOCAL_WORKER_PREFIX}{i}"),
                    lease: o.lease,
                    poll: Duration::from_millis(250),
                    backend: o.backend.clone(),
                    key_cache: o.key_cache,
                };
                let worker =
                    Worker::local(shared.clone(), rt.handle().clone(), options, the_provers);
                worker_stops.push(worker.stop_flag());
                let name = format!("worker-{i}");
                threads.push(spawn_watched(&name, shared.clone(), move || worker.run())?);
            }
        }
        if let (Some(finality), Some(backends)) = (finality, &backends) {
            let (quorum, slashing, set_change) = finality.load_proving_keys(progress, &o.data)?;
            let provers = crate::finality::Provers {
                quorum_prover: prover(&quorum, backends)?,
                slashing_prover: prover(&slashing, backends)?,
                set_change_prover: prover(&set_change, backends)?,
                quorum,
                slashing,
                set_change,
            };
            let (shared, handle) = (shared.clone(), rt.handle().clone());
            threads.push(spawn_watched("finality", shared.clone(), move || {
                run_prover(shared, finality, handle, provers)
            })?);
        }
        batcher = Some(rt.spawn(pipeline::batcher(shared.clone(), to_witness, last_sealed + 1)));
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
    let batcher_abort = batcher.as_ref().map(|b| b.abort_handle());
    let died = Arc::new(Mutex::new(None));
    let stop = {
        let (died, asked) = (died.clone(), stop.0.clone());
        async move {
            tokio::select! {
                _ = shutdown_signal() => {}
                _ = asked.notified() => {}
                why = supervise(intake, batcher) => {
                    tracing::error!("{why}: stopping the node (a restart resumes from the store)");
                    *died.lock().expect("lock") = Some(why);
                }
            }
        }
    };
    rt.block_on(crate::api::serve(listener, app, stop));
    tracing::info!("stopping: what was accepted is on disk; a restart resumes it");
    // Every thread is told to end after what it is doing: the batcher's
    // end closes the witness thread's channel, whose end closes the
    // publisher's; idle workers are woken to see their flags.
    shared.stopping.store(true, Ordering::SeqCst);
    for flag in &worker_stops {
        flag.store(true, Ordering::SeqCst);
    }
    if let Some(b) = batcher_abort {
        b.abort();
    }
    shared.job_queued.notify_waiters();
    shared.job_done.notify_waiters();
    rt.block_on(shared.store.close());
    // The runtime is dropped only once those threads have ended (they
    // call into it); a process that exits first need not wait for them.
    let keeper = std::thread::Builder::new().name("runtime-keeper".into()).spawn(move || {
        for t in threads {
            let _ = t.join();
        }
        drop(rt);
    });
    if keeper.is_err() {
        tracing::warn!(
            "cannot start a thread to wait for the node's threads; leaving the runtime running"
        );
    }
    let died = died.lock().expect("lock").take();
    match died {
        Some(why) => Err(AppError::unusable(why)),
        None => Ok(()),
    }
}

/// Starts a named, detached thread that marks the node halted, saying
/// why, if it panics: a dead publisher or in-process worker would
/// otherwise leave the node serving and publishing nothing, in silence.
fn spawn_watched(
    name: &str,
    shared: Arc<Shared>,
    f: impl FnOnce() + Send + 'static,
) -> Result<JoinHandle<()>> {
    let thread = name.to_string();
    spawn(name, move || {
        if let Err(payload) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
            let why = format!("the {thread} thread failed: {}", panic_message(payload));
            tracing::error!("{why}; no later batch is published");
            *shared.halted.lock().unwrap_or_else(|e| e.into_inner()) = Some(why);
        }
    })
}

/// Starts a named thread.
fn spawn(name: &str, f: impl FnOnce() + Send + 'static) -> Result<JoinHandle<()>> {
    std::thread::Builder::new()
        .name(name.into())
        .spawn(f)
        .map_err(|e| AppError::unusable(format!("cannot start the {name} thread: {e}")))
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

pub(crate) async fn shutdown_signal() {
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
