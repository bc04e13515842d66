//! The prove-job queue, in the node's own database (SQLite or PostgreSQL):
//! no queue protocol of its own. The node enqueues one job per sealed batch
//! (the circuit's witness); workers, in the node's process or on other
//! machines, claim jobs under a lease they renew while they prove, and
//! store the proof; the node verifies each proof and publishes updates in
//! batch order.
//!
//! Claims take the oldest claimable job: queued, or claimed under a lease
//! that has lapsed (its worker died), and not past its attempts. On
//! PostgreSQL the claim's row lock is taken `FOR UPDATE SKIP LOCKED`, so
//! concurrent claimers never wait on each other nor take one job twice; on
//! SQLite the single `UPDATE` is atomic by itself. Every claim gets a fresh
//! token: completing, failing or renewing names it, so a worker whose
//! lease was taken over can do none of them (two workers racing for one
//! job never both complete it).

use crate::store::{now_ms, Engine, Store};
use sqlx::Row;
use stateproof_app::Result;
use std::time::Duration;

/// Claims of one job before it is marked failed: a job that fails (or
/// whose workers die) this often is not retried again, and the node halts
/// on it rather than publish a gap.
pub const MAX_ATTEMPTS: i64 = 3;

/// How long a worker that failed a job waits before it may claim that job
/// again, so that another worker gets the retry when there is one.
pub const RETRY_ELSEWHERE: Duration = Duration::from_secs(10);

/// The prefix of the in-process workers' names: a starting node releases
/// what its own workers held when it stopped.
pub const LOCAL_WORKER_PREFIX: &str = "node/";

/// The two kinds of job, each in its own table with the same columns
/// (the queue code is one): the node's batches, and circom proof requests
/// (see [`crate::circom`]). Workers take batch jobs first: the ledger
/// waits on them in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobKind {
    /// A sealed batch's transfer proof; its number is the batch's.
    Batch,
    /// A circom proof request; its number orders the requests.
    Circom,
}

impl JobKind {
    /// Both kinds, in the order workers look for them.
    pub const ALL: [JobKind; 2] = [JobKind::Batch, JobKind::Circom];

    fn table(self) -> &'static str {
        match self {
            JobKind::Batch => "prove_jobs",
            JobKind::Circom => "circom_jobs",
        }
    }

    /// The column that numbers the jobs.
    fn seq(self) -> &'static str {
        match self {
            JobKind::Batch => "batch",
            JobKind::Circom => "seq",
        }
    }

    /// The column that holds the proof.
    fn output(self) -> &'static str {
        match self {
            JobKind::Batch => "update_bytes",
            JobKind::Circom => "output",
        }
    }

    /// In words, for logs: "batch 4", "circom job 7".
    pub fn describe(self, seq: u64) -> String {
        match self {
            JobKind::Batch => format!("batch {seq}"),
            JobKind::Circom => format!("circom job {seq}"),
        }
    }
}

/// A claimed job.
#[derive(Clone, Debug)]
pub struct Job {
    /// Its kind.
    pub kind: JobKind,
    /// Its number: the batch it proves, or the circom request's.
    pub seq: u64,
    /// The circuit.
    pub circuit: String,
    /// The proving key's fingerprint (hex).
    pub key_fingerprint: String,
    /// The circuit's witness, encoded (a [`TransferWitness`], or the circom
    /// witness's values, 32 bytes little-endian each).
    ///
    /// [`TransferWitness`]: stateproof_circuits::transfer::TransferWitness
    pub inputs: Vec<u8>,
    /// This claim's token.
    pub claim: i64,
    /// Claims so far, this one included.
    pub attempts: i64,
}

/// Where a job is, as the node polls it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JobOutcome {
    /// No such job.
    Missing,
    /// Queued or being proven.
    Pending,
    /// Proven: the update's bytes, what proved it, and how long it took.
    Done {
        /// The update.
        update: Vec<u8>,
        /// The worker and its backend, in words.
        backend: String,
        /// Proof time.
        prove_ms: i64,
    },
    /// Given up on, with the last reason.
    Failed(String),
}

/// Whether a failed job is worth another worker's attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Retry {
    /// The worker or its device failed: queue it again (within the job's
    /// attempts), for another worker first.
    Elsewhere,
    /// The job's own input is at fault (a witness that does not satisfy
    /// its circuit): fail it now.
    Never,
}

/// Jobs by state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct JobCounts {
    /// Waiting for a worker.
    pub queued: u64,
    /// Being proven.
    pub claimed: u64,
    /// Proven.
    pub done: u64,
    /// Given up on.
    pub failed: u64,
}

fn ms(d: Duration) -> i64 {
    d.as_millis().min(i64::MAX as u128) as i64
}

impl Store {
    /// Queues batch `batch`'s job unless it is queued already (a restarted
    /// node enqueues its unproven batches again; the first job stands).
    pub async fn enqueue(
        &self,
        batch: u64,
        circuit: &str,
        key_fingerprint: &str,
        inputs: &[u8],
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO prove_jobs (batch, circuit, key_fingerprint, inputs, state, created_at) VALUES ($1, $2, $3, $4, 'queued', $5) ON CONFLICT (batch) DO NOTHING",
        )
        .bind(batch as i64)
        .bind(circuit)
        .bind(key_fingerprint)
        .bind(inputs)
        .bind(now_ms())
        .execute(&self.pool)
        .await
        .map(|_| ())
        .map_err(|e| self.error("queueing a prove job", e))
    }

    /// Claims the oldest claimable job of `kind` for `worker` under a
    /// lease of `lease`, if there is one.
    pub async fn claim(&self, kind: JobKind, worker: &str, lease: Duration) -> Result<Option<Job>> {
        let lock = match self.engine {
            Engine::Postgres => "FOR UPDATE SKIP LOCKED",
            Engine::Sqlite => "",
        };
        let (table, seq) = (kind.table(), kind.seq());
        let now = now_ms();
        let sql = format!(
            "UPDATE {table} SET state = 'claimed', claim = $1, worker = $2, lease_until = $3, attempts = attempts + 1 \
             WHERE {seq} = (SELECT {seq} FROM {table} \
                 WHERE state IN ('queued', 'claimed') AND attempts < $4 AND (state = 'queued' OR lease_until < $5) \
                 AND (failed_by IS NULL OR failed_by <> $2 OR failed_at < $6) \
                 ORDER BY {seq} LIMIT 1 {lock}) \
             RETURNING {seq}, circuit, key_fingerprint, inputs, claim, attempts"
        );
        let claim = claim_token();
        let row = sqlx::query(&sql)
            .bind(claim)
            .bind(worker)
            .bind(now.saturating_add(ms(lease)))
            .bind(MAX_ATTEMPTS)
            .bind(now)
            .bind(now - ms(RETRY_ELSEWHERE))
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| self.error("claiming a prove job", e))?;
        Ok(row.map(|r| Job {
            kind,
            seq: r.get::<i64, _>(0) as u64,
            circuit: r.get(1),
            key_fingerprint: r.get(2),
            inputs: r.get(3),
            claim: r.get(4),
            attempts: r.get(5),
        }))
    }

    /// Claims the oldest claimable job of the first kind (in
    /// [`JobKind::ALL`]'s order) that has one.
    pub async fn claim_any(&self, worker: &str, lease: Duration) -> Result<Option<Job>> {
        for kind in JobKind::ALL {
            if let Some(job) = self.claim(kind, worker, lease).await? {
                return Ok(Some(job));
            }
        }
        Ok(None)
    }

    /// Extends a claim's lease; false when the claim is no longer held
    /// (it lapsed and another worker took the job).
    pub async fn renew(&self, job: &Job, lease: Duration) -> Result<bool> {
        let (table, seq) = (job.kind.table(), job.kind.seq());
        let done = sqlx::query(&format!(
            "UPDATE {table} SET lease_until = $1 WHERE {seq} = $2 AND claim = $3 AND state = 'claimed'"
        ))
        .bind(now_ms().saturating_add(ms(lease)))
        .bind(job.seq as i64)
        .bind(job.claim)
        .execute(&self.pool)
        .await
        .map_err(|e| self.error("renewing a lease", e))?;
        Ok(done.rows_affected() == 1)
    }

    /// Stores a claim's proof; false (and nothing stored) when the claim is
    /// no longer held.
    pub async fn complete(
        &self,
        job: &Job,
        output: &[u8],
        backend: &str,
        prove_time: Duration,
    ) -> Result<bool> {
        let (table, seq, column) = (job.kind.table(), job.kind.seq(), job.kind.output());
        let done = sqlx::query(&format!(
            "UPDATE {table} SET state = 'done', {column} = $1, backend = $2, prove_ms = $3, finished_at = $4, lease_until = NULL \
             WHERE {seq} = $5 AND claim = $6 AND state = 'claimed'"
        ))
        .bind(output)
        .bind(backend)
        .bind(ms(prove_time))
        .bind(now_ms())
        .bind(job.seq as i64)
        .bind(job.claim)
        .execute(&self.pool)
        .await
        .map_err(|e| self.error("storing a proof", e))?;
        Ok(done.rows_affected() == 1)
    }

    /// Gives up a claim with the reason: the job is queued again for
    /// another worker, or marked failed once it has had its attempts (or
    /// at once when `retry` is [`Retry::Never`]: its input is at fault,
    /// not the worker).
    pub async fn fail(&self, job: &Job, worker: &str, error: &str, retry: Retry) -> Result<bool> {
        let (table, seq) = (job.kind.table(), job.kind.seq());
        let attempts = match retry {
            Retry::Elsewhere => MAX_ATTEMPTS,
            Retry::Never => 0,
        };
        let done = sqlx::query(&format!(
            "UPDATE {table} SET state = CASE WHEN attempts >= $1 THEN 'failed' ELSE 'queued' END, \
             error = $2, failed_by = $3, failed_at = $4, claim = NULL, lease_until = NULL \
             WHERE {seq} = $5 AND claim = $6 AND state = 'claimed'"
        ))
        .bind(attempts)
        .bind(error)
        .bind(worker)
        .bind(now_ms())
        .bind(job.seq as i64)
        .bind(job.claim)
        .execute(&self.pool)
        .await
        .map_err(|e| self.error("failing a prove job", e))?;
        Ok(done.rows_affected() == 1)
    }

    /// Refuses a proven job's proof (the node found it does not verify):
    /// queued again for another worker, or failed after its attempts.
    pub async fn reject(&self, kind: JobKind, n: u64, error: &str) -> Result<()> {
        let (table, seq, column) = (kind.table(), kind.seq(), kind.output());
        sqlx::query(&format!(
            "UPDATE {table} SET state = CASE WHEN attempts >= $1 THEN 'failed' ELSE 'queued' END, \
             error = $2, failed_by = worker, failed_at = $3, {column} = NULL, claim = NULL \
             WHERE {seq} = $4 AND state = 'done'"
        ))
        .bind(MAX_ATTEMPTS)
        .bind(error)
        .bind(now_ms())
        .bind(n as i64)
        .execute(&self.pool)
        .await
        .map(|_| ())
        .map_err(|e| self.error("refusing a proof", e))
    }

    /// Marks failed the jobs whose last lease lapsed with no attempts left
    /// (their workers died mid-proof every time); returns how many.
    pub async fn expire_exhausted(&self, kind: JobKind) -> Result<u64> {
        let done = sqlx::query(&format!(
            "UPDATE {} SET state = 'failed', error = $1, claim = NULL \
             WHERE state = 'claimed' AND lease_until < $2 AND attempts >= $3",
            kind.table()
        ))
        .bind(format!("{MAX_ATTEMPTS} workers stopped renewing their lease on this job"))
        .bind(now_ms())
        .bind(MAX_ATTEMPTS)
        .execute(&self.pool)
        .await
        .map_err(|e| self.error("expiring prove jobs", e))?;
        Ok(done.rows_affected())
    }

    /// Queues again, without counting the attempt, the jobs of every kind
    /// held by workers whose names start with `prefix`: a node starting
    /// releases what its own in-process workers held when it stopped,
    /// rather than wait out their leases.
    pub async fn release_claims(&self, prefix: &str) -> Result<u64> {
        let mut released = 0;
        for kind in JobKind::ALL {
            let done = sqlx::query(&format!(
                "UPDATE {} SET state = 'queued', claim = NULL, lease_until = NULL, attempts = attempts - 1 \
                 WHERE state = 'claimed' AND worker LIKE $1",
                kind.table()
            ))
            .bind(format!("{prefix}%"))
            .execute(&self.pool)
            .await
            .map_err(|e| self.error("releasing prove jobs", e))?;
            released += done.rows_affected();
        }
        Ok(released)
    }

    /// Queues again the failed jobs of `kind` (only job `only`, when
    /// given), with their attempts back at zero, once an operator has
    /// mended what failed them; returns each one's number and the reason
    /// it had failed. Jobs in any other state are left alone.
    pub async fn requeue_failed(
        &self,
        kind: JobKind,
        only: Option<u64>,
    ) -> Result<Vec<(u64, String)>> {
        let (table, seq) = (kind.table(), kind.seq());
        // -1: every job (numbers are from 1); a number past i64 names none.
        let only = match only.map(i64::try_from) {
            None => -1,
            Some(Ok(n)) => n,
            Some(Err(_)) => return Ok(vec![]),
        };
        // One statement: a job that fails meanwhile is either in it or not.
        let failed = sqlx::query(&format!(
            "UPDATE {table} SET state = 'queued', attempts = 0, claim = NULL, worker = NULL, \
             lease_until = NULL, failed_by = NULL, failed_at = NULL \
             WHERE state = 'failed' AND ($1 < 0 OR {seq} = $1) RETURNING {seq}, error"
        ))
        .bind(only)
        .fetch_all(&self.pool)
        .await
        .map_err(|e| self.error("queueing failed jobs again", e))?;
        let mut failed: Vec<(u64, String)> = failed
            .into_iter()
            .map(|r| (r.get::<i64, _>(0) as u64, r.get::<Option<String>, _>(1).unwrap_or_default()))
            .collect();
        failed.sort();
        Ok(failed)
    }

    /// Where job `n` of `kind` is.
    pub async fn job_outcome(&self, kind: JobKind, n: u64) -> Result<JobOutcome> {
        let row = sqlx::query(&format!(
            "SELECT state, {}, worker, backend, prove_ms, error FROM {} WHERE {} = $1",
            kind.output(),
            kind.table(),
            kind.seq()
        ))
        .bind(n as i64)
        .fetch_optional(&self.pool)
        .await
        .map_err(|e| self.error("reading a prove job", e))?;
        let Some(r) = row else { return Ok(JobOutcome::Missing) };
        let state: String = r.get(0);
        Ok(match state.as_str() {
            "done" | "checked" => {
                let worker: Option<String> = r.get(2);
                let backend: Option<String> = r.get(3);
                JobOutcome::Done {
                    update: r.get::<Option<Vec<u8>>, _>(1).unwrap_or_default(),
                    backend: format!(
                        "{} on {}",
                        backend.unwrap_or_default(),
                        worker.unwrap_or_default()
                    ),
                    prove_ms: r.get::<Option<i64>, _>(4).unwrap_or(0),
                }
            }
            "failed" => JobOutcome::Failed(r.get::<Option<String>, _>(5).unwrap_or_default()),
            _ => JobOutcome::Pending,
        })
    }

    /// Jobs of `kind` by state.
    pub async fn job_counts(&self, kind: JobKind) -> Result<JobCounts> {
        let rows =
            sqlx::query(&format!("SELECT state, COUNT(*) FROM {} GROUP BY state", kind.table()))
                .fetch_all(&self.pool)
                .await
                .map_err(|e| self.error("counting prove jobs", e))?;
        let mut c = JobCounts::default();
        for r in rows {
            let n = r.get::<i64, _>(1) as u64;
            match r.get::<String, _>(0).as_str() {
                "queued" => c.queued = n,
                "claimed" => c.claimed = n,
                "done" | "checked" => c.done += n,
                _ => c.failed += n,
            }
        }
        Ok(c)
    }

    /// Stores a proving key file's bytes for workers, unless one with this
    /// fingerprint is stored already.
    pub async fn put_proving_key(
        &self,
        fingerprint: &str,
        circuit: &str,
        bytes: &[u8],
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO proving_keys (fingerprint, circuit, bytes) VALUES ($1, $2, $3) ON CONFLICT (fingerprint) DO NOTHING",
        )
        .bind(fingerprint)
        .bind(circuit)
        .bind(bytes)
        .execute(&self.pool)
        .await
        .map(|_| ())
        .map_err(|e| self.error("storing a proving key", e))
    }

    /// Whether a proving key with this fingerprint is stored.
    pub async fn has_proving_key(&self, fingerprint: &str) -> Result<bool> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM proving_keys WHERE fingerprint = $1")
            .bind(fingerprint)
            .fetch_one(&self.pool)
            .await
            .map_err(|e| self.error("reading proving keys", e))?;
        Ok(n > 0)
    }

    /// A stored proving key file's bytes.
    pub async fn proving_key(&self, fingerprint: &str) -> Result<Option<Vec<u8>>> {
        sqlx::query_scalar("SELECT bytes FROM proving_keys WHERE fingerprint = $1")
            .bind(fingerprint)
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| self.error("reading a proving key", e))
    }
}

/// A fresh claim token: a hash of the process, the time and a counter, so
/// that no two claims of one job share one.
fn claim_token() -> i64 {
    static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let mut h = blake3::Hasher::new();
    h.update(&std::process::id().to_le_bytes());
    h.update(&now_ms().to_le_bytes());
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    h.update(&nanos.to_le_bytes());
    h.update(&N.fetch_add(1, std::sync::atomic::Ordering::Relaxed).to_le_bytes());
    i64::from_le_bytes(h.finalize().as_bytes()[..8].try_into().expect("8 bytes"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdb;

    const LEASE: Duration = Duration::from_secs(30);

    async fn with_jobs(store: &Store, batches: std::ops::RangeInclusive<u64>) {
        for n in batches {
            store.seal(n, &[]).await.expect("seal");
            store.enqueue(n, "transfer-batch", "fp", &n.to_le_bytes()).await.expect("enqueue");
        }
    }

    async fn on_each_engine<F, Fut>(test: F)
    where
        F: Fn(Store) -> Fut,
        Fut: std::future::Future<Output = ()>,
    {
        testdb::on_each_engine("jobs", test).await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_claimers_take_each_job_exactly_once() {
        on_each_engine(|store| async move {
            with_jobs(&store, 1..=40).await;
            let mut tasks = Vec::new();
            for w in 0..8 {
                let store = store.clone();
                tasks.push(tokio::spawn(async move {
                    let mut mine = Vec::new();
                    while let Some(job) =
                        store.claim(JobKind::Batch, &format!("w{w}"), LEASE).await.expect("claim")
                    {
                        assert!(store
                            .complete(&job, b"proof", "cpu", Duration::ZERO)
                            .await
                            .expect("complete"));
                        mine.push(job.seq);
                    }
                    mine
                }));
            }
            let mut all = Vec::new();
            for t in tasks {
                all.extend(t.await.expect("task"));
            }
            all.sort_unstable();
            assert_eq!(all, (1..=40).collect::<Vec<_>>());
            let counts = store.job_counts(JobKind::Batch).await.expect("counts");
            assert_eq!(counts, JobCounts { done: 40, ..JobCounts::default() });
        })
        .await;
    }

    #[tokio::test]
    async fn a_lapsed_lease_hands_the_job_over_and_the_old_claim_can_do_nothing() {
        on_each_engine(|store| async move {
            with_jobs(&store, 1..=1).await;
            let first = store
                .claim(JobKind::Batch, "a", Duration::ZERO)
                .await
                .expect("claim")
                .expect("a job");
            tokio::time::sleep(Duration::from_millis(5)).await;
            let second = store
                .claim(JobKind::Batch, "b", LEASE)
                .await
                .expect("claim")
                .expect("the lapsed job");
            assert_eq!((second.seq, second.attempts), (1, 2));
            assert!(!store.renew(&first, LEASE).await.expect("renew"), "the old claim renewed");
            assert!(!store
                .complete(&first, b"old", "cpu", Duration::ZERO)
                .await
                .expect("complete"));
            assert!(!store.fail(&first, "a", "late", Retry::Elsewhere).await.expect("fail"));
            assert!(store.renew(&second, LEASE).await.expect("renew"));
            assert!(store
                .complete(&second, b"new", "cpu", Duration::ZERO)
                .await
                .expect("complete"));
            // Done once: neither claim can complete it again.
            assert!(!store
                .complete(&second, b"again", "cpu", Duration::ZERO)
                .await
                .expect("complete"));
            match store.job_outcome(JobKind::Batch, 1).await.expect("outcome") {
                JobOutcome::Done { update, backend, .. } => {
                    assert_eq!(update, b"new");
                    assert_eq!(backend, "cpu on b");
                }
                other => panic!("{other:?}"),
            }
            assert!(store.claim(JobKind::Batch, "c", LEASE).await.expect("claim").is_none());
        })
        .await;
    }

    #[tokio::test]
    async fn a_failed_job_goes_to_another_worker_then_fails_after_its_attempts() {
        on_each_engine(|store| async move {
            with_jobs(&store, 1..=1).await;
            let job = store.claim(JobKind::Batch, "a", LEASE).await.expect("claim").expect("a job");
            assert!(store.fail(&job, "a", "device lost", Retry::Elsewhere).await.expect("fail"));
            // Not `a` again (within the retry delay), but `b`.
            assert!(store.claim(JobKind::Batch, "a", LEASE).await.expect("claim").is_none());
            let job =
                store.claim(JobKind::Batch, "b", LEASE).await.expect("claim").expect("the retry");
            assert!(store.fail(&job, "b", "device lost", Retry::Elsewhere).await.expect("fail"));
            let job = store
                .claim(JobKind::Batch, "c", LEASE)
                .await
                .expect("claim")
                .expect("the last try");
            assert_eq!(job.attempts, MAX_ATTEMPTS);
            assert!(store
                .fail(&job, "c", "the witness does not satisfy", Retry::Elsewhere)
                .await
                .expect("fail"));
            assert_eq!(
                store.job_outcome(JobKind::Batch, 1).await.expect("outcome"),
                JobOutcome::Failed("the witness does not satisfy".into())
            );
            assert!(store.claim(JobKind::Batch, "d", LEASE).await.expect("claim").is_none());

            // An operator queues it again: any worker, all attempts back.
            for n in [2, u64::MAX] {
                let none = store.requeue_failed(JobKind::Batch, Some(n)).await.expect("requeue");
                assert!(none.is_empty(), "job {n} does not exist: {none:?}");
            }
            let again = store.requeue_failed(JobKind::Batch, None).await.expect("requeue");
            assert_eq!(again, vec![(1, "the witness does not satisfy".to_string())]);
            assert_eq!(
                store.job_outcome(JobKind::Batch, 1).await.expect("outcome"),
                JobOutcome::Pending
            );
            let job =
                store.claim(JobKind::Batch, "c", LEASE).await.expect("claim").expect("requeued");
            assert_eq!(job.attempts, 1);
            assert!(store.requeue_failed(JobKind::Batch, None).await.expect("requeue").is_empty());
        })
        .await;
    }

    #[tokio::test]
    async fn a_rejected_proof_is_queued_again_and_dead_workers_exhaust_a_job() {
        on_each_engine(|store| async move {
            with_jobs(&store, 1..=2).await;
            let job = store.claim(JobKind::Batch, "a", LEASE).await.expect("claim").expect("a job");
            assert!(store.complete(&job, b"bad", "gpu", Duration::ZERO).await.expect("complete"));
            store.reject(JobKind::Batch, 1, "the proof does not verify").await.expect("reject");
            assert_eq!(
                store.job_outcome(JobKind::Batch, 1).await.expect("outcome"),
                JobOutcome::Pending
            );
            let retry =
                store.claim(JobKind::Batch, "b", LEASE).await.expect("claim").expect("the retry");
            assert_eq!(retry.seq, 1);
            // Job 2's workers all die: three lapsed leases, then failed.
            for w in ["x", "y", "z"] {
                let job = store
                    .claim(JobKind::Batch, w, Duration::ZERO)
                    .await
                    .expect("claim")
                    .expect("job 2");
                assert_eq!(job.seq, 2);
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            assert_eq!(store.expire_exhausted(JobKind::Batch).await.expect("expire"), 1);
            assert!(matches!(
                store.job_outcome(JobKind::Batch, 2).await.expect("outcome"),
                JobOutcome::Failed(_)
            ));
        })
        .await;
    }

    #[tokio::test]
    async fn a_restarted_node_releases_its_own_claims_only_and_enqueue_is_idempotent() {
        on_each_engine(|store| async move {
            with_jobs(&store, 1..=2).await;
            let ours =
                store.claim(JobKind::Batch, "node/1", LEASE).await.expect("claim").expect("a job");
            let theirs =
                store.claim(JobKind::Batch, "remote", LEASE).await.expect("claim").expect("a job");
            assert_eq!(store.release_claims(LOCAL_WORKER_PREFIX).await.expect("release"), 1);
            let again = store
                .claim(JobKind::Batch, "node/1", LEASE)
                .await
                .expect("claim")
                .expect("released");
            assert_eq!((again.seq, again.attempts), (ours.seq, 1));
            assert!(store.renew(&theirs, LEASE).await.expect("renew"));
            // Enqueueing a batch again keeps the first job.
            store.enqueue(ours.seq, "transfer-batch", "fp", b"other").await.expect("enqueue");
            // (A replaced job would have lost this claim.)
            assert!(store.complete(&again, b"p", "cpu", Duration::ZERO).await.expect("complete"));
        })
        .await;
    }

    #[tokio::test]
    async fn proving_keys_are_stored_once_by_fingerprint() {
        on_each_engine(|store| async move {
            assert!(!store.has_proving_key("ab").await.expect("has"));
            store.put_proving_key("ab", "transfer-batch", b"first").await.expect("put");
            store.put_proving_key("ab", "transfer-batch", b"second").await.expect("put");
            assert_eq!(store.proving_key("ab").await.expect("get"), Some(b"first".to_vec()));
            assert_eq!(store.proving_key("cd").await.expect("get"), None);
        })
        .await;
    }
}
