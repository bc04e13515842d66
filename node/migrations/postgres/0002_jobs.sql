-- PostgreSQL types for sqlite/0002_jobs.sql (the same tables).
-- Version 2: the prove-job queue and the proving keys workers load.
--
-- Each sealed batch gets one job: the circuit's witness (what the node
-- computed applying the batch under the native rules), proven by whichever
-- worker claims it. A claim holds a lease that the worker renews while it
-- proves; a lapsed lease makes the job claimable again. `claim` is the
-- token of the current claim: only its holder can complete or fail it, so
-- two workers racing for one job never both complete it. Once its update
-- is published, a job keeps its record but not its witness or proof.

CREATE TABLE proving_keys (
    fingerprint TEXT PRIMARY KEY,
    circuit     TEXT NOT NULL,
    bytes       BYTEA NOT NULL
);

CREATE TABLE prove_jobs (
    batch           BIGINT PRIMARY KEY REFERENCES batches (n),
    circuit         TEXT NOT NULL,
    key_fingerprint TEXT NOT NULL,
    inputs          BYTEA NOT NULL,
    -- queued, claimed, done or failed
    state           TEXT NOT NULL,
    claim           BIGINT,
    worker          TEXT,
    lease_until     BIGINT,
    attempts        BIGINT NOT NULL DEFAULT 0,
    -- who failed it last, and when: another worker is preferred for a retry
    failed_by       TEXT,
    failed_at       BIGINT,
    error           TEXT,
    update_bytes    BYTEA,
    prove_ms        BIGINT,
    backend         TEXT,
    created_at      BIGINT NOT NULL,
    finished_at     BIGINT
);
-- Claims look only at open jobs; a partial index keeps that cheap however
-- many proven jobs the table keeps.
CREATE INDEX prove_jobs_open ON prove_jobs (batch) WHERE state IN ('queued', 'claimed');
