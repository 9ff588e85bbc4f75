-- The plugin registry: every plugin version kiln knows, which one serves
-- each artifact type, and the compiled code kiln made for each engine.

-- A version is its component's bytes (sha256). An uploaded (name, version)
-- names one set of bytes only, so a changed plugin needs a new version; a
-- rebuilt built-in may keep its version (the newest build serves).
CREATE TABLE plugin_versions (
    sha256         TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    version        TEXT NOT NULL,
    artifact_type  TEXT NOT NULL,
    size_bytes     INTEGER NOT NULL,
    builtin        INTEGER NOT NULL,
    registered_by  TEXT NOT NULL,
    registered_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX plugin_versions_uploaded ON plugin_versions (name, version) WHERE NOT builtin;

-- Activations in order; the newest not rolled back serves its artifact
-- type. A rollback marks the newest and so restores the one before it.
CREATE TABLE plugin_activations (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    artifact_type   TEXT NOT NULL,
    sha256          TEXT NOT NULL REFERENCES plugin_versions (sha256),
    activated_by    TEXT NOT NULL,
    activated_at    INTEGER NOT NULL,
    rolled_back_at  INTEGER
);
CREATE INDEX plugin_activations_current ON plugin_activations (artifact_type, id DESC) WHERE rolled_back_at IS NULL;

-- The sha256 of the compiled code kiln produced for a component on an
-- engine (its compatibility hash): a compiled artifact whose bytes do not
-- hash to this is never loaded.
CREATE TABLE compiled_plugins (
    engine           TEXT NOT NULL,
    sha256           TEXT NOT NULL REFERENCES plugin_versions (sha256),
    compiled_sha256  TEXT NOT NULL,
    compiled_at      INTEGER NOT NULL,
    PRIMARY KEY (engine, sha256)
);

-- The plugin that made each artifact (name, version, sha256), as on its job.
ALTER TABLE artifacts ADD COLUMN plugin TEXT;
