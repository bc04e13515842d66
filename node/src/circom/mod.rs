//! The circom proving service: clients upload snarkjs Groth16 zkeys once
//! (`POST /v1/circom/keys`, validated in full, stored by the blake3 hash of
//! their bytes) and then ask for proofs (`POST /v1/circom/proofs?key=ID`
//! with a circom `.wtns`, or its values as snarkjs's JSON), which they
//! collect as snarkjs's `proof.json` and `public.json`
//! (`GET /v1/circom/proofs/{id}`).
//!
//! Requests are jobs of the node's one queue ([`crate::jobs`], kind
//! [`JobKind::Circom`]): the same workers, leases and retries as the
//! batches', batches first. Workers keep recently used zkeys prepared
//! within a memory budget ([`KeyCache`], `--key-cache-mb`).
//!
//! Nothing a worker stores is served unchecked: the public signals are
//! computed here from the witness when the request arrives, and each proof
//! is verified against the zkey's verifying key before it is first served;
//! one that fails is queued again for another worker.

use crate::api::{error, query_pairs, read_body_within, storage};
use crate::jobs::{Job, JobKind, Retry};
use crate::node::Shared;
use crate::store::{now_ms, Store};
use crate::wire::ErrorBody;
use ark_bn254::Fr;
use ark_ff::{BigInteger, One, PrimeField, UniformRand};
use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use sqlx::Row;
use stateproof_app::Result;
use stateproof_kernels::Backends;
use stateproof_prover::circom::{parse_wtns, parse_zkey, CircomError, ZkeyProver};
use stateproof_verifier::{snarkjs, verify_proof, Proof, VerifyingKey};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use utoipa::ToSchema;

/// The circuit column of circom jobs.
pub const CIRCUIT: &str = "circom";
/// The default upload limit (a zkey or a witness), in MiB.
pub const DEFAULT_MAX_UPLOAD_MB: usize = 512;
/// The default budget of a worker's prepared zkeys, in MiB.
pub const DEFAULT_KEY_CACHE_MB: usize = 1024;
/// How long a client may take to send an upload.
const UPLOAD_TIMEOUT: Duration = Duration::from_secs(300);
/// zkeys validated at once (each holds its bytes and its parsed points).
const CONCURRENT_KEY_UPLOADS: usize = 2;

/// The service's settings and what it keeps in memory, in the node.
pub struct Service {
    /// The largest body `POST /v1/circom/...` takes.
    pub max_upload: usize,
    /// Limits zkey validations at once.
    uploads: tokio::sync::Semaphore,
    /// Verifying keys already parsed, by key id.
    vks: Mutex<HashMap<String, Arc<VerifyingKey>>>,
}

impl Service {
    /// A service taking uploads of up to `max_upload` bytes.
    pub fn new(max_upload: usize) -> Self {
        Self {
            max_upload,
            uploads: tokio::sync::Semaphore::new(CONCURRENT_KEY_UPLOADS),
            vks: Mutex::new(HashMap::new()),
        }
    }
}

/// A stored zkey's facts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CircomKey {
    /// The blake3 hash of the zkey's bytes, hex.
    pub id: String,
    /// Witness length, the constant 1 included.
    pub variables: u64,
    /// Public signals (outputs, then public inputs).
    pub public_signals: u64,
    /// The QAP domain.
    pub domain_size: u64,
    /// snarkjs's verification_key.json.
    pub vk_json: String,
}

/// A proof request, as stored.
#[derive(Clone, Debug)]
pub struct CircomRequest {
    /// Its place in the queue.
    pub seq: u64,
    /// The zkey's id.
    pub key: String,
    /// queued, claimed, done (not yet checked), checked or failed.
    pub state: String,
    /// The proof, compressed, once proven.
    pub output: Option<Vec<u8>>,
    /// public.json, computed from the witness on arrival.
    pub public_json: String,
    /// Why it last failed.
    pub error: Option<String>,
    /// Who proved it, with what.
    pub worker: Option<String>,
    /// The backend, in words.
    pub backend: Option<String>,
    /// Proof time.
    pub prove_ms: Option<i64>,
    /// Claims so far.
    pub attempts: i64,
}

impl Store {
    /// Stores a validated zkey unless one with its id is stored already;
    /// true when it was new.
    pub async fn put_circom_key(&self, key: &CircomKey, bytes: &[u8]) -> Result<bool> {
        let done = sqlx::query(
            "INSERT INTO circom_keys (id, bytes, variables, public_signals, domain_size, vk_json, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING",
        )
        .bind(&key.id)
        .bind(bytes)
        .bind(key.variables as i64)
        .bind(key.public_signals as i64)
        .bind(key.domain_size as i64)
        .bind(&key.vk_json)
        .bind(now_ms())
        .execute(&self.pool)
        .await
        .map_err(|e| self.error("storing a zkey", e))?;
        Ok(done.rows_affected() == 1)
    }

    /// A stored zkey's facts.
    pub async fn circom_key(&self, id: &str) -> Result<Option<CircomKey>> {
        let row = sqlx::query(
            "SELECT variables, public_signals, domain_size, vk_json FROM circom_keys WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(|e| self.error("reading a zkey", e))?;
        Ok(row.map(|r| CircomKey {
            id: id.to_string(),
            variables: r.get::<i64, _>(0) as u64,
            public_signals: r.get::<i64, _>(1) as u64,
            domain_size: r.get::<i64, _>(2) as u64,
            vk_json: r.get(3),
        }))
    }

    /// A stored zkey's bytes.
    pub async fn circom_key_bytes(&self, id: &str) -> Result<Option<Vec<u8>>> {
        sqlx::query_scalar("SELECT bytes FROM circom_keys WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| self.error("reading a zkey", e))
    }

    /// Queues a proof request.
    pub async fn queue_circom(
        &self,
        id: &str,
        key: &str,
        witness: &[u8],
        public_json: &str,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO circom_jobs (id, circuit, key_fingerprint, inputs, public_json, state, created_at) \
             VALUES ($1, $2, $3, $4, $5, 'queued', $6)",
        )
        .bind(id)
        .bind(CIRCUIT)
        .bind(key)
        .bind(witness)
        .bind(public_json)
        .bind(now_ms())
        .execute(&self.pool)
        .await
        .map(|_| ())
        .map_err(|e| self.error("queueing a proof request", e))
    }

    /// A proof request by its id.
    pub async fn circom_request(&self, id: &str) -> Result<Option<CircomRequest>> {
        let row = sqlx::query(
            "SELECT seq, key_fingerprint, state, output, public_json, error, worker, backend, prove_ms, attempts \
             FROM circom_jobs WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(|e| self.error("reading a proof request", e))?;
        Ok(row.map(|r| CircomRequest {
            seq: r.get::<i64, _>(0) as u64,
            key: r.get(1),
            state: r.get(2),
            output: r.get(3),
            public_json: r.get(4),
            error: r.get(5),
            worker: r.get(6),
            backend: r.get(7),
            prove_ms: r.get(8),
            attempts: r.get(9),
        }))
    }

    /// Marks a proven request's proof checked, and drops its witness.
    pub async fn mark_checked(&self, seq: u64) -> Result<()> {
        sqlx::query(
            "UPDATE circom_jobs SET state = 'checked', inputs = $1 WHERE seq = $2 AND state = 'done'",
        )
        .bind(Vec::<u8>::new())
        .bind(seq as i64)
        .execute(&self.pool)
        .await
        .map(|_| ())
        .map_err(|e| self.error("marking a proof checked", e))
    }
}

/// A witness as a job holds it: each value 32 bytes little-endian.
pub fn witness_to_bytes(witness: &[Fr]) -> Vec<u8> {
    witness.iter().flat_map(|v| v.into_bigint().to_bytes_le()).collect()
}

/// Reads a job's witness back: whole values, each below the field's
/// modulus.
pub fn witness_from_bytes(bytes: &[u8]) -> std::result::Result<Vec<Fr>, String> {
    if !bytes.len().is_multiple_of(32) {
        return Err(format!("{} bytes is not a whole number of 32-byte values", bytes.len()));
    }
    bytes
        .chunks_exact(32)
        .enumerate()
        .map(|(i, b)| {
            let mut limbs = [0u64; 4];
            for (l, c) in limbs.iter_mut().zip(b.chunks_exact(8)) {
                *l = u64::from_le_bytes(c.try_into().expect("8 bytes"));
            }
            Fr::from_bigint(ark_ff::BigInt(limbs))
                .ok_or_else(|| format!("witness value {i} is not below the field's modulus"))
        })
        .collect()
}

/// Reads a witness as snarkjs's `wtns export json` writes it: an array of
/// canonical decimal strings, the first `"1"`.
pub fn witness_from_json(bytes: &[u8]) -> std::result::Result<Vec<Fr>, String> {
    let values: Vec<String> = serde_json::from_slice(bytes)
        .map_err(|e| format!("expected a JSON array of decimal strings: {e}"))?;
    let witness = values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            stateproof_verifier::parse_decimal::<Fr>(v)
                .map_err(|e| format!("witness value {i} ({v:?}): {e}"))
        })
        .collect::<std::result::Result<Vec<_>, _>>()?;
    if witness.first() != Some(&Fr::one()) {
        return Err("witness value 0 (the constant) is not 1".into());
    }
    Ok(witness)
}

/// Entries kept within a budget of bytes, the least recently used dropped
/// first. One entry larger than the budget is still kept (alone): a worker
/// must be able to prove with any key it is given.
pub struct KeyCache<T> {
    budget: usize,
    used: usize,
    tick: u64,
    entries: HashMap<String, (T, usize, u64)>,
}

impl<T> KeyCache<T> {
    /// An empty cache of `budget` bytes.
    pub fn new(budget: usize) -> Self {
        Self { budget, used: 0, tick: 0, entries: HashMap::new() }
    }

    /// The entry `id`, marked used now.
    pub fn get(&mut self, id: &str) -> Option<&T> {
        self.tick += 1;
        let tick = self.tick;
        self.entries.get_mut(id).map(|e| {
            e.2 = tick;
            &e.0
        })
    }

    /// Adds `value` of `cost` bytes, dropping the least recently used
    /// entries it does not fit beside; returns the ids dropped.
    pub fn insert(&mut self, id: String, value: T, cost: usize) -> Vec<String> {
        let mut dropped = Vec::new();
        if let Some((_, old, _)) = self.entries.remove(&id) {
            self.used -= old;
        }
        while self.used + cost > self.budget {
            let Some(oldest) =
                self.entries.iter().min_by_key(|(_, e)| e.2).map(|(id, _)| id.clone())
            else {
                break;
            };
            let (_, c, _) = self.entries.remove(&oldest).expect("present");
            self.used -= c;
            dropped.push(oldest);
        }
        self.tick += 1;
        self.used += cost;
        self.entries.insert(id, (value, cost, self.tick));
        dropped
    }

    /// Bytes held.
    pub fn used(&self) -> usize {
        self.used
    }

    /// Whether `id` is held.
    pub fn contains(&self, id: &str) -> bool {
        self.entries.contains_key(id)
    }
}

/// A zkey prepared on a worker's backends.
pub type PreparedZkey =
    ZkeyProver<stateproof_kernels::FallbackMsm, stateproof_kernels::FallbackNtt>;

/// Proves a circom job on a worker: its zkey from the cache or the store,
/// then the proof, self-checked. The compressed proof, or why not and
/// whether another worker should try.
pub fn prove_job(
    cache: &mut KeyCache<PreparedZkey>,
    store: &Store,
    runtime: &tokio::runtime::Handle,
    backends: &Backends,
    job: &Job,
) -> std::result::Result<(Vec<u8>, Duration), (String, Retry)> {
    let elsewhere = |e: String| (e, Retry::Elsewhere);
    let witness = witness_from_bytes(&job.inputs)
        .map_err(|e| (format!("the request's witness: {e}"), Retry::Never))?;
    if !cache.contains(&job.key_fingerprint) {
        let started = Instant::now();
        let bytes = runtime
            .block_on(store.circom_key_bytes(&job.key_fingerprint))
            .map_err(|e| elsewhere(e.to_string()))?
            .ok_or_else(|| {
                elsewhere(format!("the database holds no zkey {}", job.key_fingerprint))
            })?;
        let cost = bytes.len();
        let zkey = parse_zkey(&bytes)
            .map_err(|e| elsewhere(format!("the database's zkey {}: {e}", job.key_fingerprint)))?;
        drop(bytes);
        let prepared = ZkeyProver::new(backends.msm.clone(), backends.ntt.clone(), zkey)
            .map_err(|e| elsewhere(e.to_string()))?;
        let dropped = cache.insert(job.key_fingerprint.clone(), prepared, cost);
        tracing::info!(
            "loaded zkey {} ({} MiB) in {:.1} s{}",
            job.key_fingerprint,
            cost >> 20,
            started.elapsed().as_secs_f64(),
            if dropped.is_empty() {
                String::new()
            } else {
                format!("; dropped {} to stay within the key cache", dropped.join(", "))
            }
        );
    }
    let prover = cache.get(&job.key_fingerprint).expect("loaded above");
    let mut rng = stateproof_prover::keys::os_rng();
    let (r, s) = (Fr::rand(&mut rng), Fr::rand(&mut rng));
    let started = Instant::now();
    let (proof, _) = prover.prove(&witness, r, s).map_err(|e| match e {
        // The witness's own fault: no other worker would do better.
        CircomError::Witness(why) => (why, Retry::Never),
        other => elsewhere(other.to_string()),
    })?;
    let proof = Proof { a: proof.a, b: proof.b, c: proof.c };
    Ok((proof.to_bytes().to_vec(), started.elapsed()))
}

mod api;
pub use api::*;

#[cfg(test)]
mod tests;
