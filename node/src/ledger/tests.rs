use super::*;
use crate::store::{ProvenCommit, Store};
use crate::testdb::on_each_engine;
use stateproof_circuits::compute::{verdict_commitment, DealStatus, SignedResult};
use stateproof_circuits::finality::Statement;
use stateproof_circuits::sample::{sample_key, sample_sponsorship, SampleChain, SampleLedger};
use stateproof_circuits::trust::Choice;
use std::time::Duration;

const DEPTH: usize = 4;

fn meta() -> Meta {
    let config = LedgerConfig { committee_depth: 2, mediator_slots: 3, ..LedgerConfig::default() };
    Meta {
        depth: DEPTH,
        deal_depth: DEPTH,
        member_depth: DEPTH,
        slots: 2,
        genesis_root: Fr::from(0u64),
        vk_fingerprint: "00".repeat(32),
        sample_accounts: 8,
        ledger: Some(LedgerGenesis { config, keys: BTreeMap::new() }),
    }
}

fn deal(committee: &SampleChain) -> Deal {
    Deal {
        id: 3,
        client: 1,
        nodes: vec![2, 3, 4],
        job: Fr::from(5u64),
        price: 10,
        deposit: 40,
        collateral: 25,
        mediators: committee.set.root(),
        mediation_fee: 6,
        deadline: 100,
    }
}

/// One transaction of every kind, each valid in this order on the sample
/// ledger at time 50.
fn one_of_each(committee: &SampleChain) -> Vec<Tx> {
    let d = deal(committee);
    let signatures = [1, 2, 3, 4].iter().map(|i| sample_key(*i).sign(d.hash())).collect::<Vec<_>>();
    let result = |node: usize, v: u64| {
        let signed = SignedResult::sign(&sample_key(d.nodes[node]), &d, Fr::from(v));
        Tx::SubmitResult(ResultSubmission { deal_id: d.id, node, signed })
    };
    let statement = Statement::Data(verdict_commitment(&d, Fr::from(7u64)));
    let verdict = Verdict {
        deal_id: d.id,
        result: Fr::from(7u64),
        attestations: committee.attest(&statement, &[0, 1, 2]),
    };
    let s = sample_sponsorship(1, [0, 1], 0);
    let salt = Fr::from(9u64);
    let commit = |m: u64| Commit::sign(&sample_key(m), m, &s, Choice::Cooperate, salt);
    vec![
        Tx::Transfer(Transfer::sign(&sample_key(0), 0, 5, sample_key(5).public_key(), 3, 0)),
        Tx::OpenDeal(d.clone(), signatures),
        result(0, 7),
        result(1, 7),
        result(2, 8),
        Tx::RequestMediation(MediationRequest::sign(&sample_key(d.client), &d)),
        Tx::Verdict(verdict, Box::new(committee.set.clone())),
        Tx::Settle(Settlement { deal_id: d.id }),
        Tx::SponsorCommit(commit(0)),
        Tx::SponsorCommit(commit(1)),
        Tx::SponsorReveal(Box::new(Reveal {
            sponsorship: s,
            openings: [(Choice::Cooperate, salt), (Choice::Cooperate, salt)],
        })),
    ]
}

#[test]
fn every_kind_round_trips_through_its_json_with_one_id() {
    let committee = SampleChain::new(2, 4).unwrap();
    let txs = one_of_each(&committee);
    let kinds: BTreeSet<Kind> = txs.iter().map(Tx::kind).collect();
    assert_eq!(kinds.len(), KINDS.len());
    for tx in &txs {
        let bytes = serde_json::to_vec(&tx.to_json()).unwrap();
        let back = TxJson::parse(&bytes).unwrap().to_tx().unwrap();
        assert_eq!((back.kind(), back.id(), back.body()), (tx.kind(), tx.id(), tx.body()));
        // What the store keeps parses back the same way.
        let stored = TxJson::parse(tx.body().as_bytes()).unwrap().to_tx().unwrap();
        assert_eq!(stored.id(), tx.id(), "{}", tx.kind().name());
    }
    let ids: BTreeSet<String> = txs.iter().map(Tx::id).collect();
    assert_eq!(ids.len(), txs.len(), "every transaction has its own id");
}

#[test]
fn bodies_name_what_is_wrong_with_them() {
    let committee = SampleChain::new(2, 4).unwrap();
    let transfer = &one_of_each(&committee)[0];
    // Without "kind", a body is a transfer (as before the other kinds).
    let plain = transfer.body();
    assert!(matches!(TxJson::parse(plain.as_bytes()).unwrap(), TxJson::Transfer(_)));
    let e = TxJson::parse(br#"{"kind": "mint", "amount": 5}"#).unwrap_err();
    assert!(e.contains("kind: \"mint\" is not one of transfer, open-deal"), "{e}");
    let e = TxJson::parse(br#"{"kind": "settle"}"#).unwrap_err();
    assert!(e.contains("deal_id"), "{e}");
    let e = TxJson::parse(br#"{"kind": "settle", "deal_id": 1, "extra": 2}"#).unwrap_err();
    assert!(e.contains("extra"), "{e}");
    let bad = br#"{"kind": "request-mediation", "deal_id": 1, "signature": {"signature_r8": ["1", "2"], "signature_s": "x"}}"#;
    let e = TxJson::parse(bad).unwrap().to_tx().unwrap_err();
    assert!(e.contains("signature"), "{e}");
}

#[test]
fn a_batch_is_proven_at_its_earliest_result_and_its_latest_settlement() {
    assert_eq!(batch_time(Kind::SubmitResult, [30, 10, 20]), 10);
    assert_eq!(batch_time(Kind::Settle, [30, 10, 20]), 30);
    assert_eq!(batch_time(Kind::RequestMediation, [5, 9]), 9);
    assert_eq!(batch_time(Kind::OpenDeal, [5, 9]), 0);
}

/// Each transaction checked alone as intake does, then proven in batches of
/// one kind as the witness thread does: the same ledger; a broken rule is
/// named and leaves the ledger as it was.
#[test]
fn batches_apply_what_intake_accepted_and_refusals_name_the_rule() {
    let meta = meta();
    let rules = Rules::of(&meta).unwrap().unwrap();
    let committee = SampleChain::new(2, 4).unwrap();
    let accounts = SampleLedger::new(DEPTH, 8, 1_000).unwrap().state;
    let genesis = meta.genesis_book(accounts).unwrap();
    let txs = one_of_each(&committee);
    let mut head = genesis.clone();
    let mut book = genesis.clone();
    for tx in &txs {
        if let Tx::Transfer(t) = tx {
            let (next, _) = head.transfer(&TransferBatch { transfers: vec![*t] }, 1).unwrap();
            head = next;
        } else {
            apply_one(&rules, &mut head, tx, 50).unwrap();
        }
        let p = apply_batch(&meta, Some(&rules), &book, &[(tx, 50)]).unwrap();
        assert_eq!(p.book.root(), head.root(), "{}", tx.kind().name());
        assert_eq!(p.circuit, tx.kind().spec().id);
        assert_eq!(p.public[1], p.book.root(), "new_root is the second input");
        book = p.book;
    }
    assert_eq!(book.ledger().deal(3).unwrap().1, DealStatus::Settled);
    assert!(book.members().member(4).is_some(), "the candidate is admitted");
    // Again: each is refused by its rule, the ledger unchanged.
    let before = head.root();
    let names: Vec<&str> =
        txs[1..].iter().map(|tx| apply_one(&rules, &mut head, tx, 50).unwrap_err().rule).collect();
    assert_eq!(
        names,
        [
            "deal-exists",
            "already-settled",
            "already-settled",
            "already-settled",
            "already-settled",
            "already-settled",
            "already-settled",
            "sponsored-this-period",
            "sponsored-this-period",
            "reveal-without-commitment"
        ]
    );
    assert_eq!(head.root(), before);
    // A transfers-only node proves no other kind.
    let e = apply_batch(&meta, None, &genesis, &[(&txs[1], 50)]).err().unwrap();
    assert!(e.contains("open-deal transactions on a node that takes transfers alone"), "{e}");
}

/// The ledger as the store keeps it, deals and members included, is the
/// ledger it was written from, on both engines.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stored_ledger_is_restored_with_its_deals_and_members() {
    on_each_engine("ledger_book", |store: Store| async move {
        let meta = meta();
        let rules = Rules::of(&meta).unwrap().unwrap();
        let committee = SampleChain::new(2, 4).unwrap();
        let accounts = SampleLedger::new(DEPTH, 8, 1_000).unwrap().state;
        let genesis = meta.genesis_book(accounts).unwrap();
        let meta = Meta { genesis_root: genesis.root(), ..meta };
        store.write_genesis(&meta, &genesis).await.unwrap();
        assert_eq!(store.proven_book(&meta).await.unwrap().root(), genesis.root());
        let mut book = genesis.clone();
        let mut touched = Touched::default();
        for (n, tx) in (1..).zip(one_of_each(&committee).iter().skip(1)) {
            let p = apply_batch(&meta, Some(&rules), &book, &[(tx, 50)]).unwrap();
            store.seal(n, &[]).await.unwrap();
            let commit = ProvenCommit {
                n,
                update: b"update",
                old_root: book.root(),
                new_root: p.book.root(),
                book: &p.book,
                touched: &p.touched,
                prove_time: Duration::from_millis(1),
                backend: "test",
            };
            store.commit_proven(commit).await.unwrap();
            touched.deals.extend(&p.touched.deals);
            touched.members.extend(&p.touched.members);
            book = p.book;
        }
        assert_eq!(touched.deals, [3].into());
        assert_eq!(touched.members, [0, 1, 4].into(), "the sponsors and the admitted");
        let restored = store.proven_book(&meta).await.unwrap();
        assert_eq!(restored.root(), book.root());
        assert_eq!(restored.ledger().deal(3), book.ledger().deal(3));
        assert_eq!(restored.ledger().verdict(3), Some(Fr::from(7u64)));
        assert_eq!(restored.ledger().burned, book.ledger().burned);
        assert_eq!(restored.members().members(), book.members().members());
    })
    .await;
}
