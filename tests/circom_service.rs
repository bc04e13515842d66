//! The node's circom proving service, as a client sees it: zkeys uploaded
//! once, proof requests from concurrent clients over two zkeys, every
//! proof checked here against the verification_key.json snarkjs exported
//! (CI also has snarkjs itself verify the service's proofs:
//! scripts/snarkjs-verify.sh), and bad uploads refused with their reason.
//! On PostgreSQL (when a test server is configured) the same requests are
//! proven by worker processes on the node's queue.

mod common;

use common::{temp_dir, Node, WorkerProcess};
use stateproof_node::client::{NodeClient, Refusal};
use stateproof_node::testdb;
use stateproof_prover::circom::parse_wtns;
use stateproof_verifier::{snarkjs, verify_proof};
use std::path::Path;
use std::time::Duration;

/// A committed circom test set: its zkey, witness, and what snarkjs made.
struct Circuit {
    zkey: Vec<u8>,
    wtns: Vec<u8>,
    vk: stateproof_verifier::VerifyingKey,
    public: serde_json::Value,
}

fn circuit(dir: &str) -> Circuit {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("prover/testdata/circom").join(dir);
    let json = |name: &str| -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(dir.join(name)).unwrap()).unwrap()
    };
    Circuit {
        zkey: std::fs::read(dir.join("preimage.zkey")).unwrap(),
        wtns: std::fs::read(dir.join("preimage.wtns")).unwrap(),
        vk: snarkjs::verification_key_from_json(&json("verification_key.json")).unwrap(),
        public: json("snarkjs_public.json"),
    }
}

/// The witness as snarkjs's `wtns export json` writes it.
fn witness_json(wtns: &[u8]) -> Vec<u8> {
    use ark_ff::PrimeField;
    let values: Vec<String> =
        parse_wtns(wtns).unwrap().iter().map(|v| v.into_bigint().to_string()).collect();
    serde_json::to_vec(&values).unwrap()
}

/// Uploads both zkeys and proves `count` requests over them from 10
/// concurrent clients (every third witness sent as JSON); each proof must
/// verify under snarkjs's verification key with snarkjs's public signals.
/// Returns what proved them.
fn prove_many(client: &NodeClient, circuits: &[Circuit], count: usize) -> Vec<String> {
    let ids: Vec<String> = circuits
        .iter()
        .map(|c| {
            let key = client.upload_zkey(&c.zkey).unwrap().expect("the zkey is taken");
            assert_eq!(key.id, blake3::hash(&c.zkey).to_hex().to_string());
            // Its verification key is snarkjs's.
            let vk = snarkjs::verification_key_from_json(&key.verification_key).unwrap();
            assert_eq!(
                (vk.alpha_g1, vk.delta_g2, &vk.gamma_abc_g1),
                (c.vk.alpha_g1, c.vk.delta_g2, &c.vk.gamma_abc_g1)
            );
            key.id
        })
        .collect();
    let backends = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for t in 0..10 {
            let (client, ids, backends) = (client.clone(), &ids, &backends);
            scope.spawn(move || {
                for i in (t..count).step_by(10) {
                    let c = &circuits[i % 2];
                    let json = i % 3 == 0;
                    let witness = if json { witness_json(&c.wtns) } else { c.wtns.clone() };
                    let asked = client
                        .request_proof(&ids[i % 2], &witness, json)
                        .unwrap()
                        .unwrap_or_else(|r| panic!("request {i}: {r}"));
                    assert_eq!(asked.state, "queued");
                    let done =
                        client.wait_circom_proof(&asked.id, Duration::from_secs(120)).unwrap();
                    assert_eq!(done.state, "done", "request {i}: {:?}", done.error);
                    assert_eq!(done.public, c.public, "request {i}: public signals");
                    let proof = snarkjs::proof_from_json(done.proof.as_ref().unwrap()).unwrap();
                    let inputs = snarkjs::public_from_json(&c.public).unwrap();
                    verify_proof(&c.vk, &inputs, &proof)
                        .unwrap_or_else(|e| panic!("request {i}'s proof: {e}"));
                    backends.lock().unwrap().push(done.backend.unwrap());
                }
            });
        }
    });
    backends.into_inner().unwrap()
}

fn refused<T: std::fmt::Debug>(r: Result<T, Refusal>) -> Refusal {
    match r {
        Err(r) => r,
        Ok(v) => panic!("accepted: {v:?}"),
    }
}

#[test]
fn twenty_requests_over_two_zkeys_are_proven_and_verify_and_bad_uploads_are_refused() {
    let dir = temp_dir("circom-service");
    let node = Node::start(&dir.join("data"), &["--key-cache-mb", "1"]);
    let client = node.client();
    let circuits = [circuit(""), circuit("one-round")];
    let backends = prove_many(&client, &circuits, 20);
    assert_eq!(backends.len(), 20);
    assert!(backends.iter().all(|b| b.ends_with("on node/1")), "{backends:?}");

    // The same bytes again: the stored key, not a second one.
    let again = client.upload_zkey(&circuits[0].zkey).unwrap().unwrap();
    assert_eq!(again.id, blake3::hash(&circuits[0].zkey).to_hex().to_string());

    // A PLONK zkey (protocol 2 in section 1), a truncated one, and bytes
    // that are no zkey at all.
    let mut plonk = circuits[0].zkey.clone();
    plonk[24..28].copy_from_slice(&2u32.to_le_bytes());
    let r = refused(client.upload_zkey(&plonk).unwrap());
    assert_eq!((r.status, r.rule.as_str()), (422, "invalid-zkey"));
    assert!(r.message.contains("PLONK"), "{}", r.message);
    let r = refused(client.upload_zkey(&circuits[0].zkey[..100_000]).unwrap());
    assert_eq!((r.status, r.rule.as_str()), (422, "invalid-zkey"));
    assert!(r.message.contains("section"), "{}", r.message);
    let r = refused(client.upload_zkey(b"not a zkey").unwrap());
    assert_eq!(r.status, 422);

    let key = blake3::hash(&circuits[0].zkey).to_hex().to_string();
    // Another circuit's witness: the wrong length.
    let r = refused(client.request_proof(&key, &circuits[1].wtns, false).unwrap());
    assert_eq!((r.status, r.rule.as_str()), (422, "invalid-witness"));
    assert!(r.message.contains("1102 variables"), "{}", r.message);
    // A truncated witness, a JSON one with a value ≥ r, an unknown key.
    let r = refused(client.request_proof(&key, &circuits[0].wtns[..1000], false).unwrap());
    assert_eq!(r.status, 422);
    let r = refused(
        client
            .request_proof(
                &key,
                br#"["1", "21888242871839275222246405745257275088548364400416034343698204186575808495617"]"#,
                true,
            )
            .unwrap(),
    );
    assert_eq!(r.status, 422);
    assert!(r.message.contains("value 1"), "{}", r.message);
    let r = refused(client.request_proof(&"0".repeat(64), &circuits[0].wtns, false).unwrap());
    assert_eq!((r.status, r.rule.as_str()), (404, "unknown-key"));

    // A witness of the right shape that does not satisfy the circuit: the
    // request fails with that reason, once (no retry elsewhere), no proof.
    let mut wrong = circuits[0].wtns.clone();
    let n = wrong.len();
    wrong[n - 40] ^= 1;
    let asked = client.request_proof(&key, &wrong, false).unwrap().unwrap();
    let done = client.wait_circom_proof(&asked.id, Duration::from_secs(60)).unwrap();
    assert_eq!((done.state.as_str(), done.attempts), ("failed", 1));
    assert!(done.error.as_deref().unwrap().contains("does not satisfy"), "{:?}", done.error);
    assert!(done.proof.is_none());
}

#[test]
fn on_postgresql_worker_processes_prove_the_requests() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let Some(db) = rt.block_on(testdb::postgres("circomsvc")) else {
        eprintln!("skipped: no PostgreSQL test server (STATEPROOF_TEST_DATABASE_URL)");
        return;
    };
    let dir = temp_dir("circom-service-pg");
    // The node proves nothing itself: two workers elsewhere do.
    let node = Node::start(&dir.join("data"), &["--database", &db.url, "--local-workers", "0"]);
    let workers: Vec<WorkerProcess> =
        ["w1", "w2"].iter().map(|n| WorkerProcess::start(&db.url, n, &dir, "5s")).collect();
    for w in &workers {
        w.wait_for("waiting for jobs", Duration::from_secs(60));
    }
    let backends = prove_many(&node.client(), &[circuit(""), circuit("one-round")], 10);
    assert_eq!(backends.len(), 10);
    assert!(backends.iter().all(|b| b.ends_with("on w1") || b.ends_with("on w2")), "{backends:?}");
    drop(workers);
    drop(node);
    rt.block_on(db.drop());
}
