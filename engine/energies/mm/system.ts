import type { ForceField, TorsionDef, TypeSet } from './forcefield-xml';
import type { Topology } from './pdb-topology';

/** Coulomb constant 1/(4πε₀) in kJ·nm/(mol·e²), as OpenMM 7.7 defines it (CODATA 2018). */
export const ONE_4PI_EPS0 = 138.93545764438198;

export interface BondTerm { readonly i: number; readonly j: number; readonly length: number; readonly k: number }
export interface AngleTerm { readonly atoms: readonly [number, number, number]; readonly angle: number; readonly k: number }
/** k·(1 + cos(nφ − phase)); an improper's atoms are in OpenMM's order (central atom third). */
export interface TorsionTermP {
  readonly atoms: readonly [number, number, number, number];
  readonly periodicity: number;
  readonly phase: number;
  readonly k: number;
  readonly improper: boolean;
}
/** One nonbonded pair: qq·ONE_4PI_EPS0/r + 4ε((σ/r)¹² − (σ/r)⁶); 1-4 pairs carry the scaled values. */
export interface PairTerm { readonly i: number; readonly j: number; readonly qq: number; readonly sigma: number; readonly epsilon: number; readonly is14: boolean }
export interface MMParams {
  readonly n: number;
  readonly bonds: BondTerm[];
  readonly angles: AngleTerm[];
  readonly torsions: TorsionTermP[];
  readonly pairs: PairTerm[];
}

const has = (s: TypeSet, t: string): boolean => s === null || s.has(t);

const key = (t: readonly (number | string)[]): string => t.join(',');
const sortTuples = (s: Map<string, number[]>): number[][] =>
  [...s.values()].sort((p, q) => { for (let i = 0; i < p.length; i++) if (p[i] !== q[i]) return p[i]! - q[i]!; return 0; });

/** The vacuum, no-cutoff system OpenMM's ForceField.createSystem builds for this topology (no constraints). */
export function buildSystem(top: Topology, ff: ForceField): MMParams {
  const n = top.atoms.length;
  const type = top.atoms.map((a) => a.type);
  const bondedTo: number[][] = Array.from({ length: n }, () => []);
  for (const [a, b] of top.bonds) { bondedTo[a]!.push(b); bondedTo[b]!.push(a); }
  bondedTo.forEach((l) => l.sort((x, y) => x - y));

  const bonds = bondTerms(top, ff, type);
  const angleList = angleTuples(top, bondedTo);
  const angles = angleTerms(angleList, ff, type);
  const torsions: TorsionTermP[] = [];
  const add = (atoms: readonly number[], d: TorsionDef, improper: boolean): void => {
    for (const t of d.terms) if (t.k !== 0) torsions.push({ atoms: atoms as [number, number, number, number], ...t, improper });
  };
  addPropers(angleList, bondedTo, ff, type, add);
  addImpropers(bondedTo, ff, type, add);
  return { n, bonds, angles, torsions, pairs: nonbondedPairs(top, ff, bondedTo) };
}

/** Adds a torsion definition's nonzero terms for these atoms. */
type AddTorsion = (atoms: readonly number[], d: TorsionDef, improper: boolean) => void;

function bondTerms(top: Topology, ff: ForceField, type: readonly string[]): BondTerm[] {
  const bonds: BondTerm[] = [];
  for (const [i, j] of top.bonds) {
    const d = ff.bonds.find((b) => (has(b.types[0], type[i]!) && has(b.types[1], type[j]!)) || (has(b.types[0], type[j]!) && has(b.types[1], type[i]!)));
    if (!d) throw new Error(`system: no bond parameters for ${type[i]}-${type[j]}`);
    if (d.k !== 0) bonds.push({ i, j, length: d.length, k: d.k });
  }
  return bonds;
}

/** Angles enumerated, canonicalised and sorted exactly as forcefield.py does. */
function angleTuples(top: Topology, bondedTo: readonly number[][]): [number, number, number][] {
  const angleSet = new Map<string, number[]>();
  for (const [a1, a2] of top.bonds) {
    for (const x of bondedTo[a1]!) if (x !== a2) { const t = x > a2 ? [a2, a1, x] : [x, a1, a2]; angleSet.set(key(t), t); }
    for (const x of bondedTo[a2]!) if (x !== a1) { const t = x > a1 ? [a1, a2, x] : [x, a2, a1]; angleSet.set(key(t), t); }
  }
  return sortTuples(angleSet) as [number, number, number][];
}

function angleTerms(angleList: readonly [number, number, number][], ff: ForceField, type: readonly string[]): AngleTerm[] {
  const angles: AngleTerm[] = [];
  for (const [i, j, k] of angleList) {
    const d = ff.angles.find((a) => has(a.types[1], type[j]!) &&
      ((has(a.types[0], type[i]!) && has(a.types[2], type[k]!)) || (has(a.types[0], type[k]!) && has(a.types[2], type[i]!))));
    if (!d) throw new Error(`system: no angle parameters for ${type[i]}-${type[j]}-${type[k]}`);
    if (d.k !== 0) angles.push({ atoms: [i, j, k], angle: d.angle, k: d.k });
  }
  return angles;
}

/** Propers enumerated from the angles, canonicalised and sorted exactly as forcefield.py does. */
function addPropers(
  angleList: readonly [number, number, number][],
  bondedTo: readonly number[][],
  ff: ForceField,
  type: readonly string[],
  add: AddTorsion,
): void {
  const properSet = new Map<string, number[]>();
  for (const [a0, a1, a2] of angleList) {
    for (const x of bondedTo[a0]!) if (x !== a1 && x !== a2) { const t = x < a2 ? [x, a0, a1, a2] : [a2, a1, a0, x]; properSet.set(key(t), t); }
    for (const x of bondedTo[a2]!) if (x !== a0 && x !== a1) { const t = x > a0 ? [a0, a1, a2, x] : [x, a2, a1, a0]; properSet.set(key(t), t); }
  }
  for (const p of sortTuples(properSet)) {
    const [t1, t2, t3, t4] = p.map((a) => type[a]!) as [string, string, string, string];
    const fits = (d: TorsionDef): boolean =>
      (has(d.types[0], t1) && has(d.types[1], t2) && has(d.types[2], t3) && has(d.types[3], t4)) ||
      (has(d.types[0], t4) && has(d.types[1], t3) && has(d.types[2], t2) && has(d.types[3], t1));
    // Specific definitions win over wildcard ones (OpenMM scans a set; the first wildcard match is kept).
    const d = ff.propers.find((x) => !x.hasWildcard && fits(x)) ?? ff.propers.find((x) => x.hasWildcard && fits(x));
    if (d) add(p, d, false);
  }
}

/** Impropers on every atom with three or more bonded neighbours, matched as forcefield.py does. */
function addImpropers(bondedTo: readonly number[][], ff: ForceField, type: readonly string[], add: AddTorsion): void {
  if (ff.impropers.length > 0 && ff.improperOrdering !== 'default')
    throw new Error(`system: improper ordering '${ff.improperOrdering}' is not implemented (only 'default')`);
  const cache = new Map<string, number[] | null>();
  for (let c = 0; c < bondedTo.length; c++) {
    const nb = bondedTo[c]!;
    for (let x = 0; x < nb.length; x++) for (let y = x + 1; y < nb.length; y++) for (let z = y + 1; z < nb.length; z++) {
      const tor = [c, nb[x]!, nb[y]!, nb[z]!];
      const sig = key(tor.map((a) => type[a]!));
      // OpenMM caches the match per type signature as positions in the tuple; so do we.
      if (!cache.has(sig)) cache.set(sig, matchImproper(ff, type, tor));
      const m = cache.get(sig);
      if (m) add(m.slice(0, 4).map((k) => tor[k]!), ff.impropers[m[4]!]!, true);
    }
  }
}

/** forcefield.py's _matchImproper, 'default' ordering: returns [p1, p2, p3, p4, defIndex] as tuple positions. */
function matchImproper(ff: ForceField, type: readonly string[], tor: number[]): number[] | null {
  const mass = (a: number): number => ff.atomTypes.get(type[a]!)!.mass;
  const element = (a: number): string => ff.atomTypes.get(type[a]!)!.element;
  let match: number[] | null = null;
  ff.impropers.forEach((d, di) => {
    if (match && d.hasWildcard) return; // prefer specific definitions over wildcard ones
    if (!has(d.types[0], type[tor[0]!]!)) return;
    for (const [p2, p3, p4] of [[1, 2, 3], [1, 3, 2], [2, 1, 3], [2, 3, 1], [3, 1, 2], [3, 2, 1]] as const) {
      if (!(has(d.types[1], type[tor[p2]!]!) && has(d.types[2], type[tor[p3]!]!) && has(d.types[3], type[tor[p4]!]!))) continue;
      // Amber's rule for the two outer atoms (OpenMM's "workaround to be more consistent with AMBER").
      let q1: number = p2, q2: number = p3;
      const a1 = tor[q1]!, a2 = tor[q2]!;
      const e1 = element(a1), e2 = element(a2);
      if (e1 === e2 && a1 > a2) [q1, q2] = [q2, q1];
      else if (e1 !== 'C' && (e2 === 'C' || mass(a1) < mass(a2))) [q1, q2] = [q2, q1];
      match = [q1, q2, 0, p4, di];
      break;
    }
  });
  return match;
}

/** All pairs but 1-2 and 1-3; 1-4 pairs scaled by the XML's coulomb14scale and lj14scale. */
function nonbondedPairs(top: Topology, ff: ForceField, bondedTo: number[][]): PairTerm[] {
  const n = top.atoms.length;
  const p = top.atoms.map((a) => {
    const t = ff.nonbonded.get(a.type);
    const q = a.charge ?? t?.charge;
    if (!t || q === undefined) throw new Error(`system: no nonbonded parameters for type ${a.type}`);
    return { q, sigma: t.sigma, epsilon: t.epsilon };
  });
  const pairs: PairTerm[] = [];
  for (let i = 0; i < n; i++) {
    const near = new Map<number, number>([[i, 0]]); // bond distance up to 3, by breadth-first search
    let front = [i];
    for (let d = 1; d <= 3; d++) {
      const next: number[] = [];
      for (const a of front) for (const b of bondedTo[a]!) if (!near.has(b)) { near.set(b, d); next.push(b); }
      front = next;
    }
    for (let j = i + 1; j < n; j++) {
      const d = near.get(j);
      if (d !== undefined && d < 3) continue;
      const is14 = d === 3;
      const a = p[i]!, b = p[j]!;
      pairs.push({
        i, j, is14, qq: a.q * b.q * (is14 ? ff.coulomb14scale : 1), sigma: (a.sigma + b.sigma) / 2,
        epsilon: Math.sqrt(a.epsilon * b.epsilon) * (is14 ? ff.lj14scale : 1),
      });
    }
  }
  return pairs;
}
