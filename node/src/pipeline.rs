//! Sealing, proving and publishing: the batcher seals the pool's oldest
//! transactions into a batch when the slots are full or the oldest has
//! waited the batch age; a witness thread applies each sealed batch under
//! the native rules and queues its prove job (the circuit's witness) in the
//! store; workers (`worker.rs`: in this process, or on other machines) prove
//! the jobs; the publisher takes each batch's proof in batch order, checks
//! it as a light client will, and publishes the update with the ledger
//! after it in one commit.
//!
//! A batch holds one kind of transaction (one circuit proves it): the
//! oldest pending transaction's kind, and the ones of that kind accepted
//! right after it (sponsorship commitments: of its epoch too), so that
//! batches apply in exactly the order intake accepted, and checked,
//! every transaction.

use crate::jobs::{JobKind, JobOutcome};
use crate::ledger::{apply_batch, Kind, Touched, Tx};
use crate::node::Shared;
use crate::store::{ProvenCommit, StoredTx};
use stateproof_circuits::book::Book;
use stateproof_circuits::Fr;
use stateproof_verifier::{CompressedUpdate, LightClient, VerifyingKey};
use std::collections::VecDeque;
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

/// Whether `b` may share a batch with `a` (the batch's first).
fn same_batch(a: &Tx, b: &Tx) -> bool {
    a.kind() == b.kind() && a.epoch() == b.epoch()
}

/// The next batch from the pool's front: how many transactions (at most
/// `slots(kind)`), whether it is as full as it will get, and when its
/// first arrived.
fn next_run(
    pool: &VecDeque<(StoredTx, Instant)>,
    slots: impl Fn(Kind) -> usize,
) -> Option<(usize, bool, Instant)> {
    let (first, at) = pool.front()?;
    let limit = slots(first.tx.kind()).max(1);
    let run = pool.iter().take(limit).take_while(|(t, _)| same_batch(&first.tx, &t.tx)).count();
    // A run cut short by another kind cannot grow.
    let full = run == limit || run < pool.len();
    Some((run, full, *at))
}

/// The batcher task: seals batches until the node stops.
pub async fn batcher(shared: Arc<Shared>, to_prover: mpsc::Sender<Sealed>, mut next: u64) {
    let slots = |kind: Kind| match (kind, &shared.rules) {
        (Kind::Transfer, _) | (_, None) => shared.meta.slots,
        (_, Some(rules)) => rules.config.slots,
    };
    loop {
        let due = {
            let pool = shared.pool.lock().expect("the pool lock is not poisoned");
            match next_run(&pool, slots) {
                None => None,
                Some((_, true, _)) => Some(Instant::now()),
                Some((_, false, at)) => Some(at + shared.batch_age),
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
            let run = next_run(&pool, slots).map_or(0, |(run, _, _)| run);
            pool.iter().take(run).map(|(t, _)| t.clone()).collect()
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
        let kind = txs.first().map_or("", |t| t.tx.kind().name());
        tracing::info!("sealed batch {next} ({} {kind} transactions)", txs.len());
        if to_prover.send(Sealed { n: next, txs }).is_err() {
            return;
        }
        next += 1;
    }
}

/// A sealed batch applied: the ledger after it, what it changed and the
/// public inputs its proof must show, or why it could not be applied.
pub type Applied = (Sealed, Result<(Book, Touched, Vec<Fr>), String>);

/// The witness thread: applies each sealed batch in order under the native
/// rules from the ledger the batch before leaves (`book`: the last proven
/// one at start), and queues its prove job with the circuit's witness.
/// Stops after a batch that cannot be applied (the publisher then halts on
/// it) or when either side is gone.
pub fn prepare(
    shared: Arc<Shared>,
    runtime: tokio::runtime::Handle,
    mut book: Book,
    sealed: mpsc::Receiver<Sealed>,
    to_publisher: mpsc::SyncSender<Applied>,
) {
    for batch in sealed {
        let txs: Vec<(&Tx, u64)> = batch.txs.iter().map(|t| (&t.tx, t.received_secs())).collect();
        let applied = apply_batch(&shared.meta, shared.rules.as_ref(), &book, &txs).and_then(|p| {
            let fingerprint = shared
                .fingerprint(p.circuit)
                .ok_or_else(|| format!("the node has no key of the {} circuit", p.circuit))?;
            // A store that fails now may not in a second; the batch is
            // sealed and must be proven, so its job is queued whatever
            // it takes.
            while let Err(e) =
                runtime.block_on(shared.store.enqueue(batch.n, p.circuit, fingerprint, &p.inputs))
            {
                if shared.stopping.load(Ordering::SeqCst) {
                    return Err(STOPPING.into());
                }
                tracing::warn!("batch {}: {e}; retrying in a second", batch.n);
                std::thread::sleep(Duration::from_secs(1));
            }
            shared.job_queued.notify_one();
            book = p.book.clone();
            Ok((p.book, p.touched, p.public))
        });
        let failed = applied.is_err();
        if to_publisher.send((batch, applied)).is_err() || failed {
            return;
        }
    }
}

/// Why the publisher stopped waiting: the node is stopping.
const STOPPING: &str = "the node is stopping";

/// The publisher: waits for each batch's proof, in order, checks it as a
/// light client will, and publishes it with the ledger after it.
pub struct Publisher {
    /// The shared node.
    pub shared: Arc<Shared>,
    /// The runtime, for the store's calls.
    pub runtime: tokio::runtime::Handle,
    /// The verifying keys of the node's circuits.
    pub keys: Vec<VerifyingKey>,
    /// The ledger at the last proven root.
    pub book: Book,
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
                if self.shared.stopping.load(Ordering::SeqCst) {
                    return;
                }
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
        // the node is stopping, or it panicked. Say so, rather than stop
        // publishing in silence.
        if self.shared.stopping.load(Ordering::SeqCst) {
            return;
        }
        let why = "the witness thread stopped: no later batch is proven".to_string();
        tracing::error!("{why}");
        *self.shared.halted.lock().expect("lock") = Some(why);
    }

    /// Waits for batch `batch`'s proof and publishes it. Database errors
    /// are waited out (a server restarting); a proof that does not check
    /// is refused and its job queued again.
    fn publish(
        &mut self,
        batch: &Sealed,
        (next, touched, public): (Book, Touched, Vec<Fr>),
    ) -> Result<(), String> {
        let mut store_down = false;
        let mut failed: Option<String> = None;
        let mut last_sweep = Instant::now();
        loop {
            if self.shared.stopping.load(Ordering::SeqCst) {
                return Err(STOPPING.into());
            }
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
                    match self.check(&update, &next, &public) {
                        Ok(()) => {
                            let took = Duration::from_millis(prove_ms.max(0) as u64);
                            let proven = (next, touched);
                            return self.commit(batch, &update, proven, took, &backend, publishing);
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

    /// Checks a worker's update as a light client will: it verifies under
    /// one of the node's keys, moves the published root to the ledger's
    /// new root, and shows every public input the batch's witness has
    /// (its digest, its time).
    fn check(&self, bytes: &[u8], next: &Book, public: &[Fr]) -> Result<(), String> {
        let update = CompressedUpdate::from_bytes(bytes).map_err(|e| format!("unreadable: {e}"))?;
        let mut client = LightClient::with_keys(self.keys.clone(), self.book.root())
            .map_err(|e| format!("the node's keys: {e}"))?;
        let new_root = client.apply(&update).map_err(|e| format!("does not verify: {e}"))?;
        if new_root != next.root() {
            return Err("its new root is not the ledger's".into());
        }
        if update.public_inputs.iter().map(|(_, v)| *v).ne(public.iter().copied()) {
            return Err("its public inputs are not the sealed batch's".into());
        }
        Ok(())
    }

    fn commit(
        &mut self,
        batch: &Sealed,
        bytes: &[u8],
        (next, touched): (Book, Touched),
        took: Duration,
        backend: &str,
        publishing: Instant,
    ) -> Result<(), String> {
        let commit = ProvenCommit {
            n: batch.n,
            update: bytes,
            old_root: self.book.root(),
            new_root: next.root(),
            book: &next,
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
        self.book = next;
        *self.shared.proven.write().expect("lock") = (self.book.clone(), batch.n);
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
