//! `stateproof devnet`: a node and its validators as processes on one
//! machine, started together and stopped together: the local network the
//! finality tests run, for trying it by hand.
//!
//! The node runs `node run --validators N` on the data directory (made on
//! first use with development keys for the validators); each validator
//! runs `validator run` with its key from `validator-keys/` and its state
//! in `validator-state/`. Their log lines are relayed on stderr, each
//! validator's prefixed with its index. SIGINT or SIGTERM stops them all
//! (SIGTERM each, then SIGKILL after 10 s); one that exits on its own stops
//! the rest, and the devnet exits 1 naming it.

use crate::finality::validator_key_path;
use crate::node::Genesis;
use serde::Serialize;
use stateproof_app::{AppError, Result};
use std::fmt;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How to run a devnet.
#[derive(Clone, Debug)]
pub struct DevnetOptions {
    /// The `stateproof` binary to run the processes with.
    pub bin: PathBuf,
    /// The node's data directory.
    pub data: PathBuf,
    /// Validators (for a new data directory; an existing one says).
    pub validators: u64,
    /// Where the node listens.
    pub listen: SocketAddr,
    /// More `node run` options (shape, backend, batch age).
    pub node_args: Vec<String>,
}

/// What a started devnet reports.
#[derive(Clone, Debug, Serialize)]
pub struct DevnetStarted {
    /// The node's address.
    pub node: String,
    /// Validators running.
    pub validators: u64,
    /// The data directory.
    pub data: PathBuf,
}

impl fmt::Display for DevnetStarted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "devnet: node listening on {} with {} validators ({}); follow it with `stateproof light-client finality --node {} --state fin.json --genesis {}`",
            self.node,
            self.validators,
            self.data.display(),
            self.node,
            self.data.join("genesis.json").display()
        )
    }
}

/// A child process and what to call it.
struct Process {
    name: String,
    child: Child,
}

/// Relays `stream`'s lines to stderr with `prefix`.
fn relay(stream: impl std::io::Read + Send + 'static, prefix: String) {
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines().map_while(std::result::Result::ok) {
            eprintln!("{prefix}{line}");
        }
    });
}

fn spawn(name: &str, command: &mut Command) -> Result<Process> {
    let child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| AppError::unusable(format!("cannot start the {name}: {e}")))?;
    Ok(Process { name: name.into(), child })
}

/// Runs a devnet until SIGINT or SIGTERM; `ready` is told once the node
/// serves and the validators are started.
pub fn run(o: &DevnetOptions, ready: &dyn Fn(&DevnetStarted)) -> Result<()> {
    let genesis_path = o.data.join("genesis.json");
    let validators = if genesis_path.exists() {
        let genesis = Genesis::read(&genesis_path)?;
        let v = genesis.finality.map(|f| f.validators).ok_or_else(|| {
            AppError::unusable(format!(
                "{}: the node has no validators (initialised without --validators)",
                genesis_path.display()
            ))
        })?;
        if !validator_key_path(&o.data, 0).exists() {
            return Err(AppError::unusable(format!(
                "{}: no validator keys here (a set from --set keeps them on the validators' machines)",
                o.data.join(crate::finality::VALIDATOR_KEYS).display()
            )));
        }
        v
    } else {
        o.validators
    };
    let mut processes = Vec::new();
    let mut node = spawn(
        "node",
        Command::new(&o.bin)
            .args(["node", "run", "--data"])
            .arg(&o.data)
            .args(["--listen", &o.listen.to_string(), "--validators", &validators.to_string()])
            .args(&o.node_args),
    )?;
    relay(node.child.stderr.take().expect("piped"), String::new());
    let mut lines = BufReader::new(node.child.stdout.take().expect("piped")).lines();
    let url = loop {
        match lines.next() {
            Some(Ok(line)) => {
                if let Some(rest) = line.strip_prefix("listening on ") {
                    break rest.split_whitespace().next().unwrap_or_default().to_string();
                }
                eprintln!("{line}");
            }
            _ => {
                let status = node.child.wait().ok();
                return Err(AppError::unusable(format!(
                    "the node exited before serving ({})",
                    status.map_or("no status".into(), |s| s.to_string())
                )));
            }
        }
    };
    std::thread::spawn(move || for _ in lines {});
    processes.push(node);
    let states = o.data.join("validator-state");
    stateproof_app::files::ensure_dir(&states)?;
    for i in 0..validators {
        let name = format!("validator {i}");
        let started = spawn(
            &name,
            Command::new(&o.bin)
                .args(["validator", "run", "--node", &url, "--key"])
                .arg(validator_key_path(&o.data, i))
                .arg("--state")
                .arg(states.join(format!("validator-{i}.json")))
                .arg("--genesis")
                .arg(&genesis_path),
        );
        let mut p = match started {
            Ok(p) => p,
            Err(e) => {
                stop(&mut processes);
                return Err(e);
            }
        };
        relay(p.child.stdout.take().expect("piped"), format!("[validator {i}] "));
        relay(p.child.stderr.take().expect("piped"), format!("[validator {i}] "));
        processes.push(p);
    }
    ready(&DevnetStarted { node: url, validators, data: o.data.clone() });
    let stopping = Arc::new(AtomicBool::new(false));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| AppError::unusable(format!("cannot start the runtime: {e}")))?;
    {
        let stopping = stopping.clone();
        rt.spawn(async move {
            crate::node::run::shutdown_signal().await;
            stopping.store(true, Ordering::SeqCst);
        });
    }
    let died = loop {
        if stopping.load(Ordering::SeqCst) {
            break None;
        }
        let exited = processes.iter_mut().position(|p| p.child.try_wait().ok().flatten().is_some());
        if let Some(i) = exited {
            break Some(processes[i].name.clone());
        }
        // The signal task runs while the runtime is driven.
        rt.block_on(async { tokio::time::sleep(Duration::from_millis(100)).await });
    };
    stop(&mut processes);
    match died {
        None => Ok(()),
        Some(name) => Err(AppError::unusable(format!("the {name} exited; the devnet stopped"))),
    }
}

/// SIGTERM to each (validators first), SIGKILL to any still running 10 s
/// later.
fn stop(processes: &mut [Process]) {
    for p in processes.iter_mut().rev() {
        terminate(&p.child);
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    for p in processes.iter_mut().rev() {
        while p.child.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        if p.child.try_wait().ok().flatten().is_none() {
            let _ = p.child.kill();
            let _ = p.child.wait();
        }
    }
}

/// Asks a child to stop (SIGTERM, through `kill`: the crate has no unsafe
/// code to call the system directly).
fn terminate(child: &Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}
