//! What the process-level tests share: the binary, scratch directories,
//! and a node run as a real process on loopback.

#![allow(dead_code)]

use stateproof_node::client::NodeClient;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_stateproof");
/// Small shapes: a proof takes about a second on the CI machine.
pub const DEPTH: &str = "8";
pub const SLOTS: &str = "2";

pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("stateproof-node-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub struct Node {
    pub child: Child,
    pub url: String,
}

impl Node {
    /// Starts `node run` on `data` (initialising it when empty), waiting
    /// until it serves.
    pub fn start(data: &Path, extra: &[&str]) -> Node {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(data.with_extension("log"))
            .unwrap();
        let mut child = Command::new(BIN)
            .args(["node", "run", "--data"])
            .arg(data)
            .args(["--listen", "127.0.0.1:0", "--backend", "cpu", "--batch-age", "200ms"])
            .args(["--depth", DEPTH, "--slots", SLOTS, "--fund-sample", "8"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .expect("the node starts");
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let url = loop {
            match lines.next() {
                Some(Ok(line)) => {
                    if let Some(rest) = line.strip_prefix("listening on ") {
                        break rest.split_whitespace().next().unwrap().to_string();
                    }
                }
                _ => panic!(
                    "the node exited before serving; its log:\n{}",
                    std::fs::read_to_string(data.with_extension("log")).unwrap_or_default()
                ),
            }
        };
        // Keep draining stdout so that the node never blocks on it.
        std::thread::spawn(move || for _ in lines {});
        Node { child, url }
    }

    pub fn client(&self) -> NodeClient {
        NodeClient::new(&self.url).unwrap()
    }

    pub fn kill9(&mut self) {
        self.child.kill().unwrap(); // SIGKILL
        self.child.wait().unwrap();
    }

    /// Waits until every transaction in `ids` is proven.
    pub fn wait_proven(&self, ids: &[String], within: Duration) {
        let client = self.client();
        let deadline = Instant::now() + within;
        for id in ids {
            loop {
                let v = client.transaction(id).unwrap().expect("an accepted id is known");
                if v.status == "proven" {
                    break;
                }
                assert!(Instant::now() < deadline, "{id} still {} after {within:?}", v.status);
                std::thread::sleep(Duration::from_millis(100));
            }
        }
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A `worker run` process whose log lines are watched.
pub struct WorkerProcess {
    pub child: Child,
    pub name: String,
    /// Lines of its log, as they come.
    pub lines: std::sync::mpsc::Receiver<String>,
}

impl WorkerProcess {
    /// Starts a CPU worker on `database`, logging to `dir/NAME.log`.
    pub fn start(database: &str, name: &str, dir: &Path, lease: &str) -> WorkerProcess {
        let mut child = Command::new(BIN)
            .args(["worker", "run", "--database", database, "--name", name, "--backend", "cpu"])
            .args(["--lease", lease, "--poll", "100ms"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the worker starts");
        // Its report (stdout) and its log (stderr), in one stream of lines.
        let (tx, lines) = std::sync::mpsc::channel();
        let log = std::fs::File::create(dir.join(format!("{name}.log"))).unwrap();
        let log = std::sync::Arc::new(std::sync::Mutex::new(log));
        let stdout: Box<dyn std::io::Read + Send> = Box::new(child.stdout.take().unwrap());
        let stderr: Box<dyn std::io::Read + Send> = Box::new(child.stderr.take().unwrap());
        for stream in [stdout, stderr] {
            let (tx, log) = (tx.clone(), log.clone());
            std::thread::spawn(move || {
                use std::io::Write;
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    let _ = writeln!(log.lock().unwrap(), "{line}");
                    let _ = tx.send(line);
                }
            });
        }
        WorkerProcess { child, name: name.into(), lines }
    }

    /// Waits for a log line containing `text`.
    pub fn wait_for(&self, text: &str, within: Duration) -> String {
        let deadline = Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) if line.contains(text) => return line,
                Ok(_) => {}
                Err(_) => panic!("worker {} logged no {text:?} within {within:?}", self.name),
            }
        }
    }

    pub fn kill9(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for WorkerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
