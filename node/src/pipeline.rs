//! Sealing, proving and publishing: the batcher seals the pool's oldest
//! transactions into a batch when the slots are full or the oldest has
//! waited the batch age; a witness thread applies each sealed batch under
//! the native rules and queues its prove job (the circuit's witness) in the
//! store; workers (`worker.rs`: in this process, or on other machines) prove
//! the jobs; the publisher takes each batch's proof in batch order, checks
//! it as a light client will, and publishes the update with the ledger
//! after it in one commit.

use crate::jobs::{JobKind, JobOutcome};
use crate::node::Shared;
use crate::store::{ProvenCommit, Store, StoredTx};
use stateproof_circuits::ledger::State;
use stateproof_circuits::transfer::{apply_batch, TransferBatch, TransferShape};
use stateproof_circuits::Fr;
use stateproof_verifier::{CompressedUpdate, LightClient, VerifyingKey};
use std::sync::atomic::Ordering;
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

/// Most batches sealed and not yet published, by default: one proving, one
/// queued next (`--in-flight` raises it for several workers). Later
/// transactions wait in the pool, where they fill the next batch's slots
/// instead of sealing many small batches.
pub const DEFAULT_IN_FLIGHT: u64 = 2;

/// Times a proven batch's commit is tried before the prover stops.
const COMMIT_ATTEMPTS: u32 = 10;

/// A sealed batch for the prover.
pub struct Sealed {
    /// Its number.
    pub n: u64,
    /// Its transactions, in slot order.
    pub txs: Vec<StoredTx>,
}

/// The batcher task: seals batches until the node stops.
pub async fn batcher(shared: Arc<Shared>, to_prover: mpsc::Sender<Sealed>, mut next: u64) {
    let slots = shared.meta.slots;
    loop {
        let due = {
            let pool = shared.pool.lock().expect("the pool lock is not poisoned");
            match pool.front() {
                None => None,
                Some(_) if pool.len() >= slots => Some(Instant::now()),
                Some((_, at)) => Some(*at + shared.batch_age),
            }
        };
        let in_flight = next - 1 - shared.proven_updates.load(Ordering::SeqCst);
        let ready = due.is_some_and(|d| d <= Instant::now()) && in_flight < shared.in_flight;
        if !ready {
            let wait = match due {
                Some(d) if in_flight < shared.in_flight => {
                    d.saturating_duration_since(Instant::now())
                }
                _ => Duration::from_secs(3600),
            };
            tokio::select! {
                _ = shared.pool_changed.notified() => {}
                _ = tokio::time::sleep(wait) => {}
            }
            continue;
        }
        let txs: Vec<StoredTx> = {
            let pool = shared.pool.lock().expect("the pool lock is not poisoned");
            pool.iter().take(slots).map(|(t, _)| t.clone()).collect()
        };
        let ids: Vec<&str> = txs.iter().map(|t| t.id.as_str()).collect();
        if let Err(e) = shared.store.seal(next, &ids).await {
            tracing::error!("batcher: {e}; retrying in a second");
            tokio::time::sleep(Duration::from_secs(1)).await;
            continue;
        }
        shared.pool.lock().expect("the pool lock is not poisoned").drain(..txs.len());
        shared.metrics.sealed();
        shared.sealed_batches.store(next, Ordering::SeqCst);
        tracing::info!("sealed batch {next} ({} transactions)", txs.len());
        if to_prover.send(Sealed { n: next, txs }).is_err() {
            return;
        }
        next += 1;
    }
}

/// A sealed batch applied: the ledger after it and its digest (what its
/// proof must show), or why it could not be applied.
pub type Applied = (Sealed, Result<(State, Fr), String>);

/// The witness thread: applies each sealed batch in order under the native
/// rules from the ledger the batch before leaves (`state`: the last proven
/// one at start), and queues its prove job with the circuit's witness.
/// Stops after a batch that cannot be applied (the publisher then halts on
/// it) or when either side is gone.
pub fn prepare(
    shared: Arc<Shared>,
    runtime: tokio::runtime::Handle,
    shape: TransferShape,
    mut state: State,
    sealed: mpsc::Receiver<Sealed>,
    to_publisher: mpsc::SyncSender<Applied>,
) {
    for batch in sealed {
        let transfers = TransferBatch { transfers: batch.txs.iter().map(|t| t.transfer).collect() };
        let roots = shared.meta.ledger_roots(&state);
        let applied = match apply_batch(&state, &roots, &transfers, shape.slots) {
            Ok((next, witness)) => {
                let inputs = witness.to_bytes();
                // A store that fails now may not in a second; the batch is
                // sealed and must be proven, so its job is queued whatever
                // it takes.
                while let Err(e) = runtime.block_on(shared.store.enqueue(
                    batch.n,
                    &shared.circuit,
                    &shared.meta.vk_fingerprint,
                    &inputs,
                )) {
                    tracing::warn!("batch {}: {e}; retrying in a second", batch.n);
                    std::thread::sleep(Duration::from_secs(1));
                }
                shared.job_queued.notify_one();
                state = next.clone();
                Ok((next, witness.digest))
            }
            Err(e) => Err(e.to_string()),
        };
        let failed = applied.is_err();
        if to_publisher.send((batch, applied)).is_err() || failed {
            return;
        }
    }
}

/// The publisher: waits for each batch's proof, in order, checks it as a
/// light client will, and publishes it with the ledger after it.
pub struct Publisher {
    /// The shared node.
    pub shared: Arc<Shared>,
    /// The runtime, for the store's calls.
    pub runtime: tokio::runtime::Handle,
    /// The verifying key.
    pub vk: VerifyingKey,
    /// The ledger at the last proven root.
    pub state: State,
}

/// How long the publisher waits between looks at a job not yet proven
/// (a worker in the node's process wakes it at once).
const JOB_POLL: Duration = Duration::from_millis(100);

/// How often the publisher looks again at a failed job, for an operator's
/// `stateproof node retry`.
const FAILED_POLL: Duration = Duration::from_secs(1);

impl Publisher {
    /// Publishes batches in order until the witness thread is gone or a
    /// batch cannot be applied (then nothing later is published: no gaps).
    /// A batch whose prove job failed holds publishing, the node halted
    /// with the reason, until the job is queued again.
    pub fn run(mut self, applied: mpsc::Receiver<Applied>) {
        for (batch, ready) in applied {
            if let Err(e) = ready.and_then(|a| self.publish(&batch, a)) {
                self.shared.metrics.failed();
                tracing::error!(
                    "batch {} cannot be proven: {e}; the node publishes nothing after update {}",
                    batch.n,
                    batch.n - 1
                );
                *self.shared.halted.lock().expect("lock") = Some(format!("batch {}: {e}", batch.n));
                return;
            }
        }
        // The witness thread is gone without handing over a failed batch:
        // it panicked. Say so, rather than stop publishing in silence.
        let why = "the witness thread stopped: no later batch is proven".to_string();
        tracing::error!("{why}");
        *self.shared.halted.lock().expect("lock") = Some(why);
    }

    /// Waits for batch `batch`'s proof and publishes it. Database errors
    /// are waited out (a server restarting); a proof that does not check
    /// is refused and its job queued again.
    fn publish(&mut self, batch: &Sealed, (next, digest): (State, Fr)) -> Result<(), String> {
        let mut store_down = false;
        let mut failed: Option<String> = None;
        let mut last_sweep = Instant::now();
        loop {
            let outcome =
                match self.runtime.block_on(self.shared.store.job_outcome(JobKind::Batch, batch.n))
                {
                    Ok(o) => o,
                    Err(e) => {
                        if !store_down {
                            tracing::warn!("batch {}: {e}; retrying every second", batch.n);
                            store_down = true;
                        }
                        std::thread::sleep(Duration::from_secs(1));
                        continue;
                    }
                };
            store_down = false;
            if let Some(halt) = failed.take_if(|_| !matches!(outcome, JobOutcome::Failed(_))) {
                let mut halted = self.shared.halted.lock().expect("lock");
                if halted.as_deref() == Some(halt.as_str()) {
                    *halted = None;
                }
                tracing::info!(
                    "batch {}: its prove job was queued again; publishing resumes",
                    batch.n
                );
            }
            match outcome {
                JobOutcome::Missing => return Err("its prove job is missing from the store".into()),
                JobOutcome::Failed(why) => {
                    // Nothing later is published (no gaps) until an operator
                    // mends the cause and queues the job again.
                    if failed.is_none() {
                        let halt = format!(
                            "batch {}: its prove job failed: {why}; `stateproof node retry` queues it again",
                            batch.n
                        );
                        tracing::error!(
                            "{halt}; the node publishes nothing after update {}",
                            batch.n - 1
                        );
                        self.shared.metrics.failed();
                        *self.shared.halted.lock().expect("lock") = Some(halt.clone());
                        failed = Some(halt);
                    }
                    std::thread::sleep(FAILED_POLL);
                    continue;
                }
                JobOutcome::Pending => {
                    if last_sweep.elapsed() > Duration::from_secs(1) {
                        last_sweep = Instant::now();
                        let _ = self
                            .runtime
                            .block_on(self.shared.store.expire_exhausted(JobKind::Batch));
                    }
                    self.runtime.block_on(async {
                        tokio::select! {
                            _ = self.shared.job_done.notified() => {}
                            _ = tokio::time::sleep(JOB_POLL) => {}
                        }
                    });
                }
                JobOutcome::Done { update, backend, prove_ms } => {
                    let publishing = Instant::now();
                    match self.check(&update, &next, digest) {
                        Ok(()) => {
                            let took = Duration::from_millis(prove_ms.max(0) as u64);
                            return self.commit(batch, &update, next, took, &backend, publishing);
                        }
                        Err(why) => {
                            tracing::warn!(
                                "batch {}: the proof from {backend} is refused ({why}); queued again",
                                batch.n
                            );
                            self.shared.metrics.rejected();
                            if let Err(e) = self.runtime.block_on(self.shared.store.reject(
                                JobKind::Batch,
                                batch.n,
                                &why,
                            )) {
                                tracing::warn!("batch {}: {e}", batch.n);
                                std::thread::sleep(Duration::from_secs(1));
                            }
                        }
                    }
                }
            }
        }
    }

    /// Checks a worker's update as a light client will: it verifies, moves
    /// the published root, and shows the ledger's new root and the batch's
    /// digest.
    fn check(&self, bytes: &[u8], next: &State, digest: Fr) -> Result<(), String> {
        let update = CompressedUpdate::from_bytes(bytes).map_err(|e| format!("unreadable: {e}"))?;
        let meta = &self.shared.meta;
        let mut client = LightClient::new(self.vk.clone(), meta.ledger_root(&self.state));
        let new_root = client.apply(&update).map_err(|e| format!("does not verify: {e}"))?;
        if new_root != meta.ledger_root(next) {
            return Err("its new root is not the ledger's".into());
        }
        if update.input("batch_digest").ok() != Some(digest) {
            return Err("its batch digest is not the sealed batch's".into());
        }
        Ok(())
    }

    fn commit(
        &mut self,
        batch: &Sealed,
        bytes: &[u8],
        next: State,
        took: Duration,
        backend: &str,
        publishing: Instant,
    ) -> Result<(), String> {
        let touched = Store::touched(&batch.txs);
        let commit = ProvenCommit {
            n: batch.n,
            update: bytes,
            old_root: self.shared.meta.ledger_root(&self.state),
            new_root: self.shared.meta.ledger_root(&next),
            state: &next,
            touched: &touched,
            prove_time: took,
            backend,
        };
        // A store that fails now may not in a second (a full disk freed, a
        // lock released, a server restarted); the proof is kept in its job
        // meanwhile, so a node that gives up finds it after a restart.
        let mut attempt = 0;
        while let Err(e) = self.runtime.block_on(self.shared.store.commit_proven(commit)) {
            attempt += 1;
            if attempt == COMMIT_ATTEMPTS {
                return Err(e.to_string());
            }
            tracing::warn!("batch {}: {e}; retrying the commit", batch.n);
            std::thread::sleep(Duration::from_secs(1));
        }
        self.state = next;
        *self.shared.proven.write().expect("lock") = (self.state.clone(), batch.n);
        self.shared.proven_updates.store(batch.n, Ordering::SeqCst);
        self.shared.metrics.proven();
        self.shared.pool_changed.notify_one();
        tracing::info!(
            "published update {} ({} transactions), proven in {:.2} s by {backend}; checked and committed in {:.1} ms",
            batch.n,
            batch.txs.len(),
            took.as_secs_f64(),
            publishing.elapsed().as_secs_f64() * 1e3
        );
        Ok(())
    }
}
