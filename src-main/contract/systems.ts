/**
 * The model systems a run spec can name, and the numeric parameters each accepts. Kept free of
 * tfjs so the contract (and the UI that imports it) loads no numerics; the engine's registry
 * (workers/engine/energies/index.ts) implements exactly these.
 */
export const SYSTEM_NAMES = ['double-well', 'mueller-brown', 'dimer'] as const;
export type SystemName = (typeof SYSTEM_NAMES)[number];

export function isSystemName(name: string): name is SystemName {
  return (SYSTEM_NAMES as readonly string[]).includes(name);
}

export const PARAM_NAMES: Record<SystemName, readonly string[]> = {
  'double-well': ['dim', 'a4', 'a2', 'a1', 'k'],
  'mueller-brown': ['dim', 'k'],
  dimer: ['nSolvent', 'slope', 'boxHalf', 'epsilon', 'rm'],
};

/** Configuration-space dimension of a system with these params (mirrors the engine's defaults). */
export function systemDim(name: SystemName, params: Readonly<Record<string, number>>): number {
  if (name === 'dimer') return 2 * ((params.nSolvent ?? 36) + 2);
  return params.dim ?? 2;
}
