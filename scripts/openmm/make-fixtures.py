"""Reference energies and forces for test/engine/mm/forcefield.test.ts, from OpenMM.

Run from the repository root (Debian bookworm: apt-get install python3-simtk, OpenMM 7.7):
    /usr/bin/python3 scripts/openmm/make-fixtures.py
Reads data/molecules/alanine-dipeptide.pdb and data/forcefields/amber99sbildn.xml; builds the system
in vacuum (NoCutoff, no constraints, rigidWater=False), one force group per force, on the Reference
platform (double precision); writes test/fixtures/mm/alanine-dipeptide-amber99sbildn.json with the
shipped configuration and 24 distorted copies (seeded Gaussian noise, sigma 0.005-0.02 nm on every
atom). Positions nm, energies kJ/mol, forces kJ/mol/nm. Deterministic (numpy seed 20240601).
"""
import json
import numpy as np
import openmm
from openmm import app, unit

PDB = 'data/molecules/alanine-dipeptide.pdb'
XML = 'data/forcefields/amber99sbildn.xml'
OUT = 'test/fixtures/mm/alanine-dipeptide-amber99sbildn.json'
GROUPS = {'HarmonicBondForce': ('bonds', 0), 'HarmonicAngleForce': ('angles', 1),
          'PeriodicTorsionForce': ('torsions', 2), 'NonbondedForce': ('nonbonded', 3)}
N_DISTORTED = 24


def main():
    pdb = app.PDBFile(PDB)
    ff = app.ForceField(XML)
    system = ff.createSystem(pdb.topology, nonbondedMethod=app.NoCutoff, constraints=None, rigidWater=False,
                             removeCMMotion=False)
    for f in system.getForces():
        f.setForceGroup(GROUPS[type(f).__name__][1])
    ctx = openmm.Context(system, openmm.VerletIntegrator(0.001), openmm.Platform.getPlatformByName('Reference'))
    x0 = np.array(pdb.positions.value_in_unit(unit.nanometer))
    rng = np.random.default_rng(20240601)
    configs = [x0] + [x0 + rng.normal(0.0, s, x0.shape) for s in np.linspace(0.005, 0.02, N_DISTORTED)]
    out = []
    for x in configs:
        ctx.setPositions(x)
        rec = {'positions': [round(v, 12) for v in x.ravel().tolist()], 'energies': {}}
        for name, g in GROUPS.values():
            rec['energies'][name] = ctx.getState(getEnergy=True, groups={g}).getPotentialEnergy().value_in_unit(unit.kilojoule_per_mole)
        st = ctx.getState(getEnergy=True, getForces=True)
        rec['energies']['total'] = st.getPotentialEnergy().value_in_unit(unit.kilojoule_per_mole)
        rec['forces'] = st.getForces(asNumpy=True).value_in_unit(unit.kilojoule_per_mole / unit.nanometer).ravel().tolist()
        out.append(rec)
    atoms = [{'name': a.name, 'residue': a.residue.name, 'element': a.element.symbol} for a in pdb.topology.atoms()]
    with open(OUT, 'w') as f:
        json.dump({'openmm': openmm.__version__, 'platform': 'Reference', 'pdb': PDB, 'forcefield': XML,
                   'units': {'positions': 'nm', 'energies': 'kJ/mol', 'forces': 'kJ/mol/nm'},
                   'atoms': atoms, 'configurations': out}, f)
        f.write('\n')
    print(f'wrote {OUT}: {len(out)} configurations; E0 = {out[0]["energies"]}')


if __name__ == '__main__':
    main()
