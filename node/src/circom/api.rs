//! The service's HTTP handlers (routed and described in [`crate::api`]).

use super::*;

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
