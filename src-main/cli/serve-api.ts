import { createBackend, type Backend } from '../backend/backend';
import { loadSlurmSettings } from '../backend/executors/slurm/settings';
import type { CostSettings } from '../backend/scheduler/cost-limits';
import { generateToken } from '../backend/server/security';
import { registerDownloads } from '../backend/server/downloads';
import { startApiServer } from '../backend/server/http';
import { registerRenderer } from '../backend/server/renderer';
import { clearUploads, registerUploads, type UploadOptions } from '../backend/server/uploads';
import { ApiError } from '../../contract/api';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ServeOptions {
  readonly dbPath: string;
  readonly host: string;
  readonly port: number;
  readonly allowRemote: boolean;
  readonly workers?: number;
  readonly cores?: number | undefined;
  readonly checkpointEverySeconds?: number;
  readonly limits?: CostSettings;
  readonly importMaxBytes?: number;
  /** The Slurm executor's settings file. */
  readonly slurm?: string | undefined;
  readonly maxSweepRuns?: number | undefined;
}

/**
 * `bgw serve`: the backend behind the HTTP + WebSocket API until SIGINT/SIGTERM. The URL with the
 * per-launch token is the one line on stdout (what the Electron shell and tests read).
 */
export async function serve(o: ServeOptions): Promise<void> {
  const backend = await createBackend({
    dbPath: o.dbPath,
    owner: `bgw serve on ${o.host}`,
    workers: o.workers,
    ...(o.cores ? { cores: o.cores } : {}),
    checkpointEverySeconds: o.checkpointEverySeconds,
    ...(o.limits ? { limits: o.limits } : {}),
    ...(o.importMaxBytes ? { importMaxBytes: o.importMaxBytes } : {}),
    ...(o.maxSweepRuns ? { maxSweepRuns: o.maxSweepRuns } : {}),
    slurm: o.slurm ? loadSlurmSettings(o.slurm) : undefined,
  });
  const token = generateToken();
  const uploads = uploadOptions(backend, o.dbPath);
  let server;
  try {
    server = await startApiServer({
      handlers: backend.handlers,
      subscribe: (l) => backend.events.subscribe(l),
      token,
      host: o.host,
      port: o.port,
      allowRemote: o.allowRemote,
      routes: async (app) => {
        await clearUploads(uploads.dir);
        registerUploads(app, uploads);
        await registerRenderer(app, () => registerDownloads(app, { samples: backend.repos.samples, dbPath: o.dbPath }));
      },
      isPublic: (path) => !/^\/(api|events|download|upload)(\/|$)/.test(path),
    });
  } catch (e) {
    await backend.close();
    throw e;
  }
  process.stdout.write(`${server.url}/?token=${token}\n`);
  process.stderr.write(`bgw: serving ${backend.workers} worker(s) on database ${o.dbPath}\n`);
  await new Promise<void>((resolve) => {
    const stop = (): void => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  process.stderr.write('bgw: stopping (running runs will show as interrupted and can resume)\n');
  await server.close();
  await backend.close();
}

/** Uploads into a backend's imports: files in `<database>.uploads/` (a temporary folder for an in-memory database). */
export function uploadOptions(backend: Backend, dbPath: string): UploadOptions {
  return {
    dir: dbPath === ':memory:' ? join(tmpdir(), `bgw-uploads-${process.pid}`) : `${dbPath}.uploads`,
    maxBytes: backend.imports.limit.maxBytes,
    limitSetting: backend.imports.limit.setting,
    checkProject: (id) => {
      if (!backend.repos.projects.get(id)) throw new ApiError('not_found', `project ${id} does not exist`);
    },
    start: ({ path, ...r }) => backend.imports.startFile({ ...r, name: r.name ?? `uploaded ${r.format}`, source: { path } }, { owned: true }),
  };
}
