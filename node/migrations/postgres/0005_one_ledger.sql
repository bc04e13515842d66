-- Version 5: one ledger (see the SQLite migration of the same number).
ALTER TABLE transactions
    ADD COLUMN kind TEXT NOT NULL DEFAULT 'transfer',
    ALTER COLUMN sender DROP NOT NULL,
    ALTER COLUMN nonce DROP NOT NULL;

ALTER TABLE batches ADD COLUMN burned TEXT;

CREATE TABLE deals (
    id      BIGINT PRIMARY KEY,
    terms   TEXT NOT NULL,
    status  BIGINT NOT NULL,
    results TEXT NOT NULL,
    verdict TEXT
);

CREATE TABLE members (
    idx             BIGINT PRIMARY KEY,
    pk_x            BYTEA NOT NULL,
    pk_y            BYTEA NOT NULL,
    suspended_until BIGINT NOT NULL,
    last_period     BIGINT,
    pending         BYTEA NOT NULL
);
