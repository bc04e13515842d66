-- Version 5: one ledger. Transactions of every kind (only transfers have a
-- sender and a nonce, unique together as before; the others are unique by
-- id), the burned total after each proven update, and the deals and
-- members at the last proven root (their trees are rehashed from them at
-- start and checked against that root).
CREATE TABLE transactions_v5 (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    id          TEXT NOT NULL UNIQUE,
    kind        TEXT NOT NULL DEFAULT 'transfer',
    sender      INTEGER,
    nonce       INTEGER,
    body        TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    batch       INTEGER REFERENCES batches (n),
    slot        INTEGER,
    UNIQUE (sender, nonce)
);
INSERT INTO transactions_v5 (seq, id, kind, sender, nonce, body, received_at, batch, slot)
    SELECT seq, id, 'transfer', sender, nonce, body, received_at, batch, slot FROM transactions;
DROP TABLE transactions;
ALTER TABLE transactions_v5 RENAME TO transactions;
CREATE INDEX transactions_by_batch ON transactions (batch, slot);

-- Value burned by settlements up to and including this update, decimal.
ALTER TABLE batches ADD COLUMN burned TEXT;

-- Deals: the terms (JSON, as `open-deal` carries them), the status (1 open,
-- 2 settled, 3 in mediation, 4 decided), the record (a JSON array, one
-- decimal result or null per node) and the verdict (decimal, once decided).
CREATE TABLE deals (
    id      INTEGER PRIMARY KEY,
    terms   TEXT NOT NULL,
    status  INTEGER NOT NULL,
    results TEXT NOT NULL,
    verdict TEXT
);

-- Members: the key, and the admission state the leaf holds.
CREATE TABLE members (
    idx             INTEGER PRIMARY KEY,
    pk_x            BLOB NOT NULL,
    pk_y            BLOB NOT NULL,
    suspended_until INTEGER NOT NULL,
    last_period     INTEGER,
    pending         BLOB NOT NULL
);
