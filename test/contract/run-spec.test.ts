import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createSystem } from '../../engine/energies';
import { formatIssues, formatPath, parseRunSpec, type GeneratorSpec, type ParseResult, type SpecIssue } from '../../contract/run-spec';

/** The parsed spec of a generator run (throws with the issues otherwise). */
function generator(r: ParseResult): GeneratorSpec {
  if (!r.ok) throw new Error(formatIssues(r.issues));
  if (r.spec.method !== 'generator') throw new Error(`expected a generator spec, got ${r.spec.method}`);
  return r.spec;
}

const ROOT = resolve(import.meta.dirname, '../..');
const EXAMPLES = join(ROOT, 'examples');

/** The smallest spec that is valid: by-energy training only, so no data section is needed. */
function minimal(): Record<string, any> {
  return {
    system: { name: 'double-well' },
    flow: { layers: 'RRRR', hidden: [32, 32] },
    training: { stages: [{ iterations: 100, lr: 1e-3, batch: 64, wKL: 1 }] },
    sampling: { n: 1000 },
  };
}

const DATA = { source: 'metropolis', perState: 100 };

/** Parse a spec that must be invalid and return its issues (fails the test if it parses). */
function issuesOf(spec: unknown): SpecIssue[] {
  const r = parseRunSpec(spec);
  if (r.ok) throw new Error(`expected an invalid spec, but it parsed: ${JSON.stringify(spec)}`);
  expect(r.issues.length).toBeGreaterThan(0);
  return r.issues;
}

/** Issues whose path is exactly `path` (the bad field must be named, not just its parent). */
function at(issues: SpecIssue[], path: string): SpecIssue[] {
  return issues.filter((i) => i.path === path);
}

function expectIssueAt(spec: unknown, path: string, message?: RegExp): SpecIssue {
  const issues = issuesOf(spec);
  const hits = at(issues, path);
  expect(hits, `no issue at ${path}; got: ${formatIssues(issues)}`).not.toHaveLength(0);
  if (message) expect(hits.some((h) => message.test(h.message)), `issue at ${path}: ${formatIssues(hits)}`).toBe(true);
  return hits[0]!;
}

describe('parseRunSpec: a valid spec', () => {
  it('parses the minimal spec and fills every default', () => {
    const s = generator(parseRunSpec(minimal()));
    expect(s.method).toBe('generator');
    expect(s.backend).toBe('auto');
    expect(s.seed).toBeUndefined();
    expect(s.data).toBeUndefined();
    expect(s.system).toEqual({ name: 'double-well', params: {} });
    expect(s.flow).toEqual({ layers: 'RRRR', hidden: [32, 32], sScale: 1, whiten: false, coordinates: 'cartesian' });
    expect(s.training.clipNorm).toBe(100);
    expect(s.training.stages).toEqual([
      {
        iterations: 100,
        lr: 1e-3,
        batch: 64,
        wML: 0,
        wKL: 1,
        wRC: 0,
        highEnergy: 1e3,
        maxEnergy: 1e10,
        temperatures: [1],
        rcLoss: 'barrier',
      },
    ]);
    expect(s.sampling).toEqual({ n: 1000, temperatures: [1], chunk: 8192, draws: 1 });
    expect(s.analysis).toEqual({ bins: 50, bootstrap: 100, pathPoints: 21, pathFrom: 'A', pathTo: 'B' });
  });

  it('fills analysis defaults for an empty analysis section, and data defaults', () => {
    const spec = { ...minimal(), analysis: {}, data: DATA };
    const s = generator(parseRunSpec(spec));
    expect(s.analysis).toEqual({ bins: 50, bootstrap: 100, pathPoints: 21, pathFrom: 'A', pathTo: 'B' });
    expect(s.data).toEqual({ source: 'metropolis', perState: 100, stride: 10, burnIn: 1000, temperature: 1 });
  });

  it('does not share default arrays/objects between parses', () => {
    const a = generator(parseRunSpec(minimal()));
    const b = generator(parseRunSpec(minimal()));
    (a.sampling.temperatures as number[]).push(2);
    (a.training.stages[0]!.temperatures as number[]).push(2);
    expect(b.sampling.temperatures).toEqual([1]);
    expect(b.training.stages[0]!.temperatures).toEqual([1]);
  });

  it('accepts epochs-based and ML stages when a data section is present', () => {
    const spec = minimal();
    spec.data = DATA;
    spec.training.stages = [
      { epochs: 2, lr: 1e-3, batch: 64, wML: 1 },
      { iterations: 10, lr: 1e-3, batch: 64, wML: 1, wKL: 1 },
    ];
    spec.analysis = { rcRange: [-2, 2] };
    expect(parseRunSpec(spec).ok).toBe(true);
  });
});

describe('parseRunSpec: each error names the bad field', () => {
  it('negative lr → training.stages[0].lr', () => {
    const spec = minimal();
    spec.training.stages[0].lr = -0.001;
    expectIssueAt(spec, 'training.stages[0].lr');
  });

  it('lr in a later stage → training.stages[1].lr', () => {
    const spec = minimal();
    spec.training.stages.push({ iterations: 10, lr: 0, batch: 64, wKL: 1 });
    const issues = issuesOf(spec);
    expect(at(issues, 'training.stages[1].lr')).toHaveLength(1);
    expect(at(issues, 'training.stages[0].lr')).toHaveLength(0);
  });

  it('a stage with both epochs and iterations', () => {
    const spec = minimal();
    spec.data = DATA;
    spec.training.stages[0].epochs = 3;
    expectIssueAt(spec, 'training.stages[0].iterations', /exactly one of epochs or iterations/);
  });

  it('a stage with neither epochs nor iterations', () => {
    const spec = minimal();
    delete spec.training.stages[0].iterations;
    expectIssueAt(spec, 'training.stages[0].iterations', /exactly one of epochs or iterations/);
  });

  it('a stage with all loss weights 0 → wML', () => {
    const spec = minimal();
    spec.training.stages[0].wKL = 0;
    expectIssueAt(spec, 'training.stages[0].wML', /at least one/);
  });

  it('unknown top-level key (strict) → the message names the key', () => {
    const issues = issuesOf({ ...minimal(), learningRate: 0.1 });
    expect(formatIssues(issues)).toContain('learningRate');
  });

  it('unknown key inside a stage → names the key at the stage path', () => {
    const spec = minimal();
    spec.training.stages[0].learningRate = 0.1;
    const hit = expectIssueAt(spec, 'training.stages[0]');
    expect(hit.message).toContain('learningRate');
  });

  it('unknown system name → system.name', () => {
    const spec = minimal();
    spec.system.name = 'triple-well';
    expectIssueAt(spec, 'system.name', /double-well/);
  });

  it('system.permutationReduction: the dimer takes it; a system without identical particles and an umbrella run do not', () => {
    const dimer = { ...minimal(), system: { name: 'dimer', permutationReduction: true } };
    expect(generator(parseRunSpec(dimer)).system.permutationReduction).toBe(true);
    expectIssueAt({ ...minimal(), system: { name: 'double-well', permutationReduction: true } }, 'system.permutationReduction', /no identical particles/);
    expectIssueAt({ ...minimal(), system: { name: 'dimer', params: { nSolvent: 1 }, permutationReduction: true } }, 'system.permutationReduction', /nSolvent ≥ 2/);
    const umbrella = { method: 'umbrella', system: { name: 'dimer', permutationReduction: true }, umbrella: { k: 400, stepsPerWindow: 1000, stride: 10 } };
    expectIssueAt(umbrella, 'system.permutationReduction', /unreduced/);
  });

  it('non-numeric system param → system.params.<name>', () => {
    const spec = minimal();
    spec.system.params = { dim: '3' };
    expectIssueAt(spec, 'system.params.dim');
  });

  it.each([
    ['double-well', 'dim', 2.5, /integer in \[1, 1000\]/, /integer ≥ 1/],
    ['double-well', 'a4', 0, /in \(0, 1000000\]/, /> 0/],
    ['mueller-brown', 'dim', 1, /integer in \[2, 1000\]/, /integer ≥ 2/],
    ['mueller-brown', 'k', -0.1, /in \(0, 1000000\]/, /> 0/],
    ['dimer', 'nSolvent', -1, /integer in \[0, 500\]/, /integer ≥ 0/],
    ['dimer', 'boxHalf', 0, /in \(0, 1000\]/, /> 0/],
  ])('%s param %s = %s out of range → system.params.<name>, as the engine would refuse it', (name, key, value, message, engine) => {
    const spec = minimal();
    spec.system = { name, params: { [key]: value } };
    expectIssueAt(spec, `system.params.${key}`, message);
    expect(() => createSystem(name as 'dimer', { [key]: value })).toThrow(engine);
  });

  it.each([
    ['double-well', 'dim', 1e9],
    ['mueller-brown', 'dim', 1001],
    ['dimer', 'nSolvent', 501],
    ['dimer', 'boxHalf', 1e4],
  ])('%s param %s = %s: above what the physics needs, refused before anything is allocated', (name, key, value) => {
    const spec = minimal();
    spec.system = { name, params: { [key]: value } };
    expectIssueAt(spec, `system.params.${key}`, /must be/);
  });

  it('a spec cannot inject failures: faults is no spec field (tests use the backend hook)', () => {
    const spec = { ...minimal(), faults: { energyThrowsAtStep: 3 } };
    expectIssueAt(spec, 'spec', /faults/);
  });

  it.each([
    ['bins < 2', { layers: 'QQ', hidden: [8], spline: { bins: 1 } }, 'flow.spline.bins', /2/],
    ['an interval of zero width', { layers: 'QQ', hidden: [8], spline: { interval: [1, 1] } }, 'flow.spline.interval', /hi > lo/],
    ['a non-finite bound', { layers: 'QQ', hidden: [8], spline: { interval: [-1, Infinity] } }, 'flow.spline.interval[1]', undefined],
    ['Q mixed with affine layers', { layers: 'QRQ', hidden: [8] }, 'flow.layers', /only Q and P/],
    ['spline settings without Q layers', { layers: 'RR', hidden: [8], spline: { bins: 8 } }, 'flow.spline', /Q layers/],
    ['an unknown partition', { layers: 'QQ', hidden: [8], spline: { partition: 'checkerboard' } }, 'flow.spline.partition', /even-odd.*random/],
  ])('spline flow with %s → its field', (_what, flow, path, message) => {
    const spec = minimal();
    spec.flow = flow;
    expectIssueAt(spec, path, message);
  });

  it('training.heldOut needs training data, and a fraction in (0, 0.5]', () => {
    const spec: Record<string, any> = { ...minimal(), data: DATA };
    spec.training.heldOut = { fraction: 0.6 };
    expectIssueAt(spec, 'training.heldOut.fraction', /0.5/);
    spec.training.heldOut = {};
    expect(generator(parseRunSpec(spec)).training.heldOut).toEqual({ fraction: 0.1, keepBest: true });
    const noData = minimal();
    noData.training.heldOut = {};
    expectIssueAt(noData, 'training.heldOut', /needs data.source/);
  });

  it('training.essProbe defaults to 50 probes of 512 samples and bounds both', () => {
    const spec = minimal();
    expect(generator(parseRunSpec(spec)).training.essProbe).toEqual({ samples: 512, count: 50 });
    spec.training.essProbe = { samples: 20000 };
    expect(generator(parseRunSpec(spec)).training.essProbe).toEqual({ samples: 20000, count: 50 });
    spec.training.essProbe = { samples: 10 };
    expectIssueAt(spec, 'training.essProbe.samples', /64/);
    spec.training.essProbe = { samples: 1e6 };
    expectIssueAt(spec, 'training.essProbe.samples', /65536/);
    spec.training.essProbe = { count: 0 };
    expectIssueAt(spec, 'training.essProbe.count', /1/);
  });

  it('a FAB stage needs no data and fills its defaults; an annealing stage counts its rungs', () => {
    const spec = minimal();
    spec.training.stages = [{ iterations: 100, lr: 1e-3, batch: 64, fab: {} }];
    expect(generator(parseRunSpec(spec)).training.stages[0]!.fab).toEqual({ intermediate: 8, transitions: 2, kernel: 'metropolis', leapfrog: 5, step: 0.5, targetAcceptance: 0.5, chains: 256, bufferSize: 20000, minBuffer: 2560, updatesPerAis: 4 });
    spec.training.stages = [{ iterations: 100, lr: 1e-3, batch: 64, anneal: { ladder: [4, 2, 1] } }];
    expect(generator(parseRunSpec(spec)).training.stages[0]!.anneal).toEqual({ ladder: [4, 2, 1], klIterations: 1000, samples: 20000 });
  });

  it.each([
    ['loss weights beside FAB', { fab: {}, wKL: 1 }, 'training.stages[0].wKL', /own objective/],
    ['epochs with FAB', { fab: {}, epochs: 3, iterations: undefined }, 'training.stages[0].epochs', /iterations, not epochs/],
    ['both FAB and annealing', { fab: {}, anneal: { ladder: [2, 1] } }, 'training.stages[0].anneal', /not both/],
    ['a minimum buffer above its size', { fab: { bufferSize: 100, minBuffer: 200 } }, 'training.stages[0].fab.minBuffer', /at most bufferSize/],
    ['a ladder that rises', { anneal: { ladder: [2, 3, 1] } }, 'training.stages[0].anneal.ladder', /decrease/],
    ['a ladder that ends above 1', { anneal: { ladder: [4, 2] } }, 'training.stages[0].anneal.ladder', /end at the target temperature 1/],
    ['a buffer too large for the memory bound', { fab: { bufferSize: 1e6, minBuffer: 10 } }, 'training.stages[0].fab.bufferSize', /exceeds/],
  ])('%s → its field', (_what, extra, path, message) => {
    const spec = minimal();
    spec.system = { name: 'dimer' };
    spec.training.stages = [{ iterations: 100, lr: 1e-3, batch: 64, ...extra }];
    expectIssueAt(spec, path, message);
  });

  it('a spline flow parses with default bins (8) and no fixed interval', () => {
    const spec = minimal();
    spec.flow = { layers: 'QPQ', hidden: [16] };
    expect(generator(parseRunSpec(spec)).flow.spline).toBeUndefined();
    spec.flow = { layers: 'QPQ', hidden: [16], spline: {} };
    expect(generator(parseRunSpec(spec)).flow.spline).toEqual({ bins: 8, partition: 'even-odd' });
  });

  it('flow.layers "RX" → flow.layers', () => {
    const spec = minimal();
    spec.flow.layers = 'RX';
    expectIssueAt(spec, 'flow.layers', /R, N, S, P/);
  });

  it('flow.whiten without a data section → flow.whiten', () => {
    const spec = minimal();
    spec.flow.whiten = true;
    expectIssueAt(spec, 'flow.whiten', /data/);
  });

  it('sampling.n: 0 → sampling.n', () => {
    const spec = minimal();
    spec.sampling.n = 0;
    expectIssueAt(spec, 'sampling.n');
  });

  it('wML > 0 without a data section → training.stages[i].wML', () => {
    const spec = minimal();
    spec.training.stages.push({ iterations: 10, lr: 1e-3, batch: 64, wML: 1, wKL: 1 });
    const issues = issuesOf(spec);
    expect(at(issues, 'training.stages[1].wML')[0]?.message).toMatch(/"data" section/);
    expect(at(issues, 'training.stages[0].wML')).toHaveLength(0);
  });

  it('epochs without a data section → training.stages[i].epochs', () => {
    const spec = minimal();
    delete spec.training.stages[0].iterations;
    spec.training.stages[0].epochs = 2;
    expectIssueAt(spec, 'training.stages[0].epochs', /"data" section/);
  });

  it.each([
    [[1, 1]],
    [[2, -2]],
  ])('rcRange %j (max ≤ min) → analysis.rcRange', (rcRange) => {
    const spec = minimal();
    spec.analysis = { rcRange };
    expectIssueAt(spec, 'analysis.rcRange', /greater than min/);
  });

  it.each([
    ['sampling.n', (s: Record<string, any>) => (s.sampling.n = '1000')],
    ['training.stages[0].lr', (s: Record<string, any>) => (s.training.stages[0].lr = '0.001')],
    ['training.stages[0].batch', (s: Record<string, any>) => (s.training.stages[0].batch = '64')],
    ['flow.hidden[1]', (s: Record<string, any>) => (s.flow.hidden[1] = '32')],
    ['seed', (s: Record<string, any>) => (s.seed = '7')],
  ])('wrong type (string where a number belongs) → %s', (path, mutate) => {
    const spec = minimal();
    mutate(spec);
    expectIssueAt(spec, path, /expected number/);
  });

  it('non-object input → the root ("spec")', () => {
    expect(at(issuesOf(null), 'spec')).toHaveLength(1);
    expect(at(issuesOf([]), 'spec')).toHaveLength(1);
  });

  it('formatIssues puts every issue on one line as "path: message"', () => {
    const spec = minimal();
    spec.sampling.n = 0;
    spec.flow.layers = 'RX';
    const text = formatIssues(issuesOf(spec));
    expect(text).not.toContain('\n');
    expect(text).toMatch(/sampling\.n: /);
    expect(text).toMatch(/flow\.layers: /);
  });
});

describe('formatPath', () => {
  it('formats keys with dots and indices with brackets', () => {
    expect(formatPath(['training', 'stages', 1, 'lr'])).toBe('training.stages[1].lr');
    expect(formatPath(['flow', 'hidden', 0])).toBe('flow.hidden[0]');
    expect(formatPath(['analysis', 'rcRange'])).toBe('analysis.rcRange');
  });

  it('names the root "spec"', () => {
    expect(formatPath([])).toBe('spec');
  });
});

function exploreSpec(): Record<string, any> {
  return {
    system: { name: 'double-well' },
    data: { source: 'configuration' },
    explore: { iterations: 100 },
    flow: { layers: 'RR', hidden: [16] },
    sampling: { n: 100 },
  };
}

function umbrellaSpec(): Record<string, any> {
  return { method: 'umbrella', system: { name: 'double-well' }, umbrella: { k: 30, stepsPerWindow: 10000 } };
}

describe('parseRunSpec: exploration from one configuration', () => {
  it('fills defaults: start A, noise 0.01, buffer 10⁴, s = 0.1, adapt every 50, no stages', () => {
    const s = generator(parseRunSpec(exploreSpec()));
    expect(s.data).toEqual({ source: 'configuration', start: 'A', noise: 0.01, bufferSize: 10000 });
    expect(s.explore).toMatchObject({ iterations: 100, batch: 256, lr: 1e-3, wML: 1, wKL: 0, wRC: 0, tau: 1, step: 0.1, adaptEvery: 50 });
    expect(s.training.stages).toEqual([]);
  });

  it('accepts an explicit start configuration of the system’s dimension', () => {
    const spec = exploreSpec();
    spec.data.start = [-1.7, 0.1];
    expect(generator(parseRunSpec(spec)).data).toMatchObject({ start: [-1.7, 0.1] });
  });

  it('a start configuration of the wrong length → data.start, naming both sizes', () => {
    const spec = exploreSpec();
    spec.data.start = [1, 2, 3];
    expectIssueAt(spec, 'data.start', /3 coordinates.*has 2/);
    spec.system.params = { dim: 3 };
    expect(parseRunSpec(spec).ok).toBe(true);
  });

  it('repeated sampling temperatures → sampling.temperatures (each writes its own file); one path point → analysis.pathPoints', () => {
    const spec = minimal();
    spec.sampling.temperatures = [1, 2, 1];
    expectIssueAt(spec, 'sampling.temperatures', /distinct/);
    const b = minimal();
    b.analysis = { pathPoints: 1 };
    expectIssueAt(b, 'analysis.pathPoints', /0 \(no path\) or at least 2/);
  });

  it('latent-path ends of the wrong length → analysis.pathFrom / analysis.pathTo', () => {
    const spec = minimal();
    spec.analysis = { pathFrom: [0, 0, 0], pathTo: 'A' };
    expectIssueAt(spec, 'analysis.pathFrom', /3 coordinates/);
    spec.analysis = { pathFrom: [-1.7, 0], pathTo: 'C' };
    expectIssueAt(spec, 'analysis.pathTo');
    spec.analysis = { pathFrom: [-1.7, 0], pathTo: [1.7, 0] };
    expect(parseRunSpec(spec).ok).toBe(true);
  });

  it('a configuration source without explore → explore; explore with Metropolis data → data.source', () => {
    const a = exploreSpec();
    delete a.explore;
    expectIssueAt(a, 'explore', /needs an "explore" section/);
    const b = exploreSpec();
    b.data = DATA;
    expectIssueAt(b, 'data.source', /configuration/);
  });

  it('whitening needs reference data → flow.whiten', () => {
    const spec = exploreSpec();
    spec.flow.whiten = true;
    expectIssueAt(spec, 'flow.whiten');
  });

  it('explore loss weights all 0 → explore.wML; a step above 1 → explore.step', () => {
    const spec = exploreSpec();
    spec.explore = { iterations: 10, wML: 0 };
    expectIssueAt(spec, 'explore.wML');
    spec.explore = { iterations: 10, step: 2 };
    expectIssueAt(spec, 'explore.step');
  });

  it('no stages and no exploration → training.stages', () => {
    const spec = minimal();
    spec.training.stages = [];
    expectIssueAt(spec, 'training.stages');
  });
});

describe('parseRunSpec: umbrella sampling', () => {
  it('parses with defaults (20 windows over the system range, burn-in 1000, stride 10, τ = 1)', () => {
    const r = parseRunSpec(umbrellaSpec());
    if (!r.ok) throw new Error(formatIssues(r.issues));
    if (r.spec.method !== 'umbrella') throw new Error('expected an umbrella spec');
    expect(r.spec.umbrella).toEqual({ windows: 20, k: 30, stepsPerWindow: 10000, burnIn: 1000, stride: 10, temperatures: [1] });
  });

  it('missing k → umbrella.k; generator fields are unknown keys', () => {
    const a = umbrellaSpec();
    delete a.umbrella.k;
    expectIssueAt(a, 'umbrella.k');
    const b = { ...umbrellaSpec(), flow: { layers: 'R', hidden: [4] } };
    expect(formatIssues(issuesOf(b))).toMatch(/flow/);
  });

  it('too few samples per window → umbrella.stepsPerWindow; a reversed range → umbrella.range', () => {
    const spec = umbrellaSpec();
    spec.umbrella.stride = 5000;
    expectIssueAt(spec, 'umbrella.stepsPerWindow', /at least 10 samples/);
    spec.umbrella.stride = 10;
    spec.umbrella.range = [2, 1];
    expectIssueAt(spec, 'umbrella.range');
  });

  it('repeated temperatures → umbrella.temperatures; windows outside the analysis range → analysis.rcRange', () => {
    const spec = umbrellaSpec();
    spec.umbrella.temperatures = [1, 1];
    expectIssueAt(spec, 'umbrella.temperatures', /distinct/);
    spec.umbrella.temperatures = [1];
    spec.umbrella.range = [-2, 2];
    spec.analysis = { rcRange: [-1, 3] };
    expectIssueAt(spec, 'analysis.rcRange', /cover umbrella.range/);
  });

  it('an unknown method → method', () => {
    expectIssueAt({ ...umbrellaSpec(), method: 'mbar' }, 'method', /"generator", "umbrella"/);
  });
});

const SHIPPED_ALANINE = {
  pdb: readFileSync(join(ROOT, 'data/molecules/alanine-dipeptide.pdb'), 'utf8'),
  forcefieldXml: readFileSync(join(ROOT, 'data/forcefields/amber99sbildn.xml'), 'utf8'),
};

describe('molecule specs', () => {
  const ala = (): Record<string, any> => ({
    system: { name: 'alanine-dipeptide' },
    data: { source: 'md', frames: 100 },
    flow: { layers: 'RR', hidden: [8], coordinates: 'mixed' },
    training: { stages: [{ iterations: 5, lr: 1e-3, batch: 8, wML: 1 }] },
    sampling: { n: 100 },
  });
  it('the alanine dipeptide spec parses with MD data and mixed coordinates (defaults filled in)', () => {
    const s = generator(parseRunSpec(ala()));
    expect(s.data).toMatchObject({ source: 'md', chains: 1, stride: 100, dt: 0.001, gamma: 1 });
    expect(s.flow.coordinates).toBe('mixed');
  });
  it('MD needs a molecule → data.source', () => {
    expectIssueAt({ ...ala(), system: { name: 'dimer' }, flow: { layers: 'RR', hidden: [8] } }, 'data.source', /needs a molecule/);
  });
  it('mixed coordinates need a molecule → flow.coordinates', () => {
    expectIssueAt({ ...ala(), system: { name: 'double-well' }, data: DATA }, 'flow.coordinates', /need a molecule/);
  });
  it('a user molecule needs its structure → system.structure; a built-in system takes no force field → system.forcefield', () => {
    expectIssueAt({ ...ala(), system: { name: 'molecule' } }, 'system.structure', /imported PDB set/);
    expectIssueAt({ ...ala(), system: { name: 'dimer', forcefield: 'amber99sbildn' } }, 'system.forcefield', /not a molecule/);
    expectIssueAt({ ...ala(), system: { name: 'alanine-dipeptide', forcefield: 'charmm36' } }, 'system.forcefield');
    expectIssueAt({ ...ala(), system: { name: 'alanine-dipeptide', params: { temperature: -3 } } }, 'system.params.temperature', /\(0, 5000\]/);
  });
});

describe('shipped examples', () => {
  it('examples/ holds at least one spec, and every examples/*.json parses and builds its system', () => {
    const files = existsSync(EXAMPLES) ? readdirSync(EXAMPLES).filter((f) => f.endsWith('.json')).sort() : [];
    if (files.length === 0) {
      throw new Error(`no example specs: ${EXAMPLES}/*.json is ${existsSync(EXAMPLES) ? 'empty' : 'missing'}; the project must ship examples`);
    }
    for (const f of files) {
      let json: unknown;
      try {
        json = JSON.parse(readFileSync(join(EXAMPLES, f), 'utf8'));
      } catch (e) {
        throw new Error(`examples/${f} is not valid JSON: ${(e as Error).message}`);
      }
      const r = parseRunSpec(json);
      if (!r.ok) throw new Error(`examples/${f}: ${formatIssues(r.issues)}`);
      // What `bgw run` checks beyond the schema: the system params must be known to the system.
      const molecule = r.spec.system.name === 'alanine-dipeptide' ? SHIPPED_ALANINE : null;
      expect(() => createSystem(r.spec.system.name, r.spec.system.params, molecule), `examples/${f}`).not.toThrow();
    }
  });
});
