//! Finality in the node, as real processes on loopback: a node with four
//! validators, each a `validator run` process; headers finalise with all
//! four and with three, not with two, and again once a third comes back;
//! the finality light client follows from the genesis header. Validators
//! refuse a header whose state root has no proof behind it, and one
//! restarted right after signing does not sign another header at that
//! height.

use stateproof_circuits::sample::sample_key;
use stateproof_circuits::transfer::{Transfer, TransferJson};
use stateproof_node::client::{follow_finality, NodeClient};
use std::path::Path;
use std::time::{Duration, Instant};

mod common;
use common::{lying_proxy, temp_dir, Node, Watched};

const WITHIN: Duration = Duration::from_secs(120);

/// Submits the sample account 0's next transfer and waits until it is
/// proven; returns the update's number.
fn prove_one(node: &Node, nonce: u64) -> u64 {
    let t = Transfer::sign(&sample_key(0), 0, 1, sample_key(1).public_key(), 3, nonce);
    let accepted = node.client().submit(&TransferJson::from_transfer(&t)).unwrap().unwrap();
    node.wait_proven(std::slice::from_ref(&accepted.id), WITHIN);
    node.client().transaction(&accepted.id).unwrap().unwrap().batch.unwrap()
}

/// The highest final height the node serves.
fn final_height(client: &NodeClient) -> u64 {
    let page = client.finality(1).unwrap();
    page.proofs.last().map_or(0, |p| p.height)
}

fn wait_final(client: &NodeClient, height: u64) {
    let deadline = Instant::now() + WITHIN;
    while final_height(client) < height {
        assert!(Instant::now() < deadline, "height {height} not final within {WITHIN:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn validators(node: &Node, data: &Path, dir: &Path) -> Vec<Watched> {
    (0..4).map(|i| Watched::validator(&node.url, data, i, dir)).collect()
}

#[test]
fn four_validators_finalise_through_one_down_stall_at_two_down_and_resume() {
    let dir = temp_dir("finality");
    let data = dir.join("data");
    let node = Node::start(&data, &["--validators", "4"]);
    let client = node.client();
    let mut vals = validators(&node, &data, &dir);
    let genesis = data.join("genesis.json");
    let light = dir.join("finality-client.json");

    let h1 = prove_one(&node, 0);
    wait_final(&client, h1);
    let report = follow_finality(&node.url, &light, Some(&genesis)).unwrap();
    assert_eq!((report.height, report.rejected.clone()), (h1, None), "{report:?}");

    // One of four down: 3 > 2/3 of 4, finality goes on.
    vals[3].kill9();
    let h2 = prove_one(&node, 1);
    wait_final(&client, h2);

    // Two down: 2 of 4 is not more than 2/3; the header waits and the
    // light client does not move.
    vals[2].kill9();
    let h3 = prove_one(&node, 2);
    vals[0].wait_for(&format!("signed header {h3}"), WITHIN);
    vals[1].wait_for(&format!("signed header {h3}"), WITHIN);
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(final_height(&client), h2, "finalised with half the stake");
    let report = follow_finality(&node.url, &light, None).unwrap();
    assert_eq!(report.height, h2);

    // A third back (from its state file): finality resumes.
    vals[2] = Watched::validator(&node.url, &data, 2, &dir);
    wait_final(&client, h3);
    let report = follow_finality(&node.url, &light, None).unwrap();
    assert_eq!((report.height, report.rejected), (h3, None));
    let status = client.status().unwrap();
    assert_eq!(report.state_root, status.proven_root, "final state root is the proven root");
}

/// Header `height`'s state root changed in `/v1/headers` answers.
fn forge_state_root(upstream: &str, height: u64) -> String {
    lying_proxy(upstream, move |path, page| {
        if !path.starts_with("/v1/headers") {
            return;
        }
        for h in page["headers"].as_array_mut().into_iter().flatten() {
            if h["height"] == height {
                h["state_root"] = "12345".into();
            }
        }
    })
}

#[test]
fn validators_refuse_an_unproven_state_root_and_never_sign_two_headers_at_one_height() {
    let dir = temp_dir("finality-liar");
    let data = dir.join("data");
    let node = Node::start(&data, &["--validators", "4"]);
    let client = node.client();
    let h1 = prove_one(&node, 0);

    // Through a node that lies about header 1's state root, a validator
    // signs nothing and its state stays at genesis.
    let liar = forge_state_root(&node.url, h1);
    let fooled = Watched::validator(&liar, &data, 0, &dir);
    let line = fooled.wait_for("refusing header 1", WITHIN);
    assert!(line.contains("state root"), "{line}");
    drop(fooled);
    let state: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("validator-0.json")).unwrap()).unwrap();
    assert_eq!(state["height"], 0, "{state}");

    // Honest, it signs header 1 and is killed at once; restarted against
    // a node that now shows another header 1, it does not sign that one.
    let mut honest = Watched::validator(&node.url, &data, 0, &dir);
    honest.wait_for(&format!("signed header {h1}"), WITHIN);
    honest.kill9();
    let restarted = Watched::validator(&liar, &data, 0, &dir);
    restarted.wait_for("is not the one this validator signed", WITHIN);
    drop(restarted);
    let state: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("validator-0.json")).unwrap()).unwrap();
    assert_eq!(state["height"], h1, "{state}");
    let header = client.headers(h1).unwrap().headers[0].clone();
    assert_eq!(state["header_hash"], header.hash, "the state holds the honest header");
    assert!(!header.is_final, "one validator is not a quorum");
}
