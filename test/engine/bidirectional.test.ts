import { describe, expect, it } from 'vitest';
import { bidirectional, dataLogWeights } from '../../engine/bidirectional';
import { selectCompute } from '../../engine/compute/select';
import { createSystem } from '../../engine/energies';
import { buildFlow } from '../../engine/flows/build';
import { Rng } from '../../engine/rng';
import { sampleFlow } from '../../engine/sampling';

// A 1-D double well u(x) = (x² − 1)² · 4 + 0.8·x (states x < 0 and x ≥ 0), a proposal q = N(0, 0.7²)
// that fits it poorly, and exact answers by quadrature: ΔF and each state's KL(p_s ‖ q_s).
const u = (x: number): number => 4 * (x * x - 1) ** 2 + 0.8 * x;
const SIGMA = 0.7;
const logQ = (x: number): number => -0.5 * (x / SIGMA) ** 2 - Math.log(SIGMA * Math.sqrt(2 * Math.PI));
const GRID = Array.from({ length: 40001 }, (_, i) => -4 + (8 * i) / 40000);
const H = 8 / 40000;

function exact(): { deltaF: number; kl: [number, number] } {
  const z = [0, 0], zq = [0, 0];
  for (const x of GRID) {
    const s = x < 0 ? 0 : 1;
    z[s]! += Math.exp(-u(x)) * H;
    zq[s]! += Math.exp(logQ(x)) * H;
  }
  const kl = [0, 0];
  for (const x of GRID) {
    const s = x < 0 ? 0 : 1;
    const p = Math.exp(-u(x)) / z[s]!;
    if (p > 0) kl[s]! += p * (Math.log(p) - (logQ(x) - Math.log(zq[s]!))) * H;
  }
  return { deltaF: -Math.log(z[1]! / z[0]!), kl: kl as [number, number] };
}

/** n exact draws from p by inverting its CDF on the grid. */
function drawsOfP(rng: Rng, n: number): number[] {
  const cdf: number[] = [];
  let acc = 0;
  for (const x of GRID) cdf.push((acc += Math.exp(-u(x))));
  return Array.from({ length: n }, () => {
    const t = rng.uniform() * acc;
    let lo = 0, hi = cdf.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid]! < t) lo = mid + 1;
      else hi = mid;
    }
    return GRID[lo]!;
  });
}

describe('bidirectional', () => {
  it('gives ΔF within 3 standard errors of quadrature and each state\'s KL(p‖q) within 0.1 nats', () => {
    const rng = new Rng(21);
    const ref = exact();
    const xq = rng.normals(new Float64Array(20000)).map((z) => SIGMA * z);
    const xp = drawsOfP(rng, 20000);
    const lw = (x: number): number => -u(x) - logQ(x);
    const st = (x: number): number => (x < 0 ? 0 : 1);
    const b = bidirectional(xq.map(lw), xq.map(st), xp.map(lw), xp.map(st));
    expect(Math.abs(b.deltaF.value! - ref.deltaF)).toBeLessThan(3 * b.deltaF.stderr!);
    expect(b.deltaF.stderr!).toBeLessThan(0.2);
    for (const s of [0, 1] as const) expect(Math.abs(b.states[s].klForward! - ref.kl[s])).toBeLessThan(0.1);
    expect(Math.max(...ref.kl)).toBeGreaterThan(0.3); // q is a poor fit: the check has something to find
    expect(b.states[0].nData + b.states[1].nData).toBe(20000);
  });

  it('has no ΔF when a state has no flow samples', () => {
    const b = bidirectional([0, 0, 0], [0, 0, 0], [0, 0], [0, 1]);
    expect(b.deltaF.value).toBeNull();
    expect(b.states[1].nFlow).toBe(0);
  });
});

describe('dataLogWeights', () => {
  it('gives a flow sample, fed back as data, the log weight sampling gave it', async () => {
    await selectCompute({ prefer: 'cpu' });
    const system = createSystem('double-well');
    const built = buildFlow({ layers: 'RRRR', hidden: [16], sScale: 1, whiten: false }, system.dim, new Rng(3));
    try {
      for (const tau of [1, 2]) {
        const s = await sampleFlow(built.flow, system, { n: 300, tau, chunk: 300, rng: new Rng(4) });
        const d = dataLogWeights(built.flow, system, Float64Array.from(s.x), tau, 128);
        for (let i = 0; i < 300; i++) expect(d.logw[i]).toBeCloseTo(s.logw[i]!, 3);
        expect(Array.from(d.state)).toEqual(Array.from(s.state));
      }
    } finally {
      built.flow.dispose();
    }
  });
});
