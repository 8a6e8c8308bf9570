import type { ForceField, ResidueTemplate } from './forcefield-xml';

export interface PdbAtom {
  readonly name: string;
  readonly resName: string;
  readonly chain: string;
  readonly resSeq: string;
  readonly element: string;
}
export interface Pdb {
  readonly atoms: readonly PdbAtom[];
  /** Coordinates of the first model in nm (PDB files are in Å), [x0, y0, z0, x1, …]. */
  readonly positions: Float64Array;
}

/** ATOM/HETATM records of the first MODEL, by the fixed PDB columns. */
export function parsePdb(text: string): Pdb {
  const atoms: PdbAtom[] = [];
  const pos: number[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (line.startsWith('ENDMDL')) break;
    if (!line.startsWith('ATOM  ') && !line.startsWith('HETATM')) continue;
    const name = line.slice(12, 16).trim();
    const element = line.slice(76, 78).trim() || name.replace(/^[0-9]+/, '').charAt(0);
    atoms.push({ name, resName: line.slice(17, 20).trim(), chain: line.slice(21, 22), resSeq: line.slice(22, 27).trim(), element });
    for (const [a, b] of [[30, 38], [38, 46], [46, 54]] as const) {
      const v = Number(line.slice(a, b));
      if (!Number.isFinite(v)) throw new Error(`pdb: bad coordinate in "${line}"`);
      pos.push(v / 10);
    }
  }
  if (atoms.length === 0) throw new Error('pdb: no ATOM/HETATM records');
  return { atoms, positions: Float64Array.from(pos) };
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
    if (!prev || prev.chain !== a.chain || prev.resSeq !== a.resSeq || prev.resName !== a.resName) groups.push([]);
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
