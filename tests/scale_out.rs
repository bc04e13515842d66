//! Proving across machines on PostgreSQL, as real processes: a node with no
//! worker of its own and three `worker run` processes on one database;
//! every batch proven and published once, in order, while one worker is
//! killed with SIGKILL mid-proof and (where the test may) the database
//! server is restarted under load. A light client follows every update and
//! checks the balances. A job whose workers all die halts publishing until
//! `node retry` queues it again.
//!
//! Needs `STATEPROOF_TEST_DATABASE_URL` (skips without it, fails with
//! `STATEPROOF_REQUIRE_POSTGRES=1`); the restart needs
//! `STATEPROOF_TEST_PG_RESTART`, a shell command that restarts that server
//! (CI: `pg_ctlcluster 15 main restart`).

use stateproof_circuits::sample::sample_key;
use stateproof_circuits::transfer::{Transfer, TransferJson};
use stateproof_node::client::{Follower, NodeClient};
use stateproof_node::jobs::{JobKind, JobOutcome};
use stateproof_node::node::SAMPLE_BALANCE;
use stateproof_node::store::Store;
use stateproof_node::testdb;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

mod common;
use common::{temp_dir, Node, WorkerProcess};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

/// Sample accounts 0..8 pay each other; the expected balances follow.
struct Payments {
    nonces: [u64; 8],
    balances: BTreeMap<u64, u64>,
    ids: Vec<String>,
}

impl Payments {
    fn new() -> Self {
        Self {
            nonces: [0; 8],
            balances: (0..8).map(|i| (i, SAMPLE_BALANCE)).collect(),
            ids: vec![],
        }
    }

    /// Submits `n` transfers, retrying one the node cannot store for now
    /// (503 while its database restarts) until `within` has passed.
    fn send(&mut self, client: &NodeClient, n: usize, within: Duration) {
        for k in 0..n {
            let from = (self.ids.len() + k) as u64 % 8;
            let to = (from + 3) % 8;
            let amount = 1 + from;
            let t = Transfer::sign(
                &sample_key(from),
                from,
                to,
                sample_key(to).public_key(),
                amount,
                self.nonces[from as usize],
            );
            let deadline = Instant::now() + within;
            let accepted = loop {
                match client.submit(&TransferJson::from_transfer(&t)) {
                    Ok(Ok(a)) => break a,
                    Ok(Err(refusal)) if refusal.status == 503 => {}
                    Err(_) => {}
                    Ok(Err(refusal)) => panic!("refused: {} {}", refusal.rule, refusal.message),
                }
                assert!(Instant::now() < deadline, "the node stored nothing for {within:?}");
                std::thread::sleep(Duration::from_millis(200));
            };
            self.nonces[from as usize] += 1;
            *self.balances.get_mut(&from).unwrap() -= amount;
            *self.balances.get_mut(&to).unwrap() += amount;
            self.ids.push(accepted.id);
        }
    }
}

#[test]
fn three_workers_prove_every_batch_once_in_order_through_a_kill_and_a_database_restart() {
    let rt = runtime();
    let Some((url, _, _)) = rt.block_on(testdb::fresh_database("scale")) else { return };
    let dir = temp_dir("scale-out");
    let data = dir.join("data");
    let node =
        Node::start(&data, &["--database", &url, "--local-workers", "0", "--in-flight", "4"]);
    let client = node.client();
    let mut workers: Vec<WorkerProcess> =
        (1..=3).map(|i| WorkerProcess::start(&url, &format!("w{i}"), &dir, "2s")).collect();
    for w in &workers {
        w.wait_for("waiting for jobs", Duration::from_secs(60));
    }

    let mut payments = Payments::new();
    payments.send(&client, 12, Duration::from_secs(30));
    // Worker 1 is killed as soon as it has claimed a job: its lease lapses
    // and another worker proves that batch.
    let claimed = workers[0].wait_for("claimed batch", Duration::from_secs(120));
    workers[0].kill9();
    let killed_batch: u64 = claimed
        .split("claimed batch ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .expect("the claim names its batch");
    node.wait_proven(&payments.ids, Duration::from_secs(300));

    if let Ok(restart) = std::env::var("STATEPROOF_TEST_PG_RESTART") {
        payments.send(&client, 6, Duration::from_secs(30));
        let status = std::process::Command::new("sh").args(["-c", &restart]).status().unwrap();
        assert!(status.success(), "{restart}: {status}");
        payments.send(&client, 6, Duration::from_secs(120));
        node.wait_proven(&payments.ids, Duration::from_secs(300));
    } else {
        eprintln!("skipping the database restart: STATEPROOF_TEST_PG_RESTART is not set");
    }

    // Every update verifies and chains from genesis, with no gap.
    let state = dir.join("client.json");
    let (mut follower, _) =
        Follower::open(&node.url, &state, Some(&data.join("genesis.json"))).unwrap();
    let report = follower.follow(false).unwrap();
    assert_eq!(report.rejected, None);
    let published = report.accepted;
    assert!(published >= 6, "12 transfers in 2-slot batches make 6 updates or more");
    let status = client.status().unwrap();
    assert_eq!(status.proven_updates, published, "{status:?}");
    for (i, want) in &payments.balances {
        let got = stateproof_node::client::balance(&node.url, &state, None, *i).unwrap();
        assert_eq!(got.balance, *want, "account {i}");
    }

    // Each batch was proven once: its job done, and the killed worker's
    // batch finished by another worker.
    let store = rt.block_on(Store::connect_postgres(&url, 2)).unwrap();
    for n in 1..=published {
        match rt.block_on(store.job_outcome(JobKind::Batch, n)).unwrap() {
            JobOutcome::Done { backend, .. } => {
                if n == killed_batch {
                    assert!(!backend.ends_with("on w1"), "batch {n}: {backend}");
                }
            }
            other => panic!("batch {n}: {other:?}"),
        }
    }
    let counts = rt.block_on(store.job_counts(JobKind::Batch)).unwrap();
    assert_eq!((counts.done, counts.failed), (published, 0), "{counts:?}");
    let metrics = http_get(&format!("{}/metrics", node.url));
    assert!(metrics.contains("stateproof_proofs_rejected_total 0"), "{metrics}");
    rt.block_on(store.close());
    drop(workers);
}

#[test]
fn a_job_whose_workers_all_die_halts_publishing_until_node_retry_queues_it_again() {
    let rt = runtime();
    let Some((url, _, _)) = rt.block_on(testdb::fresh_database("retry")) else { return };
    let dir = temp_dir("retry");
    let data = dir.join("data");
    let node = Node::start(&data, &["--database", &url, "--local-workers", "0"]);
    let client = node.client();
    let mut payments = Payments::new();
    payments.send(&client, 2, Duration::from_secs(30));

    // Three workers in turn claim batch 1 and are killed before they prove
    // it: once the last lease lapses the job has no attempts left.
    for i in 1..=3 {
        let mut w = WorkerProcess::start(&url, &format!("dies{i}"), &dir, "1s");
        w.wait_for("claimed batch 1", Duration::from_secs(120));
        w.kill9();
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    let halted = loop {
        let status = client.status().unwrap();
        if let Some(why) = status.halted.clone() {
            assert!(!status.proving, "{status:?}");
            assert_eq!(status.proven_updates, 0, "{status:?}");
            break why;
        }
        assert!(Instant::now() < deadline, "the node never said it halted: {status:?}");
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(halted.contains("batch 1") && halted.contains("stopped renewing"), "{halted}");
    assert!(halted.contains("stateproof node retry"), "{halted}");

    // The operator queues it again; a second retry finds nothing failed.
    let retry = |batch: &str| {
        std::process::Command::new(common::BIN)
            .args(["node", "retry", "--data"])
            .arg(&data)
            .args(["--database", &url, "--batch", batch])
            .output()
            .unwrap()
    };
    let out = retry("1");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout} {}", String::from_utf8_lossy(&out.stderr));
    assert!(
        stdout.contains("batch 1 queued again") && stdout.contains("stopped renewing"),
        "{stdout}"
    );
    let again = retry("1");
    assert_eq!(again.status.code(), Some(1), "{again:?}");
    assert!(String::from_utf8_lossy(&again.stderr).contains("batch 1 has no failed prove job"));

    // A worker that lives proves it and the node publishes again.
    let worker = WorkerProcess::start(&url, "mended", &dir, "2s");
    node.wait_proven(&payments.ids, Duration::from_secs(120));
    let status = client.status().unwrap();
    assert_eq!((status.halted, status.proving, status.proven_updates), (None, true, 1));
    drop(worker);
}

/// A plain HTTP/1.0 GET's whole answer.
fn http_get(url: &str) -> String {
    use std::io::{Read, Write};
    let rest = url.trim_start_matches("http://");
    let (addr, path) = rest.split_once('/').unwrap();
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(s, "GET /{path} HTTP/1.0\r\nHost: x\r\n\r\n").unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    answer
}
