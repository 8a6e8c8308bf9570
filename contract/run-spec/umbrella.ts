import { z } from 'zod';
import { commonFields, distinctTemperatures, positive } from './parts';

// An umbrella-sampling reference run: harmonic restraints on the RC, float64 Metropolis per window,
// WHAM. Its result has the generator's shape (profile, deltaF), so runs compare side by side.

export const UmbrellaSpecSchema = z
  .object({
    ...commonFields,
    method: z.literal('umbrella'),
    umbrella: z
      .object({
        /** Window centres are spread evenly over this range (default: the system's RC range). */
        range: z.tuple([z.number(), z.number()]).optional(),
        windows: z.number().int().min(2).max(500).default(20),
        /** Restraint b(ξ) = ½·k·(ξ − centre)², in kT at the reference temperature. */
        k: positive,
        stepsPerWindow: z.number().int().min(1).max(1e9),
        burnIn: z.number().int().min(0).default(1000),
        stride: z.number().int().min(1).default(10),
        step: positive.optional(),
        temperatures: distinctTemperatures.default([1]),
      })
      .strict()
      .superRefine((u, ctx) => {
        if (u.range && !(u.range[1] > u.range[0])) ctx.addIssue({ code: 'custom', path: ['range'], message: 'max must be greater than min' });
        if (u.stepsPerWindow / u.stride < 10) ctx.addIssue({ code: 'custom', path: ['stepsPerWindow'], message: 'keep at least 10 samples per window (stepsPerWindow / stride ≥ 10)' });
      }),
  })
  .strict()
  .superRefine((spec, ctx) => {
    // Relabelling changes no free-energy difference between RC states, and inside the domain every
    // Metropolis step would need an assignment: the reference runs on the whole space.
    if (spec.system.permutationReduction) ctx.addIssue({ code: 'custom', path: ['system', 'permutationReduction'], message: 'umbrella sampling runs on the unreduced system (ΔF along the RC is the same); remove it' });
    // WHAM drops samples outside the analysis bins: a window centred outside them is wasted work.
    const w = spec.umbrella.range;
    const a = spec.analysis.rcRange;
    if (w && a && (w[0] < a[0] || w[1] > a[1])) {
      ctx.addIssue({ code: 'custom', path: ['analysis', 'rcRange'], message: `must cover umbrella.range [${w[0]}, ${w[1]}]` });
    }
  });

export type UmbrellaSpec = z.output<typeof UmbrellaSpecSchema>;
