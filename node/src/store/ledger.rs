//! The ledger as the store keeps it: genesis, the proven accounts and
//! tree, accepted transactions, sealed batches and their proven updates.

use super::*;

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
}

impl Meta {
    /// The ledger's parts over `accounts`. The node takes transfers alone
    /// so far: its deal and member trees stay the empty trees of the depths
    /// fixed at genesis, and every update carries them through.
    pub fn ledger_roots(&self, accounts: &State) -> LedgerRoots {
        LedgerRoots {
            accounts: accounts.root().0,
            deals: empty_root(self.deal_depth),
            members: empty_root(self.member_depth),
        }
    }

    /// The ledger's root over `accounts`: what updates and headers carry.
    pub fn ledger_root(&self, accounts: &State) -> Fr {
        self.ledger_roots(accounts).root()
    }
}

/// An accepted transaction as stored.
#[derive(Clone, Debug)]
pub struct StoredTx {
    /// Its id.
    pub id: String,
    /// The signed transfer.
    pub transfer: Transfer,
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
    pub async fn write_genesis(&self, meta: &Meta, state: &State) -> Result<()> {
        let e = |e| self.error("writing genesis", e);
        let mut tx = self.begin().await.map_err(e)?;
        let facts = [
            ("depth", meta.depth.to_string()),
            ("deal_depth", meta.deal_depth.to_string()),
            ("member_depth", meta.member_depth.to_string()),
            ("slots", meta.slots.to_string()),
            ("genesis_root", stateproof_app::text::fr(&meta.genesis_root)),
            ("vk_fingerprint", meta.vk_fingerprint.clone()),
            ("sample_accounts", meta.sample_accounts.to_string()),
        ];
        for (k, v) in facts {
            sqlx::query("INSERT INTO meta (key, value) VALUES ($1, $2)")
                .bind(k)
                .bind(v)
                .execute(&mut *tx)
                .await
                .map_err(e)?;
        }
        for (&i, a) in state.accounts() {
            put_account(&mut tx, i, a).await.map_err(e)?;
        }
        for (h, i, node) in state.tree().stored_nodes() {
            put_node(&mut tx, h, i, Some(node)).await.map_err(e)?;
        }
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
        })
    }

    /// The ledger at the last proven root, rebuilt from its stored nodes
    /// (each account's leaf checked; nothing rehashed beyond that), and
    /// that root checked against the last update's.
    pub async fn proven_state(&self, meta: &Meta) -> Result<State> {
        let e = |e| self.error("reading the ledger", e);
        let rows = sqlx::query("SELECT idx, pk_x, pk_y, balance, nonce FROM accounts")
            .fetch_all(&self.pool)
            .await
            .map_err(e)?;
        let mut accounts = BTreeMap::new();
        for r in rows {
            let idx = uint(r.get(0));
            let x = self.fr_at(r.get(1), "accounts.pk_x")?;
            let y = self.fr_at(r.get(2), "accounts.pk_y")?;
            let public_key = PublicKey::from_coordinates(x, y)
                .map_err(|err| self.error(&format!("account {idx}: public key"), err))?;
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
        let expected = self.proven_root(meta).await?;
        if meta.ledger_root(&state) != expected {
            return Err(self.error(
                "the stored ledger is inconsistent",
                "its tree root is not the last proven update's new root",
            ));
        }
        Ok(state)
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
        let now = now_ms();
        let mut tx = self.begin().await.map_err(e)?;
        for t in txs {
            let body = serde_json::to_string(&TransferJson::from_transfer(&t.transfer))
                .expect("a transfer serializes");
            sqlx::query(
                "INSERT INTO transactions (id, sender, nonce, body, received_at) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(&t.id)
            .bind(int(t.transfer.from))
            .bind(int(t.transfer.nonce))
            .bind(body)
            .bind(now)
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

    fn parse_tx(&self, id: String, body: &str) -> Result<StoredTx> {
        let parsed: TransferJson =
            serde_json::from_str(body).map_err(|e| self.error(&format!("transaction {id}"), e))?;
        let transfer =
            parsed.to_transfer().map_err(|e| self.error(&format!("transaction {id}"), e))?;
        Ok(StoredTx { id, transfer })
    }

    /// The accepted transactions not yet in a batch, in order.
    pub async fn pending(&self) -> Result<Vec<StoredTx>> {
        let rows =
            sqlx::query("SELECT id, body FROM transactions WHERE batch IS NULL ORDER BY seq")
                .fetch_all(&self.pool)
                .await
                .map_err(|e| self.error("reading transactions", e))?;
        rows.into_iter().map(|r| self.parse_tx(r.get(0), &r.get::<String, _>(1))).collect()
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
        let rows = sqlx::query("SELECT id, body FROM transactions WHERE batch = $1 ORDER BY slot")
            .bind(int(n))
            .fetch_all(&self.pool)
            .await
            .map_err(|e| self.error("reading a batch", e))?;
        rows.into_iter().map(|r| self.parse_tx(r.get(0), &r.get::<String, _>(1))).collect()
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
            "UPDATE batches SET old_root = $1, new_root = $2, update_bytes = $3, proven_at = $4, prove_ms = $5, backend = $6 WHERE n = $7",
        )
        .bind(fr_bytes(&p.old_root))
        .bind(fr_bytes(&p.new_root))
        .bind(p.update)
        .bind(now_ms())
        .bind(p.prove_time.as_millis() as i64)
        .bind(p.backend)
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
        for &i in p.touched {
            if let Some(a) = p.state.account(i) {
                put_account(&mut tx, i, a).await.map_err(e)?;
            }
            let path = p.state.tree().path_nodes(i).map_err(|err| self.error("tree", err))?;
            for (h, idx, node) in path {
                put_node(&mut tx, h, idx, node).await.map_err(e)?;
            }
        }
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

    /// The accounts touched by the given transactions.
    pub fn touched(txs: &[StoredTx]) -> BTreeSet<u64> {
        txs.iter().flat_map(|t| [t.transfer.from, t.transfer.to]).collect()
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
    /// The accounts after.
    pub state: &'a State,
    /// The accounts it changed.
    pub touched: &'a BTreeSet<u64>,
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
