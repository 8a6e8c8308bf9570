/**
 * A topology-derived Z-matrix. Atoms are placed in breadth-first order over the bond graph from a
 * root, so every reference of an atom is placed before it:
 * - bond:     its BFS parent (a bonded neighbour);
 * - angle:    the parent's parent, else another placed neighbour of the parent;
 * - dihedral: the angle atom's parent (a proper torsion), else another placed neighbour of the angle
 *             atom or of the parent (an improper-type reference: any point off the bond–angle line
 *             defines the frame).
 * Rigid-body DOF: the root keeps its Cartesian position (3 translations). The next two atoms are
 * ordinary rows whose missing references are VIRTUAL, i.e. fixed lab-frame points (resolved in
 * `internal-coordinates.ts`): row 0 gives atom 1's bond length, polar angle from +z and (minus) its
 * azimuth; row 1's dihedral is the spin of atom 2 about the root–atom-1 axis. So the output is
 * 3 translations + 3 orientation angles + (3N − 6) internal coordinates = 3N, and every row has the
 * same spherical Jacobian r²·sin θ: one exact bijection (away from θ ∈ {0, π}) with no special case.
 * Linear groups (three collinear reference atoms) give a degenerate frame; none occur in peptides.
 */
export const VIRTUAL = -1;

/** `atom` is placed at distance |atom−bond|, angle ∠(atom, bond, angle), torsion (atom, bond, angle, dihedral). */
export interface ZRow {
  readonly atom: number;
  readonly bond: number;
  readonly angle: number;
  readonly dihedral: number;
}

export interface ZMatrix {
  readonly nAtoms: number;
  /** Root (kept Cartesian), then the two atoms whose rows carry virtual references. */
  readonly seed: readonly [number, number, number];
  /** One row per atom except the root, in placement order (rows[0].atom = seed[1]). */
  readonly rows: readonly ZRow[];
}

/**
 * `order` (optional, a permutation of the atoms) is a priority: the BFS starts at order[0] and visits
 * neighbours in this order. Default: the root is a graph centre (fewest bonds to the farthest atom,
 * so placement chains, and float32 error build-up along them, are shortest), then higher degree,
 * then lower index; neighbours are visited by higher degree, then lower index (heavy atoms first,
 * so torsions run along the heavy-atom chain).
 */
export function buildZMatrix(nAtoms: number, bonds: readonly (readonly [number, number])[], order?: readonly number[]): ZMatrix {
  if (!Number.isInteger(nAtoms) || nAtoms < 3) throw new Error(`zmatrix: need at least 3 atoms, got ${nAtoms}`);
  const nbrs: number[][] = Array.from({ length: nAtoms }, () => []);
  for (const [i, j] of bonds) {
    if (!(i >= 0 && i < nAtoms && j >= 0 && j < nAtoms && i !== j)) throw new Error(`zmatrix: bad bond [${i}, ${j}]`);
    if (!nbrs[i]!.includes(j)) (nbrs[i]!.push(j), nbrs[j]!.push(i));
  }
  let rank: number[];
  let root: number;
  if (order) {
    if (order.length !== nAtoms || new Set(order).size !== nAtoms || order.some((a) => !(a >= 0 && a < nAtoms))) {
      throw new Error('zmatrix: order must be a permutation of the atoms');
    }
    rank = new Array<number>(nAtoms);
    order.forEach((a, k) => (rank[a] = k));
    root = order[0]!;
  } else {
    const byDegree = [...Array(nAtoms).keys()].sort((a, b) => nbrs[b]!.length - nbrs[a]!.length || a - b);
    rank = new Array<number>(nAtoms);
    byDegree.forEach((a, k) => (rank[a] = k));
    const ecc = (a: number): number => Math.max(...bfs(a, nbrs).depth);
    root = byDegree.reduce((best, a) => (ecc(a) < ecc(best) ? a : best));
  }
  for (const n of nbrs) n.sort((a, b) => rank[a]! - rank[b]!);
  const { placed, parent } = bfs(root, nbrs);
  if (placed.length < nAtoms) throw new Error('zmatrix: the bond graph is disconnected');
  const pos = new Array<number>(nAtoms);
  placed.forEach((a, k) => (pos[a] = k));
  const rows: ZRow[] = placed.slice(1).map((a) => {
    // First candidate placed before `a` and not excluded; VIRTUAL only while < 3 atoms are placed.
    const pick = (cands: number[], excl: number[]): number =>
      cands.find((i) => i >= 0 && pos[i]! < pos[a]! && !excl.includes(i)) ?? VIRTUAL;
    const b = parent[a]!;
    const c = pick([parent[b]!, ...nbrs[b]!], [a, b]);
    const d = c === VIRTUAL ? VIRTUAL : pick([parent[c]!, ...nbrs[c]!, ...nbrs[b]!], [a, b, c]);
    return { atom: a, bond: b, angle: c, dihedral: d };
  });
  return { nAtoms, seed: [placed[0]!, placed[1]!, placed[2]!], rows };
}

/** Breadth-first order, parents (−1 for the root and unreached atoms) and depths (∞ if unreached). */
function bfs(root: number, nbrs: readonly (readonly number[])[]): { placed: number[]; parent: number[]; depth: number[] } {
  const parent = new Array<number>(nbrs.length).fill(-1);
  const depth = new Array<number>(nbrs.length).fill(Infinity);
  const placed = [root];
  depth[root] = 0;
  for (let k = 0; k < placed.length; k++) {
    const a = placed[k]!;
    for (const b of nbrs[a]!) {
      if (depth[b] !== Infinity) continue;
      depth[b] = depth[a]! + 1;
      parent[b] = a;
      placed.push(b);
    }
  }
  return { placed, parent, depth };
}
