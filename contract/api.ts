import { z } from 'zod';
import type { RunResult } from './run-result';
import type { RunSpec } from './run-spec';
import type { SweepGroup } from './sweep-aggregate';

/**
 * The backend API: one typed map of calls (channel → input schema + output type) and one of pushed
 * events, shared by the server, the CLI and the renderer, so they cannot drift (after
 * podman-desktop's contract, without its registration files). Inputs are validated at the boundary
 * with these schemas; outputs are plain DTOs. Every failure crosses as `{ error: { code, message } }`.
 */

const id = z.number().int().positive();
const name = z.string().trim().min(1, 'a name is required').max(200);
const seed = z.number().int().min(0).max(2 ** 31 - 1);

export const RUN_STATUSES = ['queued', 'running', 'completed', 'failed', 'cancelled', 'interrupted'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
export const SAMPLE_SET_KINDS = ['generated', 'explored', 'reference', 'imported'] as const;
export type SampleSetKind = (typeof SAMPLE_SET_KINDS)[number];
/** Where a run executes: this backend's worker pool, or a Slurm cluster (docs/scale-out.md). */
export const EXECUTORS = ['local', 'slurm'] as const;
export type ExecutorName = (typeof EXECUTORS)[number];
export const SAMPLE_SORTS = ['id', 'w', 'u', 'rc'] as const;

/**
 * The most text `import:samples` carries in its JSON body (a structure, a start, a small data set):
 * the body is parsed in the server's thread. Larger files go through `import:file`, which streams
 * them from a path on the backend's machine in a worker thread.
 */
export const IMPORT_TEXT_LIMIT = 16 * 1024 * 1024;
/** The largest file `import:file` and `bgw import` take by default (a setting: `bgw serve --max-import-mb`, `bgw import --max-mb`). */
export const DEFAULT_IMPORT_FILE_LIMIT = 4 * 1024 * 1024 * 1024;

const importSystem = z.object({ name: z.string(), params: z.record(z.string(), z.number()).default({}), forcefield: z.string().optional() });

export const ApiInputs = {
  'system:info': z.object({}).strict(),
  'projects:list': z.object({}).strict(),
  'projects:create': z.object({ name }).strict(),
  'projects:rename': z.object({ id, name }).strict(),
  'projects:delete': z.object({ id }).strict(),
  'runs:list': z.object({ projectId: id.optional() }).strict(),
  'runs:get': z.object({ id }).strict(),
  /** `spec` is validated by the run-spec schema inside the call, so its issues name spec fields. */
  /** `executor`: where it runs, this backend's workers (the default) or a Slurm cluster (docs/scale-out.md). */
  'runs:start': z.object({ projectId: id.optional(), spec: z.unknown(), seed: seed.optional(), name: name.optional(), executor: z.enum(EXECUTORS).default('local') }).strict(),
  'runs:cancel': z.object({ id }).strict(),
  'runs:resume': z.object({ id }).strict(),
  'runs:duplicate': z.object({ id, seed: z.union([z.literal('same'), z.literal('new'), seed]).default('new') }).strict(),
  'runs:rename': z.object({ id, name }).strict(),
  'runs:delete': z.object({ id }).strict(),
  /** Draw more samples from a finished run's saved generator, as a new run. */
  'runs:sampleMore': z.object({ id, n: z.number().int().min(1).max(10_000_000).optional(), seed: seed.optional() }).strict(),
  /** Metric points, for restoring charts; `afterStep` fetches only what a client lacks. */
  'runs:metrics': z.object({ id, series: z.array(z.string().max(100)).max(50).optional(), afterStep: z.number().int().min(-1).default(-1) }).strict(),
  'samples:sets': z.object({ runId: id.optional(), projectId: id.optional() }).strict(),
  'samples:page': z
    .object({
      setId: id,
      offset: z.number().int().min(0).default(0),
      limit: z.number().int().min(1).max(1000).default(100),
      sort: z.enum(SAMPLE_SORTS).default('id'),
      order: z.enum(['asc', 'desc']).default('asc'),
      state: z.enum(['A', 'B', 'none']).optional(),
      coords: z.boolean().default(true),
    })
    .strict(),
  /**
   * One configuration of a molecule as PDB text (real atom names, residues, elements, CONECT), for
   * the 3-D viewer: a stored sample (`setId`, `index`) or explicit coordinates of a run's system
   * (`runId`, `x`: a latent-path point, say).
   */
  'samples:structure': z.union([
    z.object({ setId: id, index: z.number().int().min(0) }).strict(),
    z.object({ runId: id, x: z.array(z.number()).min(3).max(300_000) }).strict(),
  ]),
  /** Write a sample set to a file on the backend's machine (CLI, Electron save dialog). */
  'export:samples': z
    .object({
      setId: id,
      format: z.enum(['csv', 'pdb']),
      resample: z.number().int().min(1).max(10_000_000).optional(),
      path: z.string().min(1),
      /** Replace an existing file (never the database's own files). */
      overwrite: z.boolean().default(false),
      seed: seed.default(0),
    })
    .strict(),
  /** A starting configuration or training data from a PDB, CSV or JSON file's text. */
  'import:samples': z
    .object({ projectId: id, system: importSystem, format: z.enum(['pdb', 'csv', 'json']), text: z.string().max(IMPORT_TEXT_LIMIT, `at most ${IMPORT_TEXT_LIMIT / (1024 * 1024)} MiB of text per import:samples call (import:file streams larger files)`), name: name.optional() })
    .strict(),
  /**
   * Stream a file on the backend's machine into a sample set, in a worker thread: answers at once
   * with the import job; `imports:progress` events follow it to `done` (its set), `failed` or
   * `cancelled`. A CSV or PDB of any size within the import limit takes a few MB of memory.
   */
  'import:file': z.object({ projectId: id, system: importSystem, format: z.enum(['pdb', 'csv', 'json']), path: z.string().min(1).max(4096), name: name.optional() }).strict(),
  /**
   * Queue a sweep (contract/sweep-spec.ts): every combination is validated and checked against the
   * run bounds before any run is queued; an invalid one is named with its combination.
   */
  'sweeps:start': z.object({ projectId: id.optional(), sweep: z.unknown() }).strict(),
  'sweeps:list': z.object({ projectId: id.optional() }).strict(),
  /** A sweep with its runs and the aggregates over seeds per combination of the other axes. */
  'sweeps:get': z.object({ id }).strict(),
  /** Cancel every queued or running run of the sweep. */
  'sweeps:cancel': z.object({ id }).strict(),
  /** Resume every cancelled, failed or interrupted run of the sweep (from its checkpoint where it has one). */
  'sweeps:resume': z.object({ id }).strict(),
  /** Delete the sweep and its runs (refused while any runs). */
  'sweeps:delete': z.object({ id }).strict(),
  /** More seeds for every combination of the other axes: new runs, queued; existing ones untouched. */
  'sweeps:addSeeds': z.object({ id, seeds: z.array(seed).min(1).max(1000) }).strict(),
  /** This backend's import jobs since it started (the running ones first). */
  'imports:list': z.object({}).strict(),
  /** Stop a running import; what it stored is discarded. */
  'imports:cancel': z.object({ id }).strict(),
} as const;

export type Channel = keyof typeof ApiInputs;
export type ApiInput<C extends Channel> = z.output<(typeof ApiInputs)[C]>;
/** What a client sends (defaults may be omitted). */
export type ApiRequest<C extends Channel> = z.input<(typeof ApiInputs)[C]>;

export interface SystemInfo {
  readonly version: string;
  readonly backend: { readonly name: string; readonly detail: string; readonly device?: string; readonly why: string; readonly passedOver: readonly { name: string; reason: string }[] };
  readonly cpuCores: number;
  readonly gpu: string | null;
  readonly workers: number;
  readonly database: string;
}

export interface ProjectDto {
  readonly id: number;
  readonly name: string;
  readonly createdAt: string;
  readonly runCount: number;
}

export interface RunDto {
  readonly id: number;
  readonly projectId: number;
  readonly name: string;
  readonly status: RunStatus;
  readonly method: RunSpec['method'];
  readonly system: string;
  readonly seed: number;
  readonly backend: string | null;
  /** Cores (training threads) the scheduler gave the run when it started; null before. */
  readonly cores: number | null;
  readonly createdAt: string;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
  readonly error: string | null;
  /** The run this one was duplicated or sampled from. */
  readonly parentId: number | null;
  /** Latest progress: phase, step of total, and its message. */
  readonly progress: RunProgress | null;
  /** Key figures once completed. */
  readonly deltaF: { readonly value: number | null; readonly stderr: number | null } | null;
  readonly essFraction: number | null;
  readonly lastCheckpointStep: number | null;
  /** The sweep this run belongs to, and its values of the sweep's axes. */
  readonly sweepId: number | null;
  readonly combination: Readonly<Record<string, unknown>> | null;
  /** Where it executes: this backend's workers, or a Slurm cluster. */
  readonly executor: ExecutorName;
}

export interface RunProgress {
  readonly phase: string;
  readonly step: number;
  readonly total: number;
  readonly message: string;
}

export interface RunDetailDto extends RunDto {
  readonly spec: RunSpec;
  readonly result: RunResult | null;
}

export interface MetricPoint {
  readonly series: string;
  readonly step: number;
  readonly value: number;
}

export const IMPORT_STATUSES = ['running', 'done', 'failed', 'cancelled'] as const;
export type ImportStatus = (typeof IMPORT_STATUSES)[number];

/** A streamed import (`import:file`) and how far it got. */
export interface ImportJobDto {
  readonly id: number;
  readonly projectId: number;
  readonly name: string;
  /** The file read (null for text sent with `import:samples`). */
  readonly path: string | null;
  readonly format: 'pdb' | 'csv' | 'json';
  readonly system: string;
  readonly status: ImportStatus;
  readonly bytes: number;
  readonly totalBytes: number;
  /** Configurations stored so far. */
  readonly rows: number;
  /** The sample set, once done. */
  readonly setId: number | null;
  readonly error: string | null;
  readonly startedAt: string;
  readonly endedAt: string | null;
}

/** A sweep and how its runs stand. */
export interface SweepDto {
  readonly id: number;
  readonly projectId: number;
  readonly name: string;
  readonly executor: ExecutorName;
  readonly mode: 'grid' | 'list';
  readonly axes: readonly { readonly path: string; readonly values: readonly unknown[] }[];
  readonly runCount: number;
  /** Runs per status. */
  readonly counts: Readonly<Partial<Record<RunStatus, number>>>;
  readonly createdAt: string;
}

export interface SweepDetailDto extends SweepDto {
  readonly runs: RunDto[];
  /** Per combination of the non-seed axes: ΔF and ESS over seeds (contract/sweep-aggregate.ts). */
  readonly groups: SweepGroup[];
}

export interface SampleSetDto {
  readonly id: number;
  readonly runId: number | null;
  readonly projectId: number;
  readonly kind: SampleSetKind;
  readonly name: string;
  readonly system: string;
  readonly dim: number;
  readonly tau: number | null;
  readonly n: number;
  readonly essFraction: number | null;
  /** The set's coordinates are a molecule's atoms (3-D viewer, Ramachandran angles, PDB with CONECT). */
  readonly molecule: boolean;
}

export interface StructureDto {
  /** One MODEL with CONECT records; coordinates in Å. */
  readonly pdb: string;
  readonly atoms: number;
  /** Reduced energy u = E/kT and kJ/mol, where computed (null for a stored row without energy). */
  readonly u: number | null;
  readonly energyKJ: number | null;
}

export interface SampleRowDto {
  readonly id: number;
  readonly u: number | null;
  readonly logw: number | null;
  readonly w: number;
  readonly rc: number | null;
  readonly state: 'A' | 'B' | null;
  readonly x?: number[];
}

export interface ApiOutputs {
  'system:info': SystemInfo;
  'projects:list': ProjectDto[];
  'projects:create': ProjectDto;
  'projects:rename': ProjectDto;
  'projects:delete': { deleted: number };
  'runs:list': RunDto[];
  'runs:get': RunDetailDto;
  'runs:start': RunDto;
  'runs:cancel': RunDto;
  'runs:resume': RunDto;
  'runs:duplicate': RunDto;
  'runs:rename': RunDto;
  'runs:delete': { deleted: number };
  'runs:sampleMore': RunDto;
  'runs:metrics': MetricPoint[];
  'samples:sets': SampleSetDto[];
  'samples:page': { total: number; rows: SampleRowDto[] };
  'samples:structure': StructureDto;
  'export:samples': { path: string; rows: number; bytes: number };
  'import:samples': SampleSetDto;
  'import:file': ImportJobDto;
  'imports:list': ImportJobDto[];
  'imports:cancel': ImportJobDto;
  'sweeps:start': SweepDto;
  'sweeps:list': SweepDto[];
  'sweeps:get': SweepDetailDto;
  'sweeps:cancel': SweepDto;
  'sweeps:resume': SweepDto;
  'sweeps:delete': { deleted: number };
  'sweeps:addSeeds': SweepDto;
}

/** Events the backend pushes over the WebSocket. */
export interface ApiEvents {
  /** Every metric point since the last push (≤ ~10 Hz per run), and the latest progress line. */
  'runs:progress': { runId: number; points: MetricPoint[]; progress: RunProgress };
  /** `cores`: what a run that starts was given (the scheduler's allotment). */
  'runs:status': { runId: number; status: RunStatus; error: string | null; cores?: number };
  'runs:checkpoint': { runId: number; step: number; phase: string };
  /** A streamed import's progress (≤ ~4 Hz) and its end. */
  'imports:progress': ImportJobDto;
}
export type EventName = keyof ApiEvents;
/** A pushed event: a union discriminated by `event`, so `data` narrows with it. */
export type EventMessage<E extends EventName = EventName> = { [K in E]: { readonly event: K; readonly data: ApiEvents[K] } }[E];

export const ERROR_CODES = ['bad_request', 'invalid_input', 'not_found', 'conflict', 'unauthorized', 'forbidden', 'too_large', 'internal'] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];
export interface ErrorEnvelope {
  readonly error: { readonly code: ErrorCode; readonly message: string; readonly issues?: readonly { path: string; message: string }[] };
}

/** Thrown by services; the server turns it into the error envelope with its HTTP status. */
export class ApiError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly issues?: readonly { path: string; message: string }[],
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const HTTP_STATUS: Record<ErrorCode, number> = {
  bad_request: 400,
  invalid_input: 422,
  not_found: 404,
  conflict: 409,
  unauthorized: 401,
  forbidden: 403,
  too_large: 413,
  internal: 500,
};

/** The backend's handlers: one async function per channel. */
export type ApiHandlers = { [C in Channel]: (input: ApiInput<C>) => Promise<ApiOutputs[C]> };
