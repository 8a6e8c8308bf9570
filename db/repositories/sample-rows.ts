import type { SampleRowDto, SampleSetDto, SampleSetKind } from '../../contract/api';
import type { MoleculeSource } from '../../contract/systems';

// The shapes a sample set is written from and read into, and the decoding of its stored blobs.

/** Columns of one sample set, row-major coordinates; null columns are stored as NULL. */
export interface SampleColumns {
  readonly x: Float32Array;
  readonly u: ArrayLike<number> | null;
  readonly logw: ArrayLike<number> | null;
  /** Normalised weights (sum 1). */
  readonly w: ArrayLike<number>;
  readonly rc: ArrayLike<number> | null;
  /** 0 = A, 1 = B, −1 = neither. */
  readonly state: ArrayLike<number> | null;
}

export interface NewSampleSet {
  readonly projectId: number;
  readonly runId: number | null;
  readonly kind: SampleSetKind;
  readonly name: string;
  readonly system: string;
  readonly params?: Record<string, number>;
  readonly dim: number;
  readonly tau: number | null;
  readonly essFraction: number | null;
  /** Molecules: the structure template and force field the coordinates belong to. */
  readonly molecule?: MoleculeSource | null;
}

export type PageQuery = {
  readonly offset: number;
  readonly limit: number;
  readonly sort: 'id' | 'w' | 'u' | 'rc';
  readonly order: 'asc' | 'desc';
  readonly state?: 'A' | 'B' | 'none' | undefined;
  readonly coords: boolean;
};

export interface SetRow {
  id: number;
  project_id: number;
  run_id: number | null;
  kind: SampleSetKind;
  name: string;
  system: string;
  params: string;
  dim: number;
  tau: number | null;
  n: number;
  ess_fraction: number | null;
  chunk_rows: number;
  has_molecule: 0 | 1;
}

/** The listed columns: the molecule's template (kilobytes per set) is read only by `molecule()`. */
export const SET_COLUMNS = 'id, project_id, run_id, kind, name, system, params, dim, tau, n, ess_fraction, chunk_rows, molecule IS NOT NULL AS has_molecule';

export const fin = (v: number | undefined): number | null => (v !== undefined && Number.isFinite(v) ? v : null);
export const toSetDto = (r: SetRow): SampleSetDto => ({ id: r.id, runId: r.run_id, projectId: r.project_id, kind: r.kind, name: r.name, system: r.system, dim: r.dim, tau: r.tau, n: r.n, essFraction: r.ess_fraction, molecule: r.has_molecule === 1 });

export interface RawRow {
  idx: number;
  u: number | null;
  logw: number | null;
  w: number;
  rc: number | null;
  state: number | null;
  x?: Buffer;
}

export function scalars(r: RawRow): SampleRowDto & { state: 'A' | 'B' | null } {
  return { id: r.idx, u: r.u, logw: r.logw, w: r.w, rc: r.rc, state: r.state === null ? null : (['A', 'B'] as const)[r.state] ?? null };
}

/** A blob's Uint32 values (copied: Buffers may not be 4-byte aligned). */
export function uint32s(b: Buffer): Uint32Array {
  const out = new Uint32Array(b.byteLength / 4);
  new Uint8Array(out.buffer).set(b);
  return out;
}

/** A blob's Float32 values, copied out (better-sqlite3 Buffers may not be 4-byte aligned). */
export function floats(b: Buffer): Float32Array {
  const out = new Float32Array(b.byteLength / 4);
  new Uint8Array(out.buffer).set(b);
  return out;
}

