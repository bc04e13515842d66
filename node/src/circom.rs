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

/// A stored zkey, as the API shows it.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct KeyView {
    /// Its id: the blake3 hash of the zkey's bytes, hex.
    pub id: String,
    /// Witness length, the constant 1 included.
    pub variables: u64,
    /// Public signals.
    pub public_signals: u64,
    /// The QAP domain's size.
    pub domain_size: u64,
    /// snarkjs's verification_key.json for this zkey.
    #[schema(value_type = Object)]
    pub verification_key: serde_json::Value,
}

/// A proof request, as the API shows it.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ProofView {
    /// The request's id (keep it: it is the only way to the proof).
    pub id: String,
    /// The zkey's id.
    pub key: String,
    /// `queued`, `proving`, `done` or `failed`.
    pub state: String,
    /// snarkjs's proof.json, when done.
    #[schema(value_type = Option<Object>)]
    pub proof: Option<serde_json::Value>,
    /// snarkjs's public.json (computed from the witness on arrival).
    #[schema(value_type = Vec<String>)]
    pub public: serde_json::Value,
    /// Why it failed, or why its last attempt did.
    pub error: Option<String>,
    /// What proved it, when done.
    pub backend: Option<String>,
    /// Proof time in milliseconds, when done.
    pub prove_ms: Option<u64>,
    /// Workers that have claimed it.
    pub attempts: u64,
}

fn key_view(k: &CircomKey) -> KeyView {
    KeyView {
        id: k.id.clone(),
        variables: k.variables,
        public_signals: k.public_signals,
        domain_size: k.domain_size,
        verification_key: serde_json::from_str(&k.vk_json).unwrap_or_default(),
    }
}

fn is_hex(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn unprocessable(rule: &'static str, message: impl Into<String>) -> Response {
    error(StatusCode::UNPROCESSABLE_ENTITY, rule, message)
}

/// Uploads a snarkjs Groth16 zkey.
///
/// Validated in full (fields, sizes, every point on its curve and in its
/// subgroup, every coefficient in range) and stored by the blake3 hash of
/// its bytes; uploading the same bytes again answers the stored key.
#[utoipa::path(
    post,
    path = "/v1/circom/keys",
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "A snarkjs .zkey (Groth16, BN254)"),
    responses(
        (status = 200, description = "Stored before", body = KeyView),
        (status = 201, description = "Validated and stored", body = KeyView),
        (status = 408, description = "The body came too slowly", body = ErrorBody),
        (status = 413, description = "Larger than the node's upload limit", body = ErrorBody),
        (status = 422, description = "Not a usable Groth16 zkey (the reason says why)", body = ErrorBody),
        (status = 503, description = "The store failed, or other uploads held the validators too long", body = ErrorBody),
    )
)]
pub(crate) async fn upload_key(State(s): State<Arc<Shared>>, body: Body) -> Response {
    // Uploads wait their turn before their bodies are read: at most
    // CONCURRENT_KEY_UPLOADS zkeys are in memory at once.
    let Ok(Ok(_permit)) = tokio::time::timeout(UPLOAD_TIMEOUT, s.circom.uploads.acquire()).await
    else {
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            "busy",
            format!("other zkeys were being validated for {} s; retry", UPLOAD_TIMEOUT.as_secs()),
        );
    };
    let bytes = match read_body_within(body, s.circom.max_upload, UPLOAD_TIMEOUT).await {
        Ok(b) => b,
        Err(r) => return r.into_response(),
    };
    let id = blake3::hash(&bytes).to_hex().to_string();
    match s.store.circom_key(&id).await {
        Err(e) => return storage(e),
        Ok(Some(k)) => return (StatusCode::OK, Json(key_view(&k))).into_response(),
        Ok(None) => {}
    }
    let parsed = tokio::task::spawn_blocking(move || {
        let zkey = parse_zkey(&bytes)?;
        let vk = VerifyingKey {
            circuit_id: CIRCUIT.into(),
            params: vec![],
            input_names: (0..zkey.n_public).map(|i| format!("public_{i}")).collect(),
            alpha_g1: zkey.vk.alpha_g1,
            beta_g2: zkey.vk.beta_g2,
            gamma_g2: zkey.vk.gamma_g2,
            delta_g2: zkey.vk.delta_g2,
            gamma_abc_g1: zkey.vk.gamma_abc_g1.clone(),
        };
        let key = CircomKey {
            id,
            variables: zkey.n_vars as u64,
            public_signals: zkey.n_public as u64,
            domain_size: zkey.domain_size as u64,
            vk_json: snarkjs::verification_key_json(&vk).to_string(),
        };
        Ok::<_, CircomError>((key, bytes))
    })
    .await;
    let (key, bytes) = match parsed {
        Ok(Ok(k)) => k,
        Ok(Err(e)) => return unprocessable("invalid-zkey", format!("the zkey: {e}")),
        Err(e) => {
            return error(StatusCode::INTERNAL_SERVER_ERROR, "internal", format!("validating: {e}"))
        }
    };
    match s.store.put_circom_key(&key, &bytes).await {
        Err(e) => storage(e),
        Ok(_) => {
            tracing::info!(
                "stored zkey {} ({} variables, {} public)",
                key.id,
                key.variables,
                key.public_signals
            );
            (StatusCode::CREATED, Json(key_view(&key))).into_response()
        }
    }
}

/// A stored zkey's facts and its verification_key.json.
#[utoipa::path(
    get,
    path = "/v1/circom/keys/{id}",
    params(("id" = String, Path, pattern = "^[0-9a-f]{64}$", description = "The id the upload answered")),
    responses(
        (status = 200, description = "The key", body = KeyView),
        (status = 404, description = "No such key", body = ErrorBody),
        (status = 503, description = "The store failed", body = ErrorBody),
    )
)]
pub(crate) async fn key_info(State(s): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    if !is_hex(&id, 64) {
        return error(StatusCode::NOT_FOUND, "not-found", format!("no zkey {id:?}"));
    }
    match s.store.circom_key(&id).await {
        Err(e) => storage(e),
        Ok(None) => error(StatusCode::NOT_FOUND, "not-found", format!("no zkey {id}")),
        Ok(Some(k)) => Json(key_view(&k)).into_response(),
    }
}

/// Asks for a proof with a stored zkey.
///
/// The body is a circom `.wtns` (any content type but JSON) or, as
/// `application/json`, the witness's values as snarkjs's `wtns export
/// json` writes them. Checked here (format, every value below the field's
/// modulus, the zkey's length, value 0 is 1); a witness that does not
/// satisfy the circuit is found by the prover and fails the request with
/// that reason.
#[utoipa::path(
    post,
    path = "/v1/circom/proofs",
    params(("key" = String, Query, pattern = "^[0-9a-f]{64}$", description = "The zkey's id")),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "A circom .wtns, or (application/json) an array of decimal strings"),
    responses(
        (status = 202, description = "Queued; poll its id", body = ProofView),
        (status = 400, description = "No key id, or a malformed one", body = ErrorBody),
        (status = 404, description = "No such zkey", body = ErrorBody),
        (status = 408, description = "The body came too slowly", body = ErrorBody),
        (status = 413, description = "Larger than the node's upload limit", body = ErrorBody),
        (status = 422, description = "Not a witness for this zkey (the reason says why)", body = ErrorBody),
        (status = 503, description = "The store failed", body = ErrorBody),
    )
)]
pub(crate) async fn request_proof(
    State(s): State<Arc<Shared>>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let q = query_pairs(q.as_deref());
    let Some(key_id) = q.get("key").filter(|k| is_hex(k, 64)).map(|k| k.to_string()) else {
        return error(
            StatusCode::BAD_REQUEST,
            "malformed-parameter",
            "key: expected the zkey's id (64 lowercase hex digits)",
        );
    };
    let key = match s.store.circom_key(&key_id).await {
        Err(e) => return storage(e),
        Ok(None) => {
            return error(
                StatusCode::NOT_FOUND,
                "unknown-key",
                format!("no zkey {key_id}: upload it to /v1/circom/keys first"),
            )
        }
        Ok(Some(k)) => k,
    };
    let bytes = match read_body_within(body, s.circom.max_upload, UPLOAD_TIMEOUT).await {
        Ok(b) => b,
        Err(r) => return r.into_response(),
    };
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let parsed = tokio::task::spawn_blocking(move || {
        if json {
            witness_from_json(&bytes)
        } else {
            parse_wtns(&bytes).map_err(|e| e.to_string())
        }
    })
    .await;
    let witness = match parsed {
        Ok(Ok(w)) => w,
        Ok(Err(e)) => return unprocessable("invalid-witness", format!("the witness: {e}")),
        Err(e) => {
            return error(StatusCode::INTERNAL_SERVER_ERROR, "internal", format!("reading: {e}"))
        }
    };
    if witness.len() as u64 != key.variables {
        return unprocessable(
            "invalid-witness",
            format!(
                "the witness has {} values, the zkey's circuit {} variables: it is for another circuit",
                witness.len(),
                key.variables
            ),
        );
    }
    let public = &witness[1..=key.public_signals as usize];
    let public_json = snarkjs::public_json(public);
    let id = request_id();
    if let Err(e) = s
        .store
        .queue_circom(&id, &key_id, &witness_to_bytes(&witness), &public_json.to_string())
        .await
    {
        return storage(e);
    }
    s.job_queued.notify_one();
    let view = ProofView {
        id,
        key: key_id,
        state: "queued".into(),
        proof: None,
        public: public_json,
        error: None,
        backend: None,
        prove_ms: None,
        attempts: 0,
    };
    (StatusCode::ACCEPTED, Json(view)).into_response()
}

/// A fresh request id: 128 random bits, hex.
fn request_id() -> String {
    use ark_std::rand::RngCore;
    let mut id = [0u8; 16];
    stateproof_prover::keys::os_rng().fill_bytes(&mut id);
    hex::encode(id)
}

/// A proof request: its state, and snarkjs's proof.json and public.json
/// once done.
///
/// A proof is verified against the zkey's verifying key before it is first
/// served; one that does not verify is queued again for another worker.
#[utoipa::path(
    get,
    path = "/v1/circom/proofs/{id}",
    params(("id" = String, Path, pattern = "^[0-9a-f]{32}$", description = "The id the request answered")),
    responses(
        (status = 200, description = "The request (its proof when `state` is `done`)", body = ProofView),
        (status = 404, description = "No such request", body = ErrorBody),
        (status = 503, description = "The store failed", body = ErrorBody),
    )
)]
pub(crate) async fn proof(State(s): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    if !is_hex(&id, 32) {
        return error(StatusCode::NOT_FOUND, "not-found", format!("no proof request {id:?}"));
    }
    let mut request = match s.store.circom_request(&id).await {
        Err(e) => return storage(e),
        Ok(None) => {
            return error(StatusCode::NOT_FOUND, "not-found", format!("no proof request {id}"))
        }
        Ok(Some(r)) => r,
    };
    if request.state == "claimed" {
        // Workers that died holding their last attempt leave the job
        // claimed; it fails here rather than say "proving" for ever.
        if let Err(e) = s.store.expire_exhausted(JobKind::Circom).await {
            return storage(e);
        }
    }
    if request.state == "done" {
        match check(&s, &request).await {
            Ok(()) => {
                if let Err(e) = s.store.mark_checked(request.seq).await {
                    return storage(e);
                }
                request.state = "checked".into();
            }
            Err(why) => {
                let why = format!(
                    "the proof from {} does not verify ({why}); queued again",
                    request.worker.as_deref().unwrap_or("a worker")
                );
                tracing::warn!("circom job {}: {why}", request.seq);
                if let Err(e) = s.store.reject(JobKind::Circom, request.seq, &why).await {
                    return storage(e);
                }
            }
        }
        request = match s.store.circom_request(&id).await {
            Err(e) => return storage(e),
            Ok(r) => r.expect("requests are never deleted"),
        };
    }
    Json(view(id, &request)).into_response()
}

fn view(id: String, r: &CircomRequest) -> ProofView {
    let done = r.state == "checked";
    let proof = done
        .then(|| r.output.as_deref().and_then(|b| Proof::from_bytes(b).ok()))
        .flatten()
        .map(|p| snarkjs::proof_json(&p));
    ProofView {
        id,
        key: r.key.clone(),
        state: match r.state.as_str() {
            "checked" => "done",
            "failed" => "failed",
            "queued" => "queued",
            // claimed, or done and not yet checked
            _ => "proving",
        }
        .into(),
        proof,
        public: serde_json::from_str(&r.public_json).unwrap_or_default(),
        error: r.error.clone(),
        backend: done.then(|| {
            format!(
                "{} on {}",
                r.backend.as_deref().unwrap_or(""),
                r.worker.as_deref().unwrap_or("")
            )
        }),
        prove_ms: done.then_some(r.prove_ms.unwrap_or(0).max(0) as u64),
        attempts: r.attempts.max(0) as u64,
    }
}

/// Verifies a proven request's proof against its zkey's verifying key and
/// the public signals computed on arrival.
async fn check(s: &Shared, r: &CircomRequest) -> std::result::Result<(), String> {
    let vk = {
        let cached = s.circom.vks.lock().expect("vk cache lock").get(&r.key).cloned();
        match cached {
            Some(vk) => vk,
            None => {
                let key = s
                    .store
                    .circom_key(&r.key)
                    .await
                    .map_err(|e| e.to_string())?
                    .ok_or_else(|| format!("its zkey {} is not stored", r.key))?;
                let json: serde_json::Value =
                    serde_json::from_str(&key.vk_json).map_err(|e| e.to_string())?;
                let vk = Arc::new(
                    snarkjs::verification_key_from_json(&json).map_err(|e| e.to_string())?,
                );
                s.circom.vks.lock().expect("vk cache lock").insert(r.key.clone(), vk.clone());
                vk
            }
        }
    };
    let public_json: serde_json::Value =
        serde_json::from_str(&r.public_json).map_err(|e| e.to_string())?;
    let public = snarkjs::public_from_json(&public_json).map_err(|e| e.to_string())?;
    let bytes = r.output.as_deref().ok_or("no proof stored")?;
    let proof = Proof::from_bytes(bytes).map_err(|e| e.to_string())?;
    verify_proof(&vk, &public, &proof).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jobs::JobOutcome;
    use crate::testdb;

    const LEASE: Duration = Duration::from_secs(30);

    #[tokio::test]
    async fn circom_requests_share_the_queue_after_batches_and_a_bad_witness_fails_at_once() {
        let dir = testdb::TempDir::new("circom-queue");
        let sqlite = Store::create(&dir.path().join("node.db")).await.expect("sqlite");
        let pg = testdb::postgres("circomq").await;
        for store in std::iter::once(&sqlite).chain(pg.as_ref().map(|d| &d.store)) {
            let key = CircomKey {
                id: "k".repeat(64),
                variables: 3,
                public_signals: 1,
                domain_size: 4,
                vk_json: "{}".into(),
            };
            assert!(store.put_circom_key(&key, b"zkey").await.expect("put"));
            assert!(!store.put_circom_key(&key, b"other").await.expect("put again"));
            assert_eq!(store.circom_key(&key.id).await.expect("get"), Some(key.clone()));
            assert_eq!(
                store.circom_key_bytes(&key.id).await.expect("bytes"),
                Some(b"zkey".to_vec())
            );
            let w = witness_to_bytes(&[Fr::one(), Fr::from(2u64), Fr::from(3u64)]);
            store.queue_circom("r1", &key.id, &w, r#"["2"]"#).await.expect("queue");
            store.queue_circom("r2", &key.id, &w, r#"["2"]"#).await.expect("queue");
            store.seal(1, &[]).await.expect("seal");
            store.enqueue(1, "transfer-batch", "fp", b"batch").await.expect("enqueue");

            // The batch first, then the requests in order.
            let batch = store.claim_any("w", LEASE).await.expect("claim").expect("a job");
            assert_eq!((batch.kind, batch.seq), (JobKind::Batch, 1));
            let first = store.claim_any("w", LEASE).await.expect("claim").expect("a job");
            assert_eq!(first.kind, JobKind::Circom);
            assert_eq!(
                (first.key_fingerprint.as_str(), first.inputs.as_slice()),
                (key.id.as_str(), w.as_slice())
            );
            // A witness at fault fails at once, whatever attempts are left.
            assert!(store.fail(&first, "w", "does not satisfy", Retry::Never).await.expect("fail"));
            let r1 = store.circom_request("r1").await.expect("read").expect("r1");
            assert_eq!(
                (r1.state.as_str(), r1.error.as_deref()),
                ("failed", Some("does not satisfy"))
            );
            // A proof the node refuses goes back to the queue; a good one is
            // checked and loses its witness.
            let second = store.claim_any("w", LEASE).await.expect("claim").expect("r2");
            assert!(store.complete(&second, b"bad", "cpu", Duration::ZERO).await.expect("done"));
            store.reject(JobKind::Circom, second.seq, "does not verify").await.expect("reject");
            assert_eq!(
                store.job_outcome(JobKind::Circom, second.seq).await.expect("outcome"),
                JobOutcome::Pending
            );
            let again = store.claim_any("v", LEASE).await.expect("claim").expect("r2 again");
            assert_eq!((again.seq, again.attempts), (second.seq, 2));
            assert!(store.complete(&again, b"good", "cpu", Duration::ZERO).await.expect("done"));
            store.mark_checked(again.seq).await.expect("checked");
            let r2 = store.circom_request("r2").await.expect("read").expect("r2");
            assert_eq!((r2.state.as_str(), r2.output.as_deref()), ("checked", Some(&b"good"[..])));
            let inputs: Vec<u8> =
                sqlx::query_scalar("SELECT inputs FROM circom_jobs WHERE id = 'r2'")
                    .fetch_one(&store.pool)
                    .await
                    .expect("inputs");
            assert!(inputs.is_empty(), "a checked request keeps its witness");
            assert!(store.claim_any("w", LEASE).await.expect("claim").is_none());
            let counts = store.job_counts(JobKind::Circom).await.expect("counts");
            assert_eq!((counts.done, counts.failed), (1, 1));
        }
        if let Some(db) = pg {
            db.drop().await;
        }
    }

    #[test]
    fn a_witness_round_trips_and_bad_bytes_are_refused() {
        let w = vec![Fr::one(), Fr::from(7u64), -Fr::one()];
        assert_eq!(witness_from_bytes(&witness_to_bytes(&w)).unwrap(), w);
        assert!(witness_from_bytes(&[0u8; 33]).unwrap_err().contains("32-byte"));
        let mut big = witness_to_bytes(&w);
        big[64..96].copy_from_slice(&[0xff; 32]);
        assert!(witness_from_bytes(&big).unwrap_err().contains("value 2"));
    }

    #[test]
    fn a_json_witness_is_read_canonically() {
        assert_eq!(witness_from_json(br#"["1", "5"]"#).unwrap(), vec![Fr::one(), Fr::from(5u64)]);
        assert!(witness_from_json(br#"["2", "5"]"#).unwrap_err().contains("not 1"));
        assert!(witness_from_json(br#"["1", "05"]"#).unwrap_err().contains("value 1"));
        assert!(witness_from_json(br#"["1", 5]"#).is_err());
        let r = "21888242871839275222246405745257275088548364400416034343698204186575808495617";
        assert!(witness_from_json(format!(r#"["1", "{r}"]"#).as_bytes()).is_err());
        assert!(witness_from_json(b"").is_err());
    }

    #[test]
    fn the_key_cache_drops_the_least_recently_used_within_its_budget() {
        let mut c = KeyCache::new(100);
        assert!(c.insert("a".into(), 1, 40).is_empty());
        assert!(c.insert("b".into(), 2, 40).is_empty());
        assert_eq!(c.get("a"), Some(&1)); // b is now the oldest
        assert_eq!(c.insert("c".into(), 3, 40), vec!["b".to_string()]);
        assert_eq!(c.used(), 80);
        assert!(c.contains("a") && c.contains("c") && !c.contains("b"));
        // One key over the budget stays, alone.
        let mut dropped = c.insert("huge".into(), 4, 500);
        dropped.sort();
        assert_eq!(dropped, vec!["a".to_string(), "c".to_string()]);
        assert_eq!((c.used(), c.get("huge")), (500, Some(&4)));
        // Replacing an entry frees its old cost first.
        assert!(c.insert("huge".into(), 5, 60).is_empty());
        assert_eq!(c.used(), 60);
    }
}
