-- kiln's schema on PostgreSQL. Timestamps are timestamptz; the database clock
-- is the one clock every worker agrees on.

CREATE TABLE organisations (
    id          uuid PRIMARY KEY,
    name        text NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Only a hash of each key is kept; the key itself is shown once, at creation.
CREATE TABLE api_keys (
    id               uuid PRIMARY KEY,
    organisation_id  uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    kind             text NOT NULL CHECK (kind IN ('standard', 'admin')),
    prefix           text NOT NULL,
    hash             bytea NOT NULL UNIQUE,
    label            text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    last_used_at     timestamptz,
    revoked_at       timestamptz
);
CREATE INDEX api_keys_organisation ON api_keys (organisation_id);

CREATE TABLE jobs (
    id                uuid PRIMARY KEY,            -- UUID v7: ordered by creation
    organisation_id   uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    session_id        text NOT NULL,
    conversation_id   text,
    artifact_type     text NOT NULL,
    spec              jsonb NOT NULL,
    assets            jsonb NOT NULL DEFAULT '[]',
    state             text NOT NULL DEFAULT 'queued'
                      CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'canceled')),
    priority          smallint NOT NULL DEFAULT 0,
    attempt           integer NOT NULL DEFAULT 0,
    max_attempts      integer NOT NULL DEFAULT 3 CHECK (max_attempts >= 1),
    run_at            timestamptz NOT NULL DEFAULT now(),
    lease_until       timestamptz,
    worker_id         text,
    cancel_requested  boolean NOT NULL DEFAULT false,
    idempotency_key   text,
    request_hash      text,
    progress          jsonb,
    error             jsonb,
    plugin            jsonb,
    usage             jsonb,
    created_at        timestamptz NOT NULL DEFAULT now(),
    started_at        timestamptz,
    finished_at       timestamptz,
    CHECK ((state = 'running') = (lease_until IS NOT NULL))
);
-- The claim query walks this index in order and stops at the first unlocked rows.
CREATE INDEX jobs_ready ON jobs (priority DESC, run_at, id) WHERE state = 'queued';
CREATE INDEX jobs_leases ON jobs (lease_until) WHERE state = 'running';
CREATE INDEX jobs_finished ON jobs (finished_at) WHERE state IN ('succeeded', 'failed', 'canceled');
CREATE INDEX jobs_session ON jobs (organisation_id, session_id, id);
CREATE UNIQUE INDEX jobs_idempotency ON jobs (organisation_id, idempotency_key) WHERE idempotency_key IS NOT NULL;

-- Every transition and progress update. Each insert happens in the same
-- transaction as an update of the job's row, which the row lock serialises,
-- so one job's events are numbered in the order they happened.
CREATE TABLE job_events (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job_id      uuid NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    kind        text NOT NULL,
    attempt     integer NOT NULL,
    data        jsonb NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX job_events_job ON job_events (job_id, id);

-- The plugin's log lines and captured output, written once when a run ends.
CREATE TABLE job_logs (
    job_id   uuid PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE,
    attempt  integer NOT NULL,
    entries  jsonb NOT NULL
);

CREATE TABLE artifacts (
    id               uuid PRIMARY KEY,
    job_id           uuid NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    organisation_id  uuid NOT NULL,
    session_id       text NOT NULL,
    artifact_type    text NOT NULL,
    path             text NOT NULL,
    media_type       text NOT NULL,
    size             bigint NOT NULL,
    sha256           text NOT NULL,
    storage_key      text NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (job_id, path)
);
CREATE INDEX artifacts_session ON artifacts (organisation_id, session_id, id);

-- Live events: one NOTIFY per statement (not per row), carrying
-- "event_id job_id kind" lines in chunks that stay under the 8000-byte
-- payload limit. Listeners read details from job_events.
CREATE FUNCTION kiln_notify_job_events() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    chunk text;
BEGIN
    FOR chunk IN
        SELECT string_agg(id || ' ' || job_id || ' ' || kind, E'\n' ORDER BY id)
        FROM (SELECT id, job_id, kind, (row_number() OVER (ORDER BY id) - 1) / 100 AS n FROM new_events) numbered
        GROUP BY n
    LOOP
        PERFORM pg_notify('kiln_job_events', chunk);
    END LOOP;
    RETURN NULL;
END
$$;
CREATE TRIGGER job_events_notify AFTER INSERT ON job_events
    REFERENCING NEW TABLE AS new_events
    FOR EACH STATEMENT EXECUTE FUNCTION kiln_notify_job_events();

-- Ops views.
CREATE VIEW active_jobs AS
    SELECT j.id, o.name AS organisation, j.artifact_type, j.state, j.attempt, j.max_attempts,
           j.worker_id, j.run_at, j.lease_until, j.cancel_requested, j.progress, j.created_at, j.started_at
    FROM jobs j JOIN organisations o ON o.id = j.organisation_id
    WHERE j.state IN ('queued', 'running');
