//! The node end to end, as real processes on loopback: two users' transfers
//! proven and their balances verified by a light client; kill -9 at random
//! moments under load, with every acknowledged transaction accounted for;
//! hostile requests answered with the rule they break; a corrupt store
//! refused untouched.

use stateproof_circuits::sample::sample_key;
use stateproof_circuits::transfer::{Transfer, TransferJson};
use stateproof_node::client::{Follower, NodeClient};
use stateproof_node::node::SAMPLE_BALANCE;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{ErrorKind, Read, Write};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::{temp_dir, Node, BIN};

fn stateproof(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().expect("the binary runs")
}

/// Runs the binary, killing it if it outlives `limit` (a node that should
/// have refused to start would otherwise serve forever).
fn stateproof_within(args: &[&str], limit: Duration) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let deadline = Instant::now() + limit;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

fn stdout_json(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("--json prints one JSON object")
}

/// A node process on a free loopback port.

#[test]
fn two_users_send_and_a_light_client_verifies_their_balances() {
    let dir = temp_dir("users");
    let data = dir.join("data");
    let node = Node::start(&data, &[]);
    let (alice, bob) = (dir.join("alice.key"), dir.join("bob.key"));
    for key in [&alice, &bob] {
        stdout_json(&stateproof(&["--json", "keys", "new", "--out", key.to_str().unwrap()]));
    }
    // `from: None`: the sender's account is found by its key.
    let send_raw = |key: &Path, from: Option<&str>, to: &str, to_key: &Path, amount: &str| {
        let mut args = vec!["--json", "send", "--node", &node.url, "--key", key.to_str().unwrap()];
        if let Some(from) = from {
            args.extend(["--from", from]);
        }
        args.extend(["--to", to, "--to-key", to_key.to_str().unwrap(), "--amount", amount]);
        args.extend(["--wait", "120s"]);
        stateproof(&args)
    };
    let send = |key: &Path, from: Option<&str>, to: &str, to_key: &Path, amount: &str| {
        stdout_json(&send_raw(key, from, to, to_key, amount))
    };
    // Alice has no account yet: her key alone finds none.
    let early = send_raw(&alice, None, "101", &bob, "1");
    assert_eq!(early.status.code(), Some(1));
    let said = String::from_utf8_lossy(&early.stdout);
    assert!(said.contains("no account on"), "{said}");
    // A sample account funds Alice's new account; Alice pays Bob's, her
    // account found by her key.
    let sample = data.join("sample-keys/account-0.key");
    let funded = send(&sample, Some("0"), "100", &alice, "5000");
    assert_eq!(funded["status"], "proven");
    let paid = send(&alice, None, "101", &bob, "1200");
    assert_eq!(paid["status"], "proven");
    assert_eq!((paid["from"].clone(), paid["nonce"].clone()), (100.into(), 0.into()));

    let state = dir.join("client.json");
    let genesis = data.join("genesis.json");
    let follow = stdout_json(&light_follow(true, &node.url, &state, Some(&genesis)));
    assert!(follow["accepted"].as_u64().unwrap() >= 2, "{follow}");
    assert_eq!(follow["rejected"], serde_json::Value::Null);
    let balance = |account: &str| {
        stdout_json(&stateproof(&[
            "--json",
            "light-client",
            "balance",
            "--node",
            &node.url,
            "--state",
            state.to_str().unwrap(),
            account,
        ]))
    };
    assert_eq!(balance("100")["balance"], 3800);
    assert_eq!(balance("101")["balance"], 1200);
    assert_eq!(balance("0")["balance"], SAMPLE_BALANCE - 5000);
    assert_eq!(balance("102")["empty"], true);
    // A node that lies about an account, its balance or the ledger's other
    // parts beside the account tree, is caught by the path check.
    for field in ["balance", "deals_root", "members_root"] {
        let liar = common::lying_proxy(&node.url, move |path, view| {
            if path.starts_with("/v1/accounts/0") {
                match field {
                    "balance" => view["account"]["balance"] = 7.into(),
                    _ => view[field] = "1".into(),
                }
            }
        });
        let out = stateproof(&[
            "light-client",
            "balance",
            "--node",
            &liar,
            "--state",
            state.to_str().unwrap(),
            "0",
        ]);
        assert_eq!(out.status.code(), Some(1), "{field}: {out:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("does not lead to the verified root"), "{field}: {err}");
    }

    // A second node with its own keys: the client, which holds the first
    // node's verifying key and root, rejects its update and keeps its root.
    let other = Node::start(&dir.join("other"), &[]);
    let t = Transfer::sign(&sample_key(1), 1, 2, sample_key(2).public_key(), 7, 0);
    let accepted = other.client().submit(&TransferJson::from_transfer(&t)).unwrap().unwrap();
    other.wait_proven(&[accepted.id], Duration::from_secs(120));
    // Both genesis roots are equal (the same sample accounts); only the
    // keys differ. A client of the first node at genesis:
    let mut at_genesis: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&state).unwrap()).unwrap();
    at_genesis["root"] = at_genesis["genesis_root"].clone();
    at_genesis["next_update"] = 1.into();
    let state = dir.join("client-at-genesis.json");
    std::fs::write(&state, at_genesis.to_string()).unwrap();
    let before = std::fs::read(&state).unwrap();
    let out = light_follow(false, &other.url, &state, None);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("verif"), "{out:?}");
    assert_eq!(std::fs::read(&state).unwrap(), before, "the client kept its state");

    // The first node, lying about update 2's public inputs: the page's
    // batched check fails, the client keeps update 1 and rejects from 2.
    let liar = lying_proxy(&node.url, 2);
    let out = light_follow(false, &liar, &state, None);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("proof does not verify"), "{out:?}");
    let kept: serde_json::Value = serde_json::from_slice(&std::fs::read(&state).unwrap()).unwrap();
    assert_eq!(kept["next_update"], 2, "{kept}");
    // The honest node then takes it the rest of the way, to the same root
    // as the client that followed it from the start.
    let rest = stdout_json(&light_follow(true, &node.url, &state, None));
    assert_eq!(rest["rejected"], serde_json::Value::Null, "{rest}");
    let first: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("client.json")).unwrap()).unwrap();
    assert_eq!(rest["root"], first["root"], "{rest}");
}

/// `stateproof [--json] light-client follow --node URL --state S [--genesis G]`.
fn light_follow(json: bool, url: &str, state: &Path, genesis: Option<&Path>) -> Output {
    let mut args =
        vec!["light-client", "follow", "--node", url, "--state", state.to_str().unwrap()];
    if json {
        args.insert(0, "--json");
    }
    if let Some(g) = genesis {
        args.extend(["--genesis", g.to_str().unwrap()]);
    }
    stateproof(&args)
}

/// A node that lies about update `n`: its batch digest is changed in
/// `/v1/updates` pages (the update still parses; its proof no longer
/// verifies).
fn lying_proxy(upstream: &str, n: u64) -> String {
    common::lying_proxy(upstream, move |path, page| {
        if !path.starts_with("/v1/updates") {
            return;
        }
        for u in page["updates"].as_array_mut().into_iter().flatten() {
            if u["n"] == n {
                let bytes = hex::decode(u["update_hex"].as_str().unwrap()).unwrap();
                let mut update = stateproof_verifier::CompressedUpdate::from_bytes(&bytes).unwrap();
                update.public_inputs[2].1 += stateproof_verifier::Fr::from(1u64);
                u["update_hex"] = hex::encode(update.to_bytes()).into();
            }
        }
    })
}

/// A small deterministic generator (no dependency), seeded per run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn millis(&mut self, lo: u64, hi: u64) -> Duration {
        Duration::from_millis(lo + self.next() % (hi - lo))
    }
}

/// What the load thread submitted: every transfer by id, and the ids the
/// node acknowledged with a 202.
#[derive(Default)]
struct Ledger {
    submitted: HashMap<String, (u64, u64)>,
    acked: HashSet<String>,
}

/// Most transfers submitted in one round of the crash test.
const PER_ROUND: u64 = 10;

/// Submits up to [`PER_ROUND`] transfers among the sample accounts, or
/// fewer if the node stops answering; each sender's next nonce comes from
/// the node.
fn load_until_dead(url: &str, senders: u64, ledger: &mut Ledger) {
    let client = NodeClient::new(url).unwrap();
    let mut nonces = BTreeMap::new();
    for from in 0..senders {
        match client.account(from) {
            Ok(v) => nonces.insert(from, v.pending.unwrap().nonce),
            Err(_) => return,
        };
    }
    // A few transfers a round, spread out: the prover (two slots, about a
    // second a batch here) must be able to catch up by the end.
    let mut k = 0u64;
    while k < PER_ROUND {
        std::thread::sleep(Duration::from_millis(40));
        let from = k % senders;
        let to = (from + 1) % senders;
        k += 1;
        let nonce = nonces[&from];
        let t = Transfer::sign(&sample_key(from), from, to, sample_key(to).public_key(), 1, nonce);
        let id = stateproof_node::intake::transaction_id(&t);
        ledger.submitted.insert(id.clone(), (from, nonce));
        match client.submit(&TransferJson::from_transfer(&t)) {
            Ok(Ok(a)) => {
                assert_eq!(a.id, id);
                ledger.acked.insert(id);
                nonces.insert(from, nonce + 1);
            }
            Ok(Err(r)) => panic!("a valid transfer was refused: {r}"),
            Err(_) => return, // killed
        }
    }
}

/// Checks the invariants after a restart: every acknowledged transaction is
/// pending or in exactly one proven update, no nonce is used twice, the
/// total balance is conserved, the root is the last update's, and the light
/// client follows on.
fn check_invariants(node: &Node, senders: u64, ledger: &Ledger, follower: &mut Follower) {
    let client = node.client();
    // Statuses first: a transaction proven by then is in the listing after.
    let statuses: Vec<(String, String)> = ledger
        .acked
        .iter()
        .map(|id| {
            let v = client.transaction(id).unwrap().unwrap_or_else(|| panic!("acked {id} lost"));
            (id.clone(), v.status)
        })
        .collect();
    let mut in_updates: HashMap<String, u64> = HashMap::new();
    let mut nonces_used = HashSet::new();
    let mut last_root = client.status().unwrap().genesis_root;
    let mut from = 1;
    loop {
        let page = client.updates(from).unwrap();
        if page.updates.is_empty() {
            break;
        }
        for u in &page.updates {
            assert_eq!(u.old_root, last_root, "update {} continues the last root", u.n);
            last_root = u.new_root.clone();
            for id in &u.transactions {
                assert!(in_updates.insert(id.clone(), u.n).is_none(), "{id} in two updates");
                let used = ledger.submitted.get(id).expect("only our transfers are proven");
                assert!(nonces_used.insert(*used), "nonce {used:?} used twice");
            }
        }
        from = page.next;
    }
    for (id, status) in &statuses {
        match status.as_str() {
            "proven" => assert!(in_updates.contains_key(id), "{id} proven but in no update"),
            "pending" | "batched" => {}
            s => panic!("{id}: status {s}"),
        }
    }
    // The node's root and the update it follows, read together, against
    // that update's new root (the node may have proven more since).
    let status = client.status().unwrap();
    let root_after = |n: u64| match n {
        0 => status.genesis_root.clone(),
        n => client.updates(n).unwrap().updates[0].new_root.clone(),
    };
    assert_eq!(status.proven_root, root_after(status.proven_updates), "the tree root");
    let total: u64 =
        (0..senders).map(|i| client.account(i).unwrap().account.unwrap().balance).sum();
    assert_eq!(total, senders * SAMPLE_BALANCE, "balances are conserved");
    let report = follower.follow(false).unwrap();
    assert_eq!(report.rejected, None);
    assert_eq!(report.root, root_after(report.next_update - 1), "the light client's root");
}

fn crash_run(kills: usize) {
    let seed =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()
            as u64
            | 1;
    eprintln!("crash test seed {seed}");
    let mut rng = Rng(seed);
    let dir = temp_dir(&format!("crash-{kills}"));
    let data = dir.join("data");
    let senders = 8;
    let mut node = Node::start(&data, &[]);
    let mut ledger = Ledger::default();
    let (mut follower, _) =
        Follower::open(&node.url, &dir.join("client.json"), Some(&data.join("genesis.json")))
            .unwrap();
    for round in 0..kills {
        let url = node.url.clone();
        let life = rng.millis(150, 2500);
        let mut round_ledger = Ledger::default();
        std::thread::scope(|s| {
            let loader = s.spawn(|| load_until_dead(&url, senders, &mut round_ledger));
            // The kill lands while submitting, sealing or proving.
            std::thread::sleep(life);
            node.kill9();
            loader.join().unwrap();
        });
        ledger.submitted.extend(round_ledger.submitted);
        ledger.acked.extend(round_ledger.acked);
        node = Node::start(&data, &[]);
        follower = Follower::open(&node.url, &dir.join("client.json"), None).unwrap().0;
        check_invariants(&node, senders, &ledger, &mut follower);
        eprintln!("round {round}: alive {life:?}, {} acknowledged so far", ledger.acked.len());
    }
    let acked: Vec<String> = ledger.acked.iter().cloned().collect();
    node.wait_proven(&acked, Duration::from_secs(600));
    check_invariants(&node, senders, &ledger, &mut follower);
    assert!(!ledger.acked.is_empty());
}

#[test]
fn twenty_kill_9s_under_load_lose_nothing_and_apply_nothing_twice() {
    crash_run(20);
}

#[test]
#[ignore = "long: a hundred kills (minutes); run with --ignored"]
fn a_hundred_kill_9s_under_load() {
    crash_run(100);
}

/// Sends raw bytes and reads the answer's status and body.
fn raw(url: &str, request: &[u8]) -> (u16, String) {
    let addr = url.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    s.write_all(request).unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    parse_answer(&out)
}

fn parse_answer(out: &[u8]) -> (u16, String) {
    let text = String::from_utf8_lossy(out);
    let status = text.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    (status, body)
}

fn post(url: &str, body: &[u8]) -> (u16, String) {
    let mut req = format!(
        "POST /v1/transactions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    req.extend_from_slice(body);
    raw(url, &req)
}

fn assert_rule(answer: (u16, String), status: u16, rule: &str) {
    assert_eq!(answer.0, status, "{answer:?}");
    let v: serde_json::Value = serde_json::from_str(&answer.1).expect("a JSON error body");
    assert_eq!(v["error"]["rule"], rule, "{v}");
    assert!(!v["error"]["message"].as_str().unwrap().is_empty());
}

#[test]
fn hostile_requests_get_a_4xx_that_names_the_rule() {
    let dir = temp_dir("hostile");
    let node = Node::start(&dir.join("data"), &[]);
    let url = node.url.as_str();
    let key = sample_key(0);
    let to = sample_key(1).public_key();
    let good = Transfer::sign(&key, 0, 1, to, 10, 0);
    let json = |t: &Transfer| serde_json::to_vec(&TransferJson::from_transfer(t)).unwrap();

    assert_rule(post(url, b"{\"from\": 0,"), 400, "malformed-json");
    assert_rule(post(url, b"[]"), 400, "malformed-json");
    let mut not_a_number = TransferJson::from_transfer(&good);
    not_a_number.signature_s = "12a".into();
    let body = serde_json::to_string(&not_a_number).unwrap();
    assert_rule(post(url, body.as_bytes()), 400, "malformed-field");
    // A field element at the modulus r.
    let mut at_r = TransferJson::from_transfer(&good);
    at_r.signature_s =
        "21888242871839275222246405745257275088548364400416034343698204186575808495617".into();
    assert_rule(post(url, &serde_json::to_vec(&at_r).unwrap()), 400, "malformed-field");
    // A bad signature: the amount changed after signing.
    let mut forged = good;
    forged.amount = 11;
    assert_rule(post(url, &json(&forged)), 422, "bad-signature");
    // An unknown sender.
    let stranger = Transfer::sign(&key, 200, 1, to, 10, 0);
    assert_rule(post(url, &json(&stranger)), 422, "unknown-sender");
    // A nonce gap.
    let gap = Transfer::sign(&key, 0, 1, to, 10, 5);
    assert_rule(post(url, &json(&gap)), 422, "bad-nonce");
    // Outside the tree.
    let outside = Transfer::sign(&key, 0, 1 << 20, to, 10, 0);
    assert_rule(post(url, &json(&outside)), 422, "index-out-of-range");
    // More than the balance.
    let broke = Transfer::sign(&key, 0, 1, to, SAMPLE_BALANCE + 1, 0);
    assert_rule(post(url, &json(&broke)), 422, "insufficient-balance");

    // The good one, twice (idempotent), then again once proven (a replay).
    let (status, body) = post(url, &json(&good));
    assert_eq!(status, 202, "{body}");
    let first: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(first["duplicate"], false);
    let (status, body) = post(url, &json(&good));
    assert_eq!(status, 202, "{body}");
    let again: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        (again["id"].clone(), again["duplicate"].clone()),
        (first["id"].clone(), true.into())
    );
    node.wait_proven(&[first["id"].as_str().unwrap().to_string()], Duration::from_secs(120));
    assert_rule(post(url, &json(&good)), 409, "replay");

    // A 10 MB body: refused once the cap is read, while the client is
    // still writing.
    let addr = url.trim_start_matches("http://").to_string();
    let mut s = std::net::TcpStream::connect(&addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut writer = s.try_clone().unwrap();
    let big = 10 << 20;
    let head = format!(
        "POST /v1/transactions HTTP/1.1\r\nHost: x\r\nContent-Length: {big}\r\nConnection: close\r\n\r\n"
    );
    let pump = std::thread::spawn(move || {
        let _ = writer.write_all(head.as_bytes());
        let chunk = vec![b' '; 64 << 10];
        for _ in 0..(big / chunk.len()) {
            if writer.write_all(&chunk).is_err() {
                break;
            }
        }
    });
    let mut answer = vec![0u8; 4096];
    let mut got = 0;
    while got < answer.len() {
        match s.read(&mut answer[got..]) {
            Ok(0) | Err(_) => break,
            Ok(n) => got += n,
        }
        if String::from_utf8_lossy(&answer[..got]).contains("}}") {
            break;
        }
    }
    drop(s);
    let _ = pump.join();
    assert_rule(parse_answer(&answer[..got]), 413, "body-too-large");

    // A client that trickles header lines, one every 2 s, is cut off once
    // the header timeout has passed, not served (or held) forever.
    let header_timeout = stateproof_node::api::HEADER_TIMEOUT;
    let mut slow = std::net::TcpStream::connect(&addr).unwrap();
    slow.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    slow.write_all(b"GET /v1/status HTTP/1.1\r\nHost: x\r\n").unwrap();
    let started = Instant::now();
    let limit = header_timeout + Duration::from_secs(15);
    let mut answer = Vec::new();
    let closed_after = loop {
        assert!(started.elapsed() < limit, "a trickling client still held its connection");
        if slow.write_all(b"X-Slow: 1\r\n").is_err() {
            break started.elapsed();
        }
        let mut buf = [0u8; 512];
        match slow.read(&mut buf) {
            Ok(0) => break started.elapsed(),
            Ok(n) => answer.extend_from_slice(&buf[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(_) => break started.elapsed(),
        }
    };
    let answer = String::from_utf8_lossy(&answer);
    assert!(!answer.contains(" 200 "), "unfinished headers were answered: {answer}");
    assert!(
        closed_after + Duration::from_secs(1) >= header_timeout,
        "closed after {closed_after:?}, before the header timeout"
    );

    // Query values the node cannot read.
    let get = |path: &str| {
        raw(url, format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes())
    };
    assert_rule(get("/v1/accounts/abc"), 400, "malformed-parameter");
    assert_rule(get("/v1/accounts/18446744073709551616"), 400, "malformed-parameter");
    assert_rule(get("/v1/accounts/256"), 404, "not-found");
    assert_rule(get("/v1/accounts?key_x=1"), 400, "malformed-parameter");
    assert_rule(get("/v1/accounts?key_x=1&key_y=2"), 400, "malformed-parameter");
    assert_rule(get("/v1/updates?from=-1"), 400, "malformed-parameter");
    assert_rule(get("/v1/updates/999"), 404, "not-found");
    assert_rule(get("/v1/transactions/zz"), 404, "not-found");
    assert_rule(get("/v1/keys/finality-quorum"), 404, "not-found");
    assert_rule(get("/nowhere"), 404, "not-found");

    // A client that sends its headers and then nothing: timed out.
    let slow = raw(
        url,
        b"POST /v1/transactions HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\nConnection: close\r\n\r\n{",
    );
    assert_rule(slow, 408, "timeout");

    // Still serving, and the metrics counted the refusals.
    let metrics = get("/metrics").1;
    assert!(
        metrics.contains("stateproof_transactions_refused_total{rule=\"bad-signature\"} 1"),
        "{metrics}"
    );
    assert!(metrics.contains("stateproof_transactions_accepted_total 1"), "{metrics}");
    let spec: serde_json::Value = serde_json::from_str(&get("/openapi.json").1).unwrap();
    assert!(spec["paths"]["/v1/transactions"]["post"].is_object());
}

#[test]
fn a_corrupt_store_is_refused_and_left_untouched() {
    let dir = temp_dir("corrupt");
    let data = dir.join("data");
    let init = stateproof(&[
        "node",
        "init",
        "--data",
        data.to_str().unwrap(),
        "--depth",
        "4",
        "--slots",
        "1",
        "--fund-sample",
        "2",
    ]);
    assert!(init.status.success(), "{init:?}");
    let db = data.join("node.db");
    let listing = |d: &Path| {
        let mut names: Vec<String> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        names
    };
    let pristine = std::fs::read(&db).unwrap();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("garbage", b"this is not a database at all".repeat(200)),
        ("an overwritten schema page", {
            let mut b = pristine.clone();
            for x in &mut b[100..4096.min(pristine.len())] {
                *x = 0xA5;
            }
            b
        }),
        ("truncated", pristine[..pristine.len() / 3].to_vec()),
    ];
    for (what, bytes) in cases {
        std::fs::write(&db, &bytes).unwrap();
        let before = listing(&data);
        let out = stateproof_within(
            &["node", "run", "--data", data.to_str().unwrap(), "--listen", "127.0.0.1:0"],
            Duration::from_secs(60),
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{what}: {stderr}");
        assert!(stderr.contains("node.db"), "{what}: the message names the file: {stderr}");
        assert_eq!(std::fs::read(&db).unwrap(), bytes, "{what}: the file is untouched");
        assert_eq!(listing(&data), before, "{what}: no file was added");
    }
}
