//! Databases for tests: a scratch directory for SQLite stores, and a fresh
//! PostgreSQL database per test on the server that
//! `STATEPROOF_TEST_DATABASE_URL` names (an administrator's URL: tests
//! create and drop their databases). Without it PostgreSQL tests skip,
//! saying so, unless `STATEPROOF_REQUIRE_POSTGRES=1`, where they fail (CI
//! sets both).

use crate::store::Store;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// The variable naming the test server.
pub const URL_VAR: &str = "STATEPROOF_TEST_DATABASE_URL";

/// A directory removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    /// A fresh, empty directory.
    pub fn new(name: &str) -> Self {
        static N: AtomicU64 = AtomicU64::new(0);
        let dir = std::env::temp_dir().join(format!(
            "stateproof-{name}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("a scratch directory");
        Self(dir)
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A fresh PostgreSQL database, migrated, and its URL.
pub struct TestDb {
    /// The store on it.
    pub store: Store,
    /// Its URL.
    pub url: String,
    admin: String,
    name: String,
}

/// The test server's administrator URL, or None (with a line on stderr)
/// when tests may skip.
pub fn admin_url() -> Option<String> {
    match std::env::var(URL_VAR) {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var("STATEPROOF_REQUIRE_POSTGRES").is_ok_and(|v| v == "1") => {
            panic!("STATEPROOF_REQUIRE_POSTGRES=1 but {URL_VAR} is not set")
        }
        _ => {
            eprintln!("skipping the PostgreSQL part: {URL_VAR} is not set");
            None
        }
    }
}

/// `admin` with its database replaced by `name`.
fn with_database(admin: &str, name: &str) -> String {
    let mut u = url::Url::parse(admin).expect("a database URL");
    u.set_path(&format!("/{name}"));
    u.to_string()
}

/// Runs one statement on the administrator's connection.
async fn admin_exec(admin: &str, sql: &str) {
    use sqlx::Connection;
    let mut conn = sqlx::postgres::PgConnection::connect(admin)
        .await
        .unwrap_or_else(|e| panic!("{URL_VAR}: cannot connect: {e}"));
    sqlx::raw_sql(sql).execute(&mut conn).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    let _ = conn.close().await;
}

/// A fresh, empty database named after `name` (created empty: a node or
/// the store migrates it).
pub async fn fresh_database(name: &str) -> Option<(String, String, String)> {
    static N: AtomicU64 = AtomicU64::new(0);
    let admin = admin_url()?;
    let db =
        format!("stateproof_{name}_{}_{}", std::process::id(), N.fetch_add(1, Ordering::SeqCst));
    admin_exec(&admin, &format!("DROP DATABASE IF EXISTS {db}")).await;
    admin_exec(&admin, &format!("CREATE DATABASE {db}")).await;
    Some((with_database(&admin, &db), admin, db))
}

/// A fresh database with the node's schema, or None when tests may skip.
pub async fn postgres(name: &str) -> Option<TestDb> {
    let (url, admin, name) = fresh_database(name).await?;
    let store = Store::connect_postgres(&url, 16).await.expect("the test database");
    Some(TestDb { store, url, admin, name })
}

impl TestDb {
    /// Closes the store and drops the database.
    pub async fn drop(self) {
        self.store.close().await;
        admin_exec(&self.admin, &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name))
            .await;
    }
}

/// Runs `test` on a fresh SQLite store and, when a PostgreSQL server is
/// configured for tests, on a fresh PostgreSQL database named after `name`.
pub async fn on_each_engine<F, Fut>(name: &str, test: F)
where
    F: Fn(Store) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let dir = TempDir::new(name);
    test(Store::create(&dir.path().join("node.db")).await.expect("sqlite")).await;
    if let Some(db) = postgres(name).await {
        test(db.store.clone()).await;
        db.drop().await;
    }
}
