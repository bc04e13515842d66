//! The node's store, through sqlx on either engine: an embedded SQLite
//! file (the default) or a PostgreSQL server (`--database postgres://...`),
//! with the same schema (one migration set per engine, `migrations/`) and
//! the same queries. Every write that the node acknowledges is committed
//! (SQLite: WAL with `synchronous=FULL`) before the acknowledgement.
//!
//! What it holds: the facts fixed at genesis, the ledger at the last proven
//! root (accounts and the tree's non-empty nodes), the accepted
//! transactions, the sealed batches with their updates once proven, and
//! the prove jobs and proving keys of the job queue (`jobs.rs`).

use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::AnyPool;
use sqlx::{ConnectOptions, Executor, Row};
use stateproof_app::{AppError, Result};
use stateproof_circuits::ledger::{Account, State};
use stateproof_circuits::primitives::eddsa::PublicKey;
use stateproof_circuits::transfer::Transfer;
use stateproof_circuits::transfer::TransferJson;
use stateproof_circuits::Fr;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// SQLite's schema, one migration per version; `PRAGMA user_version`
/// records how many have been applied.
const SQLITE_MIGRATIONS: &[&str] = &[
    include_str!("../migrations/sqlite/0001_ledger.sql"),
    include_str!("../migrations/sqlite/0002_jobs.sql"),
    include_str!("../migrations/sqlite/0003_circom.sql"),
];

/// PostgreSQL's, the same tables in its types; the table
/// `stateproof_schema` records the version.
const POSTGRES_MIGRATIONS: &[&str] = &[
    include_str!("../migrations/postgres/0001_ledger.sql"),
    include_str!("../migrations/postgres/0002_jobs.sql"),
    include_str!("../migrations/postgres/0003_circom.sql"),
];

/// The store's file in a data directory.
pub const DB_FILE: &str = "node.db";

/// Which database engine a store runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    /// An embedded SQLite file.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

impl Engine {
    fn migrations(self) -> &'static [&'static str] {
        match self {
            Engine::Sqlite => SQLITE_MIGRATIONS,
            Engine::Postgres => POSTGRES_MIGRATIONS,
        }
    }
}

/// Whether `url` names a PostgreSQL server.
pub fn is_postgres_url(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// A database URL fit for messages and logs: its password replaced.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        Ok(u) => u.to_string(),
        Err(_) => "(an unparseable database URL)".to_string(),
    }
}

fn install_drivers() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(sqlx::any::install_default_drivers);
}

/// The facts fixed at genesis.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Meta {
    /// Account tree depth.
    pub depth: usize,
    /// Transfer slots per batch.
    pub slots: usize,
    /// The genesis root.
    pub genesis_root: Fr,
    /// The verifying key's fingerprint, hex.
    pub vk_fingerprint: String,
    /// Sample accounts funded at genesis (keys from public seeds).
    pub sample_accounts: u64,
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

/// The store.
#[derive(Clone, Debug)]
pub struct Store {
    pub(crate) pool: AnyPool,
    /// The file or the (redacted) URL, for messages.
    name: String,
    pub(crate) engine: Engine,
}

/// A u64 as SQLite keeps it (its bit pattern as i64).
fn int(x: u64) -> i64 {
    x as i64
}

/// A u64 back from its i64 bit pattern.
fn uint(x: i64) -> u64 {
    x as u64
}

fn fr_bytes(x: &Fr) -> Vec<u8> {
    let mut out = Vec::with_capacity(32);
    x.serialize_compressed(&mut out).expect("a field element serializes");
    out
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

impl Store {
    pub(crate) fn error(&self, what: &str, e: impl std::fmt::Display) -> AppError {
        AppError::unusable(format!("{}: {what}: {e}", self.name))
    }

    /// The engine this store runs on.
    pub fn engine(&self) -> Engine {
        self.engine
    }

    fn sqlite_options(path: &Path) -> SqliteConnectOptions {
        SqliteConnectOptions::new().filename(path)
    }

    /// Connects to SQLite through sqlx's Any driver. The Any driver keeps
    /// only the URL of the options, so the settings the store relies on are
    /// set on every new connection.
    async fn connect_sqlite(path: &Path, options: SqliteConnectOptions) -> Result<Self> {
        install_drivers();
        let name = path.display().to_string();
        let any = AnyConnectOptions::from_url(&options.to_url_lossy())
            .map_err(|e| AppError::unusable(format!("{name}: cannot open: {e}")))?;
        let read_only = options.to_url_lossy().query().is_some_and(|q| q.contains("mode=ro"));
        let pool = AnyPoolOptions::new()
            .max_connections(4)
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    let pragmas = if read_only {
                        "PRAGMA busy_timeout = 10000;"
                    } else {
                        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;"
                    };
                    conn.execute(sqlx::raw_sql(pragmas)).await.map(|_| ())
                })
            })
            .connect_with(any)
            .await
            .map_err(|e| AppError::unusable(format!("{name}: cannot open: {e}")))?;
        Ok(Self { pool, name, engine: Engine::Sqlite })
    }

    /// Connects to the PostgreSQL server at `url` and brings its schema up
    /// to date (several processes may do so at once: the migrations take a
    /// lock). `connections` bounds the pool.
    pub async fn connect_postgres(url: &str, connections: u32) -> Result<Self> {
        install_drivers();
        let name = redact_url(url);
        let options = AnyConnectOptions::from_str(url)
            .map_err(|e| AppError::unusable(format!("--database {name}: {e}")))?;
        let pool = AnyPoolOptions::new()
            .max_connections(connections)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await
            .map_err(|e| AppError::unusable(format!("--database {name}: cannot connect: {e}")))?;
        let store = Self { pool, name, engine: Engine::Postgres };
        store.migrate().await?;
        Ok(store)
    }

    /// Creates a new SQLite store at `path` (which must not exist) with the
    /// schema.
    pub async fn create(path: &Path) -> Result<Self> {
        if path.exists() {
            return Err(AppError::unusable(format!("{}: already exists", path.display())));
        }
        let store =
            Self::connect_sqlite(path, Self::sqlite_options(path).create_if_missing(true)).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// Opens an existing SQLite store. The file is first checked read-only
    /// (SQLite's integrity check and the schema version), so that a corrupt
    /// or foreign file is refused with a clear message and left as it was.
    pub async fn open(path: &Path) -> Result<Self> {
        if !path.is_file() {
            return Err(AppError::unusable(format!("{}: no such store", path.display())));
        }
        let mut header = [0u8; 16];
        let readable = std::fs::File::open(path)
            .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut header));
        if readable.is_err() || &header != b"SQLite format 3\0" {
            return Err(AppError::unusable(format!(
                "{}: not a node database (no SQLite header)",
                path.display()
            )));
        }
        // SQLite makes a WAL database's -shm (and -wal) files even to read
        // it; the probe removes those it made if it refuses the store.
        let sidecars: Vec<PathBuf> = ["-wal", "-shm"]
            .iter()
            .map(|s| PathBuf::from(format!("{}{s}", path.display())))
            .filter(|p| !p.exists())
            .collect();
        if let Err(e) = Self::probe(path).await {
            for p in sidecars {
                let _ = std::fs::remove_file(p);
            }
            return Err(e);
        }
        let store = Self::connect_sqlite(path, Self::sqlite_options(path)).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// A write transaction. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`): a deferred transaction that reads first and
    /// writes later fails with "database is locked" instead of waiting its
    /// turn when another writer got in between.
    pub(crate) async fn begin(
        &self,
    ) -> std::result::Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
        match self.engine {
            Engine::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            Engine::Postgres => self.pool.begin().await,
        }
    }

    /// The read-only checks of [`Store::open`].
    async fn probe(path: &Path) -> Result<()> {
        let ro = Self::connect_sqlite(path, Self::sqlite_options(path).read_only(true)).await?;
        let result = async {
            let check: String = sqlx::query_scalar("PRAGMA quick_check")
                .fetch_one(&ro.pool)
                .await
                .map_err(|e| ro.error("not a usable node database", e))?;
            if check != "ok" {
                return Err(ro.error("the database is corrupt (integrity check)", check));
            }
            let version: i64 = sqlx::query_scalar("PRAGMA user_version")
                .fetch_one(&ro.pool)
                .await
                .map_err(|e| ro.error("not a usable node database", e))?;
            if version == 0 || version as usize > SQLITE_MIGRATIONS.len() {
                return Err(ro.error(
                    "not a stateproof node database",
                    format!(
                        "schema version {version}, this node knows 1 to {}",
                        SQLITE_MIGRATIONS.len()
                    ),
                ));
            }
            Ok(())
        }
        .await;
        ro.pool.close().await;
        result
    }

    /// Moves everything in SQLite's write-ahead log into the database file,
    /// so that the file alone is the store (before it is renamed into place).
    pub async fn checkpoint(&self) -> Result<()> {
        if self.engine != Engine::Sqlite {
            return Ok(());
        }
        sqlx::raw_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&self.pool)
            .await
            .map(|_| ())
            .map_err(|e| self.error("checkpoint", e))
    }

    /// The schema version inside `tx` (PostgreSQL: after taking the
    /// migration lock, so that concurrent starts apply each migration once).
    async fn schema_version(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    ) -> std::result::Result<i64, sqlx::Error> {
        match self.engine {
            Engine::Sqlite => sqlx::query_scalar("PRAGMA user_version").fetch_one(&mut **tx).await,
            Engine::Postgres => {
                // An arbitrary constant names the lock: "stateproof" in ASCII.
                sqlx::raw_sql("SELECT pg_advisory_xact_lock(7310595034652898914)")
                    .execute(&mut **tx)
                    .await?;
                sqlx::raw_sql(
                    "CREATE TABLE IF NOT EXISTS stateproof_schema (version BIGINT NOT NULL)",
                )
                .execute(&mut **tx)
                .await?;
                let v: Option<i64> =
                    sqlx::query_scalar("SELECT MAX(version) FROM stateproof_schema")
                        .fetch_one(&mut **tx)
                        .await?;
                Ok(v.unwrap_or(0))
            }
        }
    }

    /// Applies the migrations not yet applied, each in its own transaction.
    async fn migrate(&self) -> Result<()> {
        let e = |e| self.error("migration", e);
        let migrations = self.engine.migrations();
        for (i, sql) in migrations.iter().enumerate() {
            let mut tx = self.begin().await.map_err(e)?;
            let version = self.schema_version(&mut tx).await.map_err(e)?;
            if version as usize > migrations.len() {
                return Err(self.error(
                    "not a stateproof node database",
                    format!("schema version {version}, this node knows 1 to {}", migrations.len()),
                ));
            }
            if version as usize > i {
                continue;
            }
            sqlx::raw_sql(sql).execute(&mut *tx).await.map_err(e)?;
            // Neither statement takes bound parameters; the value is a
            // small integer.
            let set = match self.engine {
                Engine::Sqlite => format!("PRAGMA user_version = {}", i + 1),
                Engine::Postgres => format!("INSERT INTO stateproof_schema VALUES ({})", i + 1),
            };
            sqlx::raw_sql(&set).execute(&mut *tx).await.map_err(e)?;
            tx.commit().await.map_err(e)?;
        }
        Ok(())
    }

    /// Closes the pool (on SQLite, checkpointing the WAL).
    pub async fn close(&self) {
        self.pool.close().await;
    }

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
        let get =
            |k: &str| facts.get(k).ok_or_else(|| self.error("meta", format!("{k} is missing")));
        let num = |k: &str| -> Result<u64> {
            get(k)?.parse().map_err(|e| self.error("meta", format!("{k}: {e}")))
        };
        Ok(Meta {
            depth: num("depth")? as usize,
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
        if state.root().0 != expected {
            return Err(self.error(
                "the stored ledger is inconsistent",
                "its tree root is not the last proven update's new root",
            ));
        }
        Ok(state)
    }

    fn fr_at(&self, bytes: Vec<u8>, what: &str) -> Result<Fr> {
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
        .bind(fr_bytes(&p.state.root().0))
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
    /// The root before.
    pub old_root: Fr,
    /// The ledger after.
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
