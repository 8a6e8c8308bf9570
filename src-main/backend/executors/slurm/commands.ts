import { execFile } from 'node:child_process';

/**
 * The Slurm commands the executor uses, as child processes with a timeout: sbatch, squeue, scancel.
 * (sacct needs slurmdbd, which many clusters and our test cluster lack: state comes from squeue and
 * the job's own files.)
 */
export class SlurmCommandError extends Error {
  constructor(
    readonly command: string,
    readonly stderr: string,
    message: string,
  ) {
    super(message);
    this.name = 'SlurmCommandError';
  }
}

function run(cmd: string, args: readonly string[], timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout);
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return reject(new SlurmCommandError(cmd, '', `${cmd} not found: the backend must run on a Slurm submit host (sbatch, squeue and scancel on PATH)`));
      // sbatch prints "sbatch: error: …" lines: the last says why, the first often says what.
      const why = stderr.trim().split('\n').map((l) => l.replace(/^\w+: error: /, '')).join('; ') || err.message;
      reject(new SlurmCommandError(cmd, stderr, `${cmd} failed: ${why}`));
    });
  });
}

/** Submit an array job; returns its array job id. */
export async function sbatch(args: readonly string[], script: string): Promise<string> {
  const out = (await run('sbatch', ['--parsable', ...args, script])).trim();
  const id = out.split(';')[0]!;
  if (!/^\d+$/.test(id)) throw new SlurmCommandError('sbatch', out, `sbatch printed '${out}', not a job id`);
  return id;
}

export interface TaskState {
  readonly arrayId: string;
  readonly task: number;
  /** PENDING, RUNNING, COMPLETING, COMPLETED, FAILED, CANCELLED, TIMEOUT, PREEMPTED, NODE_FAIL, … */
  readonly state: string;
  readonly reason: string;
}

/** Every array task squeue knows of these arrays, finished ones included (`-t all`, one task a line with `-r`). */
export async function squeue(arrayIds: readonly string[]): Promise<TaskState[]> {
  if (!arrayIds.length) return [];
  const out = await run('squeue', ['-h', '-r', '-t', 'all', '-j', arrayIds.join(','), '-o', '%F|%K|%T|%r']).catch((e: SlurmCommandError) => {
    // squeue refuses the whole call when one id has been purged ("Invalid job id specified").
    if (/Invalid job id/i.test(e.stderr)) return '';
    throw e;
  });
  return out
    .split('\n')
    .map((l) => l.trim().split('|'))
    .filter((f) => f.length === 4 && /^\d+$/.test(f[1]!))
    .map(([arrayId, task, state, reason]) => ({ arrayId: arrayId!, task: Number(task), state: state!, reason: reason! }));
}

/** Cancel tasks (`<array>_<task>`); ids Slurm no longer knows are no error. */
export async function scancel(jobIds: readonly string[]): Promise<void> {
  if (jobIds.length) await run('scancel', [...jobIds]);
}

/** States in which a task is still queued or running. */
export const ACTIVE_STATES = new Set(['PENDING', 'CONFIGURING', 'RUNNING', 'COMPLETING', 'SUSPENDED', 'REQUEUED', 'REQUEUE_HOLD', 'REQUEUE_FED', 'RESIZING', 'STAGE_OUT', 'SIGNALING']);
