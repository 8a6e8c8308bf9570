import type { ForceField, ResidueTemplate } from './forcefield-xml';
import { elementOf, parsePdb as parsePdbFile, type PdbAtom as PdbFileAtom } from '../../io/pdb';

/** An atom as the force field types it: the file's record, with the element always filled in. */
export type PdbAtom = PdbFileAtom;

export interface Pdb {
  readonly atoms: readonly PdbAtom[];
  /** Coordinates of the first model in nm (PDB files are in Å), [x0, y0, z0, x1, …]. */
  readonly positions: Float64Array;
}

/** The first model of a PDB (the engine's one parser, engine/io/pdb.ts), in nm. */
export function parsePdb(text: string): Pdb {
  const file = parsePdbFile(text);
  return { atoms: file.atoms.map((a) => ({ ...a, element: elementOf(a) })), positions: file.models[0]!.map((v) => v / 10) };
}

export interface TopologyAtom extends PdbAtom {
  /** Force-field atom type, its index in the residue template, the residue's index. */
  readonly type: string;
  readonly templateIndex: number;
  readonly residueIndex: number;
  /** Charge from the residue template, where the force field puts it there. */
  readonly charge?: number;
}
export interface Topology {
  readonly atoms: readonly TopologyAtom[];
  readonly bonds: readonly (readonly [number, number])[];
  readonly residues: readonly { readonly name: string; readonly template: string; readonly atoms: readonly number[] }[];
}

/**
 * Types atoms by residue template, matched by residue name and atom names (a terminal residue may
 * take the 'N'/'C'-prefixed template). OpenMM matches templates by bond graph instead; for files
 * whose names follow the force field the result is the same. Inter-residue bonds: the peptide
 * C(i)–N(i+1) link between consecutive residues of a chain whose templates both declare them external.
 */
export function buildTopology(pdb: Pdb, ff: ForceField): Topology {
  const groups: number[][] = [];
  pdb.atoms.forEach((a, i) => {
    const prev = i > 0 ? pdb.atoms[i - 1]! : undefined;
    if (!prev || prev.chain !== a.chain || prev.resSeq !== a.resSeq || prev.iCode !== a.iCode || prev.resName !== a.resName) groups.push([]);
    groups[groups.length - 1]!.push(i);
  });
  const atoms: TopologyAtom[] = new Array(pdb.atoms.length);
  const bonds: [number, number][] = [];
  const residues: Topology['residues'][number][] = [];
  const templates: { t: ResidueTemplate; index: Map<string, number> }[] = [];
  groups.forEach((g, r) => {
    const resName = pdb.atoms[g[0]!]!.resName;
    const names = g.map((i) => pdb.atoms[i]!.name);
    const candidates = [resName, `N${resName}`, `C${resName}`].map((n) => ff.residues.get(n)).filter((t) => t !== undefined);
    const t = candidates.find((c) => c.atoms.length === names.length && c.atoms.every((a) => names.includes(a.name)));
    if (!t) {
      const c = candidates[0];
      const why = c ? `missing [${c.atoms.map((a) => a.name).filter((n) => !names.includes(n))}], extra [${names.filter((n) => !c.atoms.some((a) => a.name === n))}]` : 'no template of that name';
      throw new Error(`topology: residue ${r + 1} (${resName}) matches no template: ${why}`);
    }
    const index = new Map(t.atoms.map((a, k) => [a.name, k]));
    const toAtom = new Map<number, number>();
    g.forEach((i) => {
      const k = index.get(pdb.atoms[i]!.name)!;
      const ta = t.atoms[k]!;
      toAtom.set(k, i);
      atoms[i] = { ...pdb.atoms[i]!, type: ta.type, templateIndex: k, residueIndex: r, ...(ta.charge !== undefined ? { charge: ta.charge } : {}) };
    });
    for (const [a, b] of t.bonds) bonds.push([toAtom.get(a)!, toAtom.get(b)!]);
    templates.push({ t, index: new Map([...index].map(([n, k]) => [n, toAtom.get(k)!])) });
    residues.push({ name: resName, template: t.name, atoms: g });
  });
  for (let r = 0; r + 1 < templates.length; r++) {
    const a = templates[r]!, b = templates[r + 1]!;
    if (pdb.atoms[groups[r]![0]!]!.chain !== pdb.atoms[groups[r + 1]![0]!]!.chain) continue;
    const c = a.index.get('C'), n = b.index.get('N');
    const ext = (x: { t: ResidueTemplate }, name: string): boolean => x.t.externalBonds.some((k) => x.t.atoms[k]!.name === name);
    if (c !== undefined && n !== undefined && ext(a, 'C') && ext(b, 'N')) bonds.push([c, n]);
  }
  return { atoms, bonds, residues };
}
