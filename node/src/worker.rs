//! Workers: claim prove jobs from the store, prove them, store the proofs.
//! The same code runs inside the node (`node run`, its in-process workers,
//! on SQLite or PostgreSQL) and on other machines (`worker run --database
//! postgres://...`). A worker loads each proving key once, by fingerprint,
//! and keeps it and its prover (with the device's resident bases and the
//! constraint matrices) for every later job of that key.
//!
//! What a worker stores is checked by the node before it is published: a
//! worker is trusted with nothing but its share of the proving time.

use crate::circom::{KeyCache, PreparedZkey};
use crate::jobs::{Job, JobKind, Retry};
use crate::node::Shared;
use crate::store::{is_postgres_url, redact_url, Store};
use stateproof_app::backend::{prover, BackendOptions};
use stateproof_app::text::hex32;
use stateproof_app::{AppError, AppProver, Result};
use stateproof_circuits::transfer::{TransferShape, TransferWitness};
use stateproof_kernels::Backends;
use stateproof_prover::job::prove_witness_bytes;
use stateproof_prover::keys::Keys;
use stateproof_prover::transfer::{prove_prepared, PreparedBatch};
use stateproof_verifier::spec::TRANSFER_BATCH;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How a worker runs.
#[derive(Clone, Debug)]
pub struct WorkerOptions {
    /// Its name in the jobs table (default: host name and process id).
    pub name: String,
    /// The lease a claim holds; renewed every third of it while proving.
    pub lease: Duration,
    /// How often an idle worker looks for a job.
    pub poll: Duration,
    /// What proves.
    pub backend: BackendOptions,
    /// The budget for prepared circom zkeys, in bytes (least recently
    /// used dropped first).
    pub key_cache: usize,
}

impl WorkerOptions {
    /// The default name: `host/pid`.
    pub fn default_name() -> String {
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|h| h.trim().to_string())
            .unwrap_or_else(|_| "worker".into());
        format!("{host}/{}", std::process::id())
    }
}

/// A loaded key and its provers.
struct Loaded {
    keys: Arc<Keys>,
    prover: AppProver,
    /// Made on the first backend fault, for the retry.
    cpu: Option<AppProver>,
}

/// A worker: its store, its backends and the keys it has loaded.
pub struct Worker {
    store: Store,
    runtime: tokio::runtime::Handle,
    options: WorkerOptions,
    backends: Backends,
    backend_name: String,
    keys: HashMap<String, Loaded>,
    /// Prepared circom zkeys, by id.
    zkeys: KeyCache<PreparedZkey>,
    /// The node this worker runs in, if it does: told of proofs at once,
    /// and its metrics kept.
    local: Option<Arc<Shared>>,
    stop: Arc<AtomicBool>,
}

impl Worker {
    /// A worker on `store`; its backends are opened now.
    pub fn new(store: Store, runtime: tokio::runtime::Handle, options: WorkerOptions) -> Self {
        let backends = options.backend.open();
        let backend_name = backends.description();
        let zkeys = KeyCache::new(options.key_cache);
        Self {
            store,
            runtime,
            options,
            backends,
            backend_name,
            keys: HashMap::new(),
            zkeys,
            local: None,
            stop: Arc::new(AtomicBool::new(false)),
        }
    }

    /// The node's in-process worker: its keys already loaded, and the node
    /// told of each proof.
    pub fn local(
        shared: Arc<Shared>,
        runtime: tokio::runtime::Handle,
        options: WorkerOptions,
        provers: Vec<(Arc<Keys>, AppProver)>,
    ) -> Self {
        let mut w = Self::new(shared.store.clone(), runtime, options);
        w.backend_name = shared.backend.clone();
        for (keys, prover) in provers {
            w.keys.insert(hex32(&keys.fingerprint()), Loaded { keys, prover, cpu: None });
        }
        w.local = Some(shared);
        w
    }

    /// Set to stop the worker after its current job.
    pub fn stop_flag(&self) -> Arc<AtomicBool> {
        self.stop.clone()
    }

    /// What proves, in words.
    pub fn backend(&self) -> &str {
        &self.backend_name
    }

    /// Claims and proves jobs until stopped. Database errors (a server
    /// restarting) are waited out: the pool reconnects.
    pub fn run(mut self) {
        let mut down_since: Option<Instant> = None;
        while !self.stop.load(Ordering::SeqCst) {
            match self
                .runtime
                .block_on(self.store.claim_any(&self.options.name, self.options.lease))
            {
                Ok(Some(job)) => {
                    if down_since.take().is_some() {
                        tracing::info!("the database answers again");
                    }
                    self.work(job);
                }
                Ok(None) => {
                    if down_since.take().is_some() {
                        tracing::info!("the database answers again");
                    }
                    self.idle();
                }
                Err(e) => {
                    if down_since.is_none() {
                        tracing::warn!("{e}; retrying every second");
                        down_since = Some(Instant::now());
                    }
                    std::thread::sleep(Duration::from_secs(1));
                }
            }
        }
    }

    /// Waits for the next poll, or (in the node) until a job is queued.
    fn idle(&self) {
        match &self.local {
            Some(shared) => self.runtime.block_on(async {
                tokio::select! {
                    _ = shared.job_queued.notified() => {}
                    _ = tokio::time::sleep(self.options.poll) => {}
                }
            }),
            None => std::thread::sleep(self.options.poll),
        }
    }

    fn work(&mut self, job: Job) {
        let what = job.kind.describe(job.seq);
        tracing::info!("claimed {what} (attempt {})", job.attempts);
        let renewer = {
            let (store, job, lease) = (self.store.clone(), job.clone(), self.options.lease);
            self.runtime.spawn(async move {
                loop {
                    tokio::time::sleep(lease / 3).await;
                    match store.renew(&job, lease).await {
                        Ok(true) => {}
                        Ok(false) => {
                            tracing::warn!(
                                "{}: the lease lapsed and another worker took the job; this proof will be discarded",
                                job.kind.describe(job.seq)
                            );
                            return;
                        }
                        Err(e) => tracing::warn!(
                            "{}: renewing the lease: {e}",
                            job.kind.describe(job.seq)
                        ),
                    }
                }
            })
        };
        let result = match job.kind {
            JobKind::Batch => self.prove(&job),
            JobKind::Circom => crate::circom::prove_job(
                &mut self.zkeys,
                &self.store,
                &self.runtime,
                &self.backends,
                &job,
            )
            .map(|(proof, took)| (proof, self.backend_name.clone(), took)),
        };
        renewer.abort();
        // The job's outcome is stored whatever the database is doing: a
        // proof is too costly to drop, and a failure unrecorded would
        // leave the job to wait out its lease.
        loop {
            let stored = match &result {
                Ok((update, backend, took)) => {
                    self.runtime.block_on(self.store.complete(&job, update, backend, *took))
                }
                Err((why, retry)) => {
                    self.runtime.block_on(self.store.fail(&job, &self.options.name, why, *retry))
                }
            };
            match (stored, &result) {
                (Ok(true), Ok((_, backend, took))) => {
                    tracing::info!("proved {what} in {:.2} s on {backend}", took.as_secs_f64());
                    if let Some(shared) = &self.local {
                        shared.job_done.notify_one();
                    }
                }
                (Ok(true), Err((why, _))) => tracing::error!("{what} cannot be proven here: {why}"),
                (Ok(false), _) => tracing::warn!(
                    "{what}: the claim was taken over while proving; its outcome is discarded"
                ),
                (Err(e), _) => {
                    tracing::warn!("{what}: {e}; storing the outcome again in a second");
                    std::thread::sleep(Duration::from_secs(1));
                    continue;
                }
            }
            return;
        }
    }

    /// Proves a job: the update's bytes, what proved it, how long it took;
    /// or why it cannot be proven here. A transfer batch's witness is in
    /// its own format (`SPTW2`, synthesized once and kept for a retry);
    /// every other ledger circuit's in the checked `wire` format. A job
    /// whose own input is at fault (its witness unreadable, of another
    /// shape or circuit than its key, or not satisfying the circuit) fails
    /// at once; anything else may go better on another worker.
    fn prove(
        &mut self,
        job: &Job,
    ) -> std::result::Result<(Vec<u8>, String, Duration), (String, Retry)> {
        let at_fault = |why: String| (why, Retry::Never);
        let proving = |e: stateproof_prover::Error| (e.to_string(), retry_after(&e));
        self.load_key(&job.key_fingerprint).map_err(|why| (why, Retry::Elsewhere))?;
        let local = self.local.clone();
        let backend_name = self.backend_name.clone();
        let backends_cpu = || BackendOptions::cpu().open();
        let loaded = self.keys.get_mut(&job.key_fingerprint).expect("loaded above");
        if job.circuit != loaded.keys.spec().id {
            return Err(at_fault(format!(
                "the job is for circuit {:?}, its key for {}",
                job.circuit,
                loaded.keys.spec().id
            )));
        }
        let transfer = if job.circuit == TRANSFER_BATCH.id {
            let witness = TransferWitness::from_bytes(&job.inputs)
                .map_err(|e| at_fault(format!("the job's witness: {e}")))?;
            let shape: TransferShape = loaded.keys.shape_as().map_err(proving)?;
            if witness.depth != shape.depth || witness.slots.len() != shape.slots {
                return Err(at_fault(format!(
                    "the witness is for depth {} and {} slots, the key for depth {} and {} slots",
                    witness.depth,
                    witness.slots.len(),
                    shape.depth,
                    shape.slots
                )));
            }
            let roots = (witness.old_root, witness.new_root);
            Some((roots, PreparedBatch::from_witness(witness).map_err(proving)?))
        } else {
            None
        };
        let keys = loaded.keys.clone();
        let prove_on = |p: &AppProver| match &transfer {
            Some((_, prepared)) => prove_prepared(p, &keys, prepared),
            None => prove_witness_bytes(p, &keys, &job.circuit, &job.inputs),
        };
        let started = Instant::now();
        let ((update, timings), backend) = match prove_on(&loaded.prover) {
            Ok(p) => (p, backend_name),
            Err(e) if is_backend_fault(&e) => {
                tracing::warn!("{}: {e}; proving it again on the CPU", job.kind.describe(job.seq));
                if let Some(shared) = &local {
                    shared.metrics.cpu_retry();
                }
                if loaded.cpu.is_none() {
                    let cpu = prover(&loaded.keys, &backends_cpu())
                        .map_err(|e| (e.to_string(), Retry::Elsewhere))?;
                    loaded.cpu = Some(cpu);
                }
                let cpu = loaded.cpu.as_ref().expect("made above");
                let p = prove_on(cpu).map_err(proving)?;
                (p, "cpu (after a backend fault)".to_string())
            }
            Err(e) => return Err(proving(e)),
        };
        let took = started.elapsed();
        // The prover self-checked the proof; its public inputs must also be
        // the witness's (the node checks both again).
        if let Some(((old_root, new_root), _)) = &transfer {
            let inputs = (update.input("old_root").ok(), update.input("new_root").ok());
            if inputs != (Some(*old_root), Some(*new_root)) {
                return Err(("the proof's roots are not the witness's".into(), Retry::Elsewhere));
            }
        }
        if let Some(shared) = &local {
            shared.metrics.phases(&timings.phases());
        }
        Ok((update.to_bytes(), backend, took))
    }

    /// Loads the proving key `fingerprint` from the store, once.
    fn load_key(&mut self, fingerprint: &str) -> std::result::Result<(), String> {
        if self.keys.contains_key(fingerprint) {
            return Ok(());
        }
        let started = Instant::now();
        let bytes = self
            .runtime
            .block_on(self.store.proving_key(fingerprint))
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("the database holds no proving key {fingerprint}"))?;
        let origin = format!("the database's proving key {fingerprint}");
        let keys =
            Keys::proving_key_from_bytes(&bytes, &origin, None).map_err(|e| e.to_string())?;
        drop(bytes);
        if hex32(&keys.fingerprint()) != fingerprint {
            return Err(format!("{origin}: its fingerprint is {}", hex32(&keys.fingerprint())));
        }
        let prover = prover(&keys, &self.backends).map_err(|e| e.to_string())?;
        tracing::info!(
            "loaded proving key {fingerprint} ({}) in {:.1} s",
            keys.shape.describe(),
            started.elapsed().as_secs_f64()
        );
        self.keys
            .insert(fingerprint.to_string(), Loaded { keys: Arc::new(keys), prover, cpu: None });
        Ok(())
    }
}

/// Whether a job that failed with `e` may go better elsewhere: not when
/// its own input is at fault (proving it again gives the same error).
fn retry_after(e: &stateproof_prover::Error) -> Retry {
    use stateproof_prover::Error as E;
    match e {
        E::Witness(_) | E::KeyMismatch(_) | E::Unsatisfied(_) | E::UnknownCircuit(_) => {
            Retry::Never
        }
        _ => Retry::Elsewhere,
    }
}

/// Whether a proof failed because of its backend (then the CPU may
/// succeed) rather than its witness.
fn is_backend_fault(e: &stateproof_prover::Error) -> bool {
    use stateproof_prover::Error as E;
    matches!(e, E::BackendFault { .. } | E::Unverifiable { .. } | E::Kernel(_))
}

/// `stateproof worker run`: connects to the node's PostgreSQL database and
/// proves jobs until SIGINT or SIGTERM (the job in progress is finished
/// first; a second signal, or SIGKILL, abandons it to its lease).
pub fn run(database: &str, options: WorkerOptions, ready: &dyn Fn(&str, &str)) -> Result<()> {
    if !is_postgres_url(database) {
        return Err(AppError::unusable(format!(
            "--database {}: workers share a PostgreSQL database with the node (postgres://...)",
            redact_url(database)
        )));
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| AppError::unusable(format!("cannot start the async runtime: {e}")))?;
    let store = rt.block_on(Store::connect_postgres(database, 4))?;
    let worker = Worker::new(store.clone(), rt.handle().clone(), options.clone());
    ready(&options.name, worker.backend());
    let stop = worker.stop_flag();
    let handle = std::thread::Builder::new()
        .name("worker".into())
        .spawn(move || worker.run())
        .map_err(|e| AppError::unusable(format!("cannot start the worker thread: {e}")))?;
    rt.block_on(async {
        crate::node::shutdown_signal().await;
        tracing::info!("stopping after the job in progress (signal again to abandon it)");
        stop.store(true, Ordering::SeqCst);
        tokio::select! {
            _ = crate::node::shutdown_signal() => {}
            _ = tokio::task::spawn_blocking(move || { let _ = handle.join(); }) => {}
        }
    });
    rt.block_on(store.close());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jobs::{JobOutcome, MAX_ATTEMPTS};
    use crate::testdb::{self, TempDir};
    use stateproof_circuits::compute::{open_batch, Deal, Ledger, OpenShape};
    use stateproof_circuits::ledger::{Account, State};
    use stateproof_circuits::sample::sample_key;
    use stateproof_circuits::{wire, Fr};
    use stateproof_verifier::CompressedUpdate;

    /// A deal opening's witness in the wire format, and the keys of its
    /// circuit.
    fn opening_job() -> (Vec<u8>, Keys, Fr) {
        let mut state = State::new(3).unwrap();
        for i in 0..2 {
            let a = Account { public_key: sample_key(i).public_key(), balance: 100, nonce: 0 };
            state.set_account(i, a).unwrap();
        }
        let ledger = Ledger::new(state, 2).unwrap();
        let deal = Deal {
            id: 1,
            client: 0,
            nodes: vec![1],
            job: Fr::from(9u64),
            price: 10,
            deposit: 30,
            collateral: 20,
            mediators: Fr::from(0u64),
            mediation_fee: 5,
            deadline: 4,
        };
        let sigs = [0u64, 1].iter().map(|i| sample_key(*i).sign(deal.hash())).collect();
        let (next, witness) = open_batch(&ledger, &[(deal, sigs)], 1, 1).unwrap();
        let shape = OpenShape { depth: 3, deal_depth: 2, k: 1, slots: 1 };
        let keys = Keys::setup::<stateproof_circuits::compute::OpenDealsCircuit>(
            &shape,
            &mut stateproof_prover::keys::os_rng(),
        )
        .unwrap();
        (wire::to_bytes(&witness), keys, next.root())
    }

    /// A worker proves a job of another ledger circuit than transfers (a
    /// deal opening, its witness in the wire format) into an update that
    /// verifies and moves the root as the witness does; the same bytes
    /// queued as a settlement's job fail at once, on the first worker that
    /// tries (its input is at fault), with the reason.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_worker_proves_a_deal_opening_from_its_wire_witness() {
        let (inputs, keys, new_root) = opening_job();
        let dir = TempDir::new("worker-wire");
        let path = dir.path().join("open.pk");
        keys.save_proving_key(&path).unwrap();
        let key_bytes = std::fs::read(&path).unwrap();
        let fingerprint = hex32(&keys.fingerprint());
        let (inputs, key_bytes, fingerprint) = (&inputs, &key_bytes, &fingerprint);
        let vk = &keys.verifying_key;
        testdb::on_each_engine("worker_wire", |store| async move {
            store.put_proving_key(fingerprint, "compute-open", key_bytes).await.unwrap();
            for (n, circuit) in [(1, "compute-open"), (2, "compute-settle")] {
                store.seal(n, &[]).await.unwrap();
                store.enqueue(n, circuit, fingerprint, inputs).await.unwrap();
            }
            let handle = tokio::runtime::Handle::current();
            let worker_store = store.clone();
            tokio::task::spawn_blocking(move || {
                for w in 0..MAX_ATTEMPTS {
                    let options = WorkerOptions {
                        name: format!("w{w}"),
                        lease: Duration::from_secs(60),
                        poll: Duration::from_millis(10),
                        backend: BackendOptions::cpu(),
                        key_cache: 1 << 20,
                    };
                    let mut worker = Worker::new(worker_store.clone(), handle.clone(), options);
                    let name = format!("w{w}");
                    while let Some(job) = handle
                        .block_on(worker_store.claim(
                            JobKind::Batch,
                            &name,
                            Duration::from_secs(60),
                        ))
                        .unwrap()
                    {
                        worker.work(job);
                    }
                }
            })
            .await
            .unwrap();
            let JobOutcome::Done { update, .. } =
                store.job_outcome(JobKind::Batch, 1).await.unwrap()
            else {
                panic!("the opening's job is not done");
            };
            let update = CompressedUpdate::from_bytes(&update).unwrap();
            update.verify(vk).unwrap();
            assert_eq!(update.input("new_root").unwrap(), new_root);
            match store.job_outcome(JobKind::Batch, 2).await.unwrap() {
                JobOutcome::Failed(why) => assert!(why.contains("compute-settle"), "{why}"),
                other => panic!("the mislabelled job: {other:?}"),
            }
            let failed_by: String =
                sqlx::query_scalar("SELECT failed_by FROM prove_jobs WHERE batch = 2")
                    .fetch_one(&store.pool)
                    .await
                    .unwrap();
            assert_eq!(failed_by, "w0", "failed at once, not tried elsewhere");
        })
        .await;
    }
}
