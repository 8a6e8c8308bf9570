import { ApiError, type ApiHandlers } from '../../../contract/api';
import { databaseFiles } from '../../../db/connection';
import { exportSampleSet, ExportTargetError } from '../export/export-set';
import type { ServiceContext } from './context';

type Channels = 'samples:sets' | 'samples:page' | 'export:samples' | 'import:samples' | 'import:file' | 'imports:list' | 'imports:cancel';

export function sampleHandlers(c: ServiceContext): Pick<ApiHandlers, Channels> {
  const { samples, projects } = c.repos;
  const mustGetProject = (id: number): void => {
    if (!projects.get(id)) throw new ApiError('not_found', `project ${id} does not exist`);
  };
  const mustGetSet = (id: number): void => {
    if (!samples.getSet(id)) throw new ApiError('not_found', `sample set ${id} does not exist`);
  };
  return {
    'samples:sets': async (q) => samples.listSets(q),
    'samples:page': async ({ setId, ...q }) => {
      mustGetSet(setId);
      return samples.page(setId, q);
    },
    'export:samples': async (r) => {
      mustGetSet(r.setId);
      try {
        return await exportSampleSet(samples, { ...r, protect: databaseFiles(c.dbPath) });
      } catch (e) {
        throw new ApiError(e instanceof ExportTargetError ? 'conflict' : 'bad_request', `export to ${r.path} failed: ${(e as Error).message}`);
      }
    },
    'import:samples': async ({ text, ...r }) => {
      mustGetProject(r.projectId);
      return c.imports.importText({ ...r, source: { text } });
    },
    'import:file': async ({ path, ...r }) => {
      mustGetProject(r.projectId);
      return c.imports.startFile({ ...r, source: { path } });
    },
    'imports:list': async () => c.imports.list(),
    'imports:cancel': async ({ id }) => c.imports.cancel(id),
  };
}
