import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FastifyInstance } from 'fastify';
import { ApiError, ApiInputs, type ApiInput, type ImportJobDto } from '../../../contract/api';
import { invalidInput } from './envelope';

/** The route: the body is the file (any content type), the query says what it holds. */
export const UPLOAD_PATH = '/upload/samples';
/** Uploaded files wait here (beside the database, not in a RAM-backed /tmp) until their import ends. */
export const UPLOAD_FILE_PREFIX = 'bgw-upload-';

export interface UploadOptions {
  /** Where the uploaded files are written (created if missing). */
  readonly dir: string;
  /** The import limit: a larger body is refused, by its declared length or while it streams. */
  readonly maxBytes: number;
  readonly limitSetting: string;
  /** Throws an ApiError when the project does not exist: checked before a byte of the body is read. */
  readonly checkProject: (projectId: number) => void;
  /** Start the import of the stored file, which the import then owns (it removes it when it ends). */
  readonly start: (input: ApiInput<'import:file'>) => Promise<ImportJobDto>;
}

/**
 * `PUT /upload/samples?projectId=&system=&format=csv|pdb|json&name=`: a browser's (or curl's) way to
 * import a file from another machine, where `import:file` names a path on this one. The body is
 * streamed to a file in `dir` (counted against the import limit as it arrives, never held in
 * memory), then imported like `import:file` does; the answer is the import job, whose
 * `imports:progress` events follow. `system` is the API's system object as JSON, or a bare name.
 * A refused, failed or abandoned upload leaves no file.
 */
export function registerUploads(app: FastifyInstance, o: UploadOptions): void {
  // In a scope of its own: only this route takes raw bodies; the API stays JSON only.
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_req, payload, done) => done(null, payload));
    scope.put(UPLOAD_PATH, async (req, reply) => {
      // A refusal leaves the rest of the body unread: the connection closes rather than carry it into the next request.
      reply.raw.once('finish', () => void (reply.statusCode >= 400 && req.raw.destroy()));
      reply.header('connection', 'close');
      const input = parseQuery(req.query as Record<string, unknown>);
      o.checkProject(input.projectId);
      const declared = Number(req.headers['content-length'] ?? 0);
      if (declared > o.maxBytes) throw tooLarge(declared, o);
      await mkdir(o.dir, { recursive: true });
      const path = join(o.dir, `${UPLOAD_FILE_PREFIX}${randomBytes(8).toString('hex')}.${input.format}`);
      try {
        await pipeline(req.raw, limitBytes(o), createWriteStream(path, { flags: 'wx' }));
        const job = await o.start({ ...input, path });
        return reply.code(200).type('application/json; charset=utf-8').send(JSON.stringify(job));
      } catch (e) {
        await rm(path, { force: true });
        throw e instanceof ApiError ? e : new ApiError('bad_request', `upload failed: ${(e as Error).message}`);
      }
    });
  });
}

/** The query as `import:file`'s input (the path comes later), validated by the same schema. */
function parseQuery(q: Record<string, unknown>): Omit<ApiInput<'import:file'>, 'path'> {
  let system: unknown = q.system;
  if (typeof system === 'string') {
    try {
      system = system.trim().startsWith('{') ? JSON.parse(system) : { name: system };
    } catch {
      throw new ApiError('invalid_input', 'system: not valid JSON (the API\'s system object, or a bare system name)');
    }
  }
  const raw = { projectId: Number(q.projectId), system, format: q.format, path: '-', ...(q.name !== undefined ? { name: q.name } : {}) };
  const parsed = ApiInputs['import:file'].safeParse(raw);
  if (!parsed.success) throw invalidInput(parsed.error);
  const { path: _path, ...input } = parsed.data;
  return input;
}

/** Passes bytes through until the limit, then fails the pipeline (which removes the partial file). */
function limitBytes(o: UploadOptions): Transform {
  let bytes = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      if (bytes > o.maxBytes) done(tooLarge(bytes, o));
      else done(null, chunk);
    },
  });
}

function tooLarge(bytes: number, o: UploadOptions): ApiError {
  const mib = (b: number): string => (b / (1024 * 1024)).toFixed(1);
  return new ApiError('too_large', `the upload exceeds the import limit (${mib(bytes)} MiB and more; imports take at most ${mib(o.maxBytes)} MiB: the setting ${o.limitSetting})`);
}

/** Remove what uploads of an earlier server left (a crash mid-import): one directory per database, one server per database. */
export async function clearUploads(dir: string): Promise<void> {
  const names = await readdir(dir).catch(() => [] as string[]);
  await Promise.all(names.filter((n) => n.startsWith(UPLOAD_FILE_PREFIX)).map((n) => rm(join(dir, n), { force: true })));
}
