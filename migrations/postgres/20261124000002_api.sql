-- What the HTTP API adds: job request details, webhooks with their
-- delivery records, and uploaded input assets.

-- Signs webhook deliveries; set when first needed.
ALTER TABLE organisations ADD COLUMN webhook_secret text;

ALTER TABLE jobs ADD COLUMN display_name text;
ALTER TABLE jobs ADD COLUMN metadata jsonb;
ALTER TABLE jobs ADD COLUMN callback_url text;
-- 'pending' from submit (when there is a callback URL) until delivered or
-- given up. webhook_next_at is when the next try is due; a sender claiming
-- a delivery moves it ahead, so two servers never send the same try.
ALTER TABLE jobs ADD COLUMN webhook_state text CHECK (webhook_state IN ('pending', 'delivered', 'failed'));
ALTER TABLE jobs ADD COLUMN webhook_attempts integer NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN webhook_next_at timestamptz;
CREATE INDEX jobs_webhooks_due ON jobs (webhook_next_at) WHERE webhook_state = 'pending';

CREATE TABLE webhook_deliveries (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job_id       uuid NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    attempt      integer NOT NULL,
    url          text NOT NULL,
    status       integer,
    error        text,
    duration_ms  double precision NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_deliveries_job ON webhook_deliveries (job_id, id);

CREATE TABLE assets (
    id               uuid PRIMARY KEY,
    organisation_id  uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    filename         text,
    media_type       text NOT NULL,
    size             bigint NOT NULL,
    sha256           text NOT NULL,
    storage_key      text NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    expires_at       timestamptz NOT NULL
);
CREATE INDEX assets_expiry ON assets (expires_at);

-- Artifact types an administrator turned off: new jobs for them are refused.
CREATE TABLE disabled_plugins (
    artifact_type  text PRIMARY KEY,
    disabled_at    timestamptz NOT NULL DEFAULT now()
);
