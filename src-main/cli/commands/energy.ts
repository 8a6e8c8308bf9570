import type { Command } from 'commander';
import { positiveNumber } from '../options';

export function registerEnergy(program: Command): void {
  program
    .command('energy')
    .usage('<file.pdb> --forcefield <file.xml> [--temperature K]')
    .description("each model's force-field energy (kJ/mol), one line per model")
    .argument('<file.pdb>', 'the structure; every MODEL must list the same atoms')
    .requiredOption('--forcefield <file.xml>', 'an OpenMM ForceField XML file, e.g. data/forcefields/amber99sbildn.xml')
    .option('--temperature <K>', 'kelvin, for the energy in kT', positiveNumber('--temperature', 'kelvin'), 300)
    .action(async (pdb: string, flags: { forcefield: string; temperature: number }) => {
      const { mmEnergies } = await import('../mm-energy');
      process.stdout.write(`${await mmEnergies(pdb, flags.forcefield, flags.temperature)}\n`);
    });
}
