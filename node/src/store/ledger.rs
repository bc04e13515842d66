//! The ledger as the store keeps it: genesis, the proven accounts and
//! tree, accepted transactions, sealed batches and their proven updates.

use super::*;
use crate::ledger::{LedgerGenesis, Touched, Tx, TxJson};
use stateproof_circuits::book::Book;
use stateproof_circuits::compute::{Deal, DealJson, DealStatus, Ledger};
use stateproof_circuits::primitives::field::parse_fr;
use stateproof_circuits::trust::Member;
use stateproof_circuits::trust::{AdmissionRules, TrustLedger};

/// The facts fixed at genesis.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Meta {
    /// Account tree depth.
    pub depth: usize,
    /// Deal tree depth.
    pub deal_depth: usize,
    /// Member tree depth.
    pub member_depth: usize,
    /// Transfer slots per batch.
    pub slots: usize,
    /// The genesis root.
    pub genesis_root: Fr,
    /// The verifying key's fingerprint, hex.
    pub vk_fingerprint: String,
    /// Sample accounts funded at genesis (keys from public seeds).
    pub sample_accounts: u64,
    /// The rules and keys of the ledger's kinds beyond transfers (`None`:
    /// the node takes transfers alone).
    pub ledger: Option<LedgerGenesis>,
}

impl Meta {
    /// The ledger at genesis: `accounts`, an empty deal tree, and the
    /// genesis members (on a node with the whole ledger: members 0 to n-1
    /// hold sample accounts 0 to n-1's keys).
    pub fn genesis_book(&self, accounts: State) -> std::result::Result<Book, String> {
        let (members, rules) = match &self.ledger {
            None => (0, AdmissionRules { suspension: 0, period: 1 }),
            Some(g) => (g.config.members, g.config.admission_rules()),
        };
        let keys =
            (0..members).map(|i| (i, stateproof_circuits::sample::sample_key(i).public_key()));
        let members =
            TrustLedger::new(self.member_depth, keys, rules).map_err(|e| e.to_string())?;
        Book::new(accounts, self.deal_depth, members).map_err(|e| e.to_string())
    }
}

/// An accepted transaction as stored.
#[derive(Clone, Debug)]
pub struct StoredTx {
    /// Its id.
    pub id: String,
    /// The transaction.
    pub tx: Tx,
    /// When the node accepted it, milliseconds since the Unix epoch (the
    /// time its rules were checked at).
    pub received_ms: i64,
}

impl StoredTx {
    /// The time its rules were checked at, in whole seconds.
    pub fn received_secs(&self) -> u64 {
        (self.received_ms.max(0) / 1000) as u64
    }
}

/// Where a transaction is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TxStatus {
    /// Accepted, not yet in a batch.
    Pending,
    /// In batch `n`, not yet proven.
    Batched(u64),
    /// In the proven update `n`.
    Proven(u64),
}

/// A proven update as the API lists it.
#[derive(Clone, Debug)]
pub struct UpdateRecord {
    /// Its number (the batch's).
    pub n: u64,
    /// The root before.
    pub old_root: Fr,
    /// The root after.
    pub new_root: Fr,
    /// The compressed update.
    pub bytes: Vec<u8>,
    /// Its transactions' ids, in slot order.
    pub transactions: Vec<String>,
}

impl Store {
    /// Whether genesis has been written (a PostgreSQL database may be
    /// migrated and still empty).
    pub async fn has_genesis(&self) -> Result<bool> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM meta")
            .fetch_one(&self.pool)
            .await
            .map_err(|e| self.error("reading meta", e))?;
        Ok(n > 0)
    }

    /// Writes genesis: the facts and the ledger, in one transaction.
    pub async fn write_genesis(&self, meta: &Meta, book: &Book) -> Result<()> {
        let e = |e| self.error("writing genesis", e);
        let mut tx = self.begin().await.map_err(e)?;
        let mut facts = vec![
            ("depth", meta.depth.to_string()),
            ("deal_depth", meta.deal_depth.to_string()),
            ("member_depth", meta.member_depth.to_string()),
            ("slots", meta.slots.to_string()),
            ("genesis_root", stateproof_app::text::fr(&meta.genesis_root)),
            ("vk_fingerprint", meta.vk_fingerprint.clone()),
            ("sample_accounts", meta.sample_accounts.to_string()),
        ];
        if let Some(ledger) = &meta.ledger {
            facts.push(("ledger", serde_json::to_string(ledger).expect("the ledger serializes")));
        }
        for (k, v) in facts {
            sqlx::query("INSERT INTO meta (key, value) VALUES ($1, $2)")
                .bind(k)
                .bind(v)
                .execute(&mut *tx)
                .await
                .map_err(e)?;
        }
        let state = &book.ledger().accounts;
        for (&i, a) in state.accounts() {
            put_account(&mut tx, i, a).await.map_err(e)?;
        }
        for (h, i, node) in state.tree().stored_nodes() {
            put_node(&mut tx, h, i, Some(node)).await.map_err(e)?;
        }
        let all = book.members().members().keys().copied().collect::<BTreeSet<u64>>();
        put_book_parts(&mut tx, book, &BTreeSet::new(), &all).await.map_err(e)?;
        tx.commit().await.map_err(e)
    }

    /// The facts fixed at genesis.
    pub async fn meta(&self) -> Result<Meta> {
        let rows = sqlx::query("SELECT key, value FROM meta")
            .fetch_all(&self.pool)
            .await
            .map_err(|e| self.error("reading meta", e))?;
        let facts: BTreeMap<String, String> =
            rows.iter().map(|r| (r.get::<String, _>(0), r.get::<String, _>(1))).collect();
        if !facts.is_empty() && !facts.contains_key("deal_depth") {
            return Err(self.error(
                "meta",
                "this store was made before the ledger had deals and members (its roots are of \
                 accounts alone, no deal_depth is recorded); make a new one with `stateproof node init`",
            ));
        }
        let get =
            |k: &str| facts.get(k).ok_or_else(|| self.error("meta", format!("{k} is missing")));
        let num = |k: &str| -> Result<u64> {
            get(k)?.parse().map_err(|e| self.error("meta", format!("{k}: {e}")))
        };
        let depth = |k: &str| -> Result<usize> {
            use stateproof_circuits::primitives::merkle::MAX_DEPTH;
            let d = num(k)?;
            if d == 0 || d > MAX_DEPTH as u64 {
                return Err(self.error("meta", format!("{k}: {d} is not 1 to {MAX_DEPTH}")));
            }
            Ok(d as usize)
        };
        Ok(Meta {
            depth: num("depth")? as usize,
            deal_depth: depth("deal_depth")?,
            member_depth: depth("member_depth")?,
            slots: num("slots")? as usize,
            genesis_root: stateproof_circuits::primitives::field::parse_fr(get("genesis_root")?)
                .map_err(|e| self.error("meta", format!("genesis_root: {e}")))?,
            vk_fingerprint: get("vk_fingerprint")?.clone(),
            sample_accounts: num("sample_accounts")?,
            ledger: match facts.get("ledger") {
                None => None,
                Some(json) => Some(
                    serde_json::from_str(json)
                        .map_err(|err| self.error("meta", format!("ledger: {err}")))?,
                ),
            },
        })
    }

    /// The ledger at the last proven root: the accounts rebuilt from their
    /// stored nodes (each account's leaf checked; nothing rehashed beyond
    /// that), the deal and member trees rehashed from their rows, and the
    /// root checked against the last update's.
    pub async fn proven_book(&self, meta: &Meta) -> Result<Book> {
        let e = |e| self.error("reading the ledger", e);
        let rows = sqlx::query("SELECT idx, pk_x, pk_y, balance, nonce FROM accounts")
            .fetch_all(&self.pool)
            .await
            .map_err(e)?;
        let mut accounts = BTreeMap::new();
        for r in rows {
            let idx = uint(r.get(0));
            let public_key = self.key_at(r.get(1), r.get(2), &format!("account {idx}"))?;
            accounts.insert(
                idx,
                Account { public_key, balance: uint(r.get(3)), nonce: uint(r.get(4)) },
            );
        }
        let rows = sqlx::query("SELECT height, idx, hash FROM tree_nodes")
            .fetch_all(&self.pool)
            .await
            .map_err(e)?;
        let mut nodes = Vec::with_capacity(rows.len());
        for r in rows {
            let h: i64 = r.get(0);
            nodes.push((h as usize, uint(r.get(1)), self.fr_at(r.get(2), "tree_nodes.hash")?));
        }
        let state = State::from_stored(meta.depth, accounts, nodes)
            .map_err(|err| self.error("the stored ledger is inconsistent", err))?;
        let deals = self.stored_deals().await?;
        let members = self.stored_members().await?;
        let burned = self.proven_burned().await?;
        let inconsistent = |err: String| self.error("the stored ledger is inconsistent", err);
        let ledger = Ledger::restore(state, meta.deal_depth, deals, burned)
            .map_err(|err| inconsistent(err.to_string()))?;
        let rules = match &meta.ledger {
            None => AdmissionRules { suspension: 0, period: 1 },
            Some(g) => g.config.admission_rules(),
        };
        let members = TrustLedger::restore(meta.member_depth, members, rules)
            .map_err(|err| inconsistent(err.to_string()))?;
        let book = Book::of(ledger, members);
        let expected = self.proven_root(meta).await?;
        if book.root() != expected {
            return Err(inconsistent(
                "its root is not the last proven update's new root".to_string(),
            ));
        }
        Ok(book)
    }

    fn key_at(&self, x: Vec<u8>, y: Vec<u8>, what: &str) -> Result<PublicKey> {
        let x = self.fr_at(x, &format!("{what}: key x"))?;
        let y = self.fr_at(y, &format!("{what}: key y"))?;
        PublicKey::from_coordinates(x, y)
            .map_err(|err| self.error(&format!("{what}: public key"), err))
    }

    async fn stored_deals(&self) -> Result<Vec<(Deal, DealStatus, Vec<Option<Fr>>, Option<Fr>)>> {
        let rows = sqlx::query("SELECT id, terms, status, results, verdict FROM deals ORDER BY id")
            .fetch_all(&self.pool)
            .await
            .map_err(|e| self.error("reading deals", e))?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let id = uint(r.get(0));
            let at = |what: &str, err: &dyn std::fmt::Display| {
                self.error(&format!("deal {id}: {what}"), err)
            };
            let terms: DealJson =
                serde_json::from_str(&r.get::<String, _>(1)).map_err(|err| at("terms", &err))?;
            let deal = terms.to_deal().map_err(|err| at("terms", &err))?;
            let status = status_of(r.get(2)).ok_or_else(|| at("status", &"not 1 to 4"))?;
            let results: Vec<Option<String>> =
                serde_json::from_str(&r.get::<String, _>(3)).map_err(|err| at("results", &err))?;
            let results = results
                .iter()
                .map(|x| x.as_deref().map(parse_fr).transpose())
                .collect::<std::result::Result<Vec<_>, _>>()
                .map_err(|err| at("results", &err))?;
            let verdict: Option<String> = r.get(4);
            let verdict =
                verdict.as_deref().map(parse_fr).transpose().map_err(|err| at("verdict", &err))?;
            out.push((deal, status, results, verdict));
        }
        Ok(out)
    }

    async fn stored_members(&self) -> Result<Vec<(u64, Member)>> {
        let rows = sqlx::query(
            "SELECT idx, pk_x, pk_y, suspended_until, last_period, pending FROM members ORDER BY idx",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(|e| self.error("reading members", e))?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let idx = uint(r.get(0));
            let what = format!("member {idx}");
            let public_key = self.key_at(r.get(1), r.get(2), &what)?;
            let last: Option<i64> = r.get(4);
            let member = Member {
                public_key,
                suspended_until: uint(r.get(3)),
                last_period: last.map(uint),
                pending: self.fr_at(r.get(5), &format!("{what}: pending"))?,
            };
            out.push((idx, member));
        }
        Ok(out)
    }

    /// What settlements have burned up to the last proven update.
    async fn proven_burned(&self) -> Result<u128> {
        let last: Option<Option<String>> = sqlx::query_scalar(
            "SELECT burned FROM batches WHERE proven_at IS NOT NULL ORDER BY n DESC LIMIT 1",
        )
        .fetch_optional(&self.pool)
        .await
        .map_err(|e| self.error("reading batches", e))?;
        match last.flatten() {
            None => Ok(0),
            Some(b) => b.parse().map_err(|e| self.error("batches.burned", e)),
        }
    }

    pub(super) fn fr_at(&self, bytes: Vec<u8>, what: &str) -> Result<Fr> {
        decode_fr(&bytes).ok_or_else(|| self.error(what, "not a canonical field element"))
    }

    /// The root after the last proven update (genesis's before any).
    pub async fn proven_root(&self, meta: &Meta) -> Result<Fr> {
        let last: Option<Vec<u8>> = sqlx::query_scalar(
            "SELECT new_root FROM batches WHERE proven_at IS NOT NULL ORDER BY n DESC LIMIT 1",
        )
        .fetch_optional(&self.pool)
        .await
        .map_err(|e| self.error("reading batches", e))?;
        match last {
            Some(b) => self.fr_at(b, "batches.new_root"),
            None => Ok(meta.genesis_root),
        }
    }

    /// Commits accepted transactions, in order, in one transaction.
    pub async fn insert_transactions(&self, txs: &[StoredTx]) -> Result<()> {
        let e = |e| self.error("storing transactions", e);
        let mut tx = self.begin().await.map_err(e)?;
        for t in txs {
            let (sender, nonce) = match &t.tx {
                Tx::Transfer(tr) => (Some(int(tr.from)), Some(int(tr.nonce))),
                _ => (None, None),
            };
            sqlx::query(
                "INSERT INTO transactions (id, kind, sender, nonce, body, received_at) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&t.id)
            .bind(t.tx.kind().name())
            .bind(sender)
            .bind(nonce)
            .bind(t.tx.body())
            .bind(t.received_ms)
            .execute(&mut *tx)
            .await
            .map_err(e)?;
        }
        tx.commit().await.map_err(e)
    }

    /// Where the transaction `id` is, if it was accepted.
    pub async fn status(&self, id: &str) -> Result<Option<TxStatus>> {
        let row = sqlx::query(
            "SELECT t.batch, b.proven_at FROM transactions t LEFT JOIN batches b ON b.n = t.batch WHERE t.id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(|e| self.error("reading transactions", e))?;
        Ok(row.map(|r| {
            let batch: Option<i64> = r.get(0);
            let proven: Option<i64> = r.get(1);
            match (batch, proven) {
                (None, _) => TxStatus::Pending,
                (Some(n), None) => TxStatus::Batched(n as u64),
                (Some(n), Some(_)) => TxStatus::Proven(n as u64),
            }
        }))
    }

    fn parse_tx(&self, r: &sqlx::any::AnyRow) -> Result<StoredTx> {
        let id: String = r.get(0);
        let kind: String = r.get(1);
        let body: String = r.get(2);
        let at = |err: &dyn std::fmt::Display| self.error(&format!("transaction {id}"), err);
        let json = match kind.as_str() {
            "transfer" => TxJson::Transfer(serde_json::from_str(&body).map_err(|err| at(&err))?),
            _ => TxJson::parse(body.as_bytes()).map_err(|err| at(&err))?,
        };
        let tx = json.to_tx().map_err(|err| at(&err))?;
        if tx.kind().name() != kind {
            return Err(at(&format!("stored as {kind}, its body is another kind")));
        }
        Ok(StoredTx { id, tx, received_ms: r.get(3) })
    }

    /// The accepted transactions not yet in a batch, in order.
    pub async fn pending(&self) -> Result<Vec<StoredTx>> {
        let rows = sqlx::query(
            "SELECT id, kind, body, received_at FROM transactions WHERE batch IS NULL ORDER BY seq",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(|e| self.error("reading transactions", e))?;
        rows.iter().map(|r| self.parse_tx(r)).collect()
    }

    /// The number of the last sealed batch (0 before any).
    pub async fn last_sealed(&self) -> Result<u64> {
        let n: Option<i64> = sqlx::query_scalar("SELECT MAX(n) FROM batches")
            .fetch_one(&self.pool)
            .await
            .map_err(|e| self.error("reading batches", e))?;
        Ok(n.unwrap_or(0) as u64)
    }

    /// Seals batch `n` over the transactions `ids`, in slot order.
    pub async fn seal(&self, n: u64, ids: &[&str]) -> Result<()> {
        let e = |e| self.error("sealing a batch", e);
        let mut tx = self.begin().await.map_err(e)?;
        sqlx::query("INSERT INTO batches (n, sealed_at) VALUES ($1, $2)")
            .bind(int(n))
            .bind(now_ms())
            .execute(&mut *tx)
            .await
            .map_err(e)?;
        for (slot, id) in ids.iter().enumerate() {
            let done = sqlx::query(
                "UPDATE transactions SET batch = $1, slot = $2 WHERE id = $3 AND batch IS NULL",
            )
            .bind(int(n))
            .bind(slot as i64)
            .bind(*id)
            .execute(&mut *tx)
            .await
            .map_err(e)?;
            if done.rows_affected() != 1 {
                return Err(self.error("sealing a batch", format!("{id} is not pending")));
            }
        }
        tx.commit().await.map_err(e)
    }

    /// The transactions of batch `n`, in slot order.
    pub async fn batch_transactions(&self, n: u64) -> Result<Vec<StoredTx>> {
        let rows = sqlx::query(
            "SELECT id, kind, body, received_at FROM transactions WHERE batch = $1 ORDER BY slot",
        )
        .bind(int(n))
        .fetch_all(&self.pool)
        .await
        .map_err(|e| self.error("reading a batch", e))?;
        rows.iter().map(|r| self.parse_tx(r)).collect()
    }

    /// The sealed batches not yet proven, in order.
    pub async fn unproven(&self) -> Result<Vec<u64>> {
        let rows: Vec<i64> =
            sqlx::query_scalar("SELECT n FROM batches WHERE proven_at IS NULL ORDER BY n")
                .fetch_all(&self.pool)
                .await
                .map_err(|e| self.error("reading batches", e))?;
        Ok(rows.into_iter().map(uint).collect())
    }

    /// Publishes batch `n`'s proof: its update, the ledger after it (the
    /// touched accounts and the tree nodes on their paths) in one
    /// transaction. Refuses a batch that is not the next one to prove.
    pub async fn commit_proven(&self, p: ProvenCommit<'_>) -> Result<()> {
        let e = |e| self.error("publishing an update", e);
        let mut tx = self.begin().await.map_err(e)?;
        let gap: Option<i64> =
            sqlx::query_scalar("SELECT MIN(n) FROM batches WHERE proven_at IS NULL")
                .fetch_one(&mut *tx)
                .await
                .map_err(e)?;
        if gap != Some(int(p.n)) {
            return Err(self.error(
                "publishing an update",
                format!("batch {} is not the next to prove ({gap:?})", p.n),
            ));
        }
        sqlx::query(
            "UPDATE batches SET old_root = $1, new_root = $2, update_bytes = $3, proven_at = $4, prove_ms = $5, backend = $6, burned = $7 WHERE n = $8",
        )
        .bind(fr_bytes(&p.old_root))
        .bind(fr_bytes(&p.new_root))
        .bind(p.update)
        .bind(now_ms())
        .bind(p.prove_time.as_millis() as i64)
        .bind(p.backend)
        .bind(p.book.ledger().burned.to_string())
        .bind(int(p.n))
        .execute(&mut *tx)
        .await
        .map_err(e)?;
        // The job's witness and proof are not needed once published.
        sqlx::query("UPDATE prove_jobs SET inputs = $1, update_bytes = NULL WHERE batch = $2")
            .bind(Vec::<u8>::new())
            .bind(int(p.n))
            .execute(&mut *tx)
            .await
            .map_err(e)?;
        let state = &p.book.ledger().accounts;
        for &i in &p.touched.accounts {
            if let Some(a) = state.account(i) {
                put_account(&mut tx, i, a).await.map_err(e)?;
            }
            let path = state.tree().path_nodes(i).map_err(|err| self.error("tree", err))?;
            for (h, idx, node) in path {
                put_node(&mut tx, h, idx, node).await.map_err(e)?;
            }
        }
        put_book_parts(&mut tx, p.book, &p.touched.deals, &p.touched.members).await.map_err(e)?;
        tx.commit().await.map_err(e)
    }

    /// The proven update `n`'s bytes.
    pub async fn update_bytes(&self, n: u64) -> Result<Option<Vec<u8>>> {
        sqlx::query_scalar(
            "SELECT update_bytes FROM batches WHERE n = $1 AND proven_at IS NOT NULL",
        )
        .bind(int(n))
        .fetch_optional(&self.pool)
        .await
        .map_err(|e| self.error("reading an update", e))
    }

    /// Up to `limit` proven updates from number `from` on, in order.
    pub async fn updates_from(&self, from: u64, limit: u32) -> Result<Vec<UpdateRecord>> {
        let e = |e| self.error("reading updates", e);
        let rows = sqlx::query(
            "SELECT n, old_root, new_root, update_bytes FROM batches WHERE n >= $1 AND proven_at IS NOT NULL ORDER BY n LIMIT $2",
        )
        .bind(int(from.min(i64::MAX as u64)))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(e)?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let n = uint(r.get(0));
            let ids: Vec<String> =
                sqlx::query_scalar("SELECT id FROM transactions WHERE batch = $1 ORDER BY slot")
                    .bind(int(n))
                    .fetch_all(&self.pool)
                    .await
                    .map_err(e)?;
            out.push(UpdateRecord {
                n,
                old_root: self.fr_at(r.get(1), "batches.old_root")?,
                new_root: self.fr_at(r.get(2), "batches.new_root")?,
                bytes: r.get(3),
                transactions: ids,
            });
        }
        Ok(out)
    }

    /// Counts: proven updates, sealed batches, pending transactions.
    pub async fn counts(&self) -> Result<(u64, u64, u64)> {
        let row = sqlx::query(
            "SELECT (SELECT COUNT(*) FROM batches WHERE proven_at IS NOT NULL), (SELECT COUNT(*) FROM batches), (SELECT COUNT(*) FROM transactions WHERE batch IS NULL)",
        )
        .fetch_one(&self.pool)
        .await
        .map_err(|e| self.error("counting", e))?;
        Ok((uint(row.get(0)), uint(row.get(1)), uint(row.get(2))))
    }
}

/// What [`Store::commit_proven`] publishes.
#[derive(Clone, Copy)]
pub struct ProvenCommit<'a> {
    /// The batch.
    pub n: u64,
    /// Its update's bytes.
    pub update: &'a [u8],
    /// The ledger root before.
    pub old_root: Fr,
    /// The ledger root after.
    pub new_root: Fr,
    /// The ledger after.
    pub book: &'a Book,
    /// The accounts, deals and members it changed.
    pub touched: &'a Touched,
    /// How long the proof took.
    pub prove_time: Duration,
    /// What computed it.
    pub backend: &'a str,
}

/// A canonical field element from its 32 little-endian bytes.
pub fn decode_fr(bytes: &[u8]) -> Option<Fr> {
    if bytes.len() != 32 {
        return None;
    }
    // ark-ff refuses values at or above the modulus.
    Fr::deserialize_compressed(bytes).ok()
}

async fn put_account(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    i: u64,
    a: &Account,
) -> std::result::Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO accounts (idx, pk_x, pk_y, balance, nonce) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (idx) DO UPDATE SET pk_x = excluded.pk_x, pk_y = excluded.pk_y, balance = excluded.balance, nonce = excluded.nonce",
    )
    .bind(int(i))
    .bind(fr_bytes(&a.public_key.0.x))
    .bind(fr_bytes(&a.public_key.0.y))
    .bind(int(a.balance))
    .bind(int(a.nonce))
    .execute(&mut **tx)
    .await
    .map(|_| ())
}

async fn put_node(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    h: usize,
    i: u64,
    node: Option<Fr>,
) -> std::result::Result<(), sqlx::Error> {
    let q = match node {
        Some(n) => sqlx::query(
            "INSERT INTO tree_nodes (height, idx, hash) VALUES ($1, $2, $3) ON CONFLICT (height, idx) DO UPDATE SET hash = excluded.hash",
        )
        .bind(h as i64)
        .bind(int(i))
        .bind(fr_bytes(&n)),
        None => sqlx::query("DELETE FROM tree_nodes WHERE height = $1 AND idx = $2")
            .bind(h as i64)
            .bind(int(i)),
    };
    q.execute(&mut **tx).await.map(|_| ())
}

fn status_code(s: DealStatus) -> i64 {
    match s {
        DealStatus::Open => 1,
        DealStatus::Settled => 2,
        DealStatus::Mediating => 3,
        DealStatus::Decided => 4,
    }
}

fn status_of(code: i64) -> Option<DealStatus> {
    match code {
        1 => Some(DealStatus::Open),
        2 => Some(DealStatus::Settled),
        3 => Some(DealStatus::Mediating),
        4 => Some(DealStatus::Decided),
        _ => None,
    }
}

/// Writes the deals `deals` and the members `members` as `book` has them.
async fn put_book_parts(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    book: &Book,
    deals: &BTreeSet<u64>,
    members: &BTreeSet<u64>,
) -> std::result::Result<(), sqlx::Error> {
    let ledger = book.ledger();
    for &id in deals {
        let Some((deal, status)) = ledger.deal(id) else { continue };
        let results: Vec<Option<String>> = ledger
            .results(id)
            .unwrap_or_default()
            .iter()
            .map(|r| r.as_ref().map(stateproof_app::text::fr))
            .collect();
        sqlx::query(
            "INSERT INTO deals (id, terms, status, results, verdict) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO UPDATE SET terms = excluded.terms, status = excluded.status, results = excluded.results, verdict = excluded.verdict",
        )
        .bind(int(id))
        .bind(serde_json::to_string(&DealJson::from_deal(deal)).expect("a deal serializes"))
        .bind(status_code(*status))
        .bind(serde_json::to_string(&results).expect("results serialize"))
        .bind(ledger.verdict(id).map(|v| stateproof_app::text::fr(&v)))
        .execute(&mut **tx)
        .await?;
    }
    for &i in members {
        let Some(m) = book.members().member(i) else { continue };
        sqlx::query(
            "INSERT INTO members (idx, pk_x, pk_y, suspended_until, last_period, pending) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (idx) DO UPDATE SET pk_x = excluded.pk_x, pk_y = excluded.pk_y, suspended_until = excluded.suspended_until, last_period = excluded.last_period, pending = excluded.pending",
        )
        .bind(int(i))
        .bind(fr_bytes(&m.public_key.0.x))
        .bind(fr_bytes(&m.public_key.0.y))
        .bind(int(m.suspended_until))
        .bind(m.last_period.map(int))
        .bind(fr_bytes(&m.pending))
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}
