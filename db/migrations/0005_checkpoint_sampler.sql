-- A FAB or temperature-annealing stage's own state at a mid-stage checkpoint (its replay buffer,
-- AIS step sizes, round or rung), so that resume continues exactly. NULL everywhere else.
ALTER TABLE checkpoints ADD COLUMN sampler BLOB;
