//! Finality in the node, as real processes on loopback: a node with four
//! validators, each a `validator run` process; headers finalise with all
//! four and with three, not with two, and again once a third comes back;
//! the finality light client follows from the genesis header. Validators
//! refuse a header whose state root has no proof behind it, and one
//! restarted right after signing does not sign another header at that
//! height. A validator that double-signs is slashed: the evidence is
//! proven, a header names the set with its stake at 0, and the other three
//! finalise on, followed by the light client through the rotation.

use stateproof_app::userkeys::read_key;
use stateproof_circuits::finality::Header;
use stateproof_circuits::primitives::eddsa::SecretKey;
use stateproof_circuits::primitives::field::{key_to_strings, parse_fr, signature_to_strings};
use stateproof_circuits::sample::sample_key;
use stateproof_circuits::transfer::{Transfer, TransferJson};
use stateproof_node::client::{follow, follow_finality, NodeClient};
use stateproof_node::finality::api::{AttestationPost, EvidencePost, HeaderView, SignedHeader};
use std::path::Path;
use std::time::{Duration, Instant};

mod common;
use common::{lying_proxy, temp_dir, Node, Watched};

const WITHIN: Duration = Duration::from_secs(120);

/// Submits the sample account 0's next transfer and waits until it is
/// proven; returns the update's number.
fn prove_one(node: &Node, nonce: u64) -> u64 {
    prove_with(&node.client(), nonce)
}

fn prove_with(client: &NodeClient, nonce: u64) -> u64 {
    let t = Transfer::sign(&sample_key(0), 0, 1, sample_key(1).public_key(), 3, nonce);
    let accepted = client.submit(&TransferJson::from_transfer(&t)).unwrap().unwrap();
    let deadline = Instant::now() + WITHIN;
    loop {
        let v = client.transaction(&accepted.id).unwrap().unwrap();
        if v.status == "proven" {
            return v.batch.unwrap();
        }
        assert!(Instant::now() < deadline, "not proven within {WITHIN:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
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
    let report = follow_finality(&node.url, &light, Some(&genesis), None).unwrap();
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
    let report = follow_finality(&node.url, &light, None, None).unwrap();
    assert_eq!(report.height, h2);
    // A state follower bound to finality stops at the final height, though
    // update h3 is proven.
    let (state, fin) = (dir.join("client.json"), dir.join("client-finality.json"));
    let followed = follow(&node.url, &state, Some(&genesis), Some(&fin)).unwrap();
    assert_eq!((followed.final_height, followed.next_update), (Some(h2), h2 + 1), "{followed:?}");

    // A third back (from its state file): finality resumes.
    vals[2] = Watched::validator(&node.url, &data, 2, &dir);
    wait_final(&client, h3);
    let report = follow_finality(&node.url, &light, None, None).unwrap();
    assert_eq!((report.height, report.rejected), (h3, None));
    let status = client.status().unwrap();
    assert_eq!(report.state_root, status.proven_root, "final state root is the proven root");
    let followed = follow(&node.url, &state, None, Some(&fin)).unwrap();
    assert_eq!((followed.next_update, followed.rejected.clone()), (h3 + 1, None), "{followed:?}");
    assert_eq!(followed.root, status.proven_root);

    // A client that trusts header h1 (out of band) starts there.
    let h = &client.headers(h1).unwrap().headers[0];
    let checkpoint = dir.join("checkpoint.json");
    let header = serde_json::json!({
        "height": h.height, "prev_hash": h.prev_hash,
        "state_root": h.state_root, "next_set_root": h.next_set_root,
    });
    std::fs::write(&checkpoint, header.to_string()).unwrap();
    let later = dir.join("from-checkpoint.json");
    let report = follow_finality(&node.url, &later, Some(&genesis), Some(&checkpoint)).unwrap();
    assert_eq!((report.accepted, report.height), (h3 - h1, h3), "{report:?}");
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

    // Attestations are checked at once, each refusal naming its rule.
    let key = |i: u64| read_key(&data.join(format!("validator-keys/validator-{i}.key"))).unwrap();
    let forked = HeaderView { state_root: "7".into(), ..header.clone() };
    let attest = |index: u64, signer: &SecretKey, signed: &HeaderView, claimed: &HeaderView| {
        let h = Header {
            height: signed.height,
            prev_hash: parse_fr(&signed.prev_hash).unwrap(),
            state_root: parse_fr(&signed.state_root).unwrap(),
            next_set_root: parse_fr(&signed.next_set_root).unwrap(),
        };
        let (signature_r8, signature_s) = signature_to_strings(&signer.sign(h.hash()));
        let post = AttestationPost {
            height: claimed.height,
            header_hash: fr_hash(claimed),
            index,
            public_key: key_to_strings(&signer.public_key()),
            signature_r8,
            signature_s,
        };
        client.attest(&post).unwrap()
    };
    let refused = |r: Result<_, stateproof_node::client::Refusal>| {
        let r = r.unwrap_err();
        (r.status, r.rule)
    };
    let far = HeaderView { height: 99, ..header.clone() };
    assert_eq!(refused(attest(1, &key(1), &forked, &forked)), (422, "wrong-header".into()));
    assert_eq!(refused(attest(1, &key(2), &header, &header)), (422, "not-member".into()));
    assert_eq!(refused(attest(1, &key(1), &forked, &header)), (422, "bad-signature".into()));
    assert_eq!(refused(attest(1, &key(1), &far, &far)), (404, "not-found".into()));
    let kept = attest(1, &key(1), &header, &header).unwrap();
    assert_eq!((kept.attested_stake, kept.total_stake, kept.quorum), (2, 4, false));
    assert_eq!(attest(1, &key(1), &header, &header).unwrap().attested_stake, 2, "sent again");
}

/// The hash of the header a view describes, recomputed.
fn fr_hash(v: &HeaderView) -> String {
    let h = Header {
        height: v.height,
        prev_hash: parse_fr(&v.prev_hash).unwrap(),
        state_root: parse_fr(&v.state_root).unwrap(),
        next_set_root: parse_fr(&v.next_set_root).unwrap(),
    };
    stateproof_circuits::primitives::field::fr_to_string(&h.hash())
}

#[test]
fn a_double_signer_is_slashed_the_other_three_finalise_on_and_a_node_kill_9_changes_nothing() {
    let dir = temp_dir("finality-slash");
    let data = dir.join("data");
    let node = Node::start(&data, &["--validators", "4"]);
    let client = node.client();
    let mut vals: Vec<Watched> =
        (0..3).map(|i| Watched::validator(&node.url, &data, i, &dir)).collect();
    let cheat = Watched::validator_with(&node.url, &data, 3, &dir, &["--unsafe-double-sign"]);
    let genesis_set = client.headers(0).unwrap().headers[0].next_set_root.clone();

    let mut nonce = 0;
    prove_one(&node, nonce);
    cheat.wait_for("the evidence is posted", WITHIN);
    // The slashing lands between two headers: find where.
    let deadline = Instant::now() + WITHIN;
    let slashing = loop {
        if let Some(s) = client.set_changes().unwrap().changes.first().cloned() {
            break s;
        }
        assert!(Instant::now() < deadline, "no slashing within {WITHIN:?}");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!((slashing.kind.as_str(), slashing.offender), ("slash", Some(3)));
    assert_ne!(slashing.set_root, genesis_set);
    // Headers up to the one it names the set from, and one signed by the
    // slashed set after it.
    let mut proven = 1;
    while proven < slashing.from_height + 1 {
        nonce += 1;
        proven = prove_one(&node, nonce);
    }
    let from = slashing.from_height;
    let headers = client.headers(from - 1).unwrap().headers;
    assert_eq!(headers[0].next_set_root, genesis_set, "the header before names the old set");
    assert_eq!(headers[1].next_set_root, slashing.set_root, "header {from} names the slashed set");
    wait_final(&client, from + 1);

    // Without the offender at all: 3 of the slashed set's 3 still finalise.
    drop(cheat);
    nonce += 1;
    let next = prove_one(&node, nonce);
    wait_final(&client, next);
    let report =
        follow_finality(&node.url, &dir.join("fin.json"), Some(&data.join("genesis.json")), None)
            .unwrap();
    assert_eq!((report.height, report.rejected), (next, None));
    // Evidence is checked at once: against the slashed validator again,
    // over two heights, over one header twice, by a key not in the set.
    let key = read_key(&data.join("validator-keys/validator-3.key")).unwrap();
    let h1 = client.headers(1).unwrap().headers[0].clone();
    let h2 = client.headers(2).unwrap().headers[0].clone();
    let forked = HeaderView { state_root: "7".into(), ..h1.clone() };
    for (index, signer, a, b, rule) in [
        (3, &key, &h1, &forked, "already-slashed"),
        (
            0,
            &read_key(&data.join("validator-keys/validator-0.key")).unwrap(),
            &h1,
            &h2,
            "different-heights",
        ),
        (
            1,
            &read_key(&data.join("validator-keys/validator-1.key")).unwrap(),
            &h1,
            &h1,
            "same-header",
        ),
        (2, &sample_key_file(&dir), &h1, &forked, "not-member"),
    ] {
        let evidence = evidence_of(index, signer, a, b);
        let refusal = client.post_evidence(&evidence).unwrap().unwrap_err();
        assert_eq!((refusal.status, refusal.rule.as_str()), (422, rule), "{refusal}");
    }

    // kill -9 the node: restarted on its store, it serves the same headers
    // (the set change reloaded), keeps its finality proofs and goes on.
    let before: Vec<String> =
        client.headers(0).unwrap().headers.into_iter().map(|h| h.hash).collect();
    let mut node = node;
    node.kill9();
    vals.clear();
    let node = Node::start(&data, &[]);
    let client = node.client();
    let after: Vec<String> =
        client.headers(0).unwrap().headers.into_iter().map(|h| h.hash).collect();
    assert_eq!(after, before, "the headers changed across a restart");
    assert_eq!(client.set_changes().unwrap().changes.len(), 1);
    assert_eq!(final_height(&client), next);
    let _vals: Vec<Watched> =
        (0..3).map(|i| Watched::validator(&node.url, &data, i, &dir)).collect();
    nonce += 1;
    let later = prove_with(&client, nonce);
    wait_final(&client, later);
}

/// A key that belongs to no validator.
fn sample_key_file(dir: &Path) -> SecretKey {
    let path = dir.join("stranger.key");
    stateproof_app::userkeys::write_key(&path, &[9u8; 32]).unwrap();
    read_key(&path).unwrap()
}

/// `key`'s signatures over headers `a` and `b`, as evidence against `index`.
fn evidence_of(index: u64, key: &SecretKey, a: &HeaderView, b: &HeaderView) -> EvidencePost {
    let signed = |h: &HeaderView| {
        let header = Header {
            height: h.height,
            prev_hash: parse_fr(&h.prev_hash).unwrap(),
            state_root: parse_fr(&h.state_root).unwrap(),
            next_set_root: parse_fr(&h.next_set_root).unwrap(),
        };
        let (signature_r8, signature_s) = signature_to_strings(&key.sign(header.hash()));
        SignedHeader {
            height: h.height,
            prev_hash: h.prev_hash.clone(),
            state_root: h.state_root.clone(),
            next_set_root: h.next_set_root.clone(),
            signature_r8,
            signature_s,
        }
    };
    EvidencePost {
        index,
        public_key: key_to_strings(&key.public_key()),
        first: signed(a),
        second: signed(b),
    }
}

#[test]
fn a_set_file_names_the_validators_and_bad_choices_are_refused_before_any_key_is_made() {
    let dir = temp_dir("finality-set");
    let bin = common::BIN;
    let run = |args: &[&str]| std::process::Command::new(bin).args(args).output().unwrap();
    let sample = dir.join("sample");
    let out = run(&[
        "finality",
        "sample",
        "--depth",
        "2",
        "--validators",
        "3",
        "--out",
        sample.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{out:?}");
    let set = sample.join("set.json");
    let data = dir.join("data");
    let d = data.to_str().unwrap();
    let small = ["--depth", "4", "--slots", "1", "--fund-sample", "1", "--transfers-only"];
    let out =
        run(&[&["node", "init", "--data", d, "--set", set.to_str().unwrap()][..], &small].concat());
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let genesis: serde_json::Value =
        serde_json::from_slice(&std::fs::read(data.join("genesis.json")).unwrap()).unwrap();
    let sample_set: serde_json::Value =
        serde_json::from_slice(&std::fs::read(sample.join("genesis.json")).unwrap()).unwrap();
    assert_eq!(genesis["finality"]["validators"], 3, "{genesis}");
    assert_eq!(genesis["finality"]["set_root"], sample_set["next_set_root"], "{genesis}");
    assert!(!data.join("validator-keys").exists(), "no secret keys for a set from a file");

    for (args, says) in [
        (vec!["--validators", "2", "--set", set.to_str().unwrap()], "not both"),
        (vec!["--validators", "65"], "1 to 64"),
        (vec!["--set", "/nonexistent/set.json"], "/nonexistent/set.json"),
    ] {
        let other = dir.join("other");
        let o = other.to_str().unwrap();
        let out = run(&[&["node", "init", "--data", o][..], &small, &args].concat());
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(String::from_utf8_lossy(&out.stderr).contains(says), "{out:?}");
        assert!(!other.join("keys/transfer.pk").exists(), "keys made before the refusal");
    }
}

#[test]
fn a_devnet_finalises_and_stops_whole_on_sigterm() {
    use std::io::BufRead;
    let dir = temp_dir("devnet");
    let data = dir.join("data");
    let log = std::fs::File::create(dir.join("devnet.log")).unwrap();
    let mut devnet = std::process::Command::new(common::BIN)
        .args(["devnet", "--data", data.to_str().unwrap(), "--validators", "4"])
        .args(["--listen", "127.0.0.1:0", "--depth", "8", "--slots", "1"])
        .args(["--batch-age", "200ms", "--backend", "cpu"])
        .stdout(std::process::Stdio::piped())
        .stderr(log)
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(devnet.stdout.take().unwrap()).lines();
    let url = loop {
        let line = lines.next().expect("devnet reports").unwrap();
        if let Some(rest) = line.strip_prefix("devnet: node listening on ") {
            break rest.split_whitespace().next().unwrap().to_string();
        }
    };
    let client = NodeClient::new(&url).unwrap();
    let h = prove_with(&client, 0);
    wait_final(&client, h);

    let term = std::process::Command::new("kill")
        .args(["-TERM", &devnet.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(s) = devnet.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < deadline, "the devnet did not stop");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(status.success(), "{status}");
    assert!(client.status().is_err(), "the node still answers after the devnet stopped");
    let states = std::fs::read_dir(data.join("validator-state")).unwrap().count();
    assert_eq!(states, 4);
}

#[test]
fn a_validator_with_a_missing_or_truncated_file_is_exit_2_naming_it() {
    let dir = temp_dir("validator-files");
    let sample = dir.join("sample");
    let bin = common::BIN;
    let out = std::process::Command::new(bin)
        .args(["finality", "sample", "--depth", "2", "--validators", "3", "--out"])
        .arg(&sample)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    // A node genesis naming that set, and a key file.
    let data = dir.join("data");
    let out = std::process::Command::new(bin)
        .args([
            "node",
            "init",
            "--transfers-only",
            "--depth",
            "4",
            "--slots",
            "1",
            "--fund-sample",
            "1",
        ])
        .arg("--data")
        .arg(&data)
        .arg("--set")
        .arg(sample.join("set.json"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let key = dir.join("validator.key");
    stateproof_app::userkeys::write_key(&key, &[5u8; 32]).unwrap();
    let genesis = data.join("genesis.json");
    let set = data.join("validators.json");
    for target in [&key, &genesis, &set] {
        let bytes = std::fs::read(target).unwrap();
        let truncated =
            dir.join(format!("truncated-{}", target.file_name().unwrap().to_str().unwrap()));
        std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
        let missing = dir.join("missing-file");
        for broken in [&missing, &truncated] {
            let pick =
                |p: &Path| if p == target.as_path() { broken.clone() } else { p.to_path_buf() };
            let out = std::process::Command::new(bin)
                .args(["validator", "run", "--node", "http://127.0.0.1:9", "--state"])
                .arg(dir.join("state.json"))
                .arg("--key")
                .arg(pick(&key))
                .arg("--genesis")
                .arg(pick(&genesis))
                .arg("--set")
                .arg(pick(&set))
                .output()
                .unwrap();
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{target:?} as {broken:?}: {err}");
            assert!(err.contains(broken.to_str().unwrap()), "{target:?} as {broken:?}: {err}");
            assert!(!err.contains("panicked"), "{err}");
        }
    }
}

#[test]
fn a_quorum_removes_a_validator_and_the_rest_finalise_on() {
    let dir = temp_dir("finality-change");
    let data = dir.join("data");
    let node = Node::start(&data, &["--validators", "4"]);
    let client = node.client();
    let _vals: Vec<Watched> =
        (0..4).map(|i| Watched::validator(&node.url, &data, i, &dir)).collect();
    let h1 = prove_one(&node, 0);
    wait_final(&client, h1);

    // The set without validator 3, signed by 0, 1 and 2.
    let current = data.join("validators.json");
    let mut set: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&current).unwrap()).unwrap();
    set["validators"].as_array_mut().unwrap().retain(|v| v["index"] != 3);
    let next = dir.join("next.json");
    std::fs::write(&next, set.to_string()).unwrap();
    let run = |args: &[&str]| std::process::Command::new(common::BIN).args(args).output().unwrap();
    let p = |path: &Path| path.to_str().unwrap().to_string();
    let signature = |i: u64| {
        let out = dir.join(format!("change-{i}.json"));
        let key = data.join(format!("validator-keys/validator-{i}.key"));
        let done = run(&[
            "validator",
            "sign-set-change",
            "--node",
            &node.url,
            "--key",
            &p(&key),
            "--genesis",
            &p(&data.join("genesis.json")),
            "--current",
            &p(&current),
            "--next",
            &p(&next),
            "--out",
            &p(&out),
        ]);
        assert!(done.status.success(), "{}", String::from_utf8_lossy(&done.stderr));
        p(&out)
    };
    let signatures: Vec<String> = (0..3).map(signature).collect();
    let submit = |with: &[String]| {
        let mut args = vec!["validator".to_string(), "submit-set-change".into(), "--node".into()];
        args.extend([node.url.clone(), "--next".into(), p(&next)]);
        args.extend(with.iter().cloned());
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        run(&args)
    };
    // Two of four is no quorum: refused at once, naming the rule.
    let short = submit(&signatures[..2]);
    assert_eq!(short.status.code(), Some(1), "{short:?}");
    assert!(String::from_utf8_lossy(&short.stderr).contains("quorum-not-reached"), "{short:?}");
    let done = submit(&signatures);
    assert!(done.status.success(), "{}", String::from_utf8_lossy(&done.stderr));

    let deadline = Instant::now() + WITHIN;
    let change = loop {
        if let Some(c) = client.set_changes().unwrap().changes.first().cloned() {
            break c;
        }
        assert!(Instant::now() < deadline, "no set change within {WITHIN:?}");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!((change.kind.as_str(), change.offender), ("quorum", None));
    let mut nonce = 1;
    let mut proven = h1;
    while proven < change.from_height + 1 {
        proven = prove_one(&node, nonce);
        nonce += 1;
    }
    let named = &client.headers(change.from_height).unwrap().headers[0];
    assert_eq!(named.next_set_root, change.set_root);
    // Signed by 0, 1 and 2 alone (3 of the new set's 3).
    wait_final(&client, change.from_height + 1);
    let report =
        follow_finality(&node.url, &dir.join("fin.json"), Some(&data.join("genesis.json")), None)
            .unwrap();
    assert_eq!((report.height, report.rejected), (change.from_height + 1, None));
    // The same request again: refused, the set is the current one now.
    let again = submit(&signatures);
    assert_eq!(again.status.code(), Some(1), "{again:?}");
}
