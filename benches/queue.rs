//! The prove-job queue's own cost, with a trivial payload: how many
//! claim-and-complete cycles per second one store sustains with 1, 4 and 16
//! concurrent claimers, and the round trip of a claim that finds nothing
//! (what an idle worker pays per poll). On a fresh SQLite store and, when
//! `STATEPROOF_TEST_DATABASE_URL` names a server, a fresh PostgreSQL
//! database. `cargo bench --bench queue [-- JOBS]` (default 2,000 jobs).
//!
//! A job waits for a free worker at most one poll (`worker run --poll`,
//! 250 ms by default; the node's own workers are woken at once) plus one
//! claim round trip.

use stateproof_node::jobs::JobKind;
use stateproof_node::store::Store;
use stateproof_node::testdb;
use std::time::{Duration, Instant};

const LEASE: Duration = Duration::from_secs(30);

async fn fill(store: &Store, from: u64, jobs: u64) {
    for n in from..from + jobs {
        store.seal(n, &[]).await.expect("seal");
        store.enqueue(n, "transfer-batch", "fp", &[0u8; 64]).await.expect("enqueue");
    }
}

/// Claim-and-complete cycles per second with `claimers` concurrent tasks.
async fn cycles(store: &Store, claimers: usize) -> f64 {
    let start = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..claimers {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut done = 0u64;
            while let Some(job) =
                store.claim(JobKind::Batch, &format!("w{w}"), LEASE).await.expect("claim")
            {
                assert!(store.complete(&job, b"p", "cpu", Duration::ZERO).await.expect("complete"));
                done += 1;
            }
            done
        }));
    }
    let mut done = 0;
    for t in tasks {
        done += t.await.expect("a claimer");
    }
    done as f64 / start.elapsed().as_secs_f64()
}

/// The median round trip of a claim that finds nothing, in milliseconds.
async fn empty_claim_ms(store: &Store) -> f64 {
    let mut times: Vec<f64> = Vec::new();
    for _ in 0..200 {
        let t = Instant::now();
        assert!(store.claim(JobKind::Batch, "idle", LEASE).await.expect("claim").is_none());
        times.push(t.elapsed().as_secs_f64() * 1e3);
    }
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

async fn measure(engine: &str, store: &Store, jobs: u64) {
    let mut next = 1;
    for claimers in [1usize, 4, 16] {
        fill(store, next, jobs).await;
        next += jobs;
        let rate = cycles(store, claimers).await;
        println!("{engine}: {claimers:>2} claimers: {rate:>7.0} claim-and-complete cycles/s");
    }
    println!("{engine}: an empty claim takes {:.2} ms (median)", empty_claim_ms(store).await);
}

fn main() {
    let jobs: u64 = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(2_000);
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let dir = testdb::TempDir::new("queue-bench");
        let sqlite = Store::create(&dir.path().join("node.db")).await.expect("sqlite");
        measure("sqlite", &sqlite, jobs).await;
        sqlite.close().await;
        if let Some(db) = testdb::postgres("queue_bench").await {
            measure("postgres", &db.store, jobs).await;
            db.drop().await;
        }
    });
}
