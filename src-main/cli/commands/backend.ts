import type { Command } from 'commander';
import { checkBackendEnv, loadCompute } from '../compute-env';

export function registerBackend(program: Command): void {
  program
    .command('backend')
    .description('show which compute backend would be used and why')
    .action(async () => {
      await checkBackendEnv();
      const { formatComputeReport, selectCompute } = await loadCompute();
      process.stdout.write(`${formatComputeReport(await selectCompute())}\n`);
    });
}
