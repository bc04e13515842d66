//! Clients of a node over HTTP: `send` (sign and submit a transfer),
//! `light-client follow` and `balance` (which trust the node for nothing:
//! every update is verified with the `no_std` verifier, every balance
//! against the verified root), and `load` (a load generator over the
//! sample-funded accounts).

use crate::finality::api::{
    AttestationAnswer, AttestationPost, EvidenceAnswer, EvidencePost, FinalityPage, HeadersPage,
    SetChangePost, SetChangesPage,
};
use crate::node::Genesis;
use crate::wire::*;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use stateproof_app::files::{read_json, write_json};
use stateproof_app::text::{fr, hex32};
use stateproof_app::userkeys::{read_key, read_public_key};
use stateproof_app::{AppError, Result};
use stateproof_circuits::ledger::Account;
use stateproof_circuits::primitives::eddsa::PublicKey;
use stateproof_circuits::primitives::field::{key_from_strings, key_to_strings, parse_fr};
use stateproof_circuits::primitives::merkle::MerkleProof;
use stateproof_circuits::sample::sample_key;
use stateproof_circuits::transfer::{Transfer, TransferJson};
use stateproof_circuits::Fr;
use stateproof_verifier::{CompressedUpdate, LightClient, VerifyingKey};
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

mod circom;
mod finality;
mod ledger;
mod light;
mod load;
mod validator;

pub use circom::*;
pub use finality::*;
pub use ledger::*;
pub use light::*;
pub use load::*;
pub use validator::*;

/// A node's API.
#[derive(Clone)]
pub struct NodeClient {
    base: String,
    agent: ureq::Agent,
}

/// A request the node refused: its status and its error body.
#[derive(Clone, Debug)]
pub struct Refusal {
    /// The HTTP status.
    pub status: u16,
    /// The rule.
    pub rule: String,
    /// The node's sentence.
    pub message: String,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "refused ({} {}): {}", self.status, self.rule, self.message)
    }
}

impl NodeClient {
    /// A client of the node at `url` (`http://host:port`).
    pub fn new(url: &str) -> Result<Self> {
        let base = url.trim_end_matches('/').to_string();
        if !base.starts_with("http://") && !base.starts_with("https://") {
            return Err(AppError::unusable(format!("--node {url:?}: expected http://HOST:PORT")));
        }
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .into();
        Ok(Self { base, agent })
    }

    /// The node's address.
    pub fn url(&self) -> &str {
        &self.base
    }

    fn unreachable(&self, path: &str, e: impl fmt::Display) -> AppError {
        AppError::unusable(format!("{}{path}: {e}", self.base))
    }

    fn refusal(&self, status: u16, body: &[u8]) -> Refusal {
        match serde_json::from_slice::<ErrorBody>(body) {
            Ok(b) => Refusal { status, rule: b.error.rule, message: b.error.message },
            Err(_) => Refusal {
                status,
                rule: "unknown".into(),
                message: String::from_utf8_lossy(body).chars().take(200).collect(),
            },
        }
    }

    fn fetch(&self, path: &str) -> Result<std::result::Result<Vec<u8>, Refusal>> {
        let mut r = self
            .agent
            .get(format!("{}{path}", self.base))
            .call()
            .map_err(|e| self.unreachable(path, e))?;
        let status = r.status().as_u16();
        let body = r
            .body_mut()
            .with_config()
            .limit(64 << 20)
            .read_to_vec()
            .map_err(|e| self.unreachable(path, e))?;
        Ok(if status == 200 { Ok(body) } else { Err(self.refusal(status, &body)) })
    }

    fn get_json<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        let body = self.fetch(path)?.map_err(|r| self.unreachable(path, r))?;
        serde_json::from_slice(&body)
            .map_err(|e| self.unreachable(path, format!("not the expected answer: {e}")))
    }

    /// `GET /v1/status`.
    pub fn status(&self) -> Result<StatusView> {
        self.get_json("/v1/status")
    }

    /// `GET /v1/accounts/{index}`.
    pub fn account(&self, index: u64) -> Result<AccountView> {
        self.get_json(&format!("/v1/accounts/{index}"))
    }

    /// `GET /v1/deals/{id}`.
    pub fn deal(&self, id: u64) -> Result<DealView> {
        self.get_json(&format!("/v1/deals/{id}"))
    }

    /// `GET /v1/members/{index}`.
    pub fn member(&self, index: u64) -> Result<MemberView> {
        self.get_json(&format!("/v1/members/{index}"))
    }

    /// `GET /v1/accounts?key_x=..&key_y=..`: the accounts `key` holds.
    pub fn accounts_of(&self, key: &PublicKey) -> Result<Vec<u64>> {
        let [x, y] = key_to_strings(key);
        let found: KeyAccounts = self.get_json(&format!("/v1/accounts?key_x={x}&key_y={y}"))?;
        Ok(found.accounts)
    }

    /// `GET /v1/transactions/{id}`; `None` if the node does not know it.
    pub fn transaction(&self, id: &str) -> Result<Option<TransactionView>> {
        self.get_optional(&format!("/v1/transactions/{id}"))
    }

    /// A JSON answer, or `None` on a 404.
    fn get_optional<T: DeserializeOwned>(&self, path: &str) -> Result<Option<T>> {
        match self.fetch(path)? {
            Ok(b) => serde_json::from_slice(&b)
                .map(Some)
                .map_err(|e| self.unreachable(path, format!("not the expected answer: {e}"))),
            Err(r) if r.status == 404 => Ok(None),
            Err(r) => Err(self.unreachable(path, r)),
        }
    }

    /// `GET /v1/updates?from=N`.
    pub fn updates(&self, from: u64) -> Result<UpdatesPage> {
        self.get_json(&format!("/v1/updates?from={from}"))
    }

    /// `GET /v1/keys/transfer-batch`, parsed (every point checked).
    pub fn verifying_key(&self) -> Result<VerifyingKey> {
        self.key_of(stateproof_verifier::spec::TRANSFER_BATCH.id)
    }

    /// `GET /v1/updates/{n}`: the compressed update's bytes, `None` if not
    /// proven.
    pub fn update_bytes(&self, n: u64) -> Result<Option<Vec<u8>>> {
        let path = format!("/v1/updates/{n}");
        match self.fetch(&path)? {
            Ok(b) => Ok(Some(b)),
            Err(r) if r.status == 404 => Ok(None),
            Err(r) => Err(self.unreachable(&path, r)),
        }
    }

    /// `GET /v1/keys/{circuit}`, refused unless its fingerprint is
    /// `fingerprint` (hex, from a genesis the caller trusts).
    pub fn trusted_key(&self, circuit: &str, fingerprint: &str) -> Result<VerifyingKey> {
        let vk = self.key_of(circuit)?;
        if hex32(&vk.fingerprint()) != fingerprint {
            return Err(AppError::invalid(format!(
                "{}: the node's {circuit} key ({}) is not the genesis's ({fingerprint})",
                self.base,
                hex32(&vk.fingerprint())
            )));
        }
        Ok(vk)
    }

    /// `GET /v1/keys/{circuit}`, parsed (every point checked).
    pub fn key_of(&self, circuit: &str) -> Result<VerifyingKey> {
        let path = format!("/v1/keys/{circuit}");
        let bytes = self.fetch(&path)?.map_err(|r| self.unreachable(&path, r))?;
        VerifyingKey::from_bytes(&bytes)
            .map_err(|e| self.unreachable(&path, format!("not a verifying key: {e}")))
    }

    /// `GET /v1/headers?from=H`.
    pub fn headers(&self, from: u64) -> Result<HeadersPage> {
        self.get_json(&format!("/v1/headers?from={from}"))
    }

    /// `GET /v1/finality?from=H`.
    pub fn finality(&self, from: u64) -> Result<FinalityPage> {
        self.get_json(&format!("/v1/finality?from={from}"))
    }

    /// `POST /v1/attestations`: the node's answer, kept or refused.
    pub fn attest(
        &self,
        a: &AttestationPost,
    ) -> Result<std::result::Result<AttestationAnswer, Refusal>> {
        self.post_json("/v1/attestations", a)
    }

    /// `POST /v1/evidence`.
    pub fn post_evidence(
        &self,
        e: &EvidencePost,
    ) -> Result<std::result::Result<EvidenceAnswer, Refusal>> {
        self.post_json("/v1/evidence", e)
    }

    /// `GET /v1/set-changes`.
    pub fn set_changes(&self) -> Result<SetChangesPage> {
        self.get_json("/v1/set-changes")
    }

    /// `POST /v1/set-changes`.
    pub fn request_set_change(
        &self,
        c: &SetChangePost,
    ) -> Result<std::result::Result<EvidenceAnswer, Refusal>> {
        self.post_json("/v1/set-changes", c)
    }

    /// POSTs `body` as JSON; a 2xx answer parsed, any other a refusal.
    fn post_json<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<std::result::Result<T, Refusal>> {
        let mut r = self
            .agent
            .post(format!("{}{path}", self.base))
            .send_json(body)
            .map_err(|e| self.unreachable(path, e))?;
        let status = r.status().as_u16();
        let body = r.body_mut().read_to_vec().map_err(|e| self.unreachable(path, e))?;
        if (200..300).contains(&status) {
            serde_json::from_slice(&body)
                .map(Ok)
                .map_err(|e| self.unreachable(path, format!("not the expected answer: {e}")))
        } else {
            Ok(Err(self.refusal(status, &body)))
        }
    }

    /// `POST /v1/transactions`: the node's answer, accepted or refused.
    pub fn submit(&self, t: &TransferJson) -> Result<std::result::Result<Accepted, Refusal>> {
        self.post_json("/v1/transactions", t)
    }

    /// `POST /v1/transactions` of a transaction of any kind.
    pub fn submit_tx(
        &self,
        t: &crate::ledger::TxJson,
    ) -> Result<std::result::Result<Accepted, Refusal>> {
        self.post_json("/v1/transactions", t)
    }
}

fn account_of(view: &Option<AccountFields>, what: &str) -> Result<Account> {
    let f = view.as_ref().ok_or_else(|| AppError::invalid(format!("{what} is empty")))?;
    let public_key = key_from_strings(&f.public_key)
        .map_err(|e| AppError::unusable(format!("{what}: public_key: {e}")))?;
    Ok(Account { public_key, balance: f.balance, nonce: f.nonce })
}

/// What `stateproof send` is asked to do.
#[derive(Clone, Debug)]
pub struct SendOptions {
    /// The node.
    pub node: String,
    /// The sender's key file.
    pub key: PathBuf,
    /// The sender's account; `None`: the one the key holds.
    pub from: Option<u64>,
    /// The receiver's account.
    pub to: u64,
    /// The receiver's key (a key file or `x,y`), for an account the
    /// transfer opens.
    pub to_key: Option<String>,
    /// The amount.
    pub amount: u64,
    /// Wait this long for the transfer to be proven.
    pub wait: Option<Duration>,
}

/// What `stateproof send` did.
#[derive(Clone, Debug, Serialize)]
pub struct SendReport {
    /// The transaction's id.
    pub id: String,
    /// Sender, receiver, amount, nonce.
    pub from: u64,
    /// Receiver.
    pub to: u64,
    /// Amount.
    pub amount: u64,
    /// The nonce it carries.
    pub nonce: u64,
    /// Where it is now.
    pub status: String,
    /// Its batch, once sealed.
    pub batch: Option<u64>,
}

impl fmt::Display for SendReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "transaction {}: {} -> {} amount {} nonce {}: {}",
            self.id, self.from, self.to, self.amount, self.nonce, self.status
        )?;
        if let Some(b) = self.batch {
            write!(f, " (update {b})")?;
        }
        Ok(())
    }
}

/// Looks up the nonce, signs, submits, and with `wait` waits for the proof.
pub fn send(o: &SendOptions) -> Result<SendReport> {
    let client = NodeClient::new(&o.node)?;
    let key = read_key(&o.key)?;
    let from = match o.from {
        Some(from) => from,
        None => match client.accounts_of(&key.public_key())?.as_slice() {
            [one] => *one,
            [] => {
                return Err(AppError::invalid(format!(
                "{}: no account on {} holds this key (an account is opened by a transfer to it)",
                o.key.display(),
                client.url()
            )))
            }
            several => {
                return Err(AppError::invalid(format!(
                    "{} holds accounts {several:?} on {}: say which with --from",
                    o.key.display(),
                    client.url()
                )))
            }
        },
    };
    let sender = account_of(&client.account(from)?.pending, &format!("account {from}"))?;
    if sender.public_key != key.public_key() {
        return Err(AppError::invalid(format!(
            "account {from} does not belong to {}",
            o.key.display()
        )));
    }
    let to_key = match &o.to_key {
        Some(k) => read_public_key(k)?,
        None => {
            let view = client.account(o.to)?;
            account_of(&view.pending, &format!("account {} (give --to-key to open it)", o.to))?
                .public_key
        }
    };
    let t = Transfer::sign(&key, from, o.to, to_key, o.amount, sender.nonce);
    let accepted = client
        .submit(&TransferJson::from_transfer(&t))?
        .map_err(|r| AppError::invalid(format!("{}: {r}", client.url())))?;
    let mut report = SendReport {
        id: accepted.id.clone(),
        from,
        to: o.to,
        amount: o.amount,
        nonce: t.nonce,
        status: accepted.status,
        batch: None,
    };
    if let Some(wait) = o.wait {
        (report.status, report.batch) = wait_until_proven(&client, &accepted.id, wait)?;
    }
    Ok(report)
}

/// Waits up to `wait` for transaction `id` to be proven: its status and
/// its batch then.
pub fn wait_until_proven(
    client: &NodeClient,
    id: &str,
    wait: Duration,
) -> Result<(String, Option<u64>)> {
    let deadline = Instant::now() + wait;
    loop {
        let (status, batch) = match client.transaction(id)? {
            Some(v) => (v.status, v.batch),
            None => ("unknown".to_string(), None),
        };
        if status == "proven" {
            return Ok((status, batch));
        }
        if Instant::now() >= deadline {
            return Err(AppError::invalid(format!(
                "transaction {id} is still {status} after {} s",
                wait.as_secs()
            )));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}
