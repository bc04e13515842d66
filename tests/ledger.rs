//! One ledger on a running node: a compute deal opened, results put on the
//! record by three nodes (one disagreeing), mediation called, a mediator
//! quorum's verdict, the settlement, and two sponsorships (both
//! cooperate; one defects, and the suspension holds the next attempt),
//! every kind proven by its circuit and one light client following the
//! whole chain, the payouts verified through it; rules broken on the way
//! refused with their names; and the ledger restored after a restart.

use stateproof_circuits::compute::{
    payouts, verdict_commitment, Deal, MediationRequest, Outcome, ResultSubmission, Settlement,
    SignedResult, Verdict,
};
use stateproof_circuits::finality::Statement;
use stateproof_circuits::primitives::eddsa::Signature;
use stateproof_circuits::sample::{sample_key, sample_sponsorship, SampleChain};
use stateproof_circuits::trust::{Choice, Commit, Reveal};
use stateproof_circuits::Fr;
use stateproof_node::ledger::{LedgerConfig, Tx};
use stateproof_node::node::SAMPLE_BALANCE;
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

mod common;
use common::{temp_dir, Node, BIN};

const WAIT: Duration = Duration::from_secs(300);

fn stateproof(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().expect("the binary runs")
}

fn stdout_json(out: &Output) -> serde_json::Value {
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("JSON output")
}

/// Submits `tx`, which must be accepted: its id.
fn accept(node: &Node, tx: &Tx) -> String {
    match node.client().submit_tx(&tx.to_json()).unwrap() {
        Ok(a) => a.id,
        Err(r) => panic!("{} refused: {r}", tx.kind().name()),
    }
}

/// Submits `tx`, which must be refused with `rule`.
fn refused(node: &Node, tx: &Tx, rule: &str) {
    match node.client().submit_tx(&tx.to_json()).unwrap() {
        Ok(a) => panic!("{} accepted ({}); expected {rule}", tx.kind().name(), a.id),
        Err(r) => assert_eq!((r.status, r.rule.as_str()), (422, rule), "{r}"),
    }
}

fn balance(node: &Node, state: &Path, account: u64) -> u64 {
    let out = stateproof(&[
        "--json",
        "light-client",
        "balance",
        "--node",
        &node.url,
        "--state",
        state.to_str().unwrap(),
        &account.to_string(),
    ]);
    stdout_json(&out)["balance"].as_u64().unwrap()
}

fn signed(deal: &Deal) -> Tx {
    let signatures: Vec<Signature> = std::iter::once(deal.client)
        .chain(deal.nodes.iter().copied())
        .map(|i| sample_key(i).sign(deal.hash()))
        .collect();
    Tx::OpenDeal(deal.clone(), signatures)
}

fn first_candidate(s: &stateproof_circuits::trust::Sponsorship) -> serde_json::Value {
    let [x, y] = stateproof_circuits::primitives::field::key_to_strings(&s.candidate);
    serde_json::json!([x, y])
}

fn result(deal: &Deal, node: usize, value: u64) -> Tx {
    let signed = SignedResult::sign(&sample_key(deal.nodes[node]), deal, Fr::from(value));
    Tx::SubmitResult(ResultSubmission { deal_id: deal.id, node, signed })
}

#[test]
fn a_node_runs_deals_and_sponsorships_under_one_root_and_a_light_client_follows_them() {
    let dir = temp_dir("ledger");
    let data = dir.join("data");
    let config = LedgerConfig::default();
    let ledger_file = dir.join("ledger.json");
    std::fs::write(&ledger_file, serde_json::to_string(&config).unwrap()).unwrap();
    let depths = ["--deal-depth", "8", "--member-depth", "8"];
    let mut args = vec!["--ledger", ledger_file.to_str().unwrap()];
    args.extend(depths);
    let mut node = Node::start(&data, &args);

    // Accounts 1 (the client) and 2 to 4 (the nodes) are sample accounts;
    // account 0 is the treasury. Four sample mediators sign verdicts.
    let committee = SampleChain::new(config.committee_depth, 4).unwrap();
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
    let deal = Deal {
        id: 5,
        client: 1,
        nodes: vec![2, 3, 4],
        job: Fr::from(99u64),
        price: 100,
        deposit: 400,
        collateral: 250,
        mediators: committee.set.root(),
        mediation_fee: 60,
        deadline: now + 3600,
    };
    let mut ids = vec![accept(&node, &signed(&deal))];
    // The same deal again is the same transaction; another with its id is
    // refused by name, as is one the client did not sign.
    refused(&node, &signed(&Deal { price: 101, ..deal.clone() }), "deal-exists");
    let forged = match signed(&Deal { id: 6, ..deal.clone() }) {
        Tx::OpenDeal(d, mut s) => {
            s[0] = sample_key(7).sign(d.hash());
            Tx::OpenDeal(d, s)
        }
        _ => unreachable!(),
    };
    refused(&node, &forged, "unsigned-deal");
    refused(&node, &Tx::Settle(Settlement { deal_id: 9 }), "unknown-deal");

    ids.push(accept(&node, &result(&deal, 0, 7)));
    ids.push(accept(&node, &result(&deal, 1, 7)));
    ids.push(accept(&node, &result(&deal, 2, 8)));
    refused(&node, &result(&deal, 2, 9), "result-recorded");
    // The results disagree: only a verdict settles the deal.
    refused(&node, &Tx::Settle(Settlement { deal_id: 5 }), "mediation-required");
    let request = MediationRequest::sign(&sample_key(deal.client), &deal);
    ids.push(accept(&node, &Tx::RequestMediation(request)));
    refused(&node, &Tx::Settle(Settlement { deal_id: 5 }), "verdict-required");
    let statement = Statement::Data(verdict_commitment(&deal, Fr::from(7u64)));
    let verdict = |signers: &[u64]| {
        let attestations = committee.attest(&statement, signers);
        Tx::Verdict(
            Verdict { deal_id: 5, result: Fr::from(7u64), attestations },
            Box::new(committee.set.clone()),
        )
    };
    // Two of four mediators are not more than two thirds.
    refused(&node, &verdict(&[0, 1]), "mediator-quorum");
    ids.push(accept(&node, &verdict(&[0, 1, 2])));
    let settle = Tx::Settle(Settlement { deal_id: 5 });
    ids.push(accept(&node, &settle));
    // The same settlement again is the same transaction: idempotent.
    let again = node.client().submit_tx(&settle.to_json()).unwrap().unwrap();
    assert!(again.duplicate && again.id == ids[ids.len() - 1], "{again:?}");

    // Sponsorships by members 0 to 3 (the sample keys): 0 and 1 cooperate;
    // then 3 defects against 2, which is suspended for the next attempt.
    let salt = |i: u64| Fr::from(1000 + i);
    let commit = |sponsor: u64, s: &stateproof_circuits::trust::Sponsorship, c: Choice| {
        Tx::SponsorCommit(Commit::sign(&sample_key(sponsor), sponsor, s, c, salt(sponsor)))
    };
    let first = sample_sponsorship(1, [0, 1], 3);
    ids.push(accept(&node, &commit(0, &first, Choice::Cooperate)));
    ids.push(accept(&node, &commit(1, &first, Choice::Cooperate)));
    let openings = [(Choice::Cooperate, salt(0)), (Choice::Cooperate, salt(1))];
    ids.push(accept(&node, &Tx::SponsorReveal(Box::new(Reveal { sponsorship: first, openings }))));
    let second = sample_sponsorship(2, [2, 3], 3);
    ids.push(accept(&node, &commit(2, &second, Choice::Cooperate)));
    ids.push(accept(&node, &commit(3, &second, Choice::Defect)));
    let openings = [(Choice::Cooperate, salt(2)), (Choice::Defect, salt(3))];
    ids.push(accept(&node, &Tx::SponsorReveal(Box::new(Reveal { sponsorship: second, openings }))));
    // Epoch 8: the next period, within member 2's suspension (3 + 10).
    let third = sample_sponsorship(3, [2, 0], 8);
    refused(&node, &commit(2, &third, Choice::Cooperate), "suspended");
    // Member 0 sponsored in epoch 3's period already; epoch 4 is in it.
    let fourth = sample_sponsorship(4, [0, 1], 4);
    refused(&node, &commit(0, &fourth, Choice::Cooperate), "sponsored-this-period");
    node.wait_proven(&ids, WAIT);

    // One light client follows every update, whatever its kind.
    let state = dir.join("client.json");
    let genesis = data.join("genesis.json");
    let follow = |url: &str, state: &Path| {
        stdout_json(&stateproof(&[
            "--json",
            "light-client",
            "follow",
            "--node",
            url,
            "--state",
            state.to_str().unwrap(),
            "--genesis",
            genesis.to_str().unwrap(),
        ]))
    };
    let followed = follow(&node.url, &state);
    assert_eq!(followed["rejected"], serde_json::Value::Null, "{followed}");
    let updates = node.client().updates(1).unwrap().updates;
    let circuits: Vec<String> = updates
        .iter()
        .map(|u| {
            let bytes = hex::decode(&u.update_hex).unwrap();
            stateproof_verifier::CompressedUpdate::from_bytes(&bytes).unwrap().circuit_id
        })
        .collect();
    for id in [
        "compute-open",
        "compute-result",
        "compute-mediation",
        "compute-verdict",
        "compute-settle",
        "trust-commit",
        "trust-resolve",
    ] {
        assert!(circuits.iter().any(|c| c == id), "no {id} update in {circuits:?}");
    }
    assert_eq!(followed["accepted"].as_u64().unwrap(), updates.len() as u64);

    // The payouts, verified against the followed root: node 4 answered
    // wrong and loses its collateral; the fee goes to the treasury.
    let outcome = Outcome { matched: vec![true, true, false], mediated: true };
    let pay = payouts(&deal, &outcome, &config.settlement_rules());
    assert_eq!(balance(&node, &state, 1), SAMPLE_BALANCE - deal.deposit + pay.client);
    for (i, account) in deal.nodes.iter().enumerate() {
        let expected = SAMPLE_BALANCE - deal.collateral + pay.nodes[i];
        assert_eq!(balance(&node, &state, *account), expected, "node {account}");
    }
    assert_eq!(balance(&node, &state, 0), SAMPLE_BALANCE + pay.treasury);
    assert_eq!(pay.nodes[2], 0);
    let locked = u128::from(deal.deposit) + 3 * u128::from(deal.collateral);
    assert_eq!(pay.total(), locked, "value is conserved");

    // The deal and the members, each checked against the followed root.
    let light = |what: &str, n: &str, url: &str| {
        stateproof(&[
            "--json",
            "light-client",
            what,
            "--node",
            url,
            "--state",
            state.to_str().unwrap(),
            n,
        ])
    };
    let settled = stdout_json(&light("deal", "5", &node.url));
    assert_eq!(settled["status"], "settled", "{settled}");
    assert_eq!(settled["verdict"], "7", "{settled}");
    assert_eq!(settled["results"], serde_json::json!(["7", "7", "8"]), "{settled}");
    assert_eq!(stdout_json(&light("deal", "6", &node.url))["empty"], true);
    let suspended = stdout_json(&light("member", "2", &node.url));
    assert_eq!(suspended["member"]["suspended_until"], 13, "{suspended}");
    let admitted = stdout_json(&light("member", "4", &node.url));
    assert_eq!(admitted["member"]["public_key"], first_candidate(&first), "{admitted}");
    // A node that lies about a deal or a member is caught by the path.
    let liar = common::lying_proxy(&node.url, |path, view| {
        if path.starts_with("/v1/deals/5") {
            view["verdict"] = "8".into();
        }
        if path.starts_with("/v1/members/2") {
            view["member"]["suspended_until"] = 0.into();
        }
    });
    for (what, n) in [("deal", "5"), ("member", "2")] {
        let out = light(what, n, &liar);
        assert_eq!(out.status.code(), Some(1), "{what}: {out:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("does not lead to the verified root"), "{what}: {err}");
    }

    // A restart restores deals and members from the store: the settled
    // deal and the suspension still hold, and the root is the one followed.
    node.kill9();
    let mut node = Node::start(&data, &args);
    match node.client().submit_tx(&settle.to_json()).unwrap() {
        Err(r) => assert_eq!((r.status, r.rule.as_str()), (409, "replay"), "{r}"),
        Ok(a) => panic!("a proven settlement accepted again: {a:?}"),
    }
    refused(&node, &commit(2, &third, Choice::Cooperate), "suspended");
    refused(&node, &result(&deal, 2, 9), "already-settled");
    let status = node.client().status().unwrap();
    assert_eq!(status.proven_root, followed["root"].as_str().unwrap());

    // Kinds mixed, accepted, then kill -9 before they are proven: after
    // the restart every one is proven once, in order, and value is
    // conserved (a unanimous deal pays its nodes and returns the rest).
    // This deal goes through the command line, each party signing with
    // its own key file.
    let unanimous = Deal { id: 6, client: 5, nodes: vec![6, 7, 3], ..deal.clone() };
    let terms = dir.join("deal-6.json");
    let json = stateproof_circuits::compute::DealJson::from_deal(&unanimous);
    std::fs::write(&terms, serde_json::to_string(&json).unwrap()).unwrap();
    let key = |i: u64| data.join(format!("sample-keys/account-{i}.key"));
    let cli = |args: &[&str]| {
        let mut all = vec!["--json"];
        all.extend(args);
        all.extend(["--node", &node.url]);
        stdout_json(&stateproof(&all))["id"].as_str().unwrap().to_string()
    };
    let terms_arg = terms.to_str().unwrap();
    let mut signatures = Vec::new();
    for party in [5, 6, 7, 3] {
        let out = dir.join(format!("signature-{party}.json"));
        let k = key(party);
        let signed = stateproof(&[
            "deal",
            "sign",
            "--terms",
            terms_arg,
            "--key",
            k.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(signed.status.success(), "{signed:?}");
        signatures.extend(["--signature".to_string(), out.to_str().unwrap().to_string()]);
    }
    let mut open = vec!["deal", "open", "--terms", terms_arg];
    open.extend(signatures.iter().map(String::as_str));
    let mut more = vec![cli(&open)];
    let t = stateproof_circuits::transfer::Transfer::sign(
        &sample_key(0),
        0,
        1,
        sample_key(1).public_key(),
        5,
        0,
    );
    more.push(accept(&node, &Tx::Transfer(t)));
    for (position, party) in [(0, 6), (1, 7), (2, 3)] {
        let (p, k) = (position.to_string(), key(party));
        let k = k.to_str().unwrap();
        let args = ["deal", "result", "--terms", terms_arg, "--position", &p, "--result", "3"];
        more.push(cli(&[&args[..], &["--key", k]].concat()));
    }
    more.push(cli(&["deal", "settle", "--id", "6"]));
    let unknown = stateproof(&["deal", "settle", "--id", "99", "--node", &node.url]);
    assert_eq!(unknown.status.code(), Some(1), "{unknown:?}");
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("unknown-deal"), "{unknown:?}");
    node.kill9();
    let node = Node::start(&data, &args);
    node.wait_proven(&more, WAIT);
    let again = follow(&node.url, &state);
    assert_eq!(again["rejected"], serde_json::Value::Null, "{again}");
    let unmediated = Outcome { matched: vec![true; 3], mediated: false };
    let paid = payouts(&unanimous, &unmediated, &config.settlement_rules());
    assert_eq!(paid.burned, 0);
    assert_eq!(balance(&node, &state, 5), SAMPLE_BALANCE - unanimous.deposit + paid.client);
    assert_eq!(balance(&node, &state, 6), SAMPLE_BALANCE - unanimous.collateral + paid.nodes[0]);
    let node3 = SAMPLE_BALANCE - deal.collateral + pay.nodes[1];
    assert_eq!(balance(&node, &state, 3), node3 - unanimous.collateral + paid.nodes[2]);
    assert_eq!(balance(&node, &state, 1), SAMPLE_BALANCE - deal.deposit + pay.client + 5);
    assert_eq!(stdout_json(&light("deal", "6", &node.url))["status"], "settled");
}

/// Deals (opened, three agreeing results, settled) and transfers submitted
/// together while the node is killed -9 at random moments: every
/// acknowledged transaction is pending or in exactly one proven update,
/// the chain follows on, and the accounts plus what open deals hold stay
/// the genesis total at every proven root (unanimous deals burn nothing).
#[test]
fn kill_9s_amid_deals_and_transfers_lose_nothing_and_conserve_value() {
    let dir = temp_dir("ledger-crash");
    let data = dir.join("data");
    let ledger_file = dir.join("ledger.json");
    std::fs::write(&ledger_file, serde_json::to_string(&LedgerConfig::default()).unwrap()).unwrap();
    let args =
        ["--ledger", ledger_file.to_str().unwrap(), "--deal-depth", "8", "--member-depth", "8"];
    let mut node = Node::start(&data, &args);
    let seed = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos() as u64 | 1;
    eprintln!("crash test seed {seed}");
    let mut rng = seed;
    let mut next = move |lo: u64, hi: u64| {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        Duration::from_millis(lo + rng % (hi - lo))
    };
    let (mut acked, mut deals) = (Vec::new(), Vec::new());
    for round in 0..5u64 {
        let url = node.url.clone();
        let life = next(300, 4000);
        let (mut round_acked, mut round_deals) = (Vec::new(), Vec::new());
        std::thread::scope(|s| {
            let loader = s.spawn(|| mixed_load(&url, round, &mut round_acked, &mut round_deals));
            std::thread::sleep(life);
            node.kill9();
            loader.join().unwrap();
        });
        acked.extend(round_acked);
        deals.extend(round_deals);
        node = Node::start(&data, &args);
        check_ledger(&node, &acked, &deals);
        eprintln!("round {round}: alive {life:?}, {} acknowledged so far", acked.len());
    }
    assert!(!acked.is_empty(), "the node acknowledged nothing");
    node.wait_proven(&acked, WAIT);
    check_ledger(&node, &acked, &deals);
    let out = stateproof(&[
        "--json",
        "light-client",
        "follow",
        "--node",
        &node.url,
        "--state",
        dir.join("client.json").to_str().unwrap(),
        "--genesis",
        data.join("genesis.json").to_str().unwrap(),
    ]);
    assert_eq!(stdout_json(&out)["rejected"], serde_json::Value::Null);
}

/// One round's load: a deal among sample accounts 0 to 7 (opened, its
/// three results, its settlement) with a transfer between each; stops at
/// the first request the node does not answer (killed).
fn mixed_load(url: &str, round: u64, acked: &mut Vec<String>, deals: &mut Vec<Deal>) {
    let client = stateproof_node::client::NodeClient::new(url).unwrap();
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
    let parties: Vec<u64> = (0..4).map(|i| (round + i) % 8).collect();
    let deal = Deal {
        id: 10 + round,
        client: parties[0],
        nodes: parties[1..].to_vec(),
        job: Fr::from(round),
        price: 100,
        deposit: 400,
        collateral: 250,
        mediators: SampleChain::new(4, 4).unwrap().set.root(),
        mediation_fee: 60,
        deadline: now + 3600,
    };
    let mut txs = vec![signed(&deal)];
    txs.extend((0..3).map(|i| result(&deal, i, 1 + round)));
    txs.push(Tx::Settle(Settlement { deal_id: deal.id }));
    deals.push(deal);
    for (k, tx) in txs.into_iter().enumerate() {
        let from = (round + k as u64) % 8;
        let Ok(view) = client.account(from) else { return };
        let nonce = view.pending.unwrap().nonce;
        let to = (from + 1) % 8;
        let t = stateproof_circuits::transfer::Transfer::sign(
            &sample_key(from),
            from,
            to,
            sample_key(to).public_key(),
            1,
            nonce,
        );
        for tx in [Tx::Transfer(t), tx] {
            std::thread::sleep(Duration::from_millis(50));
            match client.submit_tx(&tx.to_json()) {
                Ok(Ok(a)) => acked.push(a.id),
                Ok(Err(r)) => panic!("a valid {} was refused: {r}", tx.kind().name()),
                Err(_) => return, // killed
            }
        }
    }
}

/// After a restart: nothing acknowledged is lost or proven twice, and at
/// the proven root the accounts plus what open deals lock are the genesis
/// total.
fn check_ledger(node: &Node, acked: &[String], deals: &[Deal]) {
    let client = node.client();
    let mut in_updates = std::collections::HashMap::new();
    let mut from = 1;
    loop {
        let page = client.updates(from).unwrap();
        if page.updates.is_empty() {
            break;
        }
        for u in &page.updates {
            for id in &u.transactions {
                assert!(in_updates.insert(id.clone(), u.n).is_none(), "{id} in two updates");
            }
        }
        from = page.next;
    }
    for id in acked {
        let v = client.transaction(id).unwrap().unwrap_or_else(|| panic!("acked {id} lost"));
        if v.status == "proven" {
            assert!(in_updates.contains_key(id), "{id} proven but in no update");
        }
    }
    // Accounts and deals read at one proven update (the node may prove
    // more between reads: read again).
    for _ in 0..20 {
        let accounts: Vec<_> = (0..8).map(|i| client.account(i).unwrap()).collect();
        let views: Vec<_> = deals.iter().map(|d| client.deal(d.id).unwrap()).collect();
        let update = accounts[0].update;
        if accounts.iter().any(|a| a.update != update) || views.iter().any(|v| v.update != update) {
            std::thread::sleep(Duration::from_millis(100));
            continue;
        }
        let balances: u128 =
            accounts.iter().map(|a| u128::from(a.account.as_ref().unwrap().balance)).sum();
        let locked: u128 = deals
            .iter()
            .zip(&views)
            .filter(|(_, v)| matches!(v.status.as_deref(), Some(s) if s != "settled"))
            .map(|(d, _)| u128::from(d.deposit) + 3 * u128::from(d.collateral))
            .sum();
        assert_eq!(balances + locked, 8 * u128::from(SAMPLE_BALANCE), "at update {update}");
        return;
    }
    panic!("the node kept moving: no consistent read");
}

/// `compute demo` runs its deals against a node in its process: every
/// batch proven by the node under its circuit, the light client following
/// all twelve updates, both deals settled at the verified root; the
/// balances it read are checked against the settlement rules here again.
#[test]
fn the_compute_demo_runs_its_deals_on_a_node_and_a_light_client_checks_them() {
    let report = stdout_json(&stateproof(&["--json", "compute", "demo", "--backend", "cpu"]));
    let phases = [
        ("open", "compute-open", 2),
        ("results", "compute-result", 6),
        ("mediation", "compute-mediation", 1),
        ("verdict", "compute-verdict", 1),
        ("settle", "compute-settle", 2),
    ];
    let mut next = 1;
    for (phase, circuit, n) in phases {
        let p = &report[phase];
        let updates: Vec<u64> = (next..next + n).collect();
        assert_eq!(p["updates"], serde_json::json!(updates), "{phase}: {report}");
        assert_eq!(p["circuits"], serde_json::json!(vec![circuit; n as usize]), "{phase}");
        next += n;
    }
    assert_eq!(report["followed"], 12, "{report}");
    assert_eq!(report["early_settlement"], "mediation-required");
    assert_eq!(report["deal_status"], serde_json::json!([[1, "settled"], [2, "settled"]]));
    let balance = |i: u64| {
        let b = report["balances"].as_array().unwrap().iter().find(|b| b[0] == i).unwrap();
        b[1].as_u64().unwrap()
    };
    // Deal 1 (unanimous) pays its nodes price + collateral and returns the
    // client's deposit less three prices; in deal 2 node 5 forfeits.
    assert_eq!(balance(1), SAMPLE_BALANCE + 100);
    assert_eq!(balance(0), SAMPLE_BALANCE - 300);
    assert_eq!(balance(5), SAMPLE_BALANCE - 250);
    assert_eq!(balance(15), SAMPLE_BALANCE + 60);
    let total: u64 = (0..16).map(balance).sum();
    assert_eq!(total + report["burned"].as_u64().unwrap(), 16 * SAMPLE_BALANCE);
}

/// `trust demo` runs its sponsorships against a node in its process: the
/// commitments and reveals proven by the node, the refusals named by the
/// node's rules, and the members read through the light client.
#[test]
fn the_trust_demo_runs_its_sponsorships_on_a_node() {
    let report = stdout_json(&stateproof(&["--json", "trust", "demo", "--backend", "cpu"]));
    assert_eq!(report["commit"]["circuits"], serde_json::json!(vec!["trust-commit"; 4]));
    assert_eq!(report["resolve"]["circuits"], serde_json::json!(vec!["trust-resolve"; 2]));
    assert_eq!(report["admitted"], serde_json::json!([[4], [5, 6]]), "{report}");
    assert_eq!(report["suspended_until"], 10);
    assert_eq!(report["refused"], serde_json::json!(["suspended", "sponsored-this-period"]));
    assert_eq!((report["followed"].as_u64(), report["members"].as_u64()), (Some(6), Some(7)));
}
