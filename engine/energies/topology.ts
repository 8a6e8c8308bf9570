import { systemDim, type SystemName } from '../../contract/systems';
import type { Topology as MoleculeTopology } from './mm/pdb-topology';

/** One atom (or pseudo-atom) as a structure file (PDB) names it. */
export interface TopologyAtom {
  name: string;
  element: string;
  resName: string;
  resSeq: number;
  chain: string;
  /** Insertion code (molecules; '' or absent otherwise). */
  iCode?: string;
  /** ATOM (standard residue) rather than HETATM; pseudo-atoms are HETATM. */
  standard?: boolean;
}

/**
 * How a system's flat coordinate vector maps onto atoms, for structure-file export and import.
 *
 * Units: reduced units are written unscaled, 1 system unit = 1 Å in the file, so the numbers in a
 * PDB read the same as in the CSV and the UI (no hidden factor to undo; CSV stays the lossless
 * format, PDB's 8.3f keeps 1e-3). Molecules are in nm and written in Å (×10), as every
 * molecular tool reads a PDB.
 *
 * Element: every pseudo-atom is carbon ("C"). A real symbol is read by PyMOL, VMD, MDTraj and
 * OpenMM alike; an unknown one ("X") makes MDTraj/OpenMM guess from the atom name (P1 → phosphorus,
 * D1 → deuterium). Masses and chemistry mean nothing here; viewers may draw distance bonds.
 */
export interface Topology {
  atoms: TopologyAtom[];
  coordsPerAtom: 2 | 3;
  /** Å in the file per unit of the coordinates: 1 for reduced units, 10 for molecules (nm). */
  angstromPerUnit: number;
  /** Covalent bonds (0-based atom indices) for CONECT records; empty for pseudo-atoms. */
  bonds: readonly (readonly [number, number])[];
  /** Box edges in Å (rectangular); null when the system has no box. */
  box: { a: number; b: number; c: number } | null;
  /** Configuration-space dimension: atoms·coordsPerAtom, less one when a 2-D system's dim is odd. */
  dim: number;
}

const ELEMENT = 'C';
const CHAIN = 'A';

/**
 * double-well / mueller-brown: coordinates pair up as (x, y) of pseudo-atoms P1, P2, … in one
 * residue PNT 1 (z = 0), so dim = 2 is one atom and the extra harmonic dimensions of dim > 2 are
 * extra atoms; an odd dim leaves the last atom's y at 0.
 * dimer: particles 0, 1 are the dimer (residue DIM 1, atoms D1, D2), each solvent particle its own
 * residue SOL 2, 3, … (atom S); 2-D (z = 0). Its walls at ±boxHalf give a box of edge 2·boxHalf
 * (a CRYST1 record; the walls are not periodic, so analyse without periodic images).
 * alanine-dipeptide / molecule: the molecule's own topology (`molecule`, from its typed structure).
 */
export function systemTopology(name: SystemName, params: Readonly<Record<string, number>>, molecule?: MoleculeTopology | null): Topology {
  if (name === 'alanine-dipeptide' || name === 'molecule') {
    if (!molecule) throw new Error(`${name}: the topology of a molecule comes from its structure; pass the molecule's topology`);
    return moleculeTopology(molecule);
  }
  const dim = systemDim(name, params)!;
  if (name === 'dimer') {
    const nSolvent = params.nSolvent ?? 36;
    const boxHalf = params.boxHalf ?? 3;
    // resSeq is 4 columns wide in a PDB.
    if (nSolvent + 1 > 9999) throw new Error(`dimer: ${nSolvent} solvent residues do not fit PDB's resSeq (≤ 9998)`);
    const atoms: TopologyAtom[] = [
      { name: 'D1', element: ELEMENT, resName: 'DIM', resSeq: 1, chain: CHAIN },
      { name: 'D2', element: ELEMENT, resName: 'DIM', resSeq: 1, chain: CHAIN },
    ];
    for (let i = 0; i < nSolvent; i++) atoms.push({ name: 'S', element: ELEMENT, resName: 'SOL', resSeq: i + 2, chain: CHAIN });
    const edge = 2 * boxHalf;
    return { atoms, coordsPerAtom: 2, angstromPerUnit: 1, bonds: [], box: { a: edge, b: edge, c: edge }, dim };
  }
  if (name === 'double-well' || name === 'mueller-brown') {
    // Atom names are 4 PDB columns: P1 … P999.
    if (dim > 1998) throw new Error(`${name}: dim ${dim} needs more than 999 pseudo-atoms (PDB atom names are 4 characters)`);
    const atoms = Array.from({ length: Math.ceil(dim / 2) }, (_, i) => ({
      name: `P${i + 1}`,
      element: ELEMENT,
      resName: 'PNT',
      resSeq: 1,
      chain: CHAIN,
    }));
    return { atoms, coordsPerAtom: 2, angstromPerUnit: 1, bonds: [], box: null, dim };
  }
  // A new system must say how its coordinates map to atoms: fail to compile until it does.
  const unmapped: never = name;
  throw new Error(`no topology for system '${String(unmapped)}'`);
}

/**
 * A molecule: its real atoms (names, residues, chain, elements as read and typed from its PDB),
 * the force field's bonds, 3-D coordinates in nm (written ×10 as Å), no box (vacuum).
 */
function moleculeTopology(m: MoleculeTopology): Topology {
  const atoms = m.atoms.map((a) => ({ name: a.name, element: a.element.toUpperCase(), resName: a.resName, resSeq: a.resSeq, chain: a.chain, iCode: a.iCode, standard: !a.hetero }));
  return { atoms, coordsPerAtom: 3, angstromPerUnit: 10, bonds: m.bonds, box: null, dim: 3 * atoms.length };
}
