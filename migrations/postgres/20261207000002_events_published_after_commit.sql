-- Events are published by the store after each change commits, outside
-- the change's transaction: PostgreSQL serialises the commits (WAL flush
-- included) of transactions that notify, which capped every change at one
-- commit at a time.
DROP TRIGGER job_events_notify ON job_events;
DROP FUNCTION kiln_notify_job_events();
