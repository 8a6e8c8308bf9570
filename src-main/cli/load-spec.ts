import { formatIssues, parseRunSpec, type RunSpec } from '../../contract/run-spec';
import { readText } from './read-text';
import { UsageError } from './usage-error';

/**
 * Read and validate a spec file; every failure is a UsageError naming the file and the field. The
 * schema checks system params too, so no tfjs system is built here (molecules are built when the
 * run starts: the backend reads their structure and force field).
 */
export async function loadSpec(path: string): Promise<RunSpec> {
  const text = await readText(path, 'spec');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`spec ${path} is not valid JSON: ${(e as Error).message}`);
  }
  const parsed = parseRunSpec(json);
  if (!parsed.ok) throw new UsageError(`invalid spec ${path}: ${formatIssues(parsed.issues)}`);
  return parsed.spec;
}
