-- The process streaming an import into an (incomplete) set: a later open discards the set when
-- that process is gone (killed mid-import), and leaves a live import alone. NULL otherwise.
ALTER TABLE sample_sets ADD COLUMN import_pid INTEGER;
