//! `stateproof compute demo` and `trust demo`: scenarios run against a
//! node started in this process on a fresh data directory (the whole
//! ledger, a development setup, sample accounts). Every transaction goes
//! in over the node's API as a user's would, the node batches and proves
//! it by its circuit, and a light client follows the chain: what a
//! scenario reports (balances, deals, members) is read through the light
//! client against the verified root and compared with the native rules.

pub mod compute;
pub mod trust;

use crate::client::{self as light, wait_until_proven, NodeClient, Refusal};
use crate::client::{BalanceReport, DealReport, FollowReport, MemberReport};
use crate::ledger::{LedgerConfig, Tx};
use crate::node::{init, run_until, InitOptions, RunOptions, StopHandle};
use serde::Serialize;
use stateproof_app::backend::BackendOptions;
use stateproof_app::progress::{step, Progress, Silent};
use stateproof_app::text::secs;
use stateproof_app::{AppError, Result};
use stateproof_verifier::CompressedUpdate;
use std::fmt;
use std::path::{Path, PathBuf};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Account tree depth of a scenario's node.
const DEPTH: usize = 8;
/// Deal and member tree depth of a scenario's node.
const TREE_DEPTH: usize = 8;
/// Sample accounts funded at genesis.
const FUNDED: u64 = 16;
/// How long a scenario waits for one batch to be proven.
const PROVE_WAIT: Duration = Duration::from_secs(600);

/// A node in this process on a temporary data directory, removed when the
/// scenario ends (or fails).
pub struct ScenarioNode {
    client: NodeClient,
    dir: PathBuf,
    stop: StopHandle,
    thread: Option<JoinHandle<Result<()>>>,
    /// What proves, in words.
    pub backend: String,
    /// Key generation for every circuit of the ledger.
    pub setup_seconds: f64,
}

/// A batch of transactions the scenario submitted and the node proved.
#[derive(Clone, Debug, Serialize)]
pub struct Phase {
    /// The updates they are in.
    pub updates: Vec<u64>,
    /// The circuit each update is proven by.
    pub circuits: Vec<String>,
    /// From the first submission until the last of them was proven,
    /// published and served.
    pub seconds: f64,
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.updates.len();
        let (first, last) = (self.updates[0], self.updates[n - 1]);
        let which =
            if n == 1 { format!("update {first}") } else { format!("updates {first}-{last}") };
        let mut circuits = self.circuits.clone();
        circuits.dedup();
        write!(f, "{which} ({}), proven in {}", circuits.join(", "), secs(self.secs()))
    }
}

impl Phase {
    fn secs(&self) -> Duration {
        Duration::from_secs_f64(self.seconds)
    }
}

impl ScenarioNode {
    /// Makes a data directory for `config` (keys for every circuit) and
    /// starts a node on it, listening on a free local port.
    pub fn start(
        progress: &dyn Progress,
        backend: &BackendOptions,
        config: LedgerConfig,
    ) -> Result<Self> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let dir = std::env::temp_dir()
            .join(format!("stateproof-scenario-{}-{nanos}", std::process::id()));
        let data = dir.join("data");
        let options = InitOptions {
            depth: DEPTH,
            slots: 1,
            fund_sample: FUNDED,
            ledger: Some(config),
            deal_depth: TREE_DEPTH,
            member_depth: TREE_DEPTH,
            ..InitOptions::default()
        };
        let mut node = Self {
            client: NodeClient::new("http://127.0.0.1:1")?,
            dir,
            stop: StopHandle::default(),
            thread: None,
            backend: String::new(),
            setup_seconds: 0.0,
        };
        node.setup_seconds = init(progress, &data, &options)?.key_seconds;
        let mut run = RunOptions::new(data, ([127, 0, 0, 1], 0).into());
        run.backend = backend.clone();
        run.batch_age = Duration::from_millis(100);
        let (ready, started) = std::sync::mpsc::channel();
        let stop = node.stop.clone();
        let thread = std::thread::Builder::new()
            .name("scenario-node".into())
            .spawn(move || run_until(&Silent, &run, &|s| drop(ready.send(s.clone())), &stop))
            .map_err(|e| AppError::unusable(format!("cannot start the node's thread: {e}")))?;
        let started = step(progress, "starting the node", || started.recv());
        let Ok(started) = started else {
            // The node stopped before it served: its error says why.
            return Err(match thread.join() {
                Ok(Err(e)) => e,
                _ => AppError::unusable("the scenario's node stopped before it served"),
            });
        };
        node.thread = Some(thread);
        node.client = NodeClient::new(&format!("http://{}", started.listen))?;
        node.backend = started.backend;
        Ok(node)
    }

    /// The node's API address.
    pub fn url(&self) -> &str {
        self.client.url()
    }

    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    fn state(&self) -> PathBuf {
        self.dir.join("light-client.json")
    }

    fn genesis(&self) -> PathBuf {
        self.data().join("genesis.json")
    }

    /// Submits `tx`, which the node must accept: its id.
    pub fn accept(&self, tx: &Tx) -> Result<String> {
        match self.client.submit_tx(&tx.to_json())? {
            Ok(a) => Ok(a.id),
            Err(r) => Err(AppError::invalid(format!(
                "{}: the scenario's {} transaction was {r}",
                self.url(),
                tx.kind().name()
            ))),
        }
    }

    /// Submits `tx`, which the node must refuse: why it did.
    pub fn refusal(&self, tx: &Tx) -> Result<Refusal> {
        match self.client.submit_tx(&tx.to_json())? {
            Err(r) => Ok(r),
            Ok(a) => Err(AppError::invalid(format!(
                "{}: the node accepted a {} transaction its rules forbid (id {})",
                self.url(),
                tx.kind().name(),
                a.id
            ))),
        }
    }

    /// Submits `txs` and waits until every one is proven.
    pub fn prove(&self, progress: &dyn Progress, what: &str, txs: &[Tx]) -> Result<Phase> {
        let start = Instant::now();
        let ids = txs.iter().map(|t| self.accept(t)).collect::<Result<Vec<_>>>()?;
        let mut updates = step(progress, what, || {
            ids.iter()
                .map(|id| wait_until_proven(&self.client, id, PROVE_WAIT).map(|(_, b)| b))
                .collect::<Result<Vec<_>>>()
        })?
        .into_iter()
        .flatten()
        .collect::<Vec<u64>>();
        let seconds = start.elapsed().as_secs_f64();
        updates.sort_unstable();
        updates.dedup();
        let circuits = updates
            .iter()
            .map(|n| {
                let bytes = self.client.update_bytes(*n)?.ok_or_else(|| {
                    AppError::invalid(format!(
                        "{}: update {n} is proven but not served",
                        self.url()
                    ))
                })?;
                CompressedUpdate::from_bytes(&bytes)
                    .map(|u| u.circuit_id)
                    .map_err(|e| AppError::invalid(format!("{}: update {n}: {e}", self.url())))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Phase { updates, circuits, seconds })
    }

    /// The light client follows every update so far, each verified under
    /// its circuit's key from genesis; a rejected update is an error.
    pub fn follow(&self) -> Result<FollowReport> {
        let (state, genesis) = (self.state(), self.genesis());
        light::follow(self.url(), &state, Some(&genesis), None)
    }

    /// Account `index` through the light client.
    pub fn balance(&self, index: u64) -> Result<BalanceReport> {
        light::balance(self.url(), &self.state(), Some(&self.genesis()), index)
    }

    /// Deal `id` through the light client.
    pub fn deal(&self, id: u64) -> Result<DealReport> {
        light::deal(self.url(), &self.state(), Some(&self.genesis()), id)
    }

    /// Member `index` through the light client.
    pub fn member(&self, index: u64) -> Result<MemberReport> {
        light::member(self.url(), &self.state(), Some(&self.genesis()), index)
    }

    /// Stops the node and removes its data directory.
    pub fn stop(mut self) -> Result<()> {
        self.shut_down()
    }

    fn shut_down(&mut self) -> Result<()> {
        let ran = match self.thread.take() {
            Some(thread) => {
                self.stop.stop();
                thread.join().unwrap_or_else(|_| {
                    Err(AppError::unusable("the scenario's node thread panicked"))
                })
            }
            None => Ok(()),
        };
        remove(&self.dir);
        ran
    }
}

impl Drop for ScenarioNode {
    fn drop(&mut self) {
        if let Err(e) = self.shut_down() {
            tracing::warn!("the scenario's node: {e}");
        }
    }
}

fn remove(dir: &Path) {
    if dir.exists() {
        if let Err(e) = std::fs::remove_dir_all(dir) {
            tracing::warn!("{}: cannot remove the scenario's data directory: {e}", dir.display());
        }
    }
}

/// Now, in seconds since 1970, as the node reads its clock.
fn now_secs() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs())
}
