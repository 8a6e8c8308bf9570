import { z } from 'zod';
import { COMPUTE_CHOICES } from '../compute';
import { FORCEFIELDS, isMoleculeSystem, PARAM_NAMES, SYSTEM_NAMES, type SystemName } from '../systems';

// Schema pieces shared by every run method (generator and umbrella sampling).

export const positive = z.number().positive();
export const temperatures = z.array(positive).min(1).max(16);
/** Temperatures that each produce their own output (files, estimates): repeats make no sense. */
export const distinctTemperatures = temperatures.refine((t) => new Set(t).size === t.length, 'temperatures must be distinct');

export const BackendSchema = z.enum(COMPUTE_CHOICES).default('auto');

/** A row of a stored sample set (e.g. an imported PDB), as a starting configuration or a structure. */
export const SetRowSchema = z.object({ setId: z.number().int().positive(), index: z.number().int().min(0).default(0) }).strict();

/** Ranges the engine's systems require (engine/energies/*: their constructors throw otherwise). */
const integerFrom = (min: number) => (v: number): string | null => (Number.isInteger(v) && v >= min ? null : `must be an integer ≥ ${min}`);
const above0 = (v: number): string | null => (v > 0 ? null : 'must be > 0');
const PARAM_CHECKS: Partial<Record<SystemName, Record<string, (v: number) => string | null>>> = {
  'double-well': { dim: integerFrom(1), a4: above0 },
  'mueller-brown': { dim: integerFrom(2), k: above0 },
  dimer: { nSolvent: integerFrom(0), boxHalf: above0 },
};

export const SystemSchema = z
  .object({
    name: z.enum(SYSTEM_NAMES),
    params: z.record(z.string(), z.number()).default({}),
    /** Molecules: the force field that types the structure (data/forcefields/<name>.xml). */
    forcefield: z.enum(FORCEFIELDS).optional(),
    /** `molecule`: the imported PDB set (its topology) and the row whose coordinates are the structure. */
    structure: SetRowSchema.optional(),
  })
  .strict()
  .superRefine((s, ctx) => {
    const allowed = PARAM_NAMES[s.name];
    for (const key of Object.keys(s.params)) {
      if (!allowed.includes(key)) {
        ctx.addIssue({ code: 'custom', path: ['params', key], message: `unknown parameter for ${s.name} (allowed: ${allowed.join(', ')})` });
      }
    }
    for (const [key, check] of Object.entries(PARAM_CHECKS[s.name] ?? {})) {
      const v = s.params[key];
      const problem = v === undefined ? null : check(v);
      if (problem) ctx.addIssue({ code: 'custom', path: ['params', key], message: problem });
    }
    const t = s.params.temperature;
    if (t !== undefined && !(t > 0 && t <= 5000)) ctx.addIssue({ code: 'custom', path: ['params', 'temperature'], message: 'must be in (0, 5000] K' });
    if (!isMoleculeSystem(s.name) && s.forcefield !== undefined) ctx.addIssue({ code: 'custom', path: ['forcefield'], message: `${s.name} is not a molecule: it takes no force field` });
    if (s.name === 'molecule' && !s.structure) ctx.addIssue({ code: 'custom', path: ['structure'], message: 'a molecule needs its structure: {"setId": <an imported PDB set>, "index": 0}' });
    if (s.name !== 'molecule' && s.structure) ctx.addIssue({ code: 'custom', path: ['structure'], message: `${s.name} has a built-in structure; "structure" is for system "molecule"` });
  });

/** A configuration named by state (its built-in start) or given as coordinates. */
export const endpoint = z.union([z.enum(['A', 'B']), z.array(z.number()).min(1).max(100000)]);

export const AnalysisSchema = z
  .object({
    bins: z.number().int().min(5).max(1000).default(50),
    rcRange: z.tuple([z.number(), z.number()]).optional(),
    bootstrap: z.number().int().min(2).max(10000).default(100),
    /** Points on the latent interpolation path (0: none). */
    pathPoints: z.number().int().min(0).max(1000).refine((n) => n !== 1, 'use 0 (no path) or at least 2 points').default(21),
    /** Path ends: a state's built-in start configuration, or explicit coordinates. */
    pathFrom: endpoint.default('A'),
    pathTo: endpoint.default('B'),
  })
  .strict()
  .superRefine((a, ctx) => {
    const r = a.rcRange;
    if (r && !(r[1] > r[0])) ctx.addIssue({ code: 'custom', path: ['rcRange'], message: 'max must be greater than min' });
  })
  .default({ bins: 50, bootstrap: 100, pathPoints: 21, pathFrom: 'A', pathTo: 'B' });

/** Fields every spec has, whatever its method. */
export const commonFields = {
  $schema: z.string().optional(),
  name: z.string().min(1).max(120).optional(),
  description: z.string().max(4000).optional(),
  seed: z.number().int().min(0).max(2 ** 31 - 1).optional(),
  system: SystemSchema,
  analysis: AnalysisSchema,
};
