import { describe, expect, it } from 'vitest';
import { energy2d } from '../../src-renderer/components/charts/energy2d';
import { createSystem } from '../../engine/energies';
import { Rng } from '../../engine/rng';

// The UI draws energy contours with the engine's pure float64 formulas (engine/energies/analytic2d.ts,
// no tfjs): its 2-D slice must stay equal to the engine system's float64 energy.
describe('renderer energy2d', () => {
  for (const [name, params] of [['double-well', {}], ['double-well', { a4: 1.5, k: 0.5 }], ['mueller-brown', {}]] as const) {
    it(`matches the engine's ${name} ${JSON.stringify(params)}`, () => {
      const f = energy2d(name, params)!;
      const sys = createSystem(name, params);
      const rng = new Rng(3);
      for (let k = 0; k < 200; k++) {
        const x = 3 * rng.normal();
        const y = 2 * rng.normal();
        const want = sys.energy64(Float64Array.of(x, y));
        expect(f(x, y)).toBeCloseTo(want, Math.max(0, 8 - Math.ceil(Math.log10(Math.abs(want) + 1))));
      }
    });
  }
  it('has no contour for the dimer', () => expect(energy2d('dimer', {})).toBeNull());
});
