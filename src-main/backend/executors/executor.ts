/**
 * Where runs execute. The backend stores every run in its database first (status `queued`), then
 * hands it to the run's executor; the executor owns the run until it ends and reports through the
 * database and the event bus exactly as a local run does (`runs:status`, `runs:progress`,
 * `runs:checkpoint`), so the UI, the CLI and sweeps cannot tell executors apart.
 *
 * What an engine must provide (docs/scale-out.md):
 * - `submit`: start runs that are stored and queued; a refusal (bad setting, the engine's own error)
 *   throws before anything is left half-submitted;
 * - `cancel` and `isActive`: stop a queued or running run; say whether it still runs;
 * - `resume`: continue an interrupted, failed or cancelled run from its last checkpoint;
 * - `close`: stop following (runs on a cluster go on, and are followed again at the next start).
 */
import type { ExecutorName } from '../../../contract/api';

export type { ExecutorName };

export type CancelOutcome = 'cancelled' | 'finishing' | 'inactive';

export interface RunExecutor {
  readonly name: ExecutorName;
  submit(runIds: readonly number[]): Promise<void>;
  cancel(runId: number): Promise<CancelOutcome>;
  isActive(runId: number): boolean;
  resume(runId: number): Promise<void>;
  close(): Promise<void>;
}
