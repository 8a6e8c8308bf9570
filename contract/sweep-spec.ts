import { z } from 'zod';
import { EXECUTORS, type ExecutorName } from './api';
import { formatPath, GeneratorSpecSchema, parseRunSpec, sizeIssue, UmbrellaSpecSchema, type RunSpec } from './run-spec';

/**
 * The sweep spec: many runs from one base run spec (docs/run-spec.md, "Sweeps"). Each axis names a
 * field of the base by its path (`seed`, `system.params.nSolvent`, `flow.hidden`,
 * `training.stages[2].lr`) and lists the values it takes. `grid` runs the Cartesian product of the
 * axes (the first axis varies slowest); `list` runs value k of every axis together. Every
 * combination is checked as a run spec before any run is queued.
 */

export const SWEEP_MODES = ['grid', 'list'] as const;
export type SweepMode = (typeof SWEEP_MODES)[number];

/** Runs one sweep may expand to unless the caller raises it (`parseSweepSpec`'s `maxRuns`). */
export const DEFAULT_MAX_SWEEP_RUNS = 256;
/** The run spec's limit on `name` (contract/run-spec/parts.ts): run names with their suffix stay within it. */
export const MAX_RUN_NAME = 120;

export const SweepSpecSchema = z
  .object({
    name: z.string().min(1).max(200).optional(),
    /** A run spec input; checked per combination (with the axes' values in place), not on its own. */
    base: z.record(z.string(), z.unknown()),
    /** Axis path → its values. Any JSON value is one value: `[[64, 64], [128, 128]]` is two. */
    axes: z.record(z.string(), z.array(z.unknown())),
    mode: z.enum(SWEEP_MODES).default('grid'),
    executor: z.enum(EXECUTORS).default('local'),
  })
  .strict();

export type SweepSpecInput = z.input<typeof SweepSpecSchema>;

export interface SweepAxis {
  /** The path in canonical form (as `formatPath` writes it). */
  readonly path: string;
  readonly values: readonly unknown[];
}

export interface SweepRun {
  /** 0-based, in expansion order. */
  readonly index: number;
  /** Axis path → this run's value, in axis order. */
  readonly combination: Record<string, unknown>;
  readonly spec: RunSpec;
}

export interface Sweep {
  readonly name: string | null;
  readonly mode: SweepMode;
  readonly executor: ExecutorName;
  readonly axes: SweepAxis[];
  readonly runs: SweepRun[];
}

/**
 * One problem. `path` is in the sweep document: `mode`, `axes`, `axes.<axis path>`,
 * `base.<field>` (size limits), or `runs[k]` for a combination whose run spec is invalid (then
 * `combination` holds its values and the message starts with them), or `runs` for an issue every
 * combination shares.
 */
export interface SweepIssue {
  readonly path: string;
  readonly message: string;
  readonly combination?: Record<string, unknown>;
}

export type SweepParseResult = { ok: true; sweep: Sweep } | { ok: false; issues: SweepIssue[] };

/** One step of a path: an object key or an array index. */
export type PathSegment = string | number;

/** Keys that would reach an object's prototype instead of a field of its own. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'prototype', 'constructor']);

/**
 * `training.stages[2].lr` → `['training', 'stages', 2, 'lr']`: the inverse of `formatPath`, so an
 * axis is written exactly as the run spec's error messages name the field. Hand-written because
 * the syntax is this small (keys separated by dots, array indices in brackets) and neither JSON
 * Pointer nor a general path library spells fields the way `formatPath` does. Throws an Error that
 * says what is wrong.
 */
export function parsePath(path: string): PathSegment[] {
  const out: PathSegment[] = [];
  let i = 0;
  const key = /[^.[\]\s]+/y;
  const index = /\[(\d+)\]/y;
  if (path.length === 0) throw new Error('the path is empty');
  while (i < path.length) {
    if (path[i] === '[') {
      if (out.length === 0) throw new Error('a path starts with a field name, not an index');
      index.lastIndex = i;
      const m = index.exec(path);
      if (!m) throw new Error(`expected an index like [0] at character ${i + 1}`);
      const n = Number(m[1]);
      if (!Number.isSafeInteger(n)) throw new Error(`index [${m[1]}] is too large`);
      out.push(n);
      i = index.lastIndex;
      continue;
    }
    if (out.length > 0) {
      if (path[i] !== '.') throw new Error(`expected "." or "[" at character ${i + 1}`);
      i++;
    }
    key.lastIndex = i;
    const m = key.exec(path);
    if (!m) throw new Error(`expected a field name at character ${i + 1}`);
    if (FORBIDDEN_KEYS.has(m[0])) throw new Error(`"${m[0]}" is not a field`);
    out.push(m[0]);
    i = key.lastIndex;
  }
  return out;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const kindOf = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : `a ${typeof v}`);

/**
 * Why `segments` cannot be set in `root`, or null. Missing objects on the way are allowed (setPath
 * creates them: `system.params.nSolvent` in a base without `params`); missing arrays are not, and an
 * index must point at an existing element.
 */
function structureProblem(root: unknown, segments: readonly PathSegment[]): string | null {
  let node: unknown = root;
  for (let d = 0; d < segments.length; d++) {
    const seg = segments[d]!;
    const here = formatPath(segments.slice(0, d));
    if (node === undefined) {
      if (typeof seg === 'number') return `the base has no '${here}' array to index`;
      return null; // an object setPath creates, with everything below it
    }
    if (typeof seg === 'number') {
      if (!Array.isArray(node)) return `'${here}' is ${kindOf(node)}, not an array: it takes no index [${seg}]`;
      if (seg >= node.length) return `index [${seg}] is past the end: '${here}' has ${node.length} ${node.length === 1 ? 'entry' : 'entries'} in the base`;
      node = node[seg];
    } else {
      if (Array.isArray(node)) return `'${here}' is an array: index it, e.g. ${formatPath([...segments.slice(0, d), 0, ...segments.slice(d)])}`;
      if (!isObject(node)) return `'${here}' is ${kindOf(node)} in the base, not an object with fields`;
      node = Object.hasOwn(node, seg) ? node[seg] : undefined;
    }
  }
  return null;
}

/**
 * Set `value` at `path` in `obj` (mutating it), creating missing objects on the way. Throws an Error
 * when the path does not fit `obj` (an index past an array's end, a field inside a number, ...).
 */
export function setPath(obj: Record<string, unknown>, path: string | readonly PathSegment[], value: unknown): void {
  const segments = typeof path === 'string' ? parsePath(path) : path;
  if (segments.length === 0) throw new Error('the path is empty');
  const problem = structureProblem(obj, segments);
  if (problem) throw new Error(problem);
  let node: Record<string, unknown> | unknown[] = obj;
  for (let d = 0; d < segments.length - 1; d++) {
    const seg = segments[d]!;
    const next = (node as Record<PropertyKey, unknown>)[seg];
    if (next === undefined) {
      const created = {};
      (node as Record<PropertyKey, unknown>)[seg] = created;
      node = created;
    } else node = next as Record<string, unknown> | unknown[];
  }
  (node as Record<PropertyKey, unknown>)[segments.at(-1)!] = value;
}

const startsWith = (path: readonly PropertyKey[], prefix: readonly PropertyKey[]): boolean => prefix.length <= path.length && prefix.every((p, i) => p === path[i]);

/**
 * Whether the run-spec schema knows the axis' field, checked once per axis with its first value
 * in place: a strict object's "Unrecognized key" on the axis' line is an unknown field, and a
 * section that only the axis creates (the base lacks it) must be valid without anything else.
 */
function unknownFieldProblem(base: Record<string, unknown>, segments: readonly PathSegment[], value: unknown): string | null {
  const probe = structuredClone(base);
  // The first segment missing from the base (with everything below it, setPath creates it).
  let created: PathSegment[] | null = null;
  let node: unknown = probe;
  for (let d = 0; d < segments.length - 1 && node !== undefined; d++) {
    node = (node as Record<PropertyKey, unknown>)[segments[d]!];
    if (node === undefined) created = segments.slice(0, d + 1);
  }
  setPath(probe, segments, structuredClone(value));
  const schema = probe.method === 'umbrella' ? UmbrellaSpecSchema : GeneratorSpecSchema;
  const r = schema.safeParse(probe);
  if (r.success) return null;
  for (const issue of r.error.issues) {
    if (issue.code !== 'unrecognized_keys') continue;
    for (const k of issue.keys) {
      const full = [...issue.path, k];
      if (startsWith(segments, full)) return full.length === segments.length ? 'unknown field' : `unknown field '${formatPath(full)}'`;
    }
  }
  if (created) {
    const inside = r.error.issues.find((i) => startsWith(i.path, created) && !startsWith(i.path, segments) && !startsWith(segments, i.path));
    if (inside) return `the base has no '${formatPath(created)}', and one with only this field is invalid (${formatPath(inside.path)}: ${inside.message}): add it to the base`;
  }
  return null;
}

/** A stable text of a JSON value (object keys sorted), to compare values and combinations. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (isObject(v)) return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(',')}}`;
  return JSON.stringify(v) ?? String(v);
}

function shortValue(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 40 ? `${s.slice(0, 39)}…` : s;
}

/** `seed=3, flow.hidden=[64,64]`: how messages and run names spell a combination. */
export function combinationLabel(combination: Readonly<Record<string, unknown>>): string {
  return Object.entries(combination).map(([k, v]) => `${k}=${shortValue(v)}`).join(', ');
}

/** The base's name with the combination as a suffix, within the run spec's limit (else `run k of n`). */
function runName(base: string, label: string, index: number, total: number): string {
  const full = `${base} [${label}]`;
  if (full.length <= MAX_RUN_NAME) return full;
  const tail = ` [run ${index + 1} of ${total}]`;
  return base.length + tail.length <= MAX_RUN_NAME ? base + tail : `${base.slice(0, MAX_RUN_NAME - tail.length - 1)}…${tail}`;
}

/**
 * Validate a sweep spec and expand it into run specs. Everything is checked before a single run
 * could be queued: the sweep's own fields, every axis (its path, its values, whether the run spec
 * has that field), the number of runs against `maxRuns` (default DEFAULT_MAX_SWEEP_RUNS), and every
 * combination as a run spec. `base` is never modified.
 */
export function parseSweepSpec(value: unknown, o: { maxRuns?: number } = {}): SweepParseResult {
  const maxRuns = o.maxRuns ?? DEFAULT_MAX_SWEEP_RUNS;
  const tooLarge = sizeIssue(value);
  if (tooLarge) return { ok: false, issues: [{ path: tooLarge.path === 'spec' ? 'sweep' : tooLarge.path, message: tooLarge.message }] };
  const r = SweepSpecSchema.safeParse(value);
  if (!r.success) return { ok: false, issues: r.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message })) };
  const spec = r.data;
  const issues: SweepIssue[] = [];
  const at = (axis: string) => formatPath(['axes', axis]);

  const entries = Object.entries(spec.axes);
  if (entries.length === 0) issues.push({ path: 'axes', message: 'give at least one axis (a field path and its values)' });

  // Paths: parse, put in canonical form, refuse duplicates and axes inside other axes.
  const axes: { raw: string; path: string; segments: PathSegment[]; values: unknown[] }[] = [];
  for (const [raw, values] of entries) {
    let segments: PathSegment[];
    try {
      segments = parsePath(raw);
    } catch (e) {
      issues.push({ path: at(raw), message: `axis '${raw}': not a field path (${(e as Error).message}); write it as errors name fields, e.g. training.stages[0].lr` });
      continue;
    }
    const path = formatPath(segments);
    const same = axes.find((a) => a.path === path);
    if (same) {
      issues.push({ path: at(raw), message: `axis '${raw}': the same field as axis '${same.raw}' (${path})` });
      continue;
    }
    const overlap = axes.find((a) => startsWith(a.segments, segments) || startsWith(segments, a.segments));
    if (overlap) {
      const [outer, inner] = overlap.segments.length < segments.length ? [overlap.path, path] : [path, overlap.path];
      issues.push({ path: at(raw), message: `axis '${inner}' lies inside axis '${outer}': one would overwrite the other` });
      continue;
    }
    if (values.length === 0) {
      issues.push({ path: at(raw), message: `axis '${path}' has no values` });
      continue;
    }
    axes.push({ raw, path, segments, values });
  }

  // Values: grid axes repeat no value; list axes all have the first axis' length.
  if (spec.mode === 'grid') {
    for (const a of axes) {
      const seen = new Set<string>();
      for (const v of a.values) {
        const c = canonical(v);
        if (seen.has(c)) issues.push({ path: at(a.path), message: `axis '${a.path}': the value ${shortValue(v)} appears twice (a grid would run every combination with it twice)` });
        seen.add(c);
      }
    }
  } else if (axes.length > 0) {
    const first = axes[0]!;
    for (const a of axes.slice(1)) {
      if (a.values.length !== first.values.length) {
        issues.push({ path: at(a.path), message: `axis '${a.path}' has ${a.values.length} values, axis '${first.path}' ${first.values.length}: in list mode every axis has one value per run` });
      }
    }
  }

  // Fields: the path must fit the base, and the run spec must know it.
  for (const a of axes) {
    const problem = structureProblem(spec.base, a.segments) ?? unknownFieldProblem(spec.base, a.segments, a.values[0]);
    if (problem) issues.push({ path: at(a.path), message: `axis '${a.path}': ${problem}` });
  }

  // Size: counted before anything is expanded.
  const count = spec.mode === 'grid' ? axes.reduce((n, a) => n * a.values.length, axes.length ? 1 : 0) : (axes[0]?.values.length ?? 0);
  if (count > maxRuns) {
    const sizes = spec.mode === 'grid' ? ` (${axes.map((a) => a.values.length).join(' × ')})` : '';
    issues.push({ path: 'axes', message: `the sweep expands to ${count} runs${sizes}, more than the limit of ${maxRuns}; the limit is a setting (maxRuns), raise it to run a larger sweep` });
  }
  if (issues.length) return { ok: false, issues };

  // Expand (grid: the first axis varies slowest) and check every combination as a run spec.
  const combinations: Record<string, unknown>[] = [];
  for (let k = 0; k < count; k++) {
    const combination: Record<string, unknown> = {};
    if (spec.mode === 'grid') {
      let rest = k;
      const picks: number[] = [];
      for (let d = axes.length - 1; d >= 0; d--) {
        const len = axes[d]!.values.length;
        picks[d] = rest % len;
        rest = Math.floor(rest / len);
      }
      axes.forEach((a, d) => (combination[a.path] = a.values[picks[d]!]));
    } else axes.forEach((a) => (combination[a.path] = a.values[k]));
    combinations.push(combination);
  }
  if (spec.mode === 'list') {
    const seen = new Map<string, number>();
    combinations.forEach((c, k) => {
      const key = canonical(axes.map((a) => c[a.path]));
      const before = seen.get(key);
      if (before !== undefined) issues.push({ path: `runs[${k}]`, message: `${combinationLabel(c)}: the same combination as run ${before} (index from 0)`, combination: c });
      else seen.set(key, k);
    });
    if (issues.length) return { ok: false, issues };
  }

  const baseName = typeof spec.base.name === 'string' && !axes.some((a) => a.path === 'name') ? spec.base.name : null;
  const runs: SweepRun[] = [];
  const failures: { k: number; combination: Record<string, unknown>; label: string; issues: { path: string; message: string }[] }[] = [];
  combinations.forEach((combination, k) => {
    const input = structuredClone(spec.base);
    for (const a of axes) setPath(input, a.segments, structuredClone(combination[a.path]));
    const label = combinationLabel(combination);
    if (baseName !== null) input.name = runName(baseName, label, k, count);
    const parsed = parseRunSpec(input);
    if (parsed.ok) runs.push({ index: k, combination, spec: parsed.spec });
    else failures.push({ k, combination, label, issues: parsed.issues });
  });
  if (failures.length === 0) return { ok: true, sweep: { name: spec.name ?? null, mode: spec.mode, executor: spec.executor, axes: axes.map((a) => ({ path: a.path, values: a.values })), runs } };

  // An issue every combination has is reported once; the rest name their combination.
  const text = (i: { path: string; message: string }) => `${i.path}: ${i.message}`;
  const shared = count > 1 && failures.length === count ? failures.slice(1).reduce((s, f) => new Set(f.issues.map(text).filter((t) => s.has(t))), new Set(failures[0]!.issues.map(text))) : new Set<string>();
  for (const t of shared) issues.push({ path: 'runs', message: `every run: ${t}` });
  for (const f of failures) {
    for (const i of f.issues) if (!shared.has(text(i))) issues.push({ path: `runs[${f.k}]`, message: `${f.label}: ${text(i)}`, combination: f.combination });
  }
  return { ok: false, issues };
}
