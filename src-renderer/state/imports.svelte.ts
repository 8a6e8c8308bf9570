import type { EventMessage, ImportJobDto } from '../../contract/api';
import { api, uploadSamples, type UploadQuery } from '../lib/api';

/** Which import format a file's name says (CSV unless it ends in .pdb/.ent or .json). */
export function formatOf(fileName: string): UploadQuery['format'] {
  const ext = fileName.toLowerCase().split('.').pop() ?? '';
  return ext === 'pdb' || ext === 'ent' ? 'pdb' : ext === 'json' ? 'json' : 'csv';
}

/**
 * Imports of sample files from this window: the upload, then the backend's import job as its
 * `imports:progress` events report it (rows, bytes, the set it made or why it failed).
 */
export class ImportsState {
  /** The latest job started here (null before the first, or while its upload is still sending). */
  job = $state<ImportJobDto | null>(null);
  uploading = $state(false);
  error = $state<string | null>(null);
  private waiting = new Map<number, (d: ImportJobDto) => void>();
  /** Jobs that ended, by id: the end can arrive on the event stream before the upload's answer. */
  private ended = new Map<number, ImportJobDto>();

  get busy(): boolean {
    return this.uploading || this.job?.status === 'running';
  }

  onEvent(m: EventMessage): void {
    if (m.event !== 'imports:progress') return;
    if (this.job?.id === m.data.id) this.job = m.data;
    if (m.data.status === 'running') return;
    if (this.uploading) this.ended.set(m.data.id, m.data);
    const wait = this.waiting.get(m.data.id);
    this.waiting.delete(m.data.id);
    wait?.(m.data);
  }

  /** The job's end: from its event, or from `imports:list` (the event stream can drop, and does not replay). */
  private endOf(job: ImportJobDto): Promise<ImportJobDto> {
    const known = job.status !== 'running' ? job : this.ended.get(job.id);
    if (known) return Promise.resolve(known);
    return new Promise((resolve) => {
      const done = (d: ImportJobDto): void => {
        clearInterval(timer);
        this.waiting.delete(job.id);
        resolve(d);
      };
      this.waiting.set(job.id, done);
      const timer = setInterval(() => {
        void api.call('imports:list', {}).then(
          (list) => {
            const j = list.find((x) => x.id === job.id);
            if (j && j.status !== 'running') done(j);
          },
          () => {},
        );
      }, 3000);
    });
  }

  /** Upload `file` and wait for its import; resolves to the new set's id, or null (the error is in `error`). */
  async upload(file: File, q: Omit<UploadQuery, 'format' | 'name'>): Promise<number | null> {
    this.error = null;
    this.job = null;
    this.ended.clear();
    this.uploading = true;
    try {
      const job = await uploadSamples(file, { ...q, format: formatOf(file.name), name: file.name.slice(0, 200) || undefined });
      this.job = job;
      const end = await this.endOf(job);
      this.job = end;
      if (end.status !== 'done') this.error = end.error ?? end.status;
      return end.status === 'done' ? end.setId : null;
    } catch (e) {
      this.error = (e as Error).message;
      return null;
    } finally {
      this.uploading = false;
    }
  }
}
