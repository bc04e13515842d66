-- The node's store, version 1. Integers that are u64 in Rust (indices,
-- balances, nonces) are stored as their two's-complement i64 bit patterns;
-- field elements as 32-byte little-endian blobs.

-- Facts fixed at genesis: depth, slots, genesis root, key fingerprint.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- The accounts at the last proven root.
CREATE TABLE accounts (
    idx     INTEGER PRIMARY KEY,
    pk_x    BLOB NOT NULL,
    pk_y    BLOB NOT NULL,
    balance INTEGER NOT NULL,
    nonce   INTEGER NOT NULL
);

-- The account tree's non-empty nodes at the last proven root (height 0 are
-- the leaves), so that a restart does not rehash the tree.
CREATE TABLE tree_nodes (
    height INTEGER NOT NULL,
    idx    INTEGER NOT NULL,
    hash   BLOB NOT NULL,
    PRIMARY KEY (height, idx)
) WITHOUT ROWID;

-- Sealed batches; a batch with its update is proven and published.
CREATE TABLE batches (
    n         INTEGER PRIMARY KEY,
    sealed_at INTEGER NOT NULL,
    old_root  BLOB,
    new_root  BLOB,
    update_bytes BLOB,
    proven_at INTEGER,
    prove_ms  INTEGER,
    backend   TEXT
);

-- Accepted transactions, in the order they were accepted. A sender's nonce
-- is used once.
CREATE TABLE transactions (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    id          TEXT NOT NULL UNIQUE,
    sender      INTEGER NOT NULL,
    nonce       INTEGER NOT NULL,
    body        TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    batch       INTEGER REFERENCES batches (n),
    slot        INTEGER,
    UNIQUE (sender, nonce)
);
CREATE INDEX transactions_by_batch ON transactions (batch, slot);
