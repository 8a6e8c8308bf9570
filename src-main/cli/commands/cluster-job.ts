import type { Command } from 'commander';

/** Internal: what a Slurm task runs on a compute node (src-main/cli/runs/cluster-job.ts). */
export function registerClusterJob(program: Command): void {
  program
    .command('cluster-job', { hidden: true })
    .argument('<dir>', 'the run directory the backend wrote (job.json)')
    .description('run or resume one cluster run in its directory (the Slurm executor starts this on a node)')
    .action(async (dir: string) => {
      const { runClusterJob } = await import('../runs/cluster-job');
      process.exitCode = await runClusterJob(dir);
    });
}
