-- kiln's schema on SQLite (the embedded default). Timestamps are integer
-- microseconds since the Unix epoch (UTC), so they compare as numbers;
-- UUIDs are 16-byte blobs; JSON is text.

CREATE TABLE organisations (
    id          BLOB PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL
);

-- Only a hash of each key is kept; the key itself is shown once, at creation.
CREATE TABLE api_keys (
    id               BLOB PRIMARY KEY,
    organisation_id  BLOB NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    kind             TEXT NOT NULL CHECK (kind IN ('standard', 'admin')),
    prefix           TEXT NOT NULL,
    hash             BLOB NOT NULL UNIQUE,
    label            TEXT,
    created_at       INTEGER NOT NULL,
    last_used_at     INTEGER,
    revoked_at       INTEGER
);
CREATE INDEX api_keys_organisation ON api_keys (organisation_id);

CREATE TABLE jobs (
    id                BLOB PRIMARY KEY,            -- UUID v7: ordered by creation
    organisation_id   BLOB NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    session_id        TEXT NOT NULL,
    conversation_id   TEXT,
    artifact_type     TEXT NOT NULL,
    spec              TEXT NOT NULL,
    assets            TEXT NOT NULL DEFAULT '[]',
    state             TEXT NOT NULL DEFAULT 'queued'
                      CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'canceled')),
    priority          INTEGER NOT NULL DEFAULT 0,
    attempt           INTEGER NOT NULL DEFAULT 0,
    max_attempts      INTEGER NOT NULL DEFAULT 3 CHECK (max_attempts >= 1),
    run_at            INTEGER NOT NULL,
    lease_until       INTEGER,
    worker_id         TEXT,
    cancel_requested  INTEGER NOT NULL DEFAULT 0,
    idempotency_key   TEXT,
    request_hash      TEXT,
    progress          TEXT,
    error             TEXT,
    plugin            TEXT,
    usage             TEXT,
    created_at        INTEGER NOT NULL,
    started_at        INTEGER,
    finished_at       INTEGER,
    CHECK ((state = 'running') = (lease_until IS NOT NULL))
);
CREATE INDEX jobs_ready ON jobs (priority DESC, run_at, id) WHERE state = 'queued';
CREATE INDEX jobs_leases ON jobs (lease_until) WHERE state = 'running';
CREATE INDEX jobs_finished ON jobs (finished_at) WHERE state IN ('succeeded', 'failed', 'canceled');
CREATE INDEX jobs_session ON jobs (organisation_id, session_id, id);
CREATE UNIQUE INDEX jobs_idempotency ON jobs (organisation_id, idempotency_key) WHERE idempotency_key IS NOT NULL;

-- Every transition and progress update; writes are serialised, so ids
-- increase in the order events happened.
CREATE TABLE job_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id      BLOB NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    attempt     INTEGER NOT NULL,
    data        TEXT NOT NULL DEFAULT '{}',
    created_at  INTEGER NOT NULL
);
CREATE INDEX job_events_job ON job_events (job_id, id);

CREATE TABLE job_logs (
    job_id   BLOB PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE,
    attempt  INTEGER NOT NULL,
    entries  TEXT NOT NULL
);

CREATE TABLE artifacts (
    id               BLOB PRIMARY KEY,
    job_id           BLOB NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    organisation_id  BLOB NOT NULL,
    session_id       TEXT NOT NULL,
    artifact_type    TEXT NOT NULL,
    path             TEXT NOT NULL,
    media_type       TEXT NOT NULL,
    size             INTEGER NOT NULL,
    sha256           TEXT NOT NULL,
    storage_key      TEXT NOT NULL,
    created_at       INTEGER NOT NULL,
    UNIQUE (job_id, path)
);
CREATE INDEX artifacts_session ON artifacts (organisation_id, session_id, id);

CREATE VIEW active_jobs AS
    SELECT j.id, o.name AS organisation, j.artifact_type, j.state, j.attempt, j.max_attempts,
           j.worker_id, j.run_at, j.lease_until, j.cancel_requested, j.progress, j.created_at, j.started_at
    FROM jobs j JOIN organisations o ON o.id = j.organisation_id
    WHERE j.state IN ('queued', 'running');
