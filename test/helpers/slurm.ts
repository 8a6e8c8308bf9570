import { execFileSync } from 'node:child_process';

/**
 * The one-node Slurm cluster the Slurm tests need (scripts/slurm/setup.sh starts it; .ci/run runs
 * that first). Throws with how to get it, so a missing cluster fails the tests instead of skipping them.
 */
export function requireSlurm(): void {
  let state = '';
  try {
    state = execFileSync('sinfo', ['-h', '-o', '%T'], { encoding: 'utf8', timeout: 15_000 }).trim();
  } catch (e) {
    throw new Error(`no Slurm cluster here (${(e as Error).message.split('\n')[0]}): run scripts/slurm/setup.sh as root (it installs slurm-wlm and munge and starts a one-node cluster; .ci/run does this)`);
  }
  if (!/idle|mixed|allocated|completing/.test(state)) throw new Error(`the Slurm node is '${state}', not up: run scripts/slurm/setup.sh again`);
}

export function squeueState(jobId: string): string {
  return execFileSync('squeue', ['-h', '-t', 'all', '-r', '-j', jobId.split('_')[0]!, '-o', '%F_%K %T'], { encoding: 'utf8' })
    .split('\n')
    .find((l) => l.startsWith(`${jobId} `))
    ?.split(' ')[1] ?? 'gone';
}
