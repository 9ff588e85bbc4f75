-- Whether a server has taken on making an artifact's previews, so that of
-- the API servers following the same jobs, one makes them.
ALTER TABLE artifacts ADD COLUMN previews_claimed INTEGER NOT NULL DEFAULT 0;
