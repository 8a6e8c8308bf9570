import { describe, expect, it } from 'vitest';
import { selectCompute } from '../../engine/compute/select';
import { createSystem } from '../../engine/energies';
import { probeDraws } from '../../engine/ess-probe';
import { buildFlow } from '../../engine/flows/build';
import { essFraction } from '../../engine/reweighting';
import { Rng } from '../../engine/rng';
import { sampleFlow } from '../../engine/sampling';

describe('probeDraws', () => {
  it('weighs and labels the same draws as the sampling path, in one pass or in chunks', async () => {
    await selectCompute({ prefer: 'cpu' });
    const system = createSystem('double-well');
    const built = buildFlow({ layers: 'RR', hidden: [16], sScale: 1, whiten: false }, system.dim, new Rng(1));
    try {
      for (const tau of [1, 2]) {
        const probe = probeDraws(built.flow, system, { n: 512, tau, rng: new Rng(7) });
        const full = await sampleFlow(built.flow, system, { n: 512, tau, chunk: 512, rng: new Rng(7) });
        for (let i = 0; i < 512; i++) expect(probe.logw[i]).toBeCloseTo(full.logw[i]!, 4);
        expect(Array.from(probe.state)).toEqual(Array.from(full.state));
        expect(new Set(probe.state).size, 'the untrained flow reaches both wells').toBe(2);
        const ess = essFraction(probe.logw);
        expect(ess).toBeGreaterThan(0);
        expect(ess).toBeLessThanOrEqual(1);
        // Chunked passes draw the same latents and give the same weights.
        const chunked = probeDraws(built.flow, system, { n: 512, tau, rng: new Rng(7), chunk: 100 });
        expect(essFraction(chunked.logw)).toBeCloseTo(ess, 10);
      }
    } finally {
      built.flow.dispose();
    }
  });
});
