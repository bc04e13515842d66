//! The node, its workers and its clients: `node init|run`, `worker run`,
//! `send`, `light-client`, `load`.

use super::args::BackendArgs;
use super::output::Output;
use stateproof_app::AppError;
use stateproof_node::client::{self, LoadOptions, SendOptions};
use stateproof_node::ledger::LedgerConfig;
use stateproof_node::worker::WorkerOptions;
use stateproof_node::{InitOptions, RunOptions};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// A duration: `2s`, `500ms`, `1.5` (seconds).
pub(crate) fn duration(s: &str) -> Result<Duration, String> {
    let (number, scale) = if let Some(ms) = s.strip_suffix("ms") {
        (ms, 1e-3)
    } else if let Some(sec) = s.strip_suffix('s') {
        (sec, 1.0)
    } else {
        (s, 1.0)
    };
    match number.trim().parse::<f64>() {
        Ok(x) if x.is_finite() && x >= 0.0 && x * scale < 1e9 => {
            Ok(Duration::from_secs_f64(x * scale))
        }
        _ => Err(format!("expected a duration such as 2s or 500ms, got {s:?}")),
    }
}

#[derive(clap::Args, Debug, Clone)]
pub struct InitArgs {
    /// Account tree depth.
    #[arg(long, default_value_t = 32)]
    depth: usize,
    /// Transfer slots per batch.
    #[arg(long, default_value_t = 4)]
    slots: usize,
    /// Sample accounts to fund at genesis (indices 0 to N-1; their keys are
    /// public seeds: for trying the node only).
    #[arg(long, default_value_t = 16)]
    fund_sample: u64,
    /// A directory with `transfer.pk` and `transfer.vk` from a ceremony,
    /// instead of a development setup.
    #[arg(long)]
    keys: Option<PathBuf>,
    /// Validators to make for finality, each with stake 1 (their secret
    /// keys go to validator-keys/; 0: no finality). Headers are final once
    /// more than 2/3 of them sign.
    #[arg(long, default_value_t = 0)]
    validators: u64,
    /// The validator set from a file instead (`{"depth", "validators":
    /// [{"index", "public_key": [x, y], "stake"}]}`, as `finality sample`
    /// writes it): real keys, whose secret halves stay with their
    /// validators.
    #[arg(long = "set")]
    validator_set: Option<PathBuf>,
    /// Takes transfers alone: no deals, results, verdicts, settlements or
    /// sponsorships (and no keys for their circuits).
    #[arg(long, conflicts_with = "ledger")]
    transfers_only: bool,
    /// The ledger's rules beyond transfers from a JSON file (`{"slots",
    /// "k", "committee_depth", "mediator_slots", "quorum": [n, d],
    /// "client_share": [n, d], "burn", "treasury", "suspension", "period",
    /// "members"}`); default: 1 slot per batch, 3 nodes per deal,
    /// committees of depth 4 and up to 4 signatures with a 2/3 quorum, half
    /// the forfeited collateral to the client and the rest burned, account
    /// 0 the treasury, suspensions of 10 epochs, periods of 5, and members
    /// 0 to 3 (the sample keys).
    #[arg(long)]
    ledger: Option<PathBuf>,
    /// Deal tree depth (deal ids below 2^depth).
    #[arg(long, default_value_t = stateproof_node::node::DEAL_DEPTH)]
    deal_depth: usize,
    /// Member tree depth.
    #[arg(long, default_value_t = stateproof_node::node::MEMBER_DEPTH)]
    member_depth: usize,
}

impl InitArgs {
    fn options(&self) -> Result<InitOptions, AppError> {
        let ledger = match (&self.ledger, self.transfers_only) {
            (_, true) => None,
            (None, false) => Some(LedgerConfig::default()),
            (Some(path), false) => Some(stateproof_app::files::read_json(path)?),
        };
        Ok(InitOptions {
            depth: self.depth,
            slots: self.slots,
            fund_sample: self.fund_sample,
            keys: self.keys.clone(),
            database: None,
            validators: self.validators,
            validator_set: self.validator_set.clone(),
            ledger,
            deal_depth: self.deal_depth,
            member_depth: self.member_depth,
        })
    }
}

/// Where the store is.
#[derive(clap::Args, Debug, Clone)]
pub struct DatabaseArgs {
    /// A PostgreSQL database for the store and the prove-job queue
    /// (postgres://user:password@host/db), shared with workers on other
    /// machines; default: the embedded `node.db` in the data directory.
    #[arg(long, env = "STATEPROOF_DATABASE_URL")]
    database: Option<String>,
}

#[derive(clap::Subcommand, Debug)]
pub enum NodeCommand {
    /// Makes a data directory: keys (a development setup unless --keys),
    /// genesis (with sample-funded accounts) and the store.
    Init {
        /// The data directory.
        #[arg(long)]
        data: PathBuf,
        #[command(flatten)]
        database: DatabaseArgs,
        #[command(flatten)]
        init: InitArgs,
    },
    /// Runs the node: signed transfers in over HTTP, proven updates out.
    /// An empty data directory is initialised first (development keys).
    Run {
        /// The data directory.
        #[arg(long)]
        data: PathBuf,
        /// Where the API listens.
        #[arg(long, default_value = "127.0.0.1:8545")]
        listen: SocketAddr,
        /// How long the oldest pending transaction waits before a batch is
        /// sealed with free slots.
        #[arg(long, default_value = "2s", value_parser = duration)]
        batch_age: Duration,
        /// Takes transactions but seals and proves nothing (for measuring
        /// intake).
        #[arg(long)]
        intake_only: bool,
        #[command(flatten)]
        database: DatabaseArgs,
        /// Workers proving in this process (0: only workers elsewhere,
        /// `stateproof worker run`, prove; the key is then not loaded here).
        #[arg(long, default_value_t = 1)]
        local_workers: usize,
        /// Most batches sealed and not yet published: 2 keeps one worker
        /// busy; give it the number of workers plus one.
        #[arg(long, default_value_t = stateproof_node::pipeline::DEFAULT_IN_FLIGHT)]
        in_flight: u64,
        /// The largest zkey or witness the circom proving service
        /// (`/v1/circom/...`) takes, in MiB.
        #[arg(long, default_value_t = stateproof_node::circom::DEFAULT_MAX_UPLOAD_MB)]
        max_upload_mb: usize,
        #[command(flatten)]
        cache: KeyCacheArgs,
        #[command(flatten)]
        backend: BackendArgs,
        /// How to initialise an empty data directory.
        #[command(flatten)]
        init: InitArgs,
    },
    /// Queues again the prove jobs that failed (all, or one batch's) once
    /// their cause is mended; a running node resumes publishing.
    Retry {
        /// The data directory.
        #[arg(long)]
        data: PathBuf,
        #[command(flatten)]
        database: DatabaseArgs,
        /// Only this batch's job.
        #[arg(long)]
        batch: Option<u64>,
    },
}

pub fn run_node(out: &Output, command: NodeCommand) -> Result<(), AppError> {
    match command {
        NodeCommand::Init { data, database, init } => {
            let options = InitOptions { database: database.database, ..init.options()? };
            out.report(&stateproof_node::init(out, &data, &options)?);
            Ok(())
        }
        NodeCommand::Run {
            data,
            listen,
            batch_age,
            intake_only,
            database,
            local_workers,
            in_flight,
            max_upload_mb,
            cache,
            backend,
            init,
        } => {
            super::output::install_node_log();
            let options = RunOptions {
                backend: backend.options()?,
                batch_age,
                prove: !intake_only,
                init: init.options()?,
                database: database.database,
                local_workers,
                in_flight,
                max_upload: mb(max_upload_mb, "--max-upload-mb")?,
                key_cache: mb(cache.key_cache_mb, "--key-cache-mb")?,
                ..RunOptions::new(data, listen)
            };
            stateproof_node::run(out, &options, &|started| out.report(started))
        }
        NodeCommand::Retry { data, database, batch } => {
            out.report(&stateproof_node::retry(&data, database.database.as_deref(), batch)?);
            Ok(())
        }
    }
}

#[derive(clap::Subcommand, Debug)]
pub enum WorkerCommand {
    /// Claims prove jobs from a node's PostgreSQL database and proves them
    /// until SIGINT or SIGTERM (the job in progress is finished first).
    Run {
        /// The node's PostgreSQL database.
        #[arg(long, env = "STATEPROOF_DATABASE_URL")]
        database: String,
        /// The worker's name in the jobs table; default: host/pid.
        #[arg(long)]
        name: Option<String>,
        /// The lease a claim holds, renewed every third of it while
        /// proving: a worker that dies loses its job this long after.
        #[arg(long, default_value = "30s", value_parser = duration)]
        lease: Duration,
        /// How often an idle worker looks for a job.
        #[arg(long, default_value = "250ms", value_parser = duration)]
        poll: Duration,
        #[command(flatten)]
        cache: KeyCacheArgs,
        #[command(flatten)]
        backend: BackendArgs,
    },
}

/// The circom zkeys a worker keeps prepared.
#[derive(clap::Args, Debug, Clone)]
pub struct KeyCacheArgs {
    /// Memory for the circom zkeys a worker keeps prepared, in MiB (each
    /// counted at its file's size; the least recently used is dropped
    /// first; one larger key is still loaded, alone). Per worker.
    #[arg(long, default_value_t = stateproof_node::circom::DEFAULT_KEY_CACHE_MB)]
    key_cache_mb: usize,
}

/// MiB to bytes, refusing what does not fit.
fn mb(v: usize, flag: &str) -> Result<usize, AppError> {
    v.checked_mul(1 << 20).filter(|b| *b > 0).ok_or_else(|| {
        AppError::unusable(format!("{flag} {v}: expected 1 MiB or more that fits in memory"))
    })
}

pub fn run_worker(out: &Output, command: WorkerCommand) -> Result<(), AppError> {
    let WorkerCommand::Run { database, name, lease, poll, cache, backend } = command;
    if lease < Duration::from_millis(300) {
        return Err(AppError::unusable(format!(
            "--lease {} s is too short to renew (at least 300ms)",
            lease.as_secs_f64()
        )));
    }
    super::output::install_node_log();
    let options = WorkerOptions {
        name: name.unwrap_or_else(WorkerOptions::default_name),
        lease,
        poll,
        backend: backend.options()?,
        key_cache: mb(cache.key_cache_mb, "--key-cache-mb")?,
    };
    stateproof_node::worker::run(&database, options, &|name, backend| {
        out.report(&WorkerStarted { name: name.into(), backend: backend.into() })
    })
}

/// What a started worker reports.
#[derive(serde::Serialize)]
struct WorkerStarted {
    name: String,
    backend: String,
}

impl std::fmt::Display for WorkerStarted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "worker {} proving on {}; waiting for jobs", self.name, self.backend)
    }
}

/// `stateproof devnet`.
#[derive(clap::Args, Debug)]
pub struct DevnetArgs {
    /// The node's data directory (made on first use).
    #[arg(long)]
    data: PathBuf,
    /// Validators, for a new data directory.
    #[arg(long, default_value_t = 4)]
    validators: u64,
    /// Where the node listens.
    #[arg(long, default_value = "127.0.0.1:8545")]
    listen: SocketAddr,
    /// Account tree depth, for a new data directory.
    #[arg(long, default_value_t = 16)]
    depth: usize,
    /// Transfer slots per batch, for a new data directory.
    #[arg(long, default_value_t = 2)]
    slots: usize,
    /// How long the oldest pending transaction waits before a batch is
    /// sealed with free slots.
    #[arg(long, default_value = "500ms", value_parser = duration)]
    batch_age: Duration,
    /// What proves: cpu, gpu or auto.
    #[arg(long, default_value = "auto")]
    backend: String,
}

pub fn run_devnet(out: &Output, a: DevnetArgs) -> Result<(), AppError> {
    let bin = std::env::current_exe()
        .map_err(|e| AppError::unusable(format!("cannot find this program's path: {e}")))?;
    let options = stateproof_node::devnet::DevnetOptions {
        bin,
        data: a.data,
        validators: a.validators,
        listen: a.listen,
        node_args: vec![
            "--depth".into(),
            a.depth.to_string(),
            "--slots".into(),
            a.slots.to_string(),
            "--batch-age".into(),
            format!("{}ms", a.batch_age.as_millis()),
            "--backend".into(),
            a.backend,
        ],
    };
    stateproof_node::devnet::run(&options, &|started| out.report(started))
}

#[derive(clap::Subcommand, Debug)]
pub enum ValidatorCommand {
    /// Follows a node's headers and signs each after verifying the state
    /// update behind it, until SIGINT or SIGTERM.
    Run {
        /// The node's address.
        #[arg(long, default_value = "http://127.0.0.1:8545")]
        node: String,
        /// The validator's secret key file.
        #[arg(long)]
        key: PathBuf,
        /// Its state file: the last header it signed, written before each
        /// signature leaves (made on first use).
        #[arg(long)]
        state: PathBuf,
        /// The node's genesis.json, obtained out of band.
        #[arg(long)]
        genesis: PathBuf,
        /// The validator set's file (default: validators.json beside the
        /// genesis).
        #[arg(long)]
        set: Option<PathBuf>,
        /// How often it asks for new headers.
        #[arg(long, default_value = "250ms", value_parser = duration)]
        poll: Duration,
        /// FOR TESTS ONLY: also sign a second header at the first height
        /// signed, and post both as double-sign evidence (the validator is
        /// then slashed).
        #[arg(long, hide = true)]
        unsafe_double_sign: bool,
    },
    /// Signs a change of the validator set (adding, removing or restaking
    /// validators) as a member of the current set; a quorum of such
    /// signatures, submitted, makes the change.
    SignSetChange {
        /// The node's address.
        #[arg(long, default_value = "http://127.0.0.1:8545")]
        node: String,
        /// The validator's secret key file.
        #[arg(long)]
        key: PathBuf,
        /// The node's genesis.json.
        #[arg(long)]
        genesis: PathBuf,
        /// The current set (checked against the node's).
        #[arg(long)]
        current: PathBuf,
        /// The new set (the same depth, at most as many validators as the
        /// finality circuit's signer slots).
        #[arg(long)]
        next: PathBuf,
        /// Where the signature goes.
        #[arg(long)]
        out: PathBuf,
    },
    /// Submits a set change with its members' signatures.
    SubmitSetChange {
        /// The node's address.
        #[arg(long, default_value = "http://127.0.0.1:8545")]
        node: String,
        /// The new set.
        #[arg(long)]
        next: PathBuf,
        /// The signature files `sign-set-change` wrote.
        attestations: Vec<PathBuf>,
    },
}

pub fn run_validator(out: &Output, command: ValidatorCommand) -> Result<(), AppError> {
    match command {
        ValidatorCommand::Run { node, key, state, genesis, set, poll, unsafe_double_sign } => {
            super::output::install_node_log();
            let options = client::ValidatorOptions {
                node,
                key,
                state,
                genesis,
                set,
                poll,
                unsafe_double_sign,
            };
            client::run_validator(&options, &|started| out.report(started))
        }
        ValidatorCommand::SignSetChange { node, key, genesis, current, next, out: file } => {
            let o = client::SignChangeOptions { node, key, genesis, current, next, out: file };
            out.report(&client::sign_set_change(&o)?);
            Ok(())
        }
        ValidatorCommand::SubmitSetChange { node, next, attestations } => {
            let said = client::submit_set_change(&node, &next, &attestations)?;
            out.report(&Said(said));
            Ok(())
        }
    }
}

/// A sentence as a report.
#[derive(serde::Serialize)]
struct Said(String);

impl std::fmt::Display for Said {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(clap::Args, Debug)]
pub struct SendArgs {
    /// The node's address.
    #[arg(long, default_value = "http://127.0.0.1:8545")]
    node: String,
    /// The sender's key file (from `stateproof keys new`).
    #[arg(long)]
    key: PathBuf,
    /// The sender's account (default: the one account the key holds on the
    /// node; a key that holds several needs it).
    #[arg(long)]
    from: Option<u64>,
    /// The receiver's account.
    #[arg(long)]
    to: u64,
    /// The receiver's key (a key file, or `x,y` from `keys show`), to open
    /// an empty account.
    #[arg(long)]
    to_key: Option<String>,
    /// The amount.
    #[arg(long)]
    amount: u64,
    /// Waits until the transfer is proven, at most this long.
    #[arg(long, value_parser = duration, num_args = 0..=1, default_missing_value = "120s")]
    wait: Option<Duration>,
}

pub fn send(out: &Output, a: SendArgs) -> Result<(), AppError> {
    let report = client::send(&SendOptions {
        node: a.node,
        key: a.key,
        from: a.from,
        to: a.to,
        to_key: a.to_key,
        amount: a.amount,
        wait: a.wait,
    })?;
    out.report(&report);
    Ok(())
}

#[derive(clap::Subcommand, Debug)]
pub enum LightClientCommand {
    /// Fetches the node's updates and verifies each (the node is not
    /// trusted: a bad update is refused and the last good root kept).
    Follow {
        #[command(flatten)]
        at: ClientArgs,
        /// Follow only as far as finality: this finality client's state
        /// file (made from --genesis on first use) is brought up to date
        /// first, updates are applied up to its final height, and the
        /// update there must end at the finalised state root.
        #[arg(long)]
        finality: Option<PathBuf>,
    },
    /// Follows the node's finality proofs from the genesis header: a state
    /// root is final once a proof that more than 2/3 of the validator set
    /// signed a header carrying it verifies (each page in one batched
    /// check). --genesis is needed on first use.
    Finality {
        #[command(flatten)]
        at: ClientArgs,
        /// Start (on first use) from this trusted header instead of the
        /// genesis header (`{"height", "prev_hash", "state_root",
        /// "next_set_root"}`; --genesis still names the keys).
        #[arg(long)]
        checkpoint: Option<PathBuf>,
    },
    /// Follows, then checks an account's balance against the verified root
    /// through its Merkle path.
    Balance {
        #[command(flatten)]
        at: ClientArgs,
        /// The account.
        account: u64,
    },
    /// Follows, then checks a deal (its terms, status, the results on its
    /// record and any verdict) against the verified root through its
    /// Merkle path.
    Deal {
        #[command(flatten)]
        at: ClientArgs,
        /// The deal id.
        id: u64,
    },
    /// Follows, then checks a Proof-of-Trust member (its key, suspension,
    /// last sponsoring period, pending commitment) against the verified
    /// root through its Merkle path.
    Member {
        #[command(flatten)]
        at: ClientArgs,
        /// The member index.
        index: u64,
    },
}

#[derive(clap::Args, Debug)]
pub struct ClientArgs {
    /// The node's address.
    #[arg(long, default_value = "http://127.0.0.1:8545")]
    node: String,
    /// The client's state file (made on first use).
    #[arg(long)]
    state: PathBuf,
    /// The node's genesis.json, to start from without trusting the node.
    #[arg(long)]
    genesis: Option<PathBuf>,
}

pub fn light_client(out: &Output, command: LightClientCommand) -> Result<(), AppError> {
    match command {
        LightClientCommand::Finality { at, checkpoint } => {
            let report = client::follow_finality(
                &at.node,
                &at.state,
                at.genesis.as_deref(),
                checkpoint.as_deref(),
            )?;
            out.report(&report);
            if let Some(r) = &report.rejected {
                return Err(AppError::invalid(format!("{}: {r}", at.node)));
            }
        }
        LightClientCommand::Follow { at, finality } => out.report(&client::follow(
            &at.node,
            &at.state,
            at.genesis.as_deref(),
            finality.as_deref(),
        )?),
        LightClientCommand::Balance { at, account } => {
            out.report(&client::balance(&at.node, &at.state, at.genesis.as_deref(), account)?)
        }
        LightClientCommand::Deal { at, id } => {
            out.report(&client::deal(&at.node, &at.state, at.genesis.as_deref(), id)?)
        }
        LightClientCommand::Member { at, index } => {
            out.report(&client::member(&at.node, &at.state, at.genesis.as_deref(), index)?)
        }
    }
    Ok(())
}

#[derive(clap::Args, Debug)]
pub struct LoadArgs {
    /// The node's address.
    #[arg(long, default_value = "http://127.0.0.1:8545")]
    node: String,
    /// Transfers per second to offer.
    #[arg(long, default_value_t = 100.0)]
    rate: f64,
    /// For how long.
    #[arg(long, default_value = "10s", value_parser = duration)]
    duration: Duration,
    /// Sample accounts to send from (default: all the node funded).
    #[arg(long)]
    senders: Option<u64>,
    /// Also follow the accepted transfers into proven updates (proven/s,
    /// submission-to-proof latency), waiting at most this long after the
    /// last submission.
    #[arg(long, value_parser = duration)]
    wait_proven: Option<Duration>,
}

pub fn load(out: &Output, a: LoadArgs) -> Result<(), AppError> {
    let report = client::load(&LoadOptions {
        node: a.node,
        rate: a.rate,
        duration: a.duration,
        senders: a.senders,
        wait_proven: a.wait_proven,
    })?;
    out.report(&report);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::duration;
    use std::time::Duration;

    #[test]
    fn durations_read_as_people_write_them() {
        assert_eq!(duration("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(duration("1.5"), Ok(Duration::from_millis(1500)));
        for bad in ["", "s", "-1s", "2h", "nan", "1e30"] {
            assert!(duration(bad).is_err(), "{bad:?}");
        }
    }
}
