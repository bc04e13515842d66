-- PostgreSQL types for sqlite/0003_circom.sql (the same tables).
-- Version 3: the circom proving service (`/v1/circom/...`).
--
-- Uploaded snarkjs Groth16 zkeys, validated once and stored by the blake3
-- hash of their bytes, with their verifying key as snarkjs's
-- verification_key.json (the node checks every proof against it before it
-- serves one). Proof requests are jobs of the same queue as the batches'
-- (same columns, same claims, leases and retries): `seq` orders them,
-- `id` is what the client holds (random, so that one client cannot read
-- another's proofs by counting). `public_json` is computed by the node
-- from the witness when the request arrives; a worker proves, the node
-- checks. Once checked, a job keeps its proof but not its witness.

CREATE TABLE circom_keys (
    id             TEXT PRIMARY KEY,
    bytes          BYTEA NOT NULL,
    variables      BIGINT NOT NULL,
    public_signals BIGINT NOT NULL,
    domain_size    BIGINT NOT NULL,
    vk_json        TEXT NOT NULL,
    created_at     BIGINT NOT NULL
);

CREATE TABLE circom_jobs (
    seq             BIGSERIAL PRIMARY KEY,
    id              TEXT NOT NULL UNIQUE,
    circuit         TEXT NOT NULL,
    key_fingerprint TEXT NOT NULL REFERENCES circom_keys (id),
    inputs          BYTEA NOT NULL,
    public_json     TEXT NOT NULL,
    -- queued, claimed, done, checked or failed
    state           TEXT NOT NULL,
    claim           BIGINT,
    worker          TEXT,
    lease_until     BIGINT,
    attempts        BIGINT NOT NULL DEFAULT 0,
    failed_by       TEXT,
    failed_at       BIGINT,
    error           TEXT,
    output          BYTEA,
    prove_ms        BIGINT,
    backend         TEXT,
    created_at      BIGINT NOT NULL,
    finished_at     BIGINT
);
CREATE INDEX circom_jobs_open ON circom_jobs (seq) WHERE state IN ('queued', 'claimed');
