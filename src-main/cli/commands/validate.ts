import type { Command } from 'commander';

export function registerValidate(program: Command): void {
  program
    .command('validate')
    .usage('<spec.json>')
    .description('check a run spec and exit')
    .argument('<spec.json>', 'the run spec (docs/run-spec.md)')
    .action(async (specPath: string) => {
      const { loadSpec } = await import('../load-spec');
      const spec = await loadSpec(specPath);
      const what =
        spec.method === 'umbrella'
          ? `umbrella sampling, ${spec.umbrella.windows} windows`
          : `${spec.explore ? `exploration (${spec.explore.iterations} iterations), ` : ''}${spec.training.stages.length} stages`;
      process.stdout.write(`${specPath}: valid (${spec.system.name}, ${what})\n`);
    });
}
