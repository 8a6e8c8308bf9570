-- The molecule a run was started on, resolved once when it was started (the shipped structure, or
-- an imported set's template at the chosen row): the scheduler and resume read it from here
-- instead of resolving `system.structure` again. JSON {"pdb", "forcefield"} as in sample_sets;
-- NULL for the model systems and for runs started before this migration (resolved on demand).
ALTER TABLE runs ADD COLUMN molecule TEXT CHECK (molecule IS NULL OR json_valid(molecule));
