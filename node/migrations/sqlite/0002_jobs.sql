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
    bytes       BLOB NOT NULL
);

CREATE TABLE prove_jobs (
    batch           INTEGER PRIMARY KEY REFERENCES batches (n),
    circuit         TEXT NOT NULL,
    key_fingerprint TEXT NOT NULL,
    inputs          BLOB NOT NULL,
    -- queued, claimed, done or failed
    state           TEXT NOT NULL,
    claim           INTEGER,
    worker          TEXT,
    lease_until     INTEGER,
    attempts        INTEGER NOT NULL DEFAULT 0,
    -- who failed it last, and when: another worker is preferred for a retry
    failed_by       TEXT,
    failed_at       INTEGER,
    error           TEXT,
    update_bytes    BLOB,
    prove_ms        INTEGER,
    backend         TEXT,
    created_at      INTEGER NOT NULL,
    finished_at     INTEGER
);
-- Claims look only at open jobs; a partial index keeps that cheap however
-- many proven jobs the table keeps.
CREATE INDEX prove_jobs_open ON prove_jobs (batch) WHERE state IN ('queued', 'claimed');
