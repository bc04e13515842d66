//! Finality's part of the API: headers, attestations, finality proofs,
//! evidence and set changes (bodies in `wire.rs`).

use super::set_change_commitment;
pub use super::wire::*;
use super::{kept_attestations, Finality, THRESHOLD};
use crate::api::{error, parse_u64, query_pairs, read_body, storage, ApiError};
use crate::node::Shared;
use crate::store::ChangeKind;
use crate::wire::ErrorBody;
use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use stateproof_app::text::fr;
use stateproof_circuits::finality::{
    check_double_sign, check_quorum, Attestation, AttestationJson, FinalityError, FinalityRule,
    Header, SetJson, Statement, ValidatorSet,
};
use stateproof_circuits::primitives::field::parse_fr;
use std::sync::Arc;

/// Most headers or finality proofs in one page.
const MAX_PAGE: u64 = 100;

/// What a set change asks of the current set, checked: the statement its
/// signers sign, or why it is refused (rule, sentence).
pub fn check_set_change(
    f: &Finality,
    set: &ValidatorSet,
    attestations: &[Attestation],
) -> Result<(ValidatorSet, Statement), (&'static str, String)> {
    let (current, n) = f.current_set();
    if set.depth() != current.depth() {
        return Err((
            "wrong-depth",
            format!("the new set has depth {}, the current {}", set.depth(), current.depth()),
        ));
    }
    let slots = f.slots();
    if set.members().len() > slots {
        return Err((
            "too-many-validators",
            format!(
                "{} validators; the finality circuit has {slots} signer slots",
                set.members().len()
            ),
        ));
    }
    if set.root() == current.root() {
        return Err(("same-set", "the new set is the current one".into()));
    }
    let statement = Statement::Data(set_change_commitment(current.root(), set.root(), n));
    check_quorum(&current, &statement, attestations, THRESHOLD, slots).map_err(|e| match &e {
        FinalityError::Rule(r) => (rule_name(r), e.to_string()),
        _ => ("malformed-field", e.to_string()),
    })?;
    Ok((current, statement))
}

type Shared_ = Arc<Shared>;

/// A JSON body of at most [`crate::api::MAX_BODY`] bytes.
async fn read_json<T: serde::de::DeserializeOwned>(body: Body) -> Result<T, ApiError> {
    let bytes = read_body(body).await?;
    serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "malformed-json", e.to_string()))
}

fn no_finality() -> Response {
    error(
        StatusCode::NOT_FOUND,
        "no-finality",
        "this node has no validator set (it was initialised without --validators)",
    )
}

fn view(f: &Finality, h: &Header) -> HeaderView {
    HeaderView {
        height: h.height,
        prev_hash: fr(&h.prev_hash),
        state_root: fr(&h.state_root),
        next_set_root: fr(&h.next_set_root),
        hash: fr(&h.hash()),
        is_final: h.height == 0 || h.height <= f.final_height(),
    }
}

/// `from` and `limit` of a page request.
fn page(q: Option<&str>, first: u64) -> Result<(u64, u32), ApiError> {
    let q = query_pairs(q);
    let get = |name: &str| q.get(name).map(|v| parse_u64(name, v)).transpose();
    let from = get("from")?.unwrap_or(first).max(first);
    let limit = get("limit")?.unwrap_or(MAX_PAGE);
    Ok((from, limit.clamp(1, MAX_PAGE) as u32))
}

/// Headers from a height on, as far as updates are proven.
#[utoipa::path(
    get,
    path = "/v1/headers",
    params(
        ("from" = Option<u64>, Query, description = "The first height (default 0, the genesis header)"),
        ("limit" = Option<u64>, Query, description = "Most headers (default 100; larger is read as 100)"),
    ),
    responses(
        (status = 200, description = "A page of headers", body = HeadersPage),
        (status = 400, description = "A malformed parameter", body = ErrorBody),
        (status = 404, description = "The node has no validator set", body = ErrorBody),
        (status = 503, description = "The store failed", body = ErrorBody),
    )
)]
pub async fn headers(State(s): State<Shared_>, RawQuery(q): RawQuery) -> Response {
    let Some(f) = s.finality.as_deref() else {
        return no_finality();
    };
    let (from, limit) = match page(q.as_deref(), 0) {
        Ok(p) => p,
        Err(r) => return r.into_response(),
    };
    match f.headers_from(&s.store, from, limit).await {
        Err(e) => storage(e),
        Ok(list) => {
            let next = list.last().map_or(from, |h| h.height + 1);
            let headers = list.iter().map(|h| view(f, h)).collect();
            Json(HeadersPage { headers, next }).into_response()
        }
    }
}

/// One header.
#[utoipa::path(
    get,
    path = "/v1/headers/{height}",
    params(("height" = u64, Path, description = "The height (0: genesis)")),
    responses(
        (status = 200, description = "The header", body = HeaderView),
        (status = 400, description = "Not an integer", body = ErrorBody),
        (status = 404, description = "No such header yet, or no validator set", body = ErrorBody),
        (status = 503, description = "The store failed", body = ErrorBody),
    )
)]
pub async fn header(State(s): State<Shared_>, Path(height): Path<String>) -> Response {
    let Some(f) = s.finality.as_deref() else {
        return no_finality();
    };
    let height = match parse_u64("height", &height) {
        Ok(h) => h,
        Err(r) => return r.into_response(),
    };
    match f.header(&s.store, height).await {
        Err(e) => storage(e),
        Ok(None) => error(
            StatusCode::NOT_FOUND,
            "not-found",
            format!("no header {height}: update {height} is not proven"),
        ),
        Ok(Some(h)) => Json(view(f, &h)).into_response(),
    }
}

/// Takes a validator's attestation of a header.
///
/// Checked at once: the header exists and has the hash signed, the signer
/// is the set's member at that index with that key, and the signature
/// verifies. The first attestation a validator sends for a height is kept;
/// sending it again is harmless.
#[utoipa::path(
    post,
    path = "/v1/attestations",
    request_body = AttestationPost,
    responses(
        (status = 202, description = "Kept (or kept before)", body = AttestationAnswer),
        (status = 400, description = "Malformed JSON or field", body = ErrorBody),
        (status = 404, description = "No such header yet, or no validator set", body = ErrorBody),
        (status = 408, description = "The body came too slowly", body = ErrorBody),
        (status = 409, description = "This validator attested another header at that height", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 422, description = "Not a member, a bad signature, or another header's hash", body = ErrorBody),
        (status = 503, description = "The store failed", body = ErrorBody),
    )
)]
pub async fn attest(State(s): State<Shared_>, body: Body) -> Response {
    let Some(f) = s.finality.as_deref() else {
        return no_finality();
    };
    let post: AttestationPost = match read_json(body).await {
        Ok(p) => p,
        Err(r) => return r.into_response(),
    };
    let (attestation, claimed) = match parse_attestation(&post) {
        Ok(a) => a,
        Err(r) => return r.into_response(),
    };
    let header = match f.header(&s.store, post.height).await {
        Err(e) => return storage(e),
        Ok(Some(h)) if post.height > 0 => h,
        _ => {
            return error(
                StatusCode::NOT_FOUND,
                "not-found",
                format!("no header {} to attest (headers from 1 are attested)", post.height),
            )
        }
    };
    if let Err((rule, message)) = f.check(&header, claimed, &attestation) {
        return error(StatusCode::UNPROCESSABLE_ENTITY, rule, message);
    }
    let body = match serde_json::to_string(&AttestationJson::from_attestation(&attestation)) {
        Ok(b) => b,
        Err(e) => return storage(e),
    };
    match s.store.insert_attestation(post.height, post.index, &claimed, &body).await {
        Err(e) => return storage(e),
        Ok(kept) if kept != claimed => {
            return error(
                StatusCode::CONFLICT,
                "double-sign",
                format!(
                "validator {} attested header {} at height {} before: two headers at one height",
                post.index,
                fr(&kept),
                post.height
            ),
            )
        }
        Ok(_) => {}
    }
    let kept = match kept_attestations(&s.store, &header).await {
        Ok(k) => k,
        Err(e) => return storage(e),
    };
    let (attested_stake, total_stake) = f.stake_of(post.height, &kept);
    let answer = AttestationAnswer {
        height: post.height,
        attested_stake,
        total_stake,
        quorum: THRESHOLD.met(attested_stake, total_stake),
    };
    (StatusCode::ACCEPTED, Json(answer)).into_response()
}

fn parse_attestation(
    p: &AttestationPost,
) -> Result<(stateproof_circuits::finality::Attestation, stateproof_circuits::Fr), ApiError> {
    let malformed = |field: &str, e: String| {
        ApiError::new(StatusCode::BAD_REQUEST, "malformed-field", format!("{field}: {e}"))
    };
    let claimed = parse_fr(&p.header_hash).map_err(|e| malformed("header_hash", e.to_string()))?;
    let json = AttestationJson {
        index: p.index,
        public_key: p.public_key.clone(),
        signature_r8: p.signature_r8.clone(),
        signature_s: p.signature_s.clone(),
    };
    let a = json.to_attestation().map_err(|e| malformed("attestation", e.to_string()))?;
    Ok((a, claimed))
}

/// Finality proofs from a height on.
#[utoipa::path(
    get,
    path = "/v1/finality",
    params(
        ("from" = Option<u64>, Query, description = "The first height (default 1)"),
        ("limit" = Option<u64>, Query, description = "Most proofs (default 100; larger is read as 100)"),
    ),
    responses(
        (status = 200, description = "A page of finality proofs", body = FinalityPage),
        (status = 400, description = "A malformed parameter", body = ErrorBody),
        (status = 404, description = "The node has no validator set", body = ErrorBody),
        (status = 503, description = "The store failed", body = ErrorBody),
    )
)]
pub async fn finality_page(State(s): State<Shared_>, RawQuery(q): RawQuery) -> Response {
    if s.finality.is_none() {
        return no_finality();
    }
    let (from, limit) = match page(q.as_deref(), 1) {
        Ok(p) => p,
        Err(r) => return r.into_response(),
    };
    match s.store.finality_from(from, limit).await {
        Err(e) => storage(e),
        Ok(list) => {
            let next = list.last().map_or(from, |r| r.height + 1);
            let proofs = list.into_iter().map(finality_view).collect();
            Json(FinalityPage { proofs, next }).into_response()
        }
    }
}

fn finality_view(r: crate::store::FinalityRecord) -> FinalityView {
    FinalityView {
        height: r.height,
        header_hash: fr(&r.header_hash),
        signers: r.signers,
        update_hex: hex::encode(&r.bytes),
    }
}

/// One header's finality proof.
#[utoipa::path(
    get,
    path = "/v1/finality/{height}",
    params(("height" = u64, Path, description = "The header's height, from 1")),
    responses(
        (status = 200, description = "The proof", body = FinalityView),
        (status = 400, description = "Not an integer", body = ErrorBody),
        (status = 404, description = "Not final (yet), or no validator set", body = ErrorBody),
        (status = 503, description = "The store failed", body = ErrorBody),
    )
)]
pub async fn finality_proof(State(s): State<Shared_>, Path(height): Path<String>) -> Response {
    if s.finality.is_none() {
        return no_finality();
    }
    let height = match parse_u64("height", &height) {
        Ok(h) => h,
        Err(r) => return r.into_response(),
    };
    match s.store.finality_from(height, 1).await {
        Err(e) => storage(e),
        Ok(list) => match list.into_iter().next().filter(|r| r.height == height) {
            Some(r) => Json(finality_view(r)).into_response(),
            None => error(
                StatusCode::NOT_FOUND,
                "not-found",
                format!("header {height} has no finality proof (yet)"),
            ),
        },
    }
}

/// Takes double-sign evidence.
///
/// Checked at once against the current set (the offender is a member with
/// stake, both signatures verify, the headers differ and have one height),
/// then proven by the node, which records the slashed set as the one the
/// next header names.
#[utoipa::path(
    post,
    path = "/v1/evidence",
    request_body = EvidencePost,
    responses(
        (status = 202, description = "Kept for the slasher", body = EvidenceAnswer),
        (status = 400, description = "Malformed JSON or field", body = ErrorBody),
        (status = 404, description = "The node has no validator set", body = ErrorBody),
        (status = 408, description = "The body came too slowly", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 422, description = "Not a double sign by a member with stake", body = ErrorBody),
        (status = 503, description = "The store failed", body = ErrorBody),
    )
)]
pub async fn evidence(State(s): State<Shared_>, body: Body) -> Response {
    let Some(f) = s.finality.as_deref() else {
        return no_finality();
    };
    let post: EvidencePost = match read_json(body).await {
        Ok(p) => p,
        Err(r) => return r.into_response(),
    };
    let json = post.to_json();
    let evidence = match json.to_evidence() {
        Ok(e) => e,
        Err(e) => return error(StatusCode::BAD_REQUEST, "malformed-field", e.to_string()),
    };
    if let Err(e) = check_double_sign(&f.current_set().0, &evidence) {
        let rule = match &e {
            FinalityError::Rule(r) => rule_name(r),
            _ => "malformed-field",
        };
        let status = match e {
            FinalityError::Rule(_) => StatusCode::UNPROCESSABLE_ENTITY,
            _ => StatusCode::BAD_REQUEST,
        };
        return error(status, rule, e.to_string());
    }
    let body = match serde_json::to_string(&json) {
        Ok(b) => b,
        Err(e) => return storage(e),
    };
    if let Err(e) = s.store.insert_change_request(ChangeKind::Slash, Some(post.index), &body).await
    {
        return storage(e);
    }
    let answer = EvidenceAnswer { offender: Some(post.index), status: "queued".into() };
    (StatusCode::ACCEPTED, Json(answer)).into_response()
}

fn rule_name(r: &FinalityRule) -> &'static str {
    match r {
        FinalityRule::NotMember { .. } => "not-member",
        FinalityRule::BadSignature { .. } => "bad-signature",
        FinalityRule::DuplicateSigner { .. } => "duplicate-signer",
        FinalityRule::QuorumNotReached { .. } => "quorum-not-reached",
        FinalityRule::DifferentHeights => "different-heights",
        FinalityRule::SameHeader => "same-header",
        FinalityRule::AlreadySlashed { .. } => "already-slashed",
    }
}

/// Takes a new set signed by a quorum of the current one.
///
/// Checked at once: the same depth, at most as many validators as the
/// finality circuit's signer slots, not the current set, and signatures by
/// more than 2/3 of the current set's stake over
/// `Poseidon(SET_CHANGE_DOMAIN, current_root, new_root, n)` (`n`: the
/// changes so far, `GET /v1/set-changes`); then proven by the node, which
/// records it as the set the next header names.
#[utoipa::path(
    post,
    path = "/v1/set-changes",
    request_body = SetChangePost,
    responses(
        (status = 202, description = "Kept for proving", body = EvidenceAnswer),
        (status = 400, description = "Malformed JSON or field", body = ErrorBody),
        (status = 404, description = "The node has no validator set", body = ErrorBody),
        (status = 408, description = "The body came too slowly", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 422, description = "Not signed by a quorum of the current set, or a set the node cannot take", body = ErrorBody),
        (status = 503, description = "The store failed", body = ErrorBody),
    )
)]
pub async fn request_set_change(State(s): State<Shared_>, body: Body) -> Response {
    let Some(f) = s.finality.as_deref() else {
        return no_finality();
    };
    let post: SetChangePost = match read_json(body).await {
        Ok(p) => p,
        Err(r) => return r.into_response(),
    };
    let (set, attestations) = match post.parse() {
        Ok(p) => p,
        Err(e) => return error(StatusCode::BAD_REQUEST, "malformed-field", e),
    };
    if let Err((rule, message)) = check_set_change(f, &set, &attestations) {
        return error(StatusCode::UNPROCESSABLE_ENTITY, rule, message);
    }
    let body = match serde_json::to_string(&post) {
        Ok(b) => b,
        Err(e) => return storage(e),
    };
    if let Err(e) = s.store.insert_change_request(ChangeKind::Quorum, None, &body).await {
        return storage(e);
    }
    let answer = EvidenceAnswer { offender: None, status: "queued".into() };
    (StatusCode::ACCEPTED, Json(answer)).into_response()
}

/// The set changes so far, with their proofs.
#[utoipa::path(
    get,
    path = "/v1/set-changes",
    responses(
        (status = 200, description = "Every set change, in height order", body = SetChangesPage),
        (status = 404, description = "The node has no validator set", body = ErrorBody),
        (status = 503, description = "The store failed", body = ErrorBody),
    )
)]
pub async fn set_changes(State(s): State<Shared_>) -> Response {
    if s.finality.is_none() {
        return no_finality();
    }
    match s.store.set_changes().await {
        Err(e) => storage(e),
        Ok(changes) => {
            let changes = changes
                .into_iter()
                .map(|c| SetChangeView {
                    from_height: c.from_height,
                    kind: c.kind.name().into(),
                    offender: c.offender,
                    set_root: serde_json::from_str::<SetJson>(&c.set_json)
                        .ok()
                        .and_then(|j| j.to_set().ok())
                        .map(|set| fr(&set.root()))
                        .unwrap_or_default(),
                    update_hex: hex::encode(&c.bytes),
                })
                .collect();
            Json(SetChangesPage { changes }).into_response()
        }
    }
}
