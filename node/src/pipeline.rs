//! Sealing and proving: the batcher seals the pool's oldest transactions
//! into a batch when the slots are full or the oldest has waited the batch
//! age; a witness thread applies each sealed batch under the native rules
//! and synthesizes its assignment while the batch before is being proven;
//! one prover thread, created once with the key loaded, proves them in
//! order and publishes each update with the ledger after it in one commit.

use crate::node::Shared;
use crate::store::{ProvenCommit, Store, StoredTx};
use stateproof_app::backend::{prover, BackendOptions};
use stateproof_app::AppProver;
use stateproof_circuits::ledger::State;
use stateproof_circuits::transfer::{TransferBatch, TransferShape};
use stateproof_prover::keys::Keys;
use stateproof_prover::transfer::{prepare_batch, prove_prepared, PreparedBatch};
use stateproof_verifier::LightClient;
use std::sync::atomic::Ordering;
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

/// Most batches sealed and waiting for the prover: one proving, one whose
/// witness is ready next. Later transactions wait in the pool, where they
/// fill the next batch's slots instead of sealing many small batches.
const MAX_IN_FLIGHT: u64 = 2;

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
        let ready = due.is_some_and(|d| d <= Instant::now()) && in_flight < MAX_IN_FLIGHT;
        if !ready {
            let wait = match due {
                Some(d) if in_flight < MAX_IN_FLIGHT => d.saturating_duration_since(Instant::now()),
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

/// A sealed batch with the ledger after it and its prepared proof, or why
/// it could not be prepared.
pub type Prepared = (Sealed, Result<(State, PreparedBatch), String>);

/// The witness thread: prepares each sealed batch in order from the ledger
/// the batch before leaves (`state`: the last proven one at start), at most
/// one batch ahead of the prover. Stops after a batch that cannot be
/// prepared (the prover then halts on it) or when either side is gone.
pub fn prepare(
    shape: TransferShape,
    mut state: State,
    sealed: mpsc::Receiver<Sealed>,
    to_prover: mpsc::SyncSender<Prepared>,
) {
    for batch in sealed {
        let transfers = TransferBatch { transfers: batch.txs.iter().map(|t| t.transfer).collect() };
        let prepared = prepare_batch(&shape, &state, &transfers).map_err(|e| e.to_string());
        let failed = prepared.is_err();
        if let Ok((next, _)) = &prepared {
            state = next.clone();
        }
        if to_prover.send((batch, prepared)).is_err() || failed {
            return;
        }
    }
}

/// The prover's side: the key, the prover on the chosen backends, and a
/// CPU prover made on the first backend fault.
pub struct ProverThread {
    /// The shared node.
    pub shared: Arc<Shared>,
    /// The runtime, for the store's calls.
    pub runtime: tokio::runtime::Handle,
    /// The key, loaded once.
    pub keys: Keys,
    /// The prover, created once.
    pub prover: AppProver,
    /// The ledger at the last proven root.
    pub state: State,
}

impl ProverThread {
    /// Proves sealed batches in order until the batcher is gone or a batch
    /// cannot be proven (then nothing later is published: no gaps).
    pub fn run(mut self, prepared: mpsc::Receiver<Prepared>) {
        let mut cpu: Option<AppProver> = None;
        for (batch, ready) in prepared {
            if let Err(e) = ready.and_then(|r| self.prove_one(&batch, r, &mut cpu)) {
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

    fn prove_one(
        &mut self,
        batch: &Sealed,
        (next, prepared): (State, PreparedBatch),
        cpu: &mut Option<AppProver>,
    ) -> Result<(), String> {
        let started = Instant::now();
        let ((update, timings), backend) = match prove_prepared(&self.prover, &self.keys, &prepared)
        {
            Ok(p) => (p, self.shared.backend.clone()),
            Err(e) if is_backend_fault(&e) => {
                tracing::warn!("batch {}: {e}; proving it again on the CPU", batch.n);
                self.shared.metrics.cpu_retry();
                if cpu.is_none() {
                    let backends = BackendOptions::cpu().open();
                    *cpu = Some(prover(&self.keys, &backends).map_err(|e| e.to_string())?);
                }
                let p = prove_prepared(cpu.as_ref().expect("made above"), &self.keys, &prepared)
                    .map_err(|e| e.to_string())?;
                (p, "cpu (after a backend fault)".to_string())
            }
            Err(e) => return Err(e.to_string()),
        };
        let took = started.elapsed();
        // The prover self-checked the proof; the update is checked once
        // more as a light client will, before anything is published.
        let old_root = self.state.root().0;
        let mut client = LightClient::new(self.keys.verifying_key.clone(), old_root);
        let new_root =
            client.apply(&update).map_err(|e| format!("the update does not verify: {e}"))?;
        if new_root != next.root().0 {
            return Err("the update's new root is not the ledger's".into());
        }
        let bytes = update.to_bytes();
        let touched = Store::touched(&batch.txs);
        let commit = ProvenCommit {
            n: batch.n,
            update: &bytes,
            old_root,
            state: &next,
            touched: &touched,
            prove_time: took,
            backend: &backend,
        };
        // A store that fails now may not in a second (a full disk freed, a
        // lock released); a proof is too costly to drop at the first error.
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
        self.shared.metrics.proven(&timings.phases());
        self.shared.pool_changed.notify_one();
        tracing::info!(
            "proved batch {} ({} transactions) in {:.2} s on {backend}",
            batch.n,
            batch.txs.len(),
            took.as_secs_f64()
        );
        Ok(())
    }
}

/// Whether a proof failed because of its backend (then the CPU may
/// succeed) rather than its witness.
fn is_backend_fault(e: &stateproof_prover::Error) -> bool {
    use stateproof_prover::Error as E;
    matches!(e, E::BackendFault { .. } | E::Unverifiable { .. } | E::Kernel(_))
}
