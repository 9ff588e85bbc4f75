-- What the HTTP API adds: job request details, webhooks with their
-- delivery records, and uploaded input assets.

-- Signs webhook deliveries; set when first needed.
ALTER TABLE organisations ADD COLUMN webhook_secret TEXT;

ALTER TABLE jobs ADD COLUMN display_name TEXT;
ALTER TABLE jobs ADD COLUMN metadata TEXT;
ALTER TABLE jobs ADD COLUMN callback_url TEXT;
-- 'pending' from submit (when there is a callback URL) until delivered or
-- given up. webhook_next_at is when the next try is due; a sender claiming
-- a delivery moves it ahead, so two senders never send the same try.
ALTER TABLE jobs ADD COLUMN webhook_state TEXT CHECK (webhook_state IN ('pending', 'delivered', 'failed'));
ALTER TABLE jobs ADD COLUMN webhook_attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN webhook_next_at INTEGER;
CREATE INDEX jobs_webhooks_due ON jobs (webhook_next_at) WHERE webhook_state = 'pending';

CREATE TABLE webhook_deliveries (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id       BLOB NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    attempt      INTEGER NOT NULL,
    url          TEXT NOT NULL,
    status       INTEGER,
    error        TEXT,
    duration_ms  REAL NOT NULL,
    created_at   INTEGER NOT NULL
);
CREATE INDEX webhook_deliveries_job ON webhook_deliveries (job_id, id);

CREATE TABLE assets (
    id               BLOB PRIMARY KEY,
    organisation_id  BLOB NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    filename         TEXT,
    media_type       TEXT NOT NULL,
    size             INTEGER NOT NULL,
    sha256           TEXT NOT NULL,
    storage_key      TEXT NOT NULL,
    created_at       INTEGER NOT NULL,
    expires_at       INTEGER NOT NULL
);
CREATE INDEX assets_expiry ON assets (expires_at);

-- Artifact types an administrator turned off: new jobs for them are refused.
CREATE TABLE disabled_plugins (
    artifact_type  TEXT PRIMARY KEY,
    disabled_at    INTEGER NOT NULL
);
