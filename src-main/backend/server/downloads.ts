import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { databaseFiles } from '../../../db/connection';
import type { SamplesRepo } from '../../../db/repositories/samples';
import { ApiError, type SampleSetDto } from '../../../contract/api';
import { exportSampleSet } from '../export/export-set';
import { invalidInput } from './envelope';

export interface DownloadOptions {
  readonly samples: SamplesRepo;
  readonly dbPath: string;
  /** Where the temporary export directories go (default os.tmpdir()). */
  readonly tmpRoot?: string;
  /** Downloads prepared at once (default 2): each holds a temporary file as large as its set. */
  readonly maxConcurrent?: number;
}

/** Query strings are text: numbers are coerced. `token` (checked by the auth hook) and others pass. */
const Query = z.object({
  setId: z.coerce.number().int().positive(),
  format: z.enum(['csv', 'pdb']),
  resample: z.coerce.number().int().min(1).max(10_000_000).optional(),
  seed: z.coerce.number().int().min(0).max(2 ** 31 - 1).default(0),
});

const CONTENT_TYPE = { csv: 'text/csv; charset=utf-8', pdb: 'chemical/x-pdb' } as const;

/** The prefix of each download's temporary directory (tests look for leftovers by it). */
export const DOWNLOAD_TMP_PREFIX = 'bgw-download-';

/**
 * `GET /download/samples?setId=&format=csv|pdb&resample=N`: the browser's way to save a sample set
 * (it cannot name a path on the backend's machine as `export:samples` does). The set is exported
 * to a private temporary file by the same writer as the CLI, streamed, and the file removed as
 * soon as the stream closes, whether it finished, failed or the client went away.
 */
export function registerDownloads(app: FastifyInstance, o: DownloadOptions): void {
  const max = o.maxConcurrent ?? 2;
  let preparing = 0;
  app.get('/download/samples', async (req, reply) => {
    const parsed = Query.safeParse(req.query ?? {});
    if (!parsed.success) throw invalidInput(parsed.error);
    const q = parsed.data;
    const set = o.samples.getSet(q.setId);
    if (!set) throw new ApiError('not_found', `sample set ${q.setId} does not exist`);
    if (preparing >= max) throw new ApiError('conflict', `${preparing} downloads are being prepared (at most ${max} at once): try again when one finishes`);
    // The client going away (tab closed, download cancelled) stops the export and removes its file.
    const gone = new AbortController();
    reply.raw.once('close', () => gone.abort());
    preparing++;
    try {
      await sendExport(reply, set, q, gone.signal, o);
    } finally {
      preparing--;
    }
    return reply;
  });
}

/** Export the set to a private temporary file, then stream it; the file goes when the stream closes. */
async function sendExport(reply: FastifyReply, set: SampleSetDto, q: z.output<typeof Query>, signal: AbortSignal, o: DownloadOptions): Promise<void> {
  const dir = await mkdtemp(join(o.tmpRoot ?? tmpdir(), DOWNLOAD_TMP_PREFIX));
  const cleanup = (): Promise<void> => rm(dir, { recursive: true, force: true });
  const name = `${set.runId !== null ? `run-${set.runId}-` : ''}set-${set.id}${q.resample ? `-resampled-${q.resample}` : ''}.${q.format}`;
  let bytes: number;
  try {
    ({ bytes } = await exportSampleSet(o.samples, { setId: q.setId, format: q.format, resample: q.resample, seed: q.seed, path: join(dir, name), overwrite: false, protect: databaseFiles(o.dbPath), signal }));
  } catch (e) {
    await cleanup();
    throw new ApiError('bad_request', `export of sample set ${q.setId} ${signal.aborted ? 'stopped: the client went away' : `failed: ${(e as Error).message}`}`);
  }
  const stream = createReadStream(join(dir, name));
  // 'close' follows the end, an error and a destroy (client gone) alike.
  stream.once('close', () => void cleanup());
  await reply
    .header('content-disposition', `attachment; filename="${name}"`)
    .header('content-length', String(bytes))
    .type(CONTENT_TYPE[q.format])
    .send(stream);
}
