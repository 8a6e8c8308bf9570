-- Molecules (alanine-dipeptide, user-imported PDBs): a sample set of a molecule carries its
-- structure, so a set alone can be exported with real atom names and bonds or shown in 3-D.
-- JSON {"pdb": <one model's ATOM/HETATM records>, "forcefield": <data/forcefields/<name>.xml>};
-- NULL for the model systems (double well, Mueller-Brown, dimer).
ALTER TABLE sample_sets ADD COLUMN molecule TEXT CHECK (molecule IS NULL OR json_valid(molecule));
