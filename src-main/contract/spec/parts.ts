import { z } from 'zod';
import { PARAM_NAMES, SYSTEM_NAMES } from '../systems';

// Schema pieces shared by every run method (generator and umbrella sampling).

export const positive = z.number().positive();
export const temperatures = z.array(positive).min(1).max(16);

export const BackendSchema = z.enum(['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu']).default('auto');

export const SystemSchema = z
  .object({
    name: z.enum(SYSTEM_NAMES),
    params: z.record(z.string(), z.number()).default({}),
  })
  .strict()
  .superRefine((s, ctx) => {
    const allowed = PARAM_NAMES[s.name];
    for (const key of Object.keys(s.params)) {
      if (!allowed.includes(key)) {
        ctx.addIssue({ code: 'custom', path: ['params', key], message: `unknown parameter for ${s.name} (allowed: ${allowed.join(', ')})` });
      }
    }
  });

export const AnalysisSchema = z
  .object({
    bins: z.number().int().min(5).max(1000).default(50),
    rcRange: z.tuple([z.number(), z.number()]).optional(),
    bootstrap: z.number().int().min(2).max(10000).default(100),
    /** Points on the latent interpolation path between the two states' start configurations (0: none). */
    pathPoints: z.number().int().min(0).max(1000).default(21),
  })
  .strict()
  .superRefine((a, ctx) => {
    const r = a.rcRange;
    if (r && !(r[1] > r[0])) ctx.addIssue({ code: 'custom', path: ['rcRange'], message: 'max must be greater than min' });
  })
  .default({ bins: 50, bootstrap: 100, pathPoints: 21 });

/** Fields every spec has, whatever its method. */
export const commonFields = {
  $schema: z.string().optional(),
  name: z.string().min(1).max(120).optional(),
  description: z.string().max(4000).optional(),
  seed: z.number().int().min(0).max(2 ** 31 - 1).optional(),
  system: SystemSchema,
  analysis: AnalysisSchema,
};
