import { z } from 'zod';
import { PARAM_NAMES, SYSTEM_NAMES } from './systems';

/**
 * The run spec: one JSON document that is the single source of truth for a run. The same schema
 * validates CLI input, API calls and (later) the UI form, so field errors read the same everywhere.
 * docs/run-spec.md describes every field.
 */

const positive = z.number().positive();
const temperatures = z.array(positive).min(1).max(16);

export const StageSchema = z
  .object({
    name: z.string().max(80).optional(),
    epochs: positive.max(1e5).optional(),
    iterations: z.number().int().positive().max(1e7).optional(),
    lr: positive.max(1),
    batch: z.number().int().min(1).max(65536),
    wML: z.number().min(0).default(0),
    wKL: z.number().min(0).default(0),
    wRC: z.number().min(0).default(0),
    highEnergy: positive.default(1e3),
    maxEnergy: positive.default(1e10),
    temperatures: temperatures.default([1]),
    rcLoss: z.enum(['barrier', 'entropy']).default('barrier'),
  })
  .strict()
  .superRefine((s, ctx) => {
    if ((s.epochs === undefined) === (s.iterations === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['iterations'], message: 'give exactly one of epochs or iterations' });
    }
    if (s.wML + s.wKL + s.wRC === 0) ctx.addIssue({ code: 'custom', path: ['wML'], message: 'at least one of wML, wKL, wRC must be > 0' });
    if (s.maxEnergy <= s.highEnergy) ctx.addIssue({ code: 'custom', path: ['maxEnergy'], message: 'must be greater than highEnergy' });
  });

export const RunSpecSchema = z
  .object({
    $schema: z.string().optional(),
    name: z.string().min(1).max(120).optional(),
    description: z.string().max(4000).optional(),
    seed: z.number().int().min(0).max(2 ** 31 - 1).optional(),
    backend: z.enum(['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu']).default('auto'),
    system: z
      .object({
        name: z.enum(SYSTEM_NAMES),
        params: z.record(z.string(), z.number()).default({}),
      })
      .strict(),
    data: z
      .object({
        source: z.literal('metropolis'),
        perState: z.number().int().min(1).max(1e7),
        stride: z.number().int().min(1).default(10),
        burnIn: z.number().int().min(0).default(1000),
        step: positive.optional(),
        temperature: positive.default(1),
      })
      .strict()
      .optional(),
    flow: z
      .object({
        layers: z.string().regex(/^[RNSP]+$/, 'use the letters R, N, S, P (e.g. "RRRR")').max(64),
        hidden: z.array(z.number().int().min(1).max(4096)).min(1).max(8),
        sScale: positive.max(10).default(1),
        whiten: z.boolean().default(false),
      })
      .strict(),
    training: z
      .object({
        clipNorm: positive.default(100),
        stages: z.array(StageSchema).min(1).max(32),
      })
      .strict(),
    sampling: z
      .object({
        n: z.number().int().min(10).max(1e7),
        temperatures: temperatures.default([1]),
        chunk: z.number().int().min(1).max(1e6).default(8192),
      })
      .strict(),
    analysis: z
      .object({
        bins: z.number().int().min(5).max(1000).default(50),
        rcRange: z.tuple([z.number(), z.number()]).optional(),
        bootstrap: z.number().int().min(2).max(10000).default(100),
      })
      .strict()
      .default({ bins: 50, bootstrap: 100 }),
  })
  .strict()
  .superRefine((spec, ctx) => {
    const allowed = PARAM_NAMES[spec.system.name];
    for (const key of Object.keys(spec.system.params)) {
      if (!allowed.includes(key)) {
        ctx.addIssue({ code: 'custom', path: ['system', 'params', key], message: `unknown parameter for ${spec.system.name} (allowed: ${allowed.join(', ')})` });
      }
    }
    spec.training.stages.forEach((s, i) => {
      const needsData = s.wML > 0 || s.epochs !== undefined;
      if (needsData && !spec.data) {
        ctx.addIssue({
          code: 'custom',
          path: ['training', 'stages', i, s.wML > 0 ? 'wML' : 'epochs'],
          message: 'training by example (wML > 0 or epochs) needs a "data" section',
        });
      }
    });
    if (spec.flow.whiten && !spec.data) {
      ctx.addIssue({ code: 'custom', path: ['flow', 'whiten'], message: 'whitening is fitted on training data: needs a "data" section' });
    }
    const r = spec.analysis.rcRange;
    if (r && !(r[1] > r[0])) ctx.addIssue({ code: 'custom', path: ['analysis', 'rcRange'], message: 'max must be greater than min' });
  });

export type RunSpec = z.output<typeof RunSpecSchema>;
export type RunSpecInput = z.input<typeof RunSpecSchema>;

/** One validation problem, with the dotted path of the bad field (e.g. `training.stages[1].lr`). */
export interface SpecIssue {
  readonly path: string;
  readonly message: string;
}

export type ParseResult = { ok: true; spec: RunSpec } | { ok: false; issues: SpecIssue[] };

/** Validate an already-parsed JSON value as a run spec. */
export function parseRunSpec(value: unknown): ParseResult {
  const r = RunSpecSchema.safeParse(value);
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
