//! Clients of a node over HTTP: `send` (sign and submit a transfer),
//! `light-client follow` and `balance` (which trust the node for nothing:
//! every update is verified with the `no_std` verifier, every balance
//! against the verified root), and `load` (a load generator over the
//! sample-funded accounts).

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
        let path = format!("/v1/keys/{}", stateproof_verifier::spec::TRANSFER_BATCH.id);
        let bytes = self.fetch(&path)?.map_err(|r| self.unreachable(&path, r))?;
        VerifyingKey::from_bytes(&bytes)
            .map_err(|e| self.unreachable(&path, format!("not a verifying key: {e}")))
    }

    /// `POST /v1/transactions`: the node's answer, accepted or refused.
    pub fn submit(&self, t: &TransferJson) -> Result<std::result::Result<Accepted, Refusal>> {
        let path = "/v1/transactions";
        let mut r = self
            .agent
            .post(format!("{}{path}", self.base))
            .send_json(t)
            .map_err(|e| self.unreachable(path, e))?;
        let status = r.status().as_u16();
        let body = r.body_mut().read_to_vec().map_err(|e| self.unreachable(path, e))?;
        if status == 202 {
            serde_json::from_slice(&body)
                .map(Ok)
                .map_err(|e| self.unreachable(path, format!("not the expected answer: {e}")))
        } else {
            Ok(Err(self.refusal(status, &body)))
        }
    }
}

/// The circom proving service (`/v1/circom/...`).
impl NodeClient {
    fn post_bytes(&self, path: &str, content_type: &str, body: &[u8]) -> Result<(u16, Vec<u8>)> {
        let mut r = self
            .agent
            .post(format!("{}{path}", self.base))
            .header("content-type", content_type)
            .config()
            .timeout_global(Some(UPLOAD_TIMEOUT))
            .build()
            .send(body)
            .map_err(|e| self.unreachable(path, e))?;
        let status = r.status().as_u16();
        let body = r.body_mut().read_to_vec().map_err(|e| self.unreachable(path, e))?;
        Ok((status, body))
    }

    fn answer<T: DeserializeOwned>(
        &self,
        path: &str,
        ok: &[u16],
        (status, body): (u16, Vec<u8>),
    ) -> Result<std::result::Result<T, Refusal>> {
        if ok.contains(&status) {
            serde_json::from_slice(&body)
                .map(Ok)
                .map_err(|e| self.unreachable(path, format!("not the expected answer: {e}")))
        } else {
            Ok(Err(self.refusal(status, &body)))
        }
    }

    /// `GET /v1/circom/keys/{id}`; `None` if the node does not hold it.
    pub fn circom_key(&self, id: &str) -> Result<Option<crate::circom::KeyView>> {
        self.get_optional(&format!("/v1/circom/keys/{id}"))
    }

    /// `POST /v1/circom/keys`: uploads a zkey's bytes.
    pub fn upload_zkey(
        &self,
        zkey: &[u8],
    ) -> Result<std::result::Result<crate::circom::KeyView, Refusal>> {
        let path = "/v1/circom/keys";
        let answer = self.post_bytes(path, "application/octet-stream", zkey)?;
        self.answer(path, &[200, 201], answer)
    }

    /// `POST /v1/circom/proofs?key=ID`: a `.wtns`, or (`json`) its values
    /// as snarkjs's JSON.
    pub fn request_proof(
        &self,
        key: &str,
        witness: &[u8],
        json: bool,
    ) -> Result<std::result::Result<crate::circom::ProofView, Refusal>> {
        let path = format!("/v1/circom/proofs?key={key}");
        let kind = if json { "application/json" } else { "application/octet-stream" };
        let answer = self.post_bytes(&path, kind, witness)?;
        self.answer(&path, &[202], answer)
    }

    /// `GET /v1/circom/proofs/{id}`.
    pub fn circom_proof(&self, id: &str) -> Result<crate::circom::ProofView> {
        self.get_json(&format!("/v1/circom/proofs/{id}"))
    }

    /// Polls a proof request until it is done or failed, or `within` has
    /// passed.
    pub fn wait_circom_proof(
        &self,
        id: &str,
        within: Duration,
    ) -> Result<crate::circom::ProofView> {
        let deadline = Instant::now() + within;
        loop {
            let view = self.circom_proof(id)?;
            if view.state == "done" || view.state == "failed" {
                return Ok(view);
            }
            if Instant::now() >= deadline {
                return Err(AppError::unusable(format!(
                    "{}: proof request {id} still {} after {} s",
                    self.base,
                    view.state,
                    within.as_secs()
                )));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// How long an upload (a zkey, a witness) may take.
const UPLOAD_TIMEOUT: Duration = Duration::from_secs(600);

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
        let deadline = Instant::now() + wait;
        loop {
            if let Some(v) = client.transaction(&accepted.id)? {
                report.status = v.status;
                report.batch = v.batch;
            }
            if report.status == "proven" {
                break;
            }
            if Instant::now() >= deadline {
                return Err(AppError::invalid(format!(
                    "transaction {} is still {} after {} s",
                    report.id,
                    report.status,
                    wait.as_secs()
                )));
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }
    Ok(report)
}

/// What a light client keeps between runs.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ClientFile {
    /// Always [`CLIENT_KIND`].
    pub kind: String,
    /// The circuit followed.
    pub circuit: String,
    /// Its account tree's depth.
    pub depth: usize,
    /// The verifying key, hex (stateproof's format).
    pub vk: String,
    /// The genesis root it started from.
    pub genesis_root: String,
    /// The last verified root.
    pub root: String,
    /// The next update's number.
    pub next_update: u64,
}

/// What a light-client state file says it is.
pub const CLIENT_KIND: &str = "stateproof transfer light client";

/// A light client over a node: its verified root and where it goes next.
pub struct Follower {
    client: NodeClient,
    light: LightClient,
    file: ClientFile,
    path: PathBuf,
}

/// What `light-client follow` did.
#[derive(Clone, Debug, Serialize)]
pub struct FollowReport {
    /// Updates verified and applied in this run.
    pub accepted: u64,
    /// The verified root now.
    pub root: String,
    /// The next update's number.
    pub next_update: u64,
    /// The client started from the node's word for genesis (no --genesis).
    pub trusted_node_for_genesis: bool,
    /// Why an update was rejected, if one was (the client kept its root).
    pub rejected: Option<String>,
}

impl fmt::Display for FollowReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.trusted_node_for_genesis {
            writeln!(f, "warning: genesis taken from the node itself (pass --genesis genesis.json to check it)")?;
        }
        match &self.rejected {
            None => write!(
                f,
                "verified {} updates; root {} (next update {})",
                self.accepted, self.root, self.next_update
            ),
            Some(r) => write!(
                f,
                "REJECTED update {}: {r}; kept root {} after {} verified updates",
                self.next_update, self.root, self.accepted
            ),
        }
    }
}

impl Follower {
    /// Opens the state file, or starts one from `genesis` (or, without it,
    /// from the node's word, reported as such).
    pub fn open(node: &str, path: &Path, genesis: Option<&Path>) -> Result<(Self, bool)> {
        let client = NodeClient::new(node)?;
        let bad = |why: String| AppError::unusable(format!("{}: {why}", path.display()));
        let (file, trusted) = if path.exists() {
            let file: ClientFile = read_json(path)?;
            if file.kind != CLIENT_KIND {
                return Err(bad(format!("kind: expected {CLIENT_KIND:?}")));
            }
            (file, false)
        } else {
            let vk = client.verifying_key()?;
            let (root, fingerprint, depth, trusted) = match genesis {
                Some(g) => {
                    let gen = Genesis::read(g)?;
                    gen.root_fr(g)?;
                    (gen.root, gen.vk_fingerprint, gen.depth, false)
                }
                None => {
                    let s = client.status()?;
                    (s.genesis_root, s.vk_fingerprint, s.depth as usize, true)
                }
            };
            if hex32(&vk.fingerprint()) != fingerprint {
                return Err(AppError::invalid(format!(
                    "{}: the node's verifying key ({}) is not the genesis's ({fingerprint})",
                    client.url(),
                    hex32(&vk.fingerprint())
                )));
            }
            let file = ClientFile {
                kind: CLIENT_KIND.into(),
                circuit: stateproof_verifier::spec::TRANSFER_BATCH.id.into(),
                depth,
                vk: hex::encode(vk.to_bytes()),
                genesis_root: root.clone(),
                root,
                next_update: 1,
            };
            (file, trusted)
        };
        let vk_bytes = hex::decode(&file.vk).map_err(|e| bad(format!("vk: {e}")))?;
        let vk = VerifyingKey::from_bytes(&vk_bytes).map_err(|e| bad(format!("vk: {e}")))?;
        let root = parse_fr(&file.root).map_err(|e| bad(format!("root: {e}")))?;
        let light = LightClient::new(vk, root);
        Ok((Self { client, light, file, path: path.to_path_buf() }, trusted))
    }

    /// The verified root.
    pub fn root(&self) -> Fr {
        self.light.root()
    }

    /// The node.
    pub fn node(&self) -> &NodeClient {
        &self.client
    }

    /// Fetches and verifies every update the node has from the next one on,
    /// saving the state after each page; stops at the first bad update.
    pub fn follow(&mut self, trusted: bool) -> Result<FollowReport> {
        let mut accepted = 0;
        let rejected = 'pages: loop {
            let page = self.client.updates(self.file.next_update)?;
            if page.updates.is_empty() {
                break None;
            }
            for u in &page.updates {
                if let Err(why) = self.apply(u) {
                    break 'pages Some(why);
                }
                accepted += 1;
            }
            self.save()?;
        };
        if accepted > 0 {
            self.save()?;
        }
        Ok(FollowReport {
            accepted,
            root: self.file.root.clone(),
            next_update: self.file.next_update,
            trusted_node_for_genesis: trusted,
            rejected,
        })
    }

    fn apply(&mut self, u: &UpdateView) -> std::result::Result<(), String> {
        if u.n != self.file.next_update {
            return Err(format!("the node sent update {} for {}", u.n, self.file.next_update));
        }
        let bytes = hex::decode(&u.update_hex).map_err(|e| format!("update_hex: {e}"))?;
        let update = CompressedUpdate::from_bytes(&bytes).map_err(|e| e.to_string())?;
        let root = self.light.apply(&update).map_err(|e| e.to_string())?;
        self.file.root = fr(&root);
        self.file.next_update += 1;
        Ok(())
    }

    fn save(&self) -> Result<()> {
        write_json(&self.path, &self.file)
    }
}

/// Follows a node into a state file.
pub fn follow(node: &str, state: &Path, genesis: Option<&Path>) -> Result<FollowReport> {
    let (mut f, trusted) = Follower::open(node, state, genesis)?;
    let report = f.follow(trusted)?;
    if let Some(r) = &report.rejected {
        return Err(AppError::invalid(format!("{}: {r}", f.node().url())));
    }
    Ok(report)
}

/// What `light-client balance` found.
#[derive(Clone, Debug, Serialize)]
pub struct BalanceReport {
    /// The account.
    pub index: u64,
    /// Its balance at the verified root (0 for an empty leaf).
    pub balance: u64,
    /// Its nonce there.
    pub nonce: u64,
    /// Whether the leaf is empty.
    pub empty: bool,
    /// The verified root the Merkle path leads to.
    pub root: String,
    /// The update that root is after.
    pub update: u64,
}

impl fmt::Display for BalanceReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.empty {
            write!(
                f,
                "account {}: empty (verified against root {} of update {})",
                self.index, self.root, self.update
            )
        } else {
            write!(
                f,
                "account {}: balance {} nonce {} (verified against root {} of update {})",
                self.index, self.balance, self.nonce, self.root, self.update
            )
        }
    }
}

/// Follows the node, then checks the account's Merkle path against the
/// verified root.
pub fn balance(
    node: &str,
    state: &Path,
    genesis: Option<&Path>,
    index: u64,
) -> Result<BalanceReport> {
    let (mut f, trusted) = Follower::open(node, state, genesis)?;
    for _ in 0..3 {
        let report = f.follow(trusted)?;
        if let Some(r) = report.rejected {
            return Err(AppError::invalid(format!("{}: {r}", f.node().url())));
        }
        let view = f.node().account(index)?;
        if view.update.checked_add(1) != Some(f.file.next_update) {
            continue; // the node proved more meanwhile: follow again
        }
        let root = f.root();
        let account =
            view.account.as_ref().map(|_| account_of(&view.account, "account")).transpose()?;
        let siblings = view
            .siblings
            .iter()
            .map(|s| parse_fr(s))
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| AppError::invalid(format!("{}: siblings: {e}", f.node().url())))?;
        let leaf = account.map_or(Fr::from(0u64), |a| a.leaf());
        let proof = MerkleProof { index, siblings };
        let depth = f.file.depth;
        if proof.siblings.len() != depth || proof.verify(root, leaf).is_err() {
            return Err(AppError::invalid(format!(
                "{}: account {index}'s Merkle path does not lead to the verified root",
                f.node().url()
            )));
        }
        return Ok(BalanceReport {
            index,
            balance: account.map_or(0, |a| a.balance),
            nonce: account.map_or(0, |a| a.nonce),
            empty: account.is_none(),
            root: fr(&root),
            update: view.update,
        });
    }
    Err(AppError::invalid(format!("{}: the node kept moving; try again", f.node().url())))
}

/// What `stateproof load` is asked to do.
#[derive(Clone, Debug)]
pub struct LoadOptions {
    /// The node.
    pub node: String,
    /// Transfers per second to offer.
    pub rate: f64,
    /// For how long.
    pub duration: Duration,
    /// Sample accounts to send from (default: all the node funded).
    pub senders: Option<u64>,
    /// Follow the accepted transfers into proven updates, waiting at most
    /// this long after the last submission.
    pub wait_proven: Option<Duration>,
}

/// What `stateproof load` measured.
#[derive(Clone, Debug, Serialize)]
pub struct LoadReport {
    /// Transfers submitted.
    pub submitted: u64,
    /// Accepted (202).
    pub accepted: u64,
    /// Refused, by rule.
    pub refused: BTreeMap<String, u64>,
    /// Requests that got no answer.
    pub failed: u64,
    /// Seconds from the first submission to the last answer.
    pub seconds: f64,
    /// Accepted per second.
    pub accepted_per_second: f64,
    /// Median submission latency, milliseconds.
    pub p50_ms: f64,
    /// 99th percentile, milliseconds.
    pub p99_ms: f64,
    /// Signing time before the clock started (not in the rate).
    pub signing_seconds: f64,
    /// The accepted transfers followed into proven updates (`--wait-proven`).
    pub proven: Option<ProvenReport>,
}

/// How the accepted transfers of a load run were proven, as seen by polling
/// `GET /v1/updates` every [`PROVEN_POLL`].
#[derive(Clone, Debug, Serialize)]
pub struct ProvenReport {
    /// Accepted transfers seen in a proven update.
    pub proven: u64,
    /// Accepted transfers not proven when the wait ended.
    pub unproven: u64,
    /// Updates published during the run.
    pub updates: u64,
    /// Proven transfers per second, first submission to last update seen.
    pub proven_per_second: f64,
    /// Median time from submission to the update being seen, milliseconds.
    pub p50_ms: f64,
    /// 99th percentile, milliseconds.
    pub p99_ms: f64,
}

/// How often `load --wait-proven` polls for updates (the resolution of its
/// latencies).
pub const PROVEN_POLL: Duration = Duration::from_millis(25);

impl fmt::Display for LoadReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "submitted {} transfers in {:.2} s: {} accepted ({:.0}/s), {} without answer",
            self.submitted, self.seconds, self.accepted, self.accepted_per_second, self.failed
        )?;
        for (rule, n) in &self.refused {
            writeln!(f, "  refused {rule}: {n}")?;
        }
        writeln!(
            f,
            "latency p50 {:.1} ms, p99 {:.1} ms (signed beforehand in {:.1} s)",
            self.p50_ms, self.p99_ms, self.signing_seconds
        )?;
        if let Some(p) = &self.proven {
            writeln!(
                f,
                "proven: {} in {} updates ({:.1}/s), {} not proven in time; submission to proven update p50 {:.0} ms, p99 {:.0} ms",
                p.proven, p.updates, p.proven_per_second, p.unproven, p.p50_ms, p.p99_ms
            )?;
        }
        Ok(())
    }
}

/// The `q`-quantile of sorted values (0 when empty).
fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

/// Follows accepted transfers (ids and submission instants arriving on
/// `accepted`, until every sender drops its end) into proven updates from
/// update `next` on, until all are proven or `wait` has passed since the
/// last submission.
fn watch_proven(
    client: &NodeClient,
    mut next: u64,
    accepted: mpsc::Receiver<(String, Instant)>,
    start: Instant,
    wait: Duration,
) -> ProvenReport {
    let mut waiting: HashMap<String, Instant> = HashMap::new();
    // Proven before its 202 reached us (or another client's).
    let mut early: HashMap<String, Instant> = HashMap::new();
    let mut latencies = Vec::new();
    let (mut updates, mut last_update, mut submitting_until) = (0, start, None);
    loop {
        loop {
            match accepted.try_recv() {
                Ok((id, sent)) => match early.remove(&id) {
                    Some(at) => latencies.push(at.saturating_duration_since(sent).as_secs_f64()),
                    None => drop(waiting.insert(id, sent)),
                },
                Err(mpsc::TryRecvError::Empty) => break,
                Err(mpsc::TryRecvError::Disconnected) => {
                    submitting_until.get_or_insert_with(Instant::now);
                    break;
                }
            }
        }
        if let Ok(page) = client.updates(next) {
            let now = Instant::now();
            for u in &page.updates {
                updates += 1;
                last_update = now;
                for id in &u.transactions {
                    match waiting.remove(id) {
                        Some(sent) => latencies.push((now - sent).as_secs_f64()),
                        None => drop(early.insert(id.clone(), now)),
                    }
                }
            }
            next = page.next.max(next);
        }
        if let Some(until) = submitting_until {
            if waiting.is_empty() || until.elapsed() > wait {
                break;
            }
        }
        std::thread::sleep(PROVEN_POLL);
    }
    let mut ms: Vec<f64> = latencies.iter().map(|s| s * 1e3).collect();
    ms.sort_by(f64::total_cmp);
    let proven = ms.len() as u64;
    ProvenReport {
        proven,
        unproven: waiting.len() as u64,
        updates,
        proven_per_second: proven as f64 / (last_update - start).as_secs_f64().max(1e-9),
        p50_ms: quantile(&ms, 0.5),
        p99_ms: quantile(&ms, 0.99),
    }
}

/// Offers `rate` transfers per second for `duration` from the sample
/// accounts, each sender's transfers in nonce order (one in flight per
/// sender); every transfer is signed before the clock starts.
pub fn load(o: &LoadOptions) -> Result<LoadReport> {
    let client = NodeClient::new(&o.node)?;
    let status = client.status()?;
    let n = o.senders.unwrap_or(status.sample_accounts).min(status.sample_accounts);
    if n < 2 {
        return Err(AppError::unusable(format!(
            "{}: the node funded {} sample accounts; load needs at least 2",
            client.url(),
            status.sample_accounts
        )));
    }
    if o.rate.is_nan() || o.rate <= 0.0 {
        return Err(AppError::unusable("--rate must be positive"));
    }
    let total = (o.rate * o.duration.as_secs_f64()).ceil() as u64;
    let sign_start = Instant::now();
    let mut plans: Vec<Vec<TransferJson>> = Vec::with_capacity(n as usize);
    for from in 0..n {
        let key = sample_key(from);
        let nonce =
            account_of(&client.account(from)?.pending, &format!("sample account {from}"))?.nonce;
        let to = (from + 1) % n;
        let to_key = sample_key(to).public_key();
        let count = total / n + u64::from(from < total % n);
        plans.push(
            (0..count)
                .map(|k| {
                    TransferJson::from_transfer(&Transfer::sign(
                        &key,
                        from,
                        to,
                        to_key,
                        1,
                        nonce + k,
                    ))
                })
                .collect(),
        );
    }
    let signing_seconds = sign_start.elapsed().as_secs_f64();
    let per_sender = o.rate / n as f64;
    let first_update = status.proven_updates.saturating_add(1);
    let start = Instant::now();
    let (accepted_tx, accepted_rx) = mpsc::channel();
    let (results, proven) = std::thread::scope(|scope| {
        let watcher = o.wait_proven.map(|wait| {
            let client = client.clone();
            scope.spawn(move || watch_proven(&client, first_update, accepted_rx, start, wait))
        });
        let handles: Vec<_> = plans
            .iter()
            .enumerate()
            .map(|(i, plan)| {
                let client = client.clone();
                let accepted = o.wait_proven.is_some().then(|| accepted_tx.clone());
                scope.spawn(move || {
                    let mut latencies = Vec::with_capacity(plan.len());
                    let mut refused = BTreeMap::new();
                    let mut failed = 0;
                    let offset = i as f64 / o.rate;
                    for (k, t) in plan.iter().enumerate() {
                        let at = start + Duration::from_secs_f64(offset + k as f64 / per_sender);
                        if let Some(wait) = at.checked_duration_since(Instant::now()) {
                            std::thread::sleep(wait);
                        }
                        let sent = Instant::now();
                        match client.submit(t) {
                            Ok(Ok(a)) => {
                                latencies.push(sent.elapsed().as_secs_f64() * 1e3);
                                if let Some(accepted) = &accepted {
                                    let _ = accepted.send((a.id, sent));
                                }
                            }
                            Ok(Err(r)) => *refused.entry(r.rule).or_insert(0) += 1,
                            Err(_) => failed += 1,
                        }
                    }
                    (latencies, refused, failed)
                })
            })
            .collect();
        drop(accepted_tx);
        let results: Vec<(Vec<f64>, BTreeMap<String, u64>, u64)> =
            handles.into_iter().map(|h| h.join().expect("a load thread does not panic")).collect();
        let seconds = start.elapsed().as_secs_f64();
        let proven = watcher.map(|w| w.join().expect("the proven watcher does not panic"));
        ((results, seconds), proven)
    });
    let (results, seconds) = results;
    let mut latencies: Vec<f64> = results.iter().flat_map(|r| r.0.iter().copied()).collect();
    latencies.sort_by(f64::total_cmp);
    let mut refused = BTreeMap::new();
    for (_, r, _) in &results {
        for (rule, k) in r {
            *refused.entry(rule.clone()).or_insert(0) += k;
        }
    }
    let accepted = latencies.len() as u64;
    Ok(LoadReport {
        submitted: total,
        accepted,
        refused,
        failed: results.iter().map(|r| r.2).sum(),
        seconds,
        accepted_per_second: accepted as f64 / seconds.max(1e-9),
        p50_ms: quantile(&latencies, 0.5),
        p99_ms: quantile(&latencies, 0.99),
        signing_seconds,
        proven,
    })
}

/// What `groth16 prove --node` did.
#[derive(Clone, Debug, Serialize)]
pub struct RemoteProveReport {
    /// The node.
    pub node: String,
    /// The zkey's id there.
    pub key: String,
    /// Whether this call uploaded the zkey (false: the node held it).
    pub uploaded: bool,
    /// The request's id.
    pub request: String,
    /// What proved it.
    pub backend: String,
    /// The worker's proof time.
    pub prove_ms: u64,
    /// From the first byte sent to the proof written.
    pub seconds: f64,
    /// proof.json.
    pub proof: PathBuf,
    /// public.json.
    pub public: PathBuf,
}

impl fmt::Display for RemoteProveReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "proved on {} ({}; zkey {} {}) in {:.2} s, {:.2} s of it proving",
            self.node,
            self.backend,
            &self.key[..16],
            if self.uploaded { "uploaded" } else { "held there" },
            self.seconds,
            self.prove_ms as f64 / 1000.0
        )?;
        write!(f, "wrote {} and {}", self.proof.display(), self.public.display())
    }
}

/// `groth16 prove --node`: proves with a zkey and a witness on a node's
/// circom service (uploading the zkey only when the node does not hold its
/// bytes), checks the proof against the node's verifying key for those
/// bytes, and writes snarkjs's proof.json and public.json. A `.json`
/// witness is sent as snarkjs's JSON, anything else as a `.wtns`.
pub fn prove_remote(
    client: &NodeClient,
    zkey: &Path,
    witness: &Path,
    proof: &Path,
    public: &Path,
    within: Duration,
) -> Result<RemoteProveReport> {
    let started = Instant::now();
    stateproof_app::files::check_writable(proof)?;
    stateproof_app::files::check_writable(public)?;
    let zkey_bytes = stateproof_app::files::read(zkey)?;
    let id = blake3::hash(&zkey_bytes).to_hex().to_string();
    let refused = |path: &Path, r: Refusal| AppError::invalid(format!("{}: {r}", path.display()));
    let (key, uploaded) = match client.circom_key(&id)? {
        Some(k) => (k, false),
        None => (client.upload_zkey(&zkey_bytes)?.map_err(|r| refused(zkey, r))?, true),
    };
    drop(zkey_bytes);
    let witness_bytes = stateproof_app::files::read(witness)?;
    let json = witness.extension().is_some_and(|e| e == "json");
    let request =
        client.request_proof(&key.id, &witness_bytes, json)?.map_err(|r| refused(witness, r))?;
    let done = client.wait_circom_proof(&request.id, within)?;
    if done.state == "failed" {
        return Err(AppError::invalid(format!(
            "{}: the node could not prove it: {}",
            witness.display(),
            done.error.unwrap_or_default()
        )));
    }
    let bad = |what: &str, e: &dyn fmt::Display| {
        AppError::unusable(format!("{}: request {}: {what}: {e}", client.url(), done.id))
    };
    let proof_json = done.proof.clone().ok_or_else(|| bad("done", &"without a proof"))?;
    let vk = stateproof_verifier::snarkjs::verification_key_from_json(&key.verification_key)
        .map_err(|e| bad("its verification key", &e))?;
    let parsed = stateproof_verifier::snarkjs::proof_from_json(&proof_json)
        .map_err(|e| bad("its proof", &e))?;
    let inputs = stateproof_verifier::snarkjs::public_from_json(&done.public)
        .map_err(|e| bad("its public signals", &e))?;
    stateproof_verifier::verify_proof(&vk, &inputs, &parsed)
        .map_err(|e| bad("the proof does not verify", &e))?;
    write_json(proof, &proof_json)?;
    write_json(public, &done.public)?;
    Ok(RemoteProveReport {
        node: client.url().to_string(),
        key: key.id,
        uploaded,
        request: done.id,
        backend: done.backend.unwrap_or_default(),
        prove_ms: done.prove_ms.unwrap_or(0),
        seconds: started.elapsed().as_secs_f64(),
        proof: proof.to_path_buf(),
        public: public.to_path_buf(),
    })
}
