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
    bytes          BLOB NOT NULL,
    variables      INTEGER NOT NULL,
    public_signals INTEGER NOT NULL,
    domain_size    INTEGER NOT NULL,
    vk_json        TEXT NOT NULL,
    created_at     INTEGER NOT NULL
);

CREATE TABLE circom_jobs (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    id              TEXT NOT NULL UNIQUE,
    circuit         TEXT NOT NULL,
    key_fingerprint TEXT NOT NULL REFERENCES circom_keys (id),
    inputs          BLOB NOT NULL,
    public_json     TEXT NOT NULL,
    -- queued, claimed, done, checked or failed
    state           TEXT NOT NULL,
    claim           INTEGER,
    worker          TEXT,
    lease_until     INTEGER,
    attempts        INTEGER NOT NULL DEFAULT 0,
    failed_by       TEXT,
    failed_at       INTEGER,
    error           TEXT,
    output          BLOB,
    prove_ms        INTEGER,
    backend         TEXT,
    created_at      INTEGER NOT NULL,
    finished_at     INTEGER
);
CREATE INDEX circom_jobs_open ON circom_jobs (seq) WHERE state IN ('queued', 'claimed');
