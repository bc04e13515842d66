//! The node's store, through sqlx on either engine: an embedded SQLite
//! file (the default) or a PostgreSQL server (`--database postgres://...`),
//! with the same schema (one migration set per engine, `migrations/`) and
//! the same queries. Every write that the node acknowledges is committed
//! (SQLite: WAL with `synchronous=FULL`) before the acknowledgement.
//!
//! What it holds: the facts fixed at genesis, the ledger at the last proven
//! root (accounts and the tree's non-empty nodes), the accepted
//! transactions, the sealed batches with their updates once proven, and
//! the prove jobs and proving keys of the job queue (`jobs.rs`), and
//! validators' attestations and finality proofs (`finality.rs`).

use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::AnyPool;
use sqlx::{ConnectOptions, Executor, Row};
use stateproof_app::{AppError, Result};
use stateproof_circuits::ledger::{Account, State};
use stateproof_circuits::primitives::eddsa::PublicKey;
use stateproof_circuits::Fr;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// SQLite's schema, one migration per version; `PRAGMA user_version`
/// records how many have been applied.
const SQLITE_MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/sqlite/0001_ledger.sql"),
    include_str!("../../migrations/sqlite/0002_jobs.sql"),
    include_str!("../../migrations/sqlite/0003_circom.sql"),
    include_str!("../../migrations/sqlite/0004_finality.sql"),
    include_str!("../../migrations/sqlite/0005_one_ledger.sql"),
];

/// PostgreSQL's, the same tables in its types; the table
/// `stateproof_schema` records the version.
const POSTGRES_MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/postgres/0001_ledger.sql"),
    include_str!("../../migrations/postgres/0002_jobs.sql"),
    include_str!("../../migrations/postgres/0003_circom.sql"),
    include_str!("../../migrations/postgres/0004_finality.sql"),
    include_str!("../../migrations/postgres/0005_one_ledger.sql"),
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
}

mod finality;
mod ledger;
pub use finality::*;
pub use ledger::*;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::intake::transaction_id;
    use crate::ledger::Tx;
    use crate::testdb::TempDir;
    use stateproof_circuits::sample::sample_key;
    use stateproof_circuits::transfer::{Transfer, TransferJson};

    /// A store made before version 5 (transactions of transfers alone, no
    /// deals or members) opens: its transactions parse as transfers with
    /// their arrival times, and a sender's nonce is still used once.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_version_4_store_migrates_to_one_ledger() {
        let dir = TempDir::new("v4");
        let path = dir.path().join(DB_FILE);
        let options = Store::sqlite_options(&path).create_if_missing(true);
        let old = Store::connect_sqlite(&path, options).await.unwrap();
        for (i, sql) in SQLITE_MIGRATIONS[..4].iter().enumerate() {
            sqlx::raw_sql(sql).execute(&old.pool).await.unwrap();
            let version = format!("PRAGMA user_version = {}", i + 1);
            sqlx::raw_sql(&version).execute(&old.pool).await.unwrap();
        }
        let t = Transfer::sign(&sample_key(0), 0, 1, sample_key(1).public_key(), 5, 0);
        let body = serde_json::to_string(&TransferJson::from_transfer(&t)).unwrap();
        sqlx::query(
            "INSERT INTO transactions (id, sender, nonce, body, received_at) VALUES ($1, 0, 0, $2, 7000)",
        )
        .bind(transaction_id(&t))
        .bind(body)
        .execute(&old.pool)
        .await
        .unwrap();
        old.close().await;

        let store = Store::open(&path).await.unwrap();
        let pending = store.pending().await.unwrap();
        assert_eq!(pending.len(), 1);
        assert_eq!((pending[0].id.as_str(), pending[0].received_ms), (&*transaction_id(&t), 7000));
        assert!(matches!(&pending[0].tx, Tx::Transfer(x) if x.message() == t.message()));
        let again = StoredTx { id: "another id".into(), tx: Tx::Transfer(t), received_ms: 1 };
        assert!(store.insert_transactions(&[again]).await.is_err(), "sender 0's nonce 0 is used");
        store.close().await;
    }
}
