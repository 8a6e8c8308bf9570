import { z } from 'zod';
import { COMPUTE_CHOICES } from '../compute';
import { FORCEFIELDS, isMoleculeSystem, PARAM_NAMES, PERMUTABLE_SYSTEMS, SYSTEM_NAMES, type SystemName } from '../systems';

// Schema pieces shared by every run method (generator and umbrella sampling).

export const positive = z.number().positive();
export const temperatures = z.array(positive).min(1).max(16);
/** Temperatures that each produce their own output (files, estimates): repeats make no sense. */
export const distinctTemperatures = temperatures.refine((t) => new Set(t).size === t.length, 'temperatures must be distinct');

export const BackendSchema = z.enum(COMPUTE_CHOICES).default('auto');

/** A row of a stored sample set (e.g. an imported PDB), as a starting configuration or a structure. */
export const SetRowSchema = z.object({ setId: z.number().int().positive(), index: z.number().int().min(0).default(0) }).strict();

/**
 * Ranges the engine's systems require (engine/energies/*: their constructors throw otherwise), and
 * upper bounds where the physics gives no reason to go further: the 2-D systems' extra dimensions
 * are separable harmonic terms (a thousand show every effect), and the dimer's energy is O(N²) in its
 * particles. Without them one parameter (dim = 10⁹) asks for gigabytes before any check runs.
 */
const integerIn = (min: number, max: number) => (v: number): string | null => (Number.isInteger(v) && v >= min && v <= max ? null : `must be an integer in [${min}, ${max}]`);
const inOpen0 = (max: number) => (v: number): string | null => (v > 0 && v <= max ? null : `must be in (0, ${max}]`);
export const MAX_EXTRA_DIM = 1000;
const PARAM_CHECKS: Partial<Record<SystemName, Record<string, (v: number) => string | null>>> = {
  'double-well': { dim: integerIn(1, MAX_EXTRA_DIM), a4: inOpen0(1e6) },
  'mueller-brown': { dim: integerIn(2, MAX_EXTRA_DIM), k: inOpen0(1e6) },
  dimer: { nSolvent: integerIn(0, 500), boxHalf: inOpen0(1000) },
};

/** Unknown parameter names and values out of range for a system (the spec's check; imports use it too). */
export function systemParamIssues(name: SystemName, params: Readonly<Record<string, number>>): { key: string; message: string }[] {
  const out: { key: string; message: string }[] = [];
  const allowed = PARAM_NAMES[name];
  for (const key of Object.keys(params)) {
    if (!allowed.includes(key)) out.push({ key, message: `unknown parameter for ${name} (allowed: ${allowed.join(', ')})` });
  }
  for (const [key, check] of Object.entries(PARAM_CHECKS[name] ?? {})) {
    const v = params[key];
    const problem = v === undefined ? null : check(v);
    if (problem) out.push({ key, message: problem });
  }
  const t = params.temperature;
  if (t !== undefined && !(t > 0 && t <= 5000)) out.push({ key: 'temperature', message: 'must be in (0, 5000] K' });
  return out;
}

export const SystemSchema = z
  .object({
    name: z.enum(SYSTEM_NAMES),
    params: z.record(z.string(), z.number()).default({}),
    /** Molecules: the force field that types the structure (data/forcefields/<name>.xml). */
    forcefield: z.enum(FORCEFIELDS).optional(),
    /** `molecule`: the imported PDB set (its topology) and the row whose coordinates are the structure. */
    structure: SetRowSchema.optional(),
    /**
     * Relabel identical particles (the dimer's solvent) into one permutation domain: training data
     * are relabelled, and generated samples outside the domain weigh nothing (docs/science.md).
     */
    permutationReduction: z.boolean().optional(),
  })
  .strict()
  .superRefine((s, ctx) => {
    for (const { key, message } of systemParamIssues(s.name, s.params)) ctx.addIssue({ code: 'custom', path: ['params', key], message });
    if (!isMoleculeSystem(s.name) && s.forcefield !== undefined) ctx.addIssue({ code: 'custom', path: ['forcefield'], message: `${s.name} is not a molecule: it takes no force field` });
    if (s.name === 'molecule' && !s.structure) ctx.addIssue({ code: 'custom', path: ['structure'], message: 'a molecule needs its structure: {"setId": <an imported PDB set>, "index": 0}' });
    if (s.permutationReduction && !PERMUTABLE_SYSTEMS.includes(s.name)) ctx.addIssue({ code: 'custom', path: ['permutationReduction'], message: `${s.name} has no identical particles (only ${PERMUTABLE_SYSTEMS.join(', ')})` });
    if (s.permutationReduction && s.name === 'dimer' && (s.params.nSolvent ?? 36) < 2) ctx.addIssue({ code: 'custom', path: ['permutationReduction'], message: 'needs at least 2 solvent particles (params.nSolvent ≥ 2)' });
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
