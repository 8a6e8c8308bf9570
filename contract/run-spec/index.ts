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

/** Validate an already-parsed JSON value as a run spec (dispatching on `method`). */
export function parseRunSpec(value: unknown): ParseResult {
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
