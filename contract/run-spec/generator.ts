import { z } from 'zod';
import { isMoleculeSystem, systemDim } from '../systems';
import { BackendSchema, commonFields, distinctTemperatures, endpoint, positive, SetRowSchema, temperatures } from './parts';

/** The RC-loss terms (docs/science.md, "Reaction-coordinate loss"): the form's options and the engine's kinds. */
export const RC_LOSSES = ['barrier', 'entropy'] as const;
/** How a spline flow splits coordinates between coupling halves: the same even/odd split in every block, or a different random half per block. */
export const SPLINE_PARTITIONS = ['even-odd', 'random'] as const;
export type SplinePartition = (typeof SPLINE_PARTITIONS)[number];
export type RcLossKind = (typeof RC_LOSSES)[number];

// A generator run: (reference data | exploration from one configuration) → staged training →
// sampling → reweighting. docs/run-spec.md describes every field.

const lossTerms = {
  highEnergy: positive.default(1e3),
  maxEnergy: positive.default(1e10),
  temperatures: temperatures.default([1]),
  rcLoss: z.enum(RC_LOSSES).default('barrier'),
};

const checkLoss = (s: { wML: number; wKL: number; wRC: number; highEnergy: number; maxEnergy: number }, ctx: z.RefinementCtx): void => {
  if (s.wML + s.wKL + s.wRC === 0) ctx.addIssue({ code: 'custom', path: ['wML'], message: 'at least one of wML, wKL, wRC must be > 0' });
  if (s.maxEnergy <= s.highEnergy) ctx.addIssue({ code: 'custom', path: ['maxEnergy'], message: 'must be greater than highEnergy' });
};

/** AIS at sampling: levels, moves per level, the kernel, and the pilot runs that set the fixed step sizes. */
export const AisSamplingSchema = z
  .object({
    intermediate: z.number().int().min(1).max(256),
    transitions: z.number().int().min(1).max(16).default(1),
    kernel: z.enum(['metropolis', 'hmc']).default('hmc'),
    leapfrog: z.number().int().min(1).max(50).default(5),
    /** Step size every level starts from, before the pilot runs adapt it. */
    step: positive.max(10).default(0.05),
    pilotRounds: z.number().int().min(0).max(50).default(5),
    pilotChains: z.number().int().min(16).max(4096).default(256),
  })
  .strict();

/** FAB (docs/run-spec.md): AIS from the flow towards p²/q feeding a prioritised replay buffer; trains from the energy alone. */
const FabSchema = z
  .object({
    intermediate: z.number().int().min(0).max(256).default(8),
    transitions: z.number().int().min(0).max(100).default(2),
    /** AIS moves: random-walk Metropolis in z, or HMC along the flow's and energy's gradients (FAB's own choice). */
    kernel: z.enum(['metropolis', 'hmc']).default('metropolis'),
    /** Leapfrog steps per HMC move. */
    leapfrog: z.number().int().min(1).max(100).default(5),
    step: positive.max(10).default(0.5),
    targetAcceptance: z.number().gt(0).lt(1).default(0.5),
    chains: z.number().int().min(1).max(65536).default(256),
    bufferSize: z.number().int().min(1).max(1e6).default(20000),
    minBuffer: z.number().int().min(1).max(1e6).default(2560),
    updatesPerAis: z.number().int().min(1).max(1000).default(4),
  })
  .strict()
  .superRefine((f, ctx) => {
    if (f.minBuffer > f.bufferSize) ctx.addIssue({ code: 'custom', path: ['minBuffer'], message: `must be at most bufferSize (${f.bufferSize})` });
  });

/** Temperature annealing (docs/run-spec.md): reverse KL at ladder[0], then reweighted ML at each lower temperature down to 1. */
const AnnealSchema = z
  .object({
    ladder: z.array(positive.max(1e4)).min(2).max(64),
    klIterations: z.number().int().min(0).max(1e7).default(1000),
    samples: z.number().int().min(10).max(1e6).default(20000),
  })
  .strict()
  .superRefine((a, ctx) => {
    if (a.ladder.some((t, i) => i > 0 && !(t < a.ladder[i - 1]!))) ctx.addIssue({ code: 'custom', path: ['ladder'], message: 'temperatures must decrease strictly (hottest first)' });
    if (a.ladder.at(-1) !== 1) ctx.addIssue({ code: 'custom', path: ['ladder'], message: 'must end at the target temperature 1' });
  });

/** Rows a stage's sampler holds at once (FAB's buffer, annealing's pool): bounded with the system's dimension below. */
export function samplerRows(s: { fab?: { bufferSize: number } | undefined; anneal?: { samples: number } | undefined }): number {
  return s.fab?.bufferSize ?? s.anneal?.samples ?? 0;
}

export const StageSchema = z
  .object({
    name: z.string().max(80).optional(),
    epochs: positive.max(1e5).optional(),
    iterations: z.number().int().positive().max(1e7).optional(),
    lr: positive.max(1),
    batch: z.number().int().min(1).max(65536),
    wML: z.number().min(0).default(0),
    wKL: z.number().min(0).default(0),
    wRC: z.number().min(0).default(0),
    ...lossTerms,
    fab: FabSchema.optional(),
    anneal: AnnealSchema.optional(),
  })
  .strict()
  .superRefine((s, ctx) => {
    if ((s.epochs === undefined) === (s.iterations === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['iterations'], message: 'give exactly one of epochs or iterations' });
    }
    if (!s.fab && !s.anneal) return checkLoss(s, ctx);
    const kind = s.fab ? 'fab' : 'anneal';
    if (s.fab && s.anneal) ctx.addIssue({ code: 'custom', path: ['anneal'], message: 'a stage trains by FAB or by annealing, not both' });
    if (s.epochs !== undefined) ctx.addIssue({ code: 'custom', path: ['epochs'], message: `a ${kind} stage draws its own samples: give iterations, not epochs` });
    for (const w of ['wML', 'wKL', 'wRC'] as const) {
      if (s[w] > 0) ctx.addIssue({ code: 'custom', path: [w], message: `a ${kind} stage sets its own objective: drop ${w}` });
    }
    if (s.maxEnergy <= s.highEnergy) ctx.addIssue({ code: 'custom', path: ['maxEnergy'], message: 'must be greater than highEnergy' });
  });

const MetropolisDataSchema = z
  .object({
    source: z.literal('metropolis'),
    perState: z.number().int().min(1).max(1e7),
    stride: z.number().int().min(1).default(10),
    burnIn: z.number().int().min(0).default(1000),
    step: positive.optional(),
    temperature: positive.default(1),
  })
  .strict();

/**
 * Molecules: reference Langevin dynamics (BAOAB, float64, analytic forces) from the structure, in
 * `chains` independent trajectories. The frames are the ML training data and the MD reference the
 * result compares against (populations with block-average error bars).
 */
const MdDataSchema = z
  .object({
    source: z.literal('md'),
    /** Frames kept per chain. */
    frames: z.number().int().min(1).max(1e7),
    chains: z.number().int().min(1).max(256).default(1),
    /** Steps between kept frames. */
    stride: z.number().int().min(1).default(100),
    /** Steps discarded at the start of each chain. */
    burnIn: z.number().int().min(0).default(10000),
    /** Time step, ps (1 fs is the documented stable step for unconstrained alanine dipeptide). */
    dt: positive.max(0.005).default(0.001),
    /** Langevin friction, 1/ps. */
    gamma: positive.max(1000).default(1),
    temperature: positive.default(1),
  })
  .strict();

/** Training data from a stored sample set (an imported CSV or multi-model PDB, say), at `temperature`. */
const SamplesDataSchema = z
  .object({
    source: z.literal('samples'),
    setId: z.number().int().positive(),
    temperature: positive.default(1),
  })
  .strict();


/** One configuration to explore from: a state's built-in start, explicit coordinates, or a stored row. */
const ConfigurationDataSchema = z
  .object({
    source: z.literal('configuration'),
    start: z.union([endpoint, SetRowSchema]).default('A'),
    noise: z.number().min(0).default(0.01),
    bufferSize: z.number().int().min(2).max(1e6).default(10000),
  })
  .strict();

/** The exploration loop (docs/science.md, "Latent Monte Carlo"): one training step + one latent move per iteration. */
export const ExploreSchema = z
  .object({
    iterations: z.number().int().min(1).max(1e7),
    batch: z.number().int().min(1).max(65536).default(256),
    lr: positive.max(1).default(1e-3),
    wML: z.number().min(0).default(1),
    wKL: z.number().min(0).default(0),
    wRC: z.number().min(0).default(0),
    ...lossTerms,
    tau: positive.default(1),
    step: positive.max(1).default(0.1),
    adaptEvery: z.number().int().min(1).default(50),
  })
  .strict()
  .superRefine(checkLoss);

/**
 * Spline settings: K bins on an interval, identity outside it. Without `interval` each coordinate's
 * interval is fitted on the training data (its range plus 10 % margins; [−5, 5] with no data);
 * torsions of mixed coordinates always use their exact circle.
 */
const SplineSchema = z
  .object({
    bins: z.number().int().min(2).max(64).default(8),
    interval: z
      .tuple([z.number(), z.number()])
      .refine(([lo, hi]) => hi > lo, 'the interval [lo, hi] needs hi > lo (a positive width)')
      .optional(),
    /** `random`: each Q block conditions a different random half of the coordinates on the rest. */
    partition: z.enum(SPLINE_PARTITIONS).default('even-odd'),
  })
  .strict();

function checkFlow(flow: { layers: string; spline?: unknown }, ctx: z.RefinementCtx): void {
  const splines = flow.layers.includes('Q');
  if (splines && /[^QP]/.test(flow.layers)) {
    ctx.addIssue({ code: 'custom', path: ['layers'], message: 'a spline flow (Q) takes only Q and P layers: affine layers would move torsions off their circle' });
  }
  if (flow.spline !== undefined && !splines) ctx.addIssue({ code: 'custom', path: ['spline'], message: 'spline settings need Q layers in flow.layers' });
}

const ESS_PROBE_DEFAULTS = { samples: 512, count: 50 };

/** A run's ESS-probe settings; runs stored before `training.essProbe` existed get its defaults. */
export function essProbeOf(spec: { training: { essProbe?: { samples: number; count: number } } }): { samples: number; count: number } {
  return spec.training.essProbe ?? ESS_PROBE_DEFAULTS;
}

/** The temperature of a run's reference data (Metropolis, MD or a stored set); null without such data. */
export function referenceDataTau(spec: { data?: { source: string; temperature?: number } | undefined }): number | null {
  const d = spec.data;
  return d && (d.source === 'metropolis' || d.source === 'md' || d.source === 'samples') ? (d.temperature ?? null) : null;
}

export const GeneratorSpecSchema = z
  .object({
    ...commonFields,
    method: z.literal('generator').default('generator'),
    backend: BackendSchema,
    /** Training threads (data-parallel); absent: the scheduler's fair share of the machine's cores. Capped by what is free. */
    cores: z.number().int().min(1).max(256).optional(),
    data: z.discriminatedUnion('source', [MetropolisDataSchema, MdDataSchema, ConfigurationDataSchema, SamplesDataSchema]).optional(),
    explore: ExploreSchema.optional(),
    flow: z
      .object({
        layers: z.string().regex(/^[RNQSP]+$/, 'use the letters R, N, S, P, and Q for neural splines (e.g. "RRRR" or "QQQQ")').max(64),
        hidden: z.array(z.number().int().min(1).max(4096)).min(1).max(8),
        sScale: positive.max(10).default(1),
        whiten: z.boolean().default(false),
        /**
         * Molecules: "mixed" puts the paper's mixed transform (whitened heavy-atom Cartesians without
         * the 6 rigid-body DOF + internal coordinates of the rest) on the x side, fitted on the data.
         */
        coordinates: z.enum(['cartesian', 'mixed']).default('cartesian'),
        /** Q layers (rational-quadratic spline couplings): bins per spline and, optionally, a fixed interval. */
        spline: SplineSchema.optional(),
      })
      .strict()
      .superRefine(checkFlow),
    training: z
      .object({
        clipNorm: positive.default(100),
        stages: z.array(StageSchema).max(32).default([]),
        /**
         * Early stopping: hold out the tail `fraction` of each of 20 contiguous segments of the data,
         * check its negative log-likelihood at every ESS probe, and (keepBest) end with the weights
         * that scored best.
         */
        heldOut: z
          .object({ fraction: positive.max(0.5).default(0.1), keepBest: z.boolean().default(true) })
          .strict()
          .optional(),
        /**
         * The "ESS over time" probes: `count` per schedule (and the last step), each the Kish ESS of
         * `samples` fresh draws at τ = 1. A probe cannot read below 1/samples, so collapsed weights
         * in many dimensions need larger probes to show how far they collapsed.
         */
        essProbe: z
          .object({ samples: z.number().int().min(64).max(65536).default(512), count: z.number().int().min(1).max(1000).default(50) })
          .strict()
          .default(ESS_PROBE_DEFAULTS),
      })
      .strict()
      .default({ clipNorm: 100, stages: [], essProbe: ESS_PROBE_DEFAULTS }),
    sampling: z
      .object({
        n: z.number().int().min(10).max(1e7),
        temperatures: distinctTemperatures.default([1]),
        chunk: z.number().int().min(1).max(1e6).default(8192),
        /** Independent draws of n samples per temperature, each one's ESS reported (one ESS has heavy tails); the first is stored, and a molecule's surface and basins pool them all. */
        draws: z.number().int().min(1).max(20).default(1),
        /**
         * Sample by annealed importance sampling from the flow towards p at each τ (docs/science.md,
         * "AIS at sampling"): every sample is one AIS chain, its weight the AIS weight. Absent: plain
         * importance sampling from the flow.
         */
        ais: AisSamplingSchema.optional(),
      })
      .strict(),
  })
  .strict()
  .superRefine((spec, ctx) => {
    const exploring = spec.data?.source === 'configuration';
    if (exploring && !spec.explore) {
      ctx.addIssue({ code: 'custom', path: ['explore'], message: 'data.source "configuration" needs an "explore" section' });
    }
    if (spec.explore && !exploring) {
      ctx.addIssue({ code: 'custom', path: ['data', 'source'], message: 'exploration starts from one configuration: use data.source "configuration"' });
    }
    if (spec.training.stages.length === 0 && !spec.explore) {
      ctx.addIssue({ code: 'custom', path: ['training', 'stages'], message: 'give at least one stage (or an "explore" section)' });
    }
    spec.training.stages.forEach((s, i) => {
      const needsData = s.wML > 0 || s.epochs !== undefined;
      if (needsData && !spec.data) {
        ctx.addIssue({
          code: 'custom',
          path: ['training', 'stages', i, s.wML > 0 ? 'wML' : 'epochs'],
          message: 'training by example (wML > 0 or epochs) needs a "data" section',
        });
      }
    });
    checkSamplerMemory(spec, ctx);
    const fitted = spec.data?.source === 'metropolis' || spec.data?.source === 'md' || spec.data?.source === 'samples';
    if (spec.training.heldOut && !fitted) {
      ctx.addIssue({ code: 'custom', path: ['training', 'heldOut'], message: 'held-out data come from the training data: needs data.source "metropolis", "md" or "samples"' });
    }
    if (spec.flow.whiten && !fitted) {
      ctx.addIssue({ code: 'custom', path: ['flow', 'whiten'], message: 'whitening is fitted on reference data: needs data.source "metropolis", "md" or "samples"' });
    }
    const molecule = isMoleculeSystem(spec.system.name);
    if (spec.flow.coordinates === 'mixed' && !molecule) {
      ctx.addIssue({ code: 'custom', path: ['flow', 'coordinates'], message: `mixed coordinates need a molecule (alanine-dipeptide or molecule), not ${spec.system.name}` });
    } else if (spec.flow.coordinates === 'mixed' && !fitted && spec.data?.source !== 'configuration') {
      // An exploration fits it on a short MD around its start configuration instead.
      ctx.addIssue({ code: 'custom', path: ['flow', 'coordinates'], message: 'the mixed transform is fitted on data: needs data.source "md", "samples" or "configuration"' });
    }
    if (spec.flow.coordinates === 'mixed' && spec.flow.whiten) {
      ctx.addIssue({ code: 'custom', path: ['flow', 'whiten'], message: 'the mixed transform already whitens its Cartesian block: drop "whiten"' });
    }
    if (spec.data?.source === 'md' && !molecule) {
      ctx.addIssue({ code: 'custom', path: ['data', 'source'], message: `molecular dynamics needs a molecule; use "metropolis" for ${spec.system.name}` });
    }
    // Explicit configurations must match the system's dimension (known from its params alone).
    const dim = systemDim(spec.system.name, spec.system.params);
    const configs: [PropertyKey[], unknown][] = [
      [['data', 'start'], spec.data?.source === 'configuration' ? spec.data.start : undefined],
      [['analysis', 'pathFrom'], spec.analysis.pathFrom],
      [['analysis', 'pathTo'], spec.analysis.pathTo],
    ];
    for (const [path, value] of configs) {
      if (dim !== null && Array.isArray(value) && value.length !== dim) {
        ctx.addIssue({ code: 'custom', path, message: `has ${value.length} coordinates; ${spec.system.name} here has ${dim}` });
      }
    }
  });

/** Coordinates a stage's sampler may hold (float32): 2.5·10⁷ is 100 MB. */
export const MAX_SAMPLER_VALUES = 2.5e7;

function checkSamplerMemory(spec: { system: { name: Parameters<typeof systemDim>[0]; params: Record<string, number> }; training: { stages: Parameters<typeof samplerRows>[0][] } }, ctx: z.RefinementCtx): void {
  const dim = systemDim(spec.system.name, spec.system.params) ?? 3 * 64; // molecules: bounded by their atoms; 64 atoms as the estimate
  spec.training.stages.forEach((s, i) => {
    const rows = samplerRows(s);
    if (rows * dim > MAX_SAMPLER_VALUES) {
      const field = s.fab ? ['fab', 'bufferSize'] : ['anneal', 'samples'];
      ctx.addIssue({ code: 'custom', path: ['training', 'stages', i, ...field], message: `${rows} rows × ${dim} coordinates exceeds ${MAX_SAMPLER_VALUES} values (100 MB): use at most ${Math.floor(MAX_SAMPLER_VALUES / dim)}` });
    }
  });
}

export type GeneratorSpec = z.output<typeof GeneratorSpecSchema>;
export type ExploreSettings = z.output<typeof ExploreSchema>;
