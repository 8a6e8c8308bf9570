import type { ModelSystem } from './types';

/**
 * The same system, whose batched energy throws once `armed()` says so: how tests make a run fail
 * mid-training through the real code path (a test backend's `faults` hook, `energyThrowsAtStep`).
 */
export function withFault(system: ModelSystem, armed: () => boolean, message: string): ModelSystem {
  return {
    ...system,
    energy: (x) => {
      if (armed()) throw new Error(message);
      return system.energy(x);
    },
  };
}
