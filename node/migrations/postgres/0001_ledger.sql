-- The node's store on PostgreSQL, version 1: the same tables as SQLite's
-- (sqlite/0001_ledger.sql, which explains them), in PostgreSQL's types.
-- Integers that are u64 in Rust are stored as their two's-complement i64
-- bit patterns; field elements as 32-byte little-endian BYTEA.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE accounts (
    idx     BIGINT PRIMARY KEY,
    pk_x    BYTEA NOT NULL,
    pk_y    BYTEA NOT NULL,
    balance BIGINT NOT NULL,
    nonce   BIGINT NOT NULL
);

CREATE TABLE tree_nodes (
    height BIGINT NOT NULL,
    idx    BIGINT NOT NULL,
    hash   BYTEA NOT NULL,
    PRIMARY KEY (height, idx)
);

CREATE TABLE batches (
    n            BIGINT PRIMARY KEY,
    sealed_at    BIGINT NOT NULL,
    old_root     BYTEA,
    new_root     BYTEA,
    update_bytes BYTEA,
    proven_at    BIGINT,
    prove_ms     BIGINT,
    backend      TEXT
);

CREATE TABLE transactions (
    seq         BIGSERIAL PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    sender      BIGINT NOT NULL,
    nonce       BIGINT NOT NULL,
    body        TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    batch       BIGINT REFERENCES batches (n),
    slot        BIGINT,
    UNIQUE (sender, nonce)
);
CREATE INDEX transactions_by_batch ON transactions (batch, slot);
