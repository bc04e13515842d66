//! The HTTP API (axum): intake, queries, metrics and the API's own OpenAPI
//! description, generated from these handlers' annotations.
//!
//! Every error is `{"error": {"rule", "message"}}` with a 4xx status for the
//! client's faults; path and query values and bodies are parsed here, not by
//! extractors, so that no malformed request gets any other shape of answer.

use crate::intake::{fits, Outcome, Submission};
use crate::ledger::TxJson;
use crate::metrics::Gauges;
use crate::node::Shared;
use crate::store::TxStatus;
use crate::wire::*;
use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use stateproof_app::text::fr;
use stateproof_circuits::primitives::field::{key_from_strings, key_to_strings};
use stateproof_circuits::transfer::TransferJson;
use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use utoipa::OpenApi;

/// Largest request body: a transfer is about 600 bytes.
pub const MAX_BODY: usize = 64 * 1024;
/// How long a client may take to send its body.
const BODY_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a submission may wait for intake.
const INTAKE_TIMEOUT: Duration = Duration::from_secs(30);
/// Requests served at once.
const CONCURRENCY: usize = 1024;
/// Most updates in one page.
const MAX_PAGE: u32 = 1000;

type Shared_ = Arc<Shared>;

/// The API description.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "stateproof node",
        description = "Signed transfers in, Groth16-proven state updates out; and Groth16 proofs of circom circuits from snarkjs zkeys. Errors are `{\"error\": {\"rule\", \"message\"}}`."
    ),
    paths(
        submit,
        transaction,
        accounts_of_key,
        account,
        deal,
        member,
        updates,
        update,
        key,
        status,
        metrics,
        crate::circom::upload_key,
        crate::circom::key_info,
        crate::circom::request_proof,
        crate::circom::proof,
        crate::finality::api::headers,
        crate::finality::api::header,
        crate::finality::api::attest,
        crate::finality::api::finality_page,
        crate::finality::api::finality_proof,
        crate::finality::api::evidence,
        crate::finality::api::request_set_change,
        crate::finality::api::set_changes
    ),
    components(schemas(
        TransferJson,
        Accepted,
        ErrorBody,
        ErrorDetail,
        TransactionView,
        AccountView,
        AccountFields,
        DealView,
        MemberView,
        MemberFields,
        KeyAccounts,
        UpdatesPage,
        UpdateView,
        StatusView,
        crate::circom::KeyView,
        crate::circom::ProofView,
        crate::finality::api::HeaderView,
        crate::finality::api::HeadersPage,
        crate::finality::api::AttestationPost,
        crate::finality::api::AttestationAnswer,
        crate::finality::api::FinalityView,
        crate::finality::api::FinalityPage,
        crate::finality::api::SignedHeader,
        crate::finality::api::EvidencePost,
        crate::finality::api::EvidenceAnswer,
        crate::finality::api::SetChangeView,
        crate::finality::api::SetChangesPage,
        crate::finality::api::ProposedValidator,
        crate::finality::api::ChangeSignature,
        crate::finality::api::SetChangePost
    ))
)]
pub struct ApiDoc;

/// How long a client may take to send a request's headers before its
/// connection is closed (a body has `BODY_TIMEOUT`, 10 s, more).
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// Most connections open at once; more are closed as they arrive, so
/// clients that hold connections cannot exhaust the node's descriptors.
pub const MAX_CONNECTIONS: usize = 4096;
/// How long a stopping node waits for requests in progress.
const DRAIN: Duration = Duration::from_secs(10);

/// Serves `app` on `listener` until `stop` resolves: HTTP/1 connections
/// with a header timeout ([`HEADER_TIMEOUT`], which axum's own `serve` does
/// not set: a client trickling header lines would hold its connection
/// forever) and at most [`MAX_CONNECTIONS`] of them; then drains.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    stop: impl std::future::Future<Output = ()>,
) {
    use hyper_util::rt::{TokioIo, TokioTimer};
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let permits = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    tokio::pin!(stop);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of descriptors, a connection reset before accept:
                    // the listener itself is fine.
                    tracing::warn!("accepting a connection: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut stop => break,
        };
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            continue;
        };
        let mut builder = hyper::server::conn::http1::Builder::new();
        builder.timer(TokioTimer::new()).header_read_timeout(HEADER_TIMEOUT);
        let service = hyper_util::service::TowerToHyperService::new(app.clone());
        let connection = graceful.watch(builder.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            let _ = connection.await;
            drop(permit);
        });
    }
    tokio::select! {
        _ = graceful.shutdown() => {}
        _ = tokio::time::sleep(DRAIN) => {}
    }
}

/// The router over a running node.
pub fn router(shared: Shared_) -> Router {
    Router::new()
        .route("/v1/transactions", post(submit))
        .route("/v1/transactions/{id}", get(transaction))
        .route("/v1/accounts", get(accounts_of_key))
        .route("/v1/accounts/{index}", get(account))
        .route("/v1/deals/{id}", get(deal))
        .route("/v1/members/{index}", get(member))
        .route("/v1/updates", get(updates))
        .route("/v1/updates/{n}", get(update))
        .route("/v1/keys/{circuit}", get(key))
        .route("/v1/status", get(status))
        .route("/v1/circom/keys", post(crate::circom::upload_key))
        .route("/v1/circom/keys/{id}", get(crate::circom::key_info))
        .route("/v1/circom/proofs", post(crate::circom::request_proof))
        .route("/v1/circom/proofs/{id}", get(crate::circom::proof))
        .route("/v1/headers", get(crate::finality::api::headers))
        .route("/v1/headers/{height}", get(crate::finality::api::header))
        .route("/v1/attestations", post(crate::finality::api::attest))
        .route("/v1/finality", get(crate::finality::api::finality_page))
        .route("/v1/finality/{height}", get(crate::finality::api::finality_proof))
        .route("/v1/evidence", post(crate::finality::api::evidence))
        .route(
            "/v1/set-changes",
            get(crate::finality::api::set_changes).post(crate::finality::api::request_set_change),
        )
        .route("/metrics", get(metrics))
        .route("/openapi.json", get(openapi))
        .fallback(not_found)
        .layer(tower::limit::GlobalConcurrencyLimitLayer::new(CONCURRENCY))
        .with_state(shared)
}

/// An error answer.
pub(crate) fn error(
    status: StatusCode,
    rule: &'static str,
    message: impl Into<String>,
) -> Response {
    ApiError { status, rule, message: message.into() }.into_response()
}

/// An error before it is a response.
pub(crate) struct ApiError {
    status: StatusCode,
    rule: &'static str,
    message: String,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, rule: &'static str, message: impl Into<String>) -> Self {
        Self { status, rule, message: message.into() }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body =
            ErrorBody { error: ErrorDetail { rule: self.rule.into(), message: self.message } };
        (self.status, Json(body)).into_response()
    }
}

pub(crate) fn storage(e: impl std::fmt::Display) -> Response {
    error(StatusCode::SERVICE_UNAVAILABLE, "storage", format!("the node's store failed: {e}"))
}

async fn not_found() -> Response {
    error(StatusCode::NOT_FOUND, "not-found", "no such path; the API is described at /openapi.json")
}

/// A query string's `name=value` pairs, undecoded (the API's parameters
/// are decimal digits, which need none).
pub(crate) fn query_pairs(q: Option<&str>) -> HashMap<&str, &str> {
    q.unwrap_or("").split('&').filter_map(|kv| kv.split_once('=')).collect()
}

/// Parses a path or query integer. The API describes them as OpenAPI's
/// `int64` with minimum 0 (what most JSON clients can hold), so values
/// from 2^63 up are refused like any other malformed parameter.
pub(crate) fn parse_u64(name: &str, value: &str) -> Result<u64, ApiError> {
    value.parse::<i64>().ok().and_then(|v| u64::try_from(v).ok()).ok_or_else(|| ApiError {
        status: StatusCode::BAD_REQUEST,
        rule: "malformed-parameter",
        message: format!("{name}: expected an integer from 0 to 2^63-1, got {value:?}"),
    })
}

/// Reads a body up to [`MAX_BODY`] within [`BODY_TIMEOUT`].
pub(crate) async fn read_body(body: Body) -> Result<Bytes, ApiError> {
    read_body_within(body, MAX_BODY, BODY_TIMEOUT).await
}

/// Reads a body of up to `limit` bytes within `timeout`.
pub(crate) async fn read_body_within(
    body: Body,
    limit: usize,
    timeout: Duration,
) -> Result<Bytes, ApiError> {
    match tokio::time::timeout(timeout, axum::body::to_bytes(body, limit)).await {
        Err(_) => Err(ApiError {
            status: StatusCode::REQUEST_TIMEOUT,
            rule: "timeout",
            message: format!("the body did not arrive within {} s", timeout.as_secs()),
        }),
        Ok(Err(_)) => Err(ApiError {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            rule: "body-too-large",
            message: format!("bodies here are limited to {limit} bytes"),
        }),
        Ok(Ok(b)) => Ok(b),
    }
}

/// Submits a signed transfer.
///
/// Checked at once against the ledger after every accepted transaction
/// (signature, key, nonce, balance, overflow); answered 202 only once it is
/// on disk. Resubmitting an accepted transaction is idempotent (202 with
/// `duplicate`) until it is proven, then a `replay` (409).
#[utoipa::path(
    post,
    path = "/v1/transactions",
    request_body = TransferJson,
    responses(
        (status = 202, description = "Accepted and durable", body = Accepted),
        (status = 400, description = "Malformed JSON or field", body = ErrorBody),
        (status = 408, description = "The body came too slowly", body = ErrorBody),
        (status = 409, description = "Already proven (a replay)", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 422, description = "The transfer breaks a rule", body = ErrorBody),
        (status = 503, description = "The node cannot take it now", body = ErrorBody),
    )
)]
async fn submit(State(s): State<Shared_>, body: Body) -> Response {
    let bytes = match read_body(body).await {
        Ok(b) => b,
        Err(r) => return r.into_response(),
    };
    let json = match TxJson::parse(&bytes) {
        Ok(j) => j,
        Err(e) => return error(StatusCode::BAD_REQUEST, "malformed-json", e),
    };
    let tx = match json.to_tx() {
        Ok(t) => t,
        Err(e) => return error(StatusCode::BAD_REQUEST, "malformed-field", e),
    };
    let (reply, answer) = tokio::sync::oneshot::channel();
    if s.intake.try_send(Submission { tx, reply }).is_err() {
        return error(StatusCode::SERVICE_UNAVAILABLE, "busy", "the intake queue is full; retry");
    }
    match tokio::time::timeout(INTAKE_TIMEOUT, answer).await {
        Ok(Ok(Outcome::Accepted { id, status, duplicate })) => (
            StatusCode::ACCEPTED,
            Json(Accepted { id, status: status_word(status).into(), duplicate }),
        )
            .into_response(),
        Ok(Ok(Outcome::Refused { status, rule, message })) => {
            let code = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
            error(code, rule, message)
        }
        _ => error(StatusCode::SERVICE_UNAVAILABLE, "busy", "intake did not answer in time"),
    }
}

fn status_word(s: TxStatus) -> &'static str {
    match s {
        TxStatus::Pending => "pending",
        TxStatus::Batched(_) => "batched",
        TxStatus::Proven(_) => "proven",
    }
}

/// Where a transaction is.
#[utoipa::path(
    get,
    path = "/v1/transactions/{id}",
    params(("id" = String, Path, pattern = "^[0-9a-f]{64}$", description = "The id `POST /v1/transactions` answered")),
    responses(
        (status = 200, description = "Its status", body = TransactionView),
        (status = 404, description = "Not accepted by this node", body = ErrorBody),
        (status = 503, description = "The store failed", body = ErrorBody),
    )
)]
async fn transaction(State(s): State<Shared_>, Path(id): Path<String>) -> Response {
    match s.store.status(&id).await {
        Err(e) => storage(e),
        Ok(None) => error(StatusCode::NOT_FOUND, "not-found", format!("no transaction {id:?}")),
        Ok(Some(st)) => {
            let batch = match st {
                TxStatus::Pending => None,
                TxStatus::Batched(n) | TxStatus::Proven(n) => Some(n),
            };
            Json(TransactionView { id, status: status_word(st).into(), batch }).into_response()
        }
    }
}

/// An account at the last proven root with its Merkle path.
#[utoipa::path(
    get,
    path = "/v1/accounts/{index}",
    params(("index" = u64, Path, description = "The account index, below 2^depth")),
    responses(
        (status = 200, description = "The account (or an empty leaf) and its path", body = AccountView),
        (status = 400, description = "Not an integer", body = ErrorBody),
        (status = 404, description = "Outside the tree", body = ErrorBody),
    )
)]
async fn account(State(s): State<Shared_>, Path(index): Path<String>) -> Response {
    let index = match parse_u64("index", &index) {
        Ok(i) => i,
        Err(r) => return r.into_response(),
    };
    if !fits(index, s.meta.depth) {
        return error(
            StatusCode::NOT_FOUND,
            "not-found",
            format!("index {index} is outside a tree of depth {}", s.meta.depth),
        );
    }
    let fields = |a: &stateproof_circuits::ledger::Account| AccountFields {
        public_key: key_to_strings(&a.public_key),
        balance: a.balance,
        nonce: a.nonce,
    };
    let pending = s.head.read().expect("head lock").account(index).map(fields);
    let proven = s.proven.read().expect("proven lock");
    let (book, update) = (&proven.0, proven.1);
    let state = &book.ledger().accounts;
    let siblings = match state.tree().proof(index) {
        Ok(p) => p.siblings.iter().map(fr).collect(),
        Err(e) => return error(StatusCode::NOT_FOUND, "not-found", e.to_string()),
    };
    let roots = book.roots();
    Json(AccountView {
        index,
        root: fr(&roots.root()),
        deals_root: fr(&roots.deals),
        members_root: fr(&roots.members),
        update,
        account: state.account(index).map(fields),
        siblings,
        pending,
    })
    .into_response()
}

/// A deal at the last proven root with its Merkle path.
#[utoipa::path(
    get,
    path = "/v1/deals/{id}",
    params(("id" = u64, Path, description = "The deal id, below 2^deal_depth")),
    responses(
        (status = 200, description = "The deal (or an empty leaf) and its path", body = DealView),
        (status = 400, description = "Not an integer", body = ErrorBody),
        (status = 404, description = "Outside the tree", body = ErrorBody),
    )
)]
async fn deal(State(s): State<Shared_>, Path(id): Path<String>) -> Response {
    use stateproof_circuits::compute::{DealJson, DealStatus};
    let id = match parse_u64("id", &id) {
        Ok(i) => i,
        Err(r) => return r.into_response(),
    };
    if !fits(id, s.meta.deal_depth) {
        let depth = s.meta.deal_depth;
        let message = format!("deal {id} is outside a deal tree of depth {depth}");
        return error(StatusCode::NOT_FOUND, "not-found", message);
    }
    let proven = s.proven.read().expect("proven lock");
    let (book, update) = (&proven.0, proven.1);
    let ledger = book.ledger();
    let siblings = match ledger.deal_tree().proof(id) {
        Ok(p) => p.siblings.iter().map(fr).collect(),
        Err(e) => return error(StatusCode::NOT_FOUND, "not-found", e.to_string()),
    };
    let roots = book.roots();
    let found = ledger.deal(id);
    let status = found.map(|(_, st)| match st {
        DealStatus::Open => "open",
        DealStatus::Mediating => "mediating",
        DealStatus::Decided => "decided",
        DealStatus::Settled => "settled",
    });
    Json(DealView {
        id,
        root: fr(&roots.root()),
        accounts_root: fr(&roots.accounts),
        members_root: fr(&roots.members),
        update,
        terms: found.map(|(d, _)| DealJson::from_deal(d)),
        status: status.map(String::from),
        results: ledger
            .results(id)
            .unwrap_or_default()
            .iter()
            .map(|r| r.as_ref().map(fr))
            .collect(),
        verdict: ledger.verdict(id).map(|v| fr(&v)),
        siblings,
    })
    .into_response()
}

/// A member at the last proven root with its Merkle path.
#[utoipa::path(
    get,
    path = "/v1/members/{index}",
    params(("index" = u64, Path, description = "The member index, below 2^member_depth")),
    responses(
        (status = 200, description = "The member (or an empty leaf) and its path", body = MemberView),
        (status = 400, description = "Not an integer", body = ErrorBody),
        (status = 404, description = "Outside the tree", body = ErrorBody),
    )
)]
async fn member(State(s): State<Shared_>, Path(index): Path<String>) -> Response {
    let index = match parse_u64("index", &index) {
        Ok(i) => i,
        Err(r) => return r.into_response(),
    };
    if !fits(index, s.meta.member_depth) {
        let depth = s.meta.member_depth;
        let message = format!("index {index} is outside a member tree of depth {depth}");
        return error(StatusCode::NOT_FOUND, "not-found", message);
    }
    let proven = s.proven.read().expect("proven lock");
    let (book, update) = (&proven.0, proven.1);
    let siblings = match book.members().tree().proof(index) {
        Ok(p) => p.siblings.iter().map(fr).collect(),
        Err(e) => return error(StatusCode::NOT_FOUND, "not-found", e.to_string()),
    };
    let roots = book.roots();
    Json(MemberView {
        index,
        root: fr(&roots.root()),
        accounts_root: fr(&roots.accounts),
        deals_root: fr(&roots.deals),
        update,
        member: book.members().member(index).map(MemberFields::of),
        siblings,
    })
    .into_response()
}

/// Most accounts `GET /v1/accounts?key_x=..&key_y=..` lists.
pub const MAX_KEY_ACCOUNTS: usize = 100;

/// The accounts a key holds (so a client with only its key file can find
/// its account), once the accepted transactions are applied.
#[utoipa::path(
    get,
    path = "/v1/accounts",
    params(
        ("key_x" = String, Query, pattern = "^(0|[1-9][0-9]{0,76})$", description = "The key's x, decimal"),
        ("key_y" = String, Query, pattern = "^(0|[1-9][0-9]{0,76})$", description = "The key's y, decimal"),
    ),
    responses(
        (status = 200, description = "The accounts, ascending, at most 100 (none: an empty list)", body = KeyAccounts),
        (status = 400, description = "A missing coordinate, or not a key on the curve", body = ErrorBody),
    )
)]
async fn accounts_of_key(State(s): State<Shared_>, RawQuery(q): RawQuery) -> Response {
    // Decimal digits need no percent-decoding; anything else is refused by
    // the key's parse.
    let q = query_pairs(q.as_deref());
    let (Some(x), Some(y)) = (q.get("key_x"), q.get("key_y")) else {
        return error(
            StatusCode::BAD_REQUEST,
            "malformed-parameter",
            "key_x and key_y are both needed",
        );
    };
    let key = match key_from_strings(&[x.to_string(), y.to_string()]) {
        Ok(k) => k,
        Err(e) => {
            return error(StatusCode::BAD_REQUEST, "malformed-parameter", format!("key: {e}"))
        }
    };
    let accounts = s.head.read().expect("head lock").accounts_of(&key, MAX_KEY_ACCOUNTS);
    Json(KeyAccounts { accounts }).into_response()
}

/// Proven updates from a number on, in order.
#[utoipa::path(
    get,
    path = "/v1/updates",
    params(
        ("from" = Option<u64>, Query, description = "The first update's number (default 1)"),
        ("limit" = Option<u64>, Query, description = "Most updates (default 1000; larger is read as 1000)"),
    ),
    responses(
        (status = 200, description = "A page of updates", body = UpdatesPage),
        (status = 400, description = "A malformed parameter", body = ErrorBody),
        (status = 503, description = "The store failed", body = ErrorBody),
    )
)]
async fn updates(State(s): State<Shared_>, RawQuery(q): RawQuery) -> Response {
    // Parameters are integers: no percent-decoding to do; anything else is
    // refused by the integer parse.
    let q = query_pairs(q.as_deref());
    let from = match q.get("from").map(|v| parse_u64("from", v)).transpose() {
        Ok(f) => f.unwrap_or(1).max(1),
        Err(r) => return r.into_response(),
    };
    let limit = match q.get("limit").map(|v| parse_u64("limit", v)).transpose() {
        Ok(l) => l.unwrap_or(u64::from(MAX_PAGE)).clamp(1, u64::from(MAX_PAGE)) as u32,
        Err(r) => return r.into_response(),
    };
    match s.store.updates_from(from, limit).await {
        Err(e) => storage(e),
        Ok(list) => {
            let next = list.last().map_or(from, |u| u.n + 1);
            let updates = list
                .into_iter()
                .map(|u| UpdateView {
                    n: u.n,
                    old_root: fr(&u.old_root),
                    new_root: fr(&u.new_root),
                    transactions: u.transactions,
                    update_hex: hex::encode(&u.bytes),
                })
                .collect();
            Json(UpdatesPage { updates, next }).into_response()
        }
    }
}

/// One proven update's bytes (the compressed update light clients verify).
#[utoipa::path(
    get,
    path = "/v1/updates/{n}",
    params(("n" = u64, Path, description = "The update's number, from 1")),
    responses(
        (status = 200, description = "The update", content_type = "application/octet-stream", body = Vec<u8>),
        (status = 400, description = "Not an integer", body = ErrorBody),
        (status = 404, description = "Not proven (yet)", body = ErrorBody),
        (status = 503, description = "The store failed", body = ErrorBody),
    )
)]
async fn update(State(s): State<Shared_>, Path(n): Path<String>) -> Response {
    let n = match parse_u64("n", &n) {
        Ok(n) => n,
        Err(r) => return r.into_response(),
    };
    match s.store.update_bytes(n).await {
        Err(e) => storage(e),
        Ok(None) => error(StatusCode::NOT_FOUND, "not-found", format!("update {n} is not proven")),
        Ok(Some(bytes)) => octets(bytes),
    }
}

fn octets(bytes: Vec<u8>) -> Response {
    ([(header::CONTENT_TYPE, "application/octet-stream")], bytes).into_response()
}

/// A circuit's verifying key (stateproof's format, as `inspect` reads it).
#[utoipa::path(
    get,
    path = "/v1/keys/{circuit}",
    params(("circuit" = String, Path, description = "The circuit id: `transfer-batch`; on a node that takes deals and sponsorships also `compute-open`, `compute-result`, `compute-mediation`, `compute-verdict`, `compute-settle`, `trust-commit` and `trust-resolve`; on a node with validators also `finality-quorum`, `double-sign-slash` and `set-change` (finality-quorum over data statements)")),
    responses(
        (status = 200, description = "The verifying key", content_type = "application/octet-stream", body = Vec<u8>),
        (status = 404, description = "Not a circuit this node proves", body = ErrorBody),
    )
)]
async fn key(State(s): State<Shared_>, Path(circuit): Path<String>) -> Response {
    use stateproof_verifier::spec::{DOUBLE_SIGN_SLASH, FINALITY_QUORUM, TRANSFER_BATCH};
    match (circuit.as_str(), &s.finality) {
        (id, _) if s.keys.contains_key(id) => octets(s.keys[id].1.to_bytes()),
        (id, Some(f)) if id == FINALITY_QUORUM.id => octets(f.vk.to_bytes()),
        (id, Some(f)) if id == DOUBLE_SIGN_SLASH.id => octets(f.slashing_vk.to_bytes()),
        (crate::client::SET_CHANGE_KEY, Some(f)) => octets(f.set_change_vk.to_bytes()),
        _ => {
            let proves = match s.finality {
                Some(_) => format!(
                    "{}, {}, {} and {}",
                    TRANSFER_BATCH.id,
                    FINALITY_QUORUM.id,
                    DOUBLE_SIGN_SLASH.id,
                    crate::client::SET_CHANGE_KEY
                ),
                None => TRANSFER_BATCH.id.to_string(),
            };
            error(
                StatusCode::NOT_FOUND,
                "not-found",
                format!("this node proves {proves}, not {circuit:?}"),
            )
        }
    }
}

/// The node at a glance.
#[utoipa::path(
    get,
    path = "/v1/status",
    responses(
        (status = 200, description = "The node's state", body = StatusView),
        (status = 503, description = "The store failed", body = ErrorBody),
    )
)]
async fn status(State(s): State<Shared_>) -> Response {
    let (_, sealed_batches, pending) = match s.store.counts().await {
        Ok(c) => c,
        Err(e) => return storage(e),
    };
    // The root and its update's number together, as the prover set them.
    let (proven_root, proven_updates) = {
        let proven = s.proven.read().expect("proven lock");
        (fr(&proven.0.root()), proven.1)
    };
    let halted = s.halted.lock().expect("lock").clone();
    Json(StatusView {
        circuit: stateproof_verifier::spec::TRANSFER_BATCH.id.into(),
        depth: s.meta.depth as u64,
        slots: s.meta.slots as u64,
        genesis_root: fr(&s.meta.genesis_root),
        vk_fingerprint: s.meta.vk_fingerprint.clone(),
        proven_root,
        proven_updates,
        sealed_batches,
        pending,
        backend: s.backend.clone(),
        sample_accounts: s.meta.sample_accounts,
        proving: s.proving && halted.is_none(),
        halted,
        ledger_keys: s.meta.ledger.as_ref().map(|l| l.keys.clone()).unwrap_or_default(),
        deal_depth: s.meta.deal_depth as u64,
        member_depth: s.meta.member_depth as u64,
    })
    .into_response()
}

/// Prometheus metrics.
#[utoipa::path(
    get,
    path = "/metrics",
    responses((status = 200, description = "Prometheus text format", content_type = "text/plain", body = String))
)]
async fn metrics(State(s): State<Shared_>) -> Response {
    let pool = s.pool.lock().expect("pool lock").len();
    let proven_updates = s.proven_updates.load(Ordering::SeqCst);
    let in_flight = s.sealed_batches.load(Ordering::SeqCst).saturating_sub(proven_updates);
    let text = s.metrics.render(&Gauges { pool, in_flight, backend: &s.backend, proven_updates });
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response()
}

async fn openapi() -> Response {
    Json(ApiDoc::openapi()).into_response()
}
