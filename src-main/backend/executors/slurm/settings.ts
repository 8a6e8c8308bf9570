import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';

/**
 * The Slurm executor's settings (docs/scale-out.md): where run directories go (a folder the
 * compute nodes see at the same path), what each job asks for, and how `bgw` starts on a node.
 */
export const SlurmSettingsSchema = z
  .object({
    /** A directory shared with the compute nodes: one folder per run (spec, checkpoints, progress, results). */
    runRoot: z.string().min(1),
    partition: z.string().min(1).max(200).optional(),
    cpusPerTask: z.number().int().min(1).max(1024).default(1),
    gpusPerTask: z.number().int().min(0).max(64).default(0),
    /** Slurm's time format, e.g. "02:00:00" or "1-00:00:00". */
    timeLimit: z.string().regex(/^(\d+-)?\d{1,2}(:\d{2}){0,2}$/, 'a Slurm time such as "02:00:00" or "1-00:00:00"').optional(),
    /** Passed to sbatch as they are, e.g. ["--account=chem", "--qos=short"]. */
    sbatchArgs: z.array(z.string().min(1).max(500)).max(50).default([]),
    /** How the node starts bgw (default: this Node.js and this checkout's bin/bgw.mjs, which the nodes must see). */
    command: z.array(z.string().min(1)).min(1).max(20).optional(),
    /** Seconds between polls of squeue and the run directories. */
    pollSeconds: z.number().min(0.2).max(600).default(5),
    /** Submissions of one run before a job that keeps dying fails the run. */
    maxSubmissions: z.number().int().min(1).max(100).default(4),
    /** Seconds between a job's checkpoints (what a preempted or killed job loses at most). */
    checkpointEverySeconds: z.number().min(1).max(86_400).default(60),
  })
  .strict();

export type SlurmSettings = z.output<typeof SlurmSettingsSchema>;
export type SlurmSettingsInput = z.input<typeof SlurmSettingsSchema>;

/** Parse settings (a file's JSON or an object); runRoot becomes absolute. Errors name the field. */
export function parseSlurmSettings(value: unknown, source = 'slurm settings'): SlurmSettings {
  const r = SlurmSettingsSchema.safeParse(value);
  if (!r.success) throw new Error(`${source}: ${r.error.issues.map((i) => `${i.path.join('.') || 'settings'}: ${i.message}`).join('; ')}`);
  return { ...r.data, runRoot: isAbsolute(r.data.runRoot) ? r.data.runRoot : resolve(r.data.runRoot) };
}

export function loadSlurmSettings(path: string): SlurmSettings {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new Error(`cannot read the slurm settings ${path}: ${(e as Error).message}`);
  }
  return parseSlurmSettings(value, path);
}
