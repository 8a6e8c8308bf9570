import { ApiError, type ApiHandlers } from '../../../contract/api';
import { databaseFiles } from '../../../db/connection';
import { exportSampleSet, ExportTargetError } from '../export/export-set';
import { importSampleSet } from '../import/import-set';
import type { ServiceContext } from './context';

type Channels = 'samples:sets' | 'samples:page' | 'export:samples' | 'import:samples';

export function sampleHandlers(c: ServiceContext): Pick<ApiHandlers, Channels> {
  const { samples, projects } = c.repos;
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
    'import:samples': async (r) => {
      if (!projects.get(r.projectId)) throw new ApiError('not_found', `project ${r.projectId} does not exist`);
      try {
        return await importSampleSet(samples, r);
      } catch (e) {
        throw new ApiError('invalid_input', `import failed: ${(e as Error).message}`);
      }
    },
  };
}
