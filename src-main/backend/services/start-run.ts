import { randomInt } from 'node:crypto';
import { ApiError, type RunDto } from '../../../contract/api';
import { parseRunSpec, type RunSpec, type SpecIssue } from '../../../contract/run-spec';
import { prepareRun, StoredInputError } from '../scheduler/stored-inputs';
import type { ServiceContext } from './context';

/** A run to start: its spec already validated where it entered (the API call or the CLI's file). */
export interface StartRun {
  readonly spec: RunSpec;
  readonly seed?: number | undefined;
  readonly projectId?: number | undefined;
  readonly name?: string | undefined;
}

export const newSeed = (): number => randomInt(0, 2 ** 31 - 1);

const specIssues = (issues: readonly SpecIssue[]): { path: string; message: string }[] =>
  issues.map((i) => ({ path: i.path === 'spec' ? 'spec' : `spec.${i.path}`, message: i.message }));

function invalidSpec(issues: { path: string; message: string }[]): ApiError {
  return new ApiError('invalid_input', `invalid run spec: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, issues);
}

/** The API's edge: a JSON value from a client becomes a typed spec, or an error naming each field. */
export function validateSpec(value: unknown): RunSpec {
  const parsed = parseRunSpec(value);
  if (!parsed.ok) throw invalidSpec(specIssues(parsed.issues));
  return parsed.spec;
}

/**
 * Queue a validated spec: what it names in the database is checked once here (an ApiError naming
 * the field), its molecule is resolved and stored with the run, and the scheduler takes it from
 * there without checking again.
 */
export function startRun(c: ServiceContext, r: StartRun): RunDto {
  const { runs, projects, samples } = c.repos;
  if (r.projectId !== undefined && !projects.get(r.projectId)) throw new ApiError('not_found', `project ${r.projectId} does not exist`);
  let molecule;
  try {
    molecule = prepareRun(samples, r.spec, c.limits());
  } catch (e) {
    if (!(e instanceof StoredInputError)) throw e;
    throw new ApiError('invalid_input', `invalid run spec: spec.${e.message}`, [{ path: `spec.${e.path}`, message: e.message.slice(e.path.length + 2) }]);
  }
  const s = r.spec;
  const run = runs.create({ projectId: r.projectId ?? projects.defaultId(), name: r.name ?? s.name ?? `${s.system.name} ${s.method}`, spec: s, seed: r.seed ?? s.seed ?? newSeed(), molecule });
  c.scheduler.enqueue(run.id);
  return runs.get(run.id)!;
}
