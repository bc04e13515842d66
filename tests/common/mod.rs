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
    /// until it serves. A node takes transfers alone (`--transfers-only`:
    /// no keys of the ledger's other circuits to make, 15 s each start
    /// here) unless `extra` gives it `--ledger`.
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
            .args((!extra.contains(&"--ledger")).then_some("--transfers-only"))
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
                let v = match client.transaction(id) {
                    Ok(v) => v.expect("an accepted id is known"),
                    // The store restarting (tests that restart PostgreSQL
                    // run beside this one) answers 503: asked again until
                    // the deadline.
                    Err(e) if e.to_string().contains("(503 ") => {
                        assert!(Instant::now() < deadline, "{id}: {e}");
                        std::thread::sleep(Duration::from_millis(100));
                        continue;
                    }
                    Err(e) => panic!("{id}: {e}"),
                };
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

/// A process whose log lines are watched: a `worker run`, a
/// `validator run`.
pub struct Watched {
    pub child: Child,
    pub name: String,
    /// Lines of its log, as they come.
    pub lines: std::sync::mpsc::Receiver<String>,
}

/// The workers of the scale-out tests.
pub type WorkerProcess = Watched;

impl Watched {
    /// Starts a CPU worker on `database`, logging to `dir/NAME.log`.
    pub fn start(database: &str, name: &str, dir: &Path, lease: &str) -> Watched {
        let mut command = Command::new(BIN);
        command
            .args(["worker", "run", "--database", database, "--name", name, "--backend", "cpu"])
            .args(["--lease", lease, "--poll", "100ms"]);
        Self::spawn(command, name, dir)
    }

    /// Starts validator `i` of the node whose data directory is `data`
    /// against `node` (a URL), its state in `dir/validator-I.json`.
    pub fn validator(node: &str, data: &Path, i: u64, dir: &Path) -> Watched {
        Self::validator_with(node, data, i, dir, &[])
    }

    /// [`Watched::validator`] with more options.
    pub fn validator_with(node: &str, data: &Path, i: u64, dir: &Path, extra: &[&str]) -> Watched {
        let mut command = Command::new(BIN);
        command
            .args(["validator", "run", "--node", node, "--poll", "100ms", "--key"])
            .arg(data.join(format!("validator-keys/validator-{i}.key")))
            .arg("--state")
            .arg(dir.join(format!("validator-{i}.json")))
            .arg("--genesis")
            .arg(data.join("genesis.json"))
            .args(extra);
        Self::spawn(command, &format!("validator-{i}"), dir)
    }

    /// Runs `command`, its report (stdout) and log (stderr) in one stream
    /// of lines, copied to `dir/NAME.log`.
    pub fn spawn(mut command: Command, name: &str, dir: &Path) -> Watched {
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{name} starts: {e}"));
        let (tx, lines) = std::sync::mpsc::channel();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join(format!("{name}.log")))
            .unwrap();
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
        Watched { child, name: name.into(), lines }
    }

    /// Waits for a log line containing `text`.
    pub fn wait_for(&self, text: &str, within: Duration) -> String {
        let deadline = Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) if line.contains(text) => return line,
                Ok(_) => {}
                Err(_) => panic!("{} logged no {text:?} within {within:?}", self.name),
            }
        }
    }

    pub fn kill9(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Watched {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A node that lies: a proxy in front of `upstream` passing every GET on,
/// with each JSON answer first handed to `tamper` with its path (other
/// answers pass unchanged).
pub fn lying_proxy(
    upstream: &str,
    tamper: impl Fn(&str, &mut serde_json::Value) + Send + 'static,
) -> String {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let upstream = upstream.trim_start_matches("http://").to_string();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") && conn.read(&mut byte).unwrap_or(0) == 1 {
                head.push(byte[0]);
            }
            let text = String::from_utf8_lossy(&head);
            let path = text.split_whitespace().nth(1).unwrap_or("/").to_string();
            let Ok(mut up) = std::net::TcpStream::connect(&upstream) else { continue };
            let _ = write!(up, "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            let mut answer = Vec::new();
            let _ = up.read_to_end(&mut answer);
            let Some(split) = answer.windows(4).position(|w| w == b"\r\n\r\n") else { continue };
            let (head, body) = answer.split_at(split + 4);
            let head = String::from_utf8_lossy(head);
            let status = head.lines().next().unwrap_or_default().to_string();
            let kind = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase().strip_prefix("content-type:").map(str::to_string)
                })
                .unwrap_or_default();
            let mut body = body.to_vec();
            if let Ok(mut json) = serde_json::from_slice::<serde_json::Value>(&body) {
                tamper(&path, &mut json);
                body = json.to_string().into_bytes();
            }
            let _ = write!(
                conn,
                "{status}\r\ncontent-type:{kind}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                body.len()
            );
            let _ = conn.write_all(&body);
        }
    });
    url
}
