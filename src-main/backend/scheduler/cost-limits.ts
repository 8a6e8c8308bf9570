import { freemem } from 'node:os';
import { DEFAULT_MAX_SECONDS, type CostLimits } from '../../../contract/run-spec/cost';

/** The backend's bounds on one run (docs/backend.md, "Bounds"); every field optional, defaults below. */
export interface CostSettings {
  /** Share of the machine's free memory one run may plan to use (default 0.5), read when the run is started. */
  readonly memoryFraction?: number;
  /** A fixed memory limit in bytes instead of the share of free memory. */
  readonly memoryBytes?: number;
  /** Estimated hours on one core a run may take (default 24). */
  readonly maxHours?: number;
}

/** The limits a run is checked against now: free memory is read at each call (it changes). */
export function costLimits(s: CostSettings = {}): CostLimits {
  const fraction = s.memoryFraction ?? 0.5;
  if (!(fraction > 0 && fraction <= 1)) throw new Error(`memoryFraction must be in (0, 1], got ${fraction}`);
  return {
    memoryBytes: s.memoryBytes ?? fraction * freemem(),
    seconds: s.maxHours !== undefined ? 3600 * s.maxHours : DEFAULT_MAX_SECONDS,
  };
}
