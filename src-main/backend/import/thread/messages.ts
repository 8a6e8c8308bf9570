import type { ImportProgress, ImportRequest } from '../import-set';

/** Messages between the backend and an import thread (one thread per import; it always answers `end`). */
export type ToImportThread =
  | { readonly type: 'start'; readonly dbPath: string; readonly request: ImportRequest; readonly pid: number }
  | { readonly type: 'cancel' };

export type FromImportThread =
  /** The set exists (incomplete): whoever outlives a dead thread discards it. */
  | { readonly type: 'created'; readonly setId: number }
  | { readonly type: 'progress'; readonly progress: ImportProgress }
  | { readonly type: 'end'; readonly outcome: 'done'; readonly setId: number }
  | { readonly type: 'end'; readonly outcome: 'failed' | 'cancelled'; readonly error: string };
