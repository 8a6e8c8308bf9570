import type { ForceField } from './forcefield-xml';
import type { Topology } from './pdb-topology';

/**
 * Atomic masses in amu (g/mol) from the force field's <AtomTypes> (`mass` attribute), in the
 * topology's atom order. The parsed force field carries them per type; the molecule does not.
 */
export function atomMasses(topology: Topology, ff: ForceField): Float64Array {
  return Float64Array.from(topology.atoms, (a, i) => {
    const t = ff.atomTypes.get(a.type);
    if (!t) throw new Error(`masses: atom ${i} (${a.resName} ${a.name}) has type '${a.type}', unknown to the force field`);
    if (!(t.mass > 0)) throw new Error(`masses: atom type '${a.type}' has no positive mass (got ${t.mass})`);
    return t.mass;
  });
}

/** The same masses repeated per coordinate ([m0, m0, m0, m1, …], length 3N), as dynamics wants them. */
export function coordinateMasses(topology: Topology, ff: ForceField): Float64Array {
  const m = atomMasses(topology, ff);
  const out = new Float64Array(3 * m.length);
  for (let i = 0; i < m.length; i++) out[3 * i] = out[3 * i + 1] = out[3 * i + 2] = m[i]!;
  return out;
}
