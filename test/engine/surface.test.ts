import { describe, expect, it } from 'vitest';
import { RAMACHANDRAN_BASINS } from '../../engine/energies/molecule/system';
import type { SurfaceDef } from '../../engine/energies/types';
import { freeGrid, surfaceEstimate } from '../../engine/surface';
import { Rng } from '../../engine/rng';

const def: SurfaceDef = { labels: ['φ', 'ψ'], range: [[-180, 180], [-180, 180]], periodic: true, value64: () => [0, 0], basins: RAMACHANDRAN_BASINS };
/** n points: a fraction `pB` at (60, −60) (C7ax/αL), the rest at (−80, 70) (C7eq/β). */
function points(n: number, pB: number, rng: Rng): Float64Array {
  const ab = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) [ab[2 * i], ab[2 * i + 1]] = rng.uniform() < pB ? [60, -60] : [-80, 70];
  return ab;
}

describe('surface estimate', () => {
  it('reweighted populations are the weight sums, with a bootstrap error close to the binomial one', () => {
    const rng = new Rng(3), n = 4000;
    const ab = points(n, 0.3, rng);
    const logw = new Float64Array(n); // equal weights
    const s = surfaceEstimate(def, ab, logw, null, { bins: 36, bootstrap: 400, rng, referenceBlocks: 10 });
    const [c7eq, aR, c7ax] = s.basins;
    const inB = Array.from({ length: n }, (_, i) => ab[2 * i]! > 0).filter(Boolean).length / n;
    expect(c7ax!.population).toBeCloseTo(inB, 12);
    expect(c7eq!.population).toBeCloseTo(1 - inB, 12);
    expect(aR!.population).toBe(0);
    const binomial = Math.sqrt((inB * (1 - inB)) / n);
    expect(c7ax!.stderr / binomial).toBeGreaterThan(0.8);
    expect(c7ax!.stderr / binomial).toBeLessThan(1.2);
    expect(s.reference).toBeNull();
  });

  it('weights move the population: doubling the weight of B points gives 2p/(1+p)', () => {
    const rng = new Rng(4), n = 2000;
    const ab = points(n, 0.25, rng);
    const logw = Float64Array.from({ length: n }, (_, i) => (ab[2 * i]! > 0 ? Math.log(2) : 0));
    const s = surfaceEstimate(def, ab, logw, null, { bins: 36, bootstrap: 10, rng, referenceBlocks: 10 });
    const p = Array.from({ length: n }, (_, i) => ab[2 * i]! > 0).filter(Boolean).length / n;
    expect(s.basins[2]!.population).toBeCloseTo((2 * p) / (1 + p), 12);
    expect(s.points.w.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });

  it('the reference error is a block average: correlated blocks give a larger error than independent frames', () => {
    const rng = new Rng(5), n = 2000;
    const iid = points(n, 0.2, rng);
    // Same overall fraction, but whole blocks in one basin (a trajectory that switches rarely).
    const blocky = new Float64Array(2 * n);
    for (let i = 0; i < n; i++) [blocky[2 * i], blocky[2 * i + 1]] = Math.floor(i / 200) < 2 ? [60, -60] : [-80, 70];
    const gen = points(100, 0.2, rng), logw = new Float64Array(100);
    const a = surfaceEstimate(def, gen, logw, iid, { bins: 36, bootstrap: 5, rng, referenceBlocks: 10 });
    const b = surfaceEstimate(def, gen, logw, blocky, { bins: 36, bootstrap: 5, rng, referenceBlocks: 10 });
    expect(b.basins[2]!.reference).toBeCloseTo(0.2, 12);
    // Blocks are exactly 0 or 1: sd = sqrt(0.2·0.8·10/9), stderr = sd/√10.
    expect(b.basins[2]!.referenceStderr!).toBeCloseTo(Math.sqrt((0.16 * 10) / 9) / Math.sqrt(10), 12);
    expect(a.basins[2]!.referenceStderr!).toBeLessThan(b.basins[2]!.referenceStderr! / 3);
  });

  it('the free-energy grid is −ln of the normalised histogram, min 0, null where empty, φ = 180° in the last bin', () => {
    const ab = Float64Array.from([-80, 70, -80, 70, -80, 70, -80, 70, 60, -60, 180, 180]);
    const g = freeGrid(def, ab, null, 36);
    const bin = (a: number, b: number): number => Math.min(35, Math.floor(((a + 180) / 360) * 36)) * 36 + Math.min(35, Math.floor(((b + 180) / 360) * 36));
    expect(g[bin(-80, 70)]).toBe(0);
    expect(g[bin(60, -60)]).toBeCloseTo(Math.log(4), 12);
    expect(g[35 * 36 + 35]).toBeCloseTo(Math.log(4), 12);
    expect(g.filter((v) => v !== null)).toHaveLength(3);
  });
});
