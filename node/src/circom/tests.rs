use super::*;
use crate::jobs::JobOutcome;
use crate::testdb;

const LEASE: Duration = Duration::from_secs(30);

#[tokio::test]
async fn circom_requests_share_the_queue_after_batches_and_a_bad_witness_fails_at_once() {
    let dir = testdb::TempDir::new("circom-queue");
    let sqlite = Store::create(&dir.path().join("node.db")).await.expect("sqlite");
    let pg = testdb::postgres("circomq").await;
    for store in std::iter::once(&sqlite).chain(pg.as_ref().map(|d| &d.store)) {
        let key = CircomKey {
            id: "k".repeat(64),
            variables: 3,
            public_signals: 1,
            domain_size: 4,
            vk_json: "{}".into(),
        };
        assert!(store.put_circom_key(&key, b"zkey").await.expect("put"));
        assert!(!store.put_circom_key(&key, b"other").await.expect("put again"));
        assert_eq!(store.circom_key(&key.id).await.expect("get"), Some(key.clone()));
        assert_eq!(store.circom_key_bytes(&key.id).await.expect("bytes"), Some(b"zkey".to_vec()));
        let w = witness_to_bytes(&[Fr::one(), Fr::from(2u64), Fr::from(3u64)]);
        store.queue_circom("r1", &key.id, &w, r#"["2"]"#).await.expect("queue");
        store.queue_circom("r2", &key.id, &w, r#"["2"]"#).await.expect("queue");
        store.seal(1, &[]).await.expect("seal");
        store.enqueue(1, "transfer-batch", "fp", b"batch").await.expect("enqueue");

        // The batch first, then the requests in order.
        let batch = store.claim_any("w", LEASE).await.expect("claim").expect("a job");
        assert_eq!((batch.kind, batch.seq), (JobKind::Batch, 1));
        let first = store.claim_any("w", LEASE).await.expect("claim").expect("a job");
        assert_eq!(first.kind, JobKind::Circom);
        assert_eq!(
            (first.key_fingerprint.as_str(), first.inputs.as_slice()),
            (key.id.as_str(), w.as_slice())
        );
        // A witness at fault fails at once, whatever attempts are left.
        assert!(store.fail(&first, "w", "does not satisfy", Retry::Never).await.expect("fail"));
        let r1 = store.circom_request("r1").await.expect("read").expect("r1");
        assert_eq!((r1.state.as_str(), r1.error.as_deref()), ("failed", Some("does not satisfy")));
        // A proof the node refuses goes back to the queue; a good one is
        // checked and loses its witness.
        let second = store.claim_any("w", LEASE).await.expect("claim").expect("r2");
        assert!(store.complete(&second, b"bad", "cpu", Duration::ZERO).await.expect("done"));
        store.reject(JobKind::Circom, second.seq, "does not verify").await.expect("reject");
        assert_eq!(
            store.job_outcome(JobKind::Circom, second.seq).await.expect("outcome"),
            JobOutcome::Pending
        );
        let again = store.claim_any("v", LEASE).await.expect("claim").expect("r2 again");
        assert_eq!((again.seq, again.attempts), (second.seq, 2));
        assert!(store.complete(&again, b"good", "cpu", Duration::ZERO).await.expect("done"));
        store.mark_checked(again.seq).await.expect("checked");
        let r2 = store.circom_request("r2").await.expect("read").expect("r2");
        assert_eq!((r2.state.as_str(), r2.output.as_deref()), ("checked", Some(&b"good"[..])));
        let inputs: Vec<u8> = sqlx::query_scalar("SELECT inputs FROM circom_jobs WHERE id = 'r2'")
            .fetch_one(&store.pool)
            .await
            .expect("inputs");
        assert!(inputs.is_empty(), "a checked request keeps its witness");
        assert!(store.claim_any("w", LEASE).await.expect("claim").is_none());
        let counts = store.job_counts(JobKind::Circom).await.expect("counts");
        assert_eq!((counts.done, counts.failed), (1, 1));
    }
    if let Some(db) = pg {
        db.drop().await;
    }
}

#[test]
fn a_witness_round_trips_and_bad_bytes_are_refused() {
    let w = vec![Fr::one(), Fr::from(7u64), -Fr::one()];
    assert_eq!(witness_from_bytes(&witness_to_bytes(&w)).unwrap(), w);
    assert!(witness_from_bytes(&[0u8; 33]).unwrap_err().contains("32-byte"));
    let mut big = witness_to_bytes(&w);
    big[64..96].copy_from_slice(&[0xff; 32]);
    assert!(witness_from_bytes(&big).unwrap_err().contains("value 2"));
}

#[test]
fn a_json_witness_is_read_canonically() {
    assert_eq!(witness_from_json(br#"["1", "5"]"#).unwrap(), vec![Fr::one(), Fr::from(5u64)]);
    assert!(witness_from_json(br#"["2", "5"]"#).unwrap_err().contains("not 1"));
    assert!(witness_from_json(br#"["1", "05"]"#).unwrap_err().contains("value 1"));
    assert!(witness_from_json(br#"["1", 5]"#).is_err());
    let r = "21888242871839275222246405745257275088548364400416034343698204186575808495617";
    assert!(witness_from_json(format!(r#"["1", "{r}"]"#).as_bytes()).is_err());
    assert!(witness_from_json(b"").is_err());
}

#[test]
fn the_key_cache_drops_the_least_recently_used_within_its_budget() {
    let mut c = KeyCache::new(100);
    assert!(c.insert("a".into(), 1, 40).is_empty());
    assert!(c.insert("b".into(), 2, 40).is_empty());
    assert_eq!(c.get("a"), Some(&1)); // b is now the oldest
    assert_eq!(c.insert("c".into(), 3, 40), vec!["b".to_string()]);
    assert_eq!(c.used(), 80);
    assert!(c.contains("a") && c.contains("c") && !c.contains("b"));
    // One key over the budget stays, alone.
    let mut dropped = c.insert("huge".into(), 4, 500);
    dropped.sort();
    assert_eq!(dropped, vec!["a".to_string(), "c".to_string()]);
    assert_eq!((c.used(), c.get("huge")), (500, Some(&4)));
    // Replacing an entry frees its old cost first.
    assert!(c.insert("huge".into(), 5, 60).is_empty());
    assert_eq!(c.used(), 60);
}
