import type { z } from 'zod';
import { GeneratorSpecSchema, type GeneratorSpec } from './generator';
import { UmbrellaSpecSchema, type UmbrellaSpec } from './umbrella';

/**
 * The run spec: one JSON document that is the single source of truth for a run. The same schemas
 * validate CLI input, API calls and the UI's new-run form, so field errors read the same everywhere.
 * `method` picks the schema: "generator" (the default: train a Boltzmann generator, by example or
 * by exploration) or "umbrella" (the umbrella-sampling + WHAM reference). docs/run-spec.md
 * describes every field.
 */

export { GeneratorSpecSchema, StageSchema, ExploreSchema, RC_LOSSES, SPLINE_PARTITIONS, type ExploreSettings, type GeneratorSpec, type RcLossKind, type SplinePartition } from './generator';
export { UmbrellaSpecSchema, type UmbrellaSpec } from './umbrella';

export type RunSpec = GeneratorSpec | UmbrellaSpec;
export type RunSpecInput = z.input<typeof GeneratorSpecSchema> | z.input<typeof UmbrellaSpecSchema>;
export const RUN_METHODS = ['generator', 'umbrella'] as const;

/** One validation problem, with the dotted path of the bad field (e.g. `training.stages[1].lr`). */
export interface SpecIssue {
  readonly path: string;
  readonly message: string;
}

export type ParseResult = { ok: true; spec: RunSpec } | { ok: false; issues: SpecIssue[] };

/** The longest array any spec field takes (explicit coordinates: `analysis.pathFrom`, `data.start`). */
export const MAX_SPEC_ARRAY = 100_000;
/** Values in a whole spec: far above any valid one, far below what would take seconds to check. */
export const MAX_SPEC_VALUES = 1_000_000;

/**
 * Refuse oversized input by its sizes alone, before the schema looks at a single element: a
 * 2·10⁷-element array otherwise costs seconds and a gigabyte to be told "invalid". Returns the
 * first problem with its path, or null.
 */
export function sizeIssue(value: unknown): SpecIssue | null {
  let count = 0;
  const stack: { v: unknown; path: PropertyKey[] }[] = [{ v: value, path: [] }];
  while (stack.length) {
    const { v, path } = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    const entries: [PropertyKey, unknown][] = Array.isArray(v) ? (v.length > MAX_SPEC_ARRAY ? [] : v.map((x, i) => [i, x])) : Object.entries(v);
    if (Array.isArray(v) && v.length > MAX_SPEC_ARRAY) return { path: formatPath(path), message: `has ${v.length} elements; no field takes more than ${MAX_SPEC_ARRAY}` };
    count += entries.length;
    if (count > MAX_SPEC_VALUES) return { path: formatPath(path), message: `the spec holds more than ${MAX_SPEC_VALUES} values` };
    for (const [k, x] of entries) if (typeof x === 'object' && x !== null) stack.push({ v: x, path: [...path, k] });
  }
  return null;
}

/** Validate an already-parsed JSON value as a run spec (dispatching on `method`). */
export function parseRunSpec(value: unknown): ParseResult {
  const tooLarge = sizeIssue(value);
  if (tooLarge) return { ok: false, issues: [tooLarge] };
  const method = typeof value === 'object' && value !== null ? (value as { method?: unknown }).method : undefined;
  if (method !== undefined && !(RUN_METHODS as readonly unknown[]).includes(method)) {
    return { ok: false, issues: [{ path: 'method', message: `expected one of ${RUN_METHODS.map((m) => `"${m}"`).join(', ')}` }] };
  }
  const schema = method === 'umbrella' ? UmbrellaSpecSchema : GeneratorSpecSchema;
  const r = schema.safeParse(value);
  if (r.success) return { ok: true, spec: r.data };
  return { ok: false, issues: r.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message })) };
}

/** `['training','stages',1,'lr']` → `training.stages[1].lr` (the root is `spec`). */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out || 'spec';
}

/** All issues on one line, for a CLI error. */
export function formatIssues(issues: readonly SpecIssue[]): string {
  return issues.map((i) => `${i.path}: ${i.message}`).join('; ');
}
