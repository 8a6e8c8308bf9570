import { app } from '../../state/app.svelte';
import { PRESETS } from '../../state/new-run.svelte';

// Switching the method or the data source swaps whole sections of the draft. What is switched
// away from is kept here, so switching back restores it (until another preset is loaded).

type Json = Record<string, unknown>;
const GENERATOR_KEYS = ['backend', 'data', 'explore', 'flow', 'training', 'sampling'] as const;
const UMBRELLA_KEYS = ['umbrella'] as const;
const DATA_DEFAULTS: Record<string, Json> = { metropolis: { perState: 10000 }, configuration: { start: 'A' }, samples: {} };

let stash: Json = {};
let dataStash: Record<string, Json> = {};

const copy = <T>(v: T): T => structuredClone($state.snapshot(v)) as T;

export function clearStash(): void {
  stash = {};
  dataStash = {};
}

/** The preset closest to the current draft for a method: same system, training by example. */
function presetFor(method: 'generator' | 'umbrella'): Json | undefined {
  const system = app.newRun.get('system.name');
  const fits = PRESETS.map((p) => p.spec).filter((spec) => (spec.method === 'umbrella') === (method === 'umbrella'));
  const byExample = (spec: Json) => (spec.data as Json | undefined)?.source !== 'configuration';
  return fits.find((spec) => (spec.system as Json | undefined)?.name === system && byExample(spec)) ?? fits.find(byExample) ?? fits[0];
}

export function switchMethod(to: string): void {
  const s = app.newRun;
  const from = s.get('method') === 'umbrella' ? 'umbrella' : 'generator';
  if (to === from || (to !== 'generator' && to !== 'umbrella')) return;
  const [drop, bring] = to === 'umbrella' ? [GENERATOR_KEYS, UMBRELLA_KEYS] : [UMBRELLA_KEYS, GENERATOR_KEYS];
  for (const k of drop) {
    const v = s.get(k);
    if (v !== undefined) stash[k] = copy(v);
    s.set(k, undefined);
  }
  const anyStashed = bring.some((k) => stash[k] !== undefined);
  const preset = anyStashed ? undefined : presetFor(to);
  for (const k of bring) {
    const v = anyStashed ? stash[k] : preset?.[k];
    if (v !== undefined) s.set(k, copy(v));
  }
  if (to === 'umbrella' && s.get('umbrella') === undefined) s.set('umbrella', { windows: 20, k: 100, stepsPerWindow: 100000 });
  s.set('method', to === 'umbrella' ? 'umbrella' : undefined);
}

/** '' removes the data section (KL-only training). */
export function switchSource(to: string): void {
  const s = app.newRun;
  const cur = s.get('data') as Json | undefined;
  const from = typeof cur?.source === 'string' ? cur.source : '';
  if (to === from) return;
  if (cur && from) dataStash[from] = copy(cur);
  if (from === 'configuration' && s.get('explore') !== undefined) {
    dataStash.explore = copy(s.get('explore') as Json);
    s.set('explore', undefined);
  }
  s.set('data', to ? (dataStash[to] ?? { source: to, ...DATA_DEFAULTS[to] }) : undefined);
  if (to === 'configuration' && s.get('explore') === undefined) s.set('explore', dataStash.explore ?? { iterations: 1000 });
}
