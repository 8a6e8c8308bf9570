import { readFile } from 'node:fs/promises';
import { createSystem } from '../../engine/energies';
import { formatIssues, parseRunSpec, type RunSpec } from '../../contract/run-spec';
import { isMoleculeSystem } from '../../contract/systems';
import { UsageError } from './usage-error';

/** Read and validate a spec file; every failure is a UsageError naming the file and the field. */
export async function loadSpec(path: string): Promise<RunSpec> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot read spec ${path}: ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`spec ${path} is not valid JSON: ${(e as Error).message}`);
  }
  const parsed = parseRunSpec(json);
  if (!parsed.ok) throw new UsageError(`invalid spec ${path}: ${formatIssues(parsed.issues)}`);
  // Molecules are built when the run starts (the backend reads their structure and force field).
  try {
    if (!isMoleculeSystem(parsed.spec.system.name)) createSystem(parsed.spec.system.name, parsed.spec.system.params);
  } catch (e) {
    throw new UsageError(`invalid spec ${path}: system.params: ${(e as Error).message}`);
  }
  return parsed.spec;
}
