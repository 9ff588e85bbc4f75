-- The plugin registry: every plugin version kiln knows, which one serves
-- each artifact type, and the compiled code kiln made for each engine.

-- A version is its component's bytes (sha256). An uploaded (name, version)
-- names one set of bytes only, so a changed plugin needs a new version; a
-- rebuilt built-in may keep its version (the newest build serves).
CREATE TABLE plugin_versions (
    sha256         text PRIMARY KEY,
    name           text NOT NULL,
    version        text NOT NULL,
    artifact_type  text NOT NULL,
    size_bytes     bigint NOT NULL,
    builtin        boolean NOT NULL,
    registered_by  text NOT NULL,
    registered_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX plugin_versions_uploaded ON plugin_versions (name, version) WHERE NOT builtin;

-- Activations in order; the newest not rolled back serves its artifact
-- type. A rollback marks the newest and so restores the one before it.
CREATE TABLE plugin_activations (
    id              bigserial PRIMARY KEY,
    artifact_type   text NOT NULL,
    sha256          text NOT NULL REFERENCES plugin_versions (sha256),
    activated_by    text NOT NULL,
    activated_at    timestamptz NOT NULL DEFAULT now(),
    rolled_back_at  timestamptz
);
CREATE INDEX plugin_activations_current ON plugin_activations (artifact_type, id DESC) WHERE rolled_back_at IS NULL;

-- The sha256 of the compiled code kiln produced for a component on an
-- engine (its compatibility hash): a compiled artifact whose bytes do not
-- hash to this is never loaded.
CREATE TABLE compiled_plugins (
    engine           text NOT NULL,
    sha256           text NOT NULL REFERENCES plugin_versions (sha256),
    compiled_sha256  text NOT NULL,
    compiled_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (engine, sha256)
);

-- The plugin that made each artifact (name, version, sha256), as on its job.
ALTER TABLE artifacts ADD COLUMN plugin jsonb;

-- Every process re-reads the registry when it changes, on the channel its
-- job events use.
CREATE FUNCTION kiln_notify_plugins() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('kiln_job_events', 'plugins');
    RETURN NULL;
END
$$;
CREATE TRIGGER plugin_activations_notify AFTER INSERT OR UPDATE ON plugin_activations
    FOR EACH STATEMENT EXECUTE FUNCTION kiln_notify_plugins();
CREATE TRIGGER disabled_plugins_notify AFTER INSERT OR DELETE ON disabled_plugins
    FOR EACH STATEMENT EXECUTE FUNCTION kiln_notify_plugins();
