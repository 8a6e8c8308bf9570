-- Early stopping's kept weights (the best held-out NLL so far) at a mid-training checkpoint, so
-- that a resumed run still ends on the best weights of the whole run. NULL everywhere else.
ALTER TABLE checkpoints ADD COLUMN best BLOB;
