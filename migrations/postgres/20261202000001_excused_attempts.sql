-- Claims that ended through no fault of the job (a storage outage, a worker
-- shutting down). They do not count toward max_attempts; the queue gives
-- them a separate, larger budget.
ALTER TABLE jobs ADD COLUMN excused_attempts integer NOT NULL DEFAULT 0;
