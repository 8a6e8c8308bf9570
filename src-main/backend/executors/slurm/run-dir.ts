import { appendFileSync, closeSync, existsSync, fstatSync, mkdirSync, openSync, readFileSync, readSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MetricPoint, RunProgress } from '../../../../contract/api';
import type { RunSpec } from '../../../../contract/run-spec';
import type { MoleculeSource } from '../../../../contract/systems';

/**
 * A cluster run's directory, the only place a job writes (the desktop database is never opened
 * on a node): `job.json` (what to run), `run.db` (the job's own database: its run, checkpoints,
 * metrics, samples), `events.jsonl` (progress, appended as it goes, which the backend streams),
 * `status.json` (where the job stands, written atomically), `job.out` (Slurm's output).
 */
export interface ClusterJob {
  readonly format: 'bgw-cluster-job/1';
  readonly name: string;
  readonly spec: RunSpec;
  readonly seed: number;
  readonly molecule: MoleculeSource | null;
  readonly cores: number;
  readonly checkpointEverySeconds: number;
}

export type ClusterEvent =
  | { readonly type: 'progress'; readonly points: MetricPoint[]; readonly progress: RunProgress }
  | { readonly type: 'checkpoint'; readonly step: number; readonly phase: string };

export interface ClusterStatus {
  /** running; completed (results in run.db); failed (the run itself failed: not retried); stopped (signalled: preempted, cancelled, timed out: resumable). */
  readonly state: 'running' | 'completed' | 'failed' | 'stopped';
  readonly error: string | null;
  readonly at: string;
  /** SLURM_JOB_ID of the job that wrote it. */
  readonly jobId: string | null;
}

export const runDirFiles = (dir: string) => ({
  job: join(dir, 'job.json'),
  db: join(dir, 'run.db'),
  events: join(dir, 'events.jsonl'),
  status: join(dir, 'status.json'),
  out: join(dir, 'job.out'),
});

export function writeClusterJob(dir: string, job: ClusterJob): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(runDirFiles(dir).job, JSON.stringify(job));
}

export function readClusterJob(dir: string): ClusterJob {
  const job = JSON.parse(readFileSync(runDirFiles(dir).job, 'utf8')) as ClusterJob;
  if (job.format !== 'bgw-cluster-job/1') throw new Error(`${dir}: job.json is not a bgw cluster job`);
  return job;
}

export function appendClusterEvent(dir: string, e: ClusterEvent): void {
  appendFileSync(runDirFiles(dir).events, `${JSON.stringify(e)}\n`);
}

/** Written to a temporary file and renamed: a reader never sees half a status. */
export function writeClusterStatus(dir: string, s: Omit<ClusterStatus, 'at' | 'jobId'>): void {
  const f = runDirFiles(dir).status;
  writeFileSync(`${f}.tmp`, JSON.stringify({ ...s, at: new Date().toISOString(), jobId: process.env.SLURM_JOB_ID ?? null }));
  renameSync(`${f}.tmp`, f);
}

export function readClusterStatus(dir: string): ClusterStatus | null {
  const f = runDirFiles(dir).status;
  if (!existsSync(f)) return null;
  try {
    return JSON.parse(readFileSync(f, 'utf8')) as ClusterStatus;
  } catch {
    return null;
  }
}

/** The events appended since byte `offset` (whole lines only), and the offset after them. */
export function readClusterEvents(dir: string, offset: number): { events: ClusterEvent[]; offset: number } {
  const f = runDirFiles(dir).events;
  if (!existsSync(f)) return { events: [], offset };
  const fd = openSync(f, 'r');
  let text: string;
  try {
    const size = fstatSync(fd).size;
    if (size <= offset) return { events: [], offset };
    // At most 8 MiB a poll: a long backlog is read over several polls.
    const buf = Buffer.alloc(Math.min(size - offset, 8 * 1024 * 1024));
    readSync(fd, buf, 0, buf.length, offset);
    text = buf.toString('utf8');
  } finally {
    closeSync(fd);
  }
  const end = text.lastIndexOf('\n');
  if (end < 0) return { events: [], offset };
  const events = text
    .slice(0, end)
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as ClusterEvent);
  return { events, offset: offset + Buffer.byteLength(text.slice(0, end + 1)) };
}

/** The tail of the job's output, for a failure message. */
export function outputTail(dir: string, lines = 8): string {
  const f = runDirFiles(dir).out;
  if (!existsSync(f)) return '';
  return readFileSync(f, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}
