-- PostgreSQL types for sqlite/0004_finality.sql (the same tables).

CREATE TABLE attestations (
    height      BIGINT NOT NULL,
    idx         BIGINT NOT NULL,
    header_hash BYTEA NOT NULL,
    body        TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    PRIMARY KEY (height, idx)
);

CREATE TABLE finality (
    height       BIGINT PRIMARY KEY,
    header_hash  BYTEA NOT NULL,
    update_bytes BYTEA NOT NULL,
    signers      BIGINT NOT NULL,
    proven_at    BIGINT NOT NULL
);

CREATE TABLE evidence (
    seq         BIGSERIAL PRIMARY KEY,
    kind        TEXT NOT NULL,
    offender    BIGINT,
    body        TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    done        BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE set_changes (
    from_height  BIGINT PRIMARY KEY,
    kind         TEXT NOT NULL,
    offender     BIGINT,
    set_json     TEXT NOT NULL,
    update_bytes BYTEA NOT NULL,
    made_at      BIGINT NOT NULL
);
