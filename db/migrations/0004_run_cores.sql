-- The cores the scheduler gave a run when it started (its training threads: the leader and its
-- data-parallel gradient helpers). NULL for runs that have not started, and for runs stored before.
ALTER TABLE runs ADD COLUMN cores INTEGER CHECK (cores IS NULL OR cores >= 1);
