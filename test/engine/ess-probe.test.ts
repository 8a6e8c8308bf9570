import { describe, expect, it } from 'vitest';
import { selectCompute } from '../../engine/compute/select';
import { createSystem } from '../../engine/energies';
import { essProbe } from '../../engine/ess-probe';
import { buildFlow } from '../../engine/flows/build';
import { essFraction } from '../../engine/reweighting';
import { Rng } from '../../engine/rng';
import { sampleFlow } from '../../engine/sampling';

describe('essProbe', () => {
  it('equals the ESS of the same draws through the sampling path, and lies in (0, 1]', async () => {
    await selectCompute({ prefer: 'cpu' });
    const system = createSystem('double-well');
    const built = buildFlow({ layers: 'RR', hidden: [16], sScale: 1, whiten: false }, system.dim, new Rng(1));
    try {
      const probe = essProbe(built.flow, system, { n: 512, tau: 1, rng: new Rng(7) });
      const full = await sampleFlow(built.flow, system, { n: 512, tau: 1, chunk: 512, rng: new Rng(7) });
      expect(probe).toBeCloseTo(essFraction(full.logw), 5);
      expect(probe).toBeGreaterThan(0);
      expect(probe).toBeLessThanOrEqual(1);
      // Chunked passes draw the same latents and give the same ESS.
      expect(essProbe(built.flow, system, { n: 512, tau: 1, rng: new Rng(7), chunk: 100 })).toBeCloseTo(probe, 10);
    } finally {
      built.flow.dispose();
    }
  });
});
