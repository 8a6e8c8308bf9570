import type { RunDto } from '../../../contract/api';
import { createBackend } from '../../backend/backend';
import { appendClusterEvent, readClusterJob, runDirFiles, writeClusterStatus } from '../../backend/executors/slurm/run-dir';

/**
 * `bgw cluster-job <dir>`: what a Slurm task runs on a node. The run lives in the directory's own
 * database (`run.db`); the first start creates it from `job.json`, a later start (a resubmission
 * after preemption, a timeout or a kill) resumes it from its last checkpoint. Progress is appended
 * to `events.jsonl`, the outcome written to `status.json`. SIGTERM (what Slurm sends before it
 * kills a job) checkpoints and stops. Exit: 0 completed, 1 failed, 143 stopped (resumable).
 */
export async function runClusterJob(dir: string): Promise<number> {
  const job = readClusterJob(dir);
  const files = runDirFiles(dir);
  const backend = await createBackend({ dbPath: files.db, workers: 1, startQueued: false, owner: 'bgw cluster-job', cores: job.cores, checkpointEverySeconds: job.checkpointEverySeconds });
  try {
    backend.events.subscribe((m) => {
      if (m.event === 'runs:progress') appendClusterEvent(dir, { type: 'progress', points: m.data.points, progress: m.data.progress });
      else if (m.event === 'runs:checkpoint') appendClusterEvent(dir, { type: 'checkpoint', step: m.data.step, phase: m.data.phase });
    });
    let run: RunDto | undefined = backend.repos.runs.list()[0];
    if (run?.status === 'completed') {
      writeClusterStatus(dir, { state: 'completed', error: null });
      return 0;
    }
    run ??= backend.repos.runs.create({ projectId: backend.repos.projects.defaultId(), name: job.name, spec: job.spec, seed: job.seed, molecule: job.molecule });
    backend.scheduler.enqueue(run.id);
    writeClusterStatus(dir, { state: 'running', error: null });
    const stop = (): void => void backend.scheduler.cancel(run.id);
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    const done = await backend.scheduler.waitFor(run.id);
    if (done.status === 'completed') {
      writeClusterStatus(dir, { state: 'completed', error: null });
      return 0;
    }
    if (done.status === 'failed') {
      writeClusterStatus(dir, { state: 'failed', error: done.error });
      return 1;
    }
    writeClusterStatus(dir, { state: 'stopped', error: done.error });
    return 143;
  } finally {
    await backend.close();
  }
}
