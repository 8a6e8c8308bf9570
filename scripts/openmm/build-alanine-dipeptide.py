"""Build data/molecules/alanine-dipeptide.pdb (ACE-ALA-NME, C7eq) with OpenMM 7.7.

Run from the repository root:  /usr/bin/python3 scripts/openmm/build-alanine-dipeptide.py
(Debian: apt-get install python3-simtk). Heavy atoms come from standard internal geometry
(phi = -83, psi = 74 degrees, trans peptides, L-alanine); Modeller adds the hydrogens that
amber99sbildn names, and a short vacuum minimisation relaxes the structure (it stays in C7eq).
Not bit-reproducible (Modeller.addHydrogens relaxes hydrogens from its own start); the committed
PDB is the artifact, and the fixtures are computed from it.
"""
import io
import math
import numpy as np
from openmm import app, unit, LocalEnergyMinimizer, VerletIntegrator, Platform, Vec3

FF = 'amber99sbildn.xml'
OUT = 'data/molecules/alanine-dipeptide.pdb'


def place(a, b, c, bond, angle, torsion):
    """NeRF: the atom d with |cd| = bond (Å), angle bcd and torsion abcd (degrees)."""
    angle, torsion = math.radians(angle), math.radians(torsion)
    bc = c - b
    bc /= np.linalg.norm(bc)
    n = np.cross(b - a, bc)
    n /= np.linalg.norm(n)
    m = np.cross(n, bc)
    d2 = np.array([-bond * math.cos(angle), bond * math.sin(angle) * math.cos(torsion),
                   bond * math.sin(angle) * math.sin(torsion)])
    return c + d2[0] * bc + d2[1] * m + d2[2] * n


def build():
    x = {}
    x['ACE', 'CH3'] = np.array([0.0, 0.0, 0.0])
    x['ACE', 'C'] = np.array([1.52, 0.0, 0.0])
    x['ALA', 'N'] = x['ACE', 'C'] + 1.335 * np.array([-math.cos(math.radians(116.2)), math.sin(math.radians(116.2)), 0.0])
    x['ALA', 'CA'] = place(x['ACE', 'CH3'], x['ACE', 'C'], x['ALA', 'N'], 1.458, 121.7, 180.0)
    x['ALA', 'C'] = place(x['ACE', 'C'], x['ALA', 'N'], x['ALA', 'CA'], 1.525, 111.2, -83.0)
    x['NME', 'N'] = place(x['ALA', 'N'], x['ALA', 'CA'], x['ALA', 'C'], 1.335, 116.2, 74.0)
    x['NME', 'CH3'] = place(x['ALA', 'CA'], x['ALA', 'C'], x['NME', 'N'], 1.449, 121.7, 180.0)
    x['ACE', 'O'] = place(x['ALA', 'CA'], x['ALA', 'N'], x['ACE', 'C'], 1.23, 123.0, 0.0)
    x['ALA', 'O'] = place(x['NME', 'CH3'], x['NME', 'N'], x['ALA', 'C'], 1.23, 123.0, 0.0)
    # L-alanine: N-C-CA-CB = 122.686 degrees (PeptideBuilder's value).
    x['ALA', 'CB'] = place(x['ALA', 'N'], x['ALA', 'C'], x['ALA', 'CA'], 1.53, 110.5, 122.686)
    top = app.Topology()
    chain = top.addChain()
    atoms, pos = {}, []
    for res, names in (('ACE', ['CH3', 'C', 'O']), ('ALA', ['N', 'CA', 'CB', 'C', 'O']), ('NME', ['N', 'CH3'])):
        r = top.addResidue(res, chain)
        for nm in names:
            # hydrogens.xml names NME's methyl carbon C; renamed to the template's CH3 in main().
            pdbName = 'C' if (res, nm) == ('NME', 'CH3') else nm
            atoms[res, nm] = top.addAtom(pdbName, app.element.Element.getBySymbol(nm[0]), r)
            pos.append(Vec3(*x[res, nm]) * 0.1)
    for a, b in ((('ACE', 'CH3'), ('ACE', 'C')), (('ACE', 'C'), ('ACE', 'O')), (('ACE', 'C'), ('ALA', 'N')),
                 (('ALA', 'N'), ('ALA', 'CA')), (('ALA', 'CA'), ('ALA', 'CB')), (('ALA', 'CA'), ('ALA', 'C')),
                 (('ALA', 'C'), ('ALA', 'O')), (('ALA', 'C'), ('NME', 'N')), (('NME', 'N'), ('NME', 'CH3'))):
        top.addBond(atoms[a], atoms[b])
    return top, pos * unit.nanometer


def main():
    ff = app.ForceField(FF)
    top, pos = build()
    modeller = app.Modeller(top, pos)
    modeller.addHydrogens(ff)
    # Use amber99sbildn's template atom names (hydrogens.xml uses H1..H3 on the methyls).
    rename = {('ACE', 'H1'): 'HH31', ('ACE', 'H2'): 'HH32', ('ACE', 'H3'): 'HH33', ('NME', 'C'): 'CH3',
              ('NME', 'H1'): 'HH31', ('NME', 'H2'): 'HH32', ('NME', 'H3'): 'HH33'}
    for atom in modeller.topology.atoms():
        atom.name = rename.get((atom.residue.name, atom.name), atom.name)
    system = ff.createSystem(modeller.topology, nonbondedMethod=app.NoCutoff, constraints=None)
    ctx = app.Simulation(modeller.topology, system, VerletIntegrator(0.001), Platform.getPlatformByName('Reference')).context
    ctx.setPositions(modeller.positions)
    LocalEnergyMinimizer.minimize(ctx, 1.0, 200)
    state = ctx.getState(getPositions=True, getEnergy=True)
    buf = io.StringIO()
    app.PDBFile.writeFile(modeller.topology, state.getPositions(), buf)
    lines = [l for l in buf.getvalue().splitlines(True) if not l.startswith('REMARK')]  # drop the dated REMARK
    with open(OUT, 'w') as f:
        f.write('REMARK   1 ACE-ALA-NME (alanine dipeptide), C7eq; built by scripts/openmm/build-alanine-dipeptide.py\n')
        f.writelines(lines)
    print('E =', state.getPotentialEnergy())


if __name__ == '__main__':
    main()
