-- Version 4: finality (`node init --validators N`). Header h is the one
-- after proven update h (its state root is that update's new root; it is
-- computed from `batches`, not stored). Validators' attestations of
-- headers, as `AttestationJson` text, one per validator and height: the
-- first a validator sends for a height is the one kept. A height's
-- finality proof (a compressed update of the finality-quorum circuit) once
-- a quorum attested it. Requests to change the set as they arrived
-- (`kind` `slash`: double-sign evidence, `EvidenceJson` text, against
-- `offender`; `quorum`: a new set signed by a quorum of the current one),
-- and the set changes their proofs made: headers from `from_height` on
-- name that set (`SetJson` text) next.

CREATE TABLE attestations (
    height      INTEGER NOT NULL,
    idx         INTEGER NOT NULL,
    header_hash BLOB NOT NULL,
    body        TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    PRIMARY KEY (height, idx)
);

CREATE TABLE finality (
    height       INTEGER PRIMARY KEY,
    header_hash  BLOB NOT NULL,
    update_bytes BLOB NOT NULL,
    signers      INTEGER NOT NULL,
    proven_at    INTEGER NOT NULL
);

CREATE TABLE evidence (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    kind        TEXT NOT NULL,
    offender    INTEGER,
    body        TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    done        INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE set_changes (
    from_height  INTEGER PRIMARY KEY,
    kind         TEXT NOT NULL,
    offender     INTEGER,
    set_json     TEXT NOT NULL,
    update_bytes BLOB NOT NULL,
    made_at      INTEGER NOT NULL
);
