import type { Topology } from '../mm/pdb-topology';

/** Atom indices of the backbone dihedrals φ = C(i−1)–N–CA–C and ψ = N–CA–C–N(i+1) of one residue. */
export interface Backbone {
  readonly residue: number;
  readonly phi: readonly [number, number, number, number];
  readonly psi: readonly [number, number, number, number];
}

/**
 * The first residue (in file order) that has both φ and ψ: its N, CA, C, the previous residue's C
 * bonded to its N, and the next residue's N bonded to its C. For ACE-ALA-NME that is ALA, the
 * Ramachandran angles of alanine dipeptide. Found from the bond graph, not residue numbering, so
 * chain breaks give no false dihedral.
 */
export function findBackbone(top: Topology): Backbone {
  const bonded = new Set(top.bonds.map(([i, j]) => (i < j ? `${i}-${j}` : `${j}-${i}`)));
  const isBond = (i: number, j: number): boolean => bonded.has(i < j ? `${i}-${j}` : `${j}-${i}`);
  const atom = (r: number, name: string): number | undefined => top.residues[r]?.atoms.find((i) => top.atoms[i]!.name === name);
  for (let r = 1; r + 1 < top.residues.length; r++) {
    const n = atom(r, 'N'), ca = atom(r, 'CA'), c = atom(r, 'C'), cPrev = atom(r - 1, 'C'), nNext = atom(r + 1, 'N');
    if ([n, ca, c, cPrev, nNext].some((i) => i === undefined)) continue;
    if (isBond(cPrev!, n!) && isBond(n!, ca!) && isBond(ca!, c!) && isBond(c!, nNext!)) {
      return { residue: r, phi: [cPrev!, n!, ca!, c!], psi: [n!, ca!, c!, nNext!] };
    }
  }
  throw new Error('molecule: no residue has both backbone dihedrals φ and ψ (needs C(i−1)–N–CA–C–N(i+1), e.g. a capped peptide such as ACE-ALA-NME); the reaction coordinate is φ');
}
