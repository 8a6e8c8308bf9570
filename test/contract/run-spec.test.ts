import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createSystem } from '../../workers/engine/energies/index';
import { formatIssues, formatPath, parseRunSpec, type SpecIssue } from '../../src-main/contract/run-spec';

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
    const r = parseRunSpec(minimal());
    if (!r.ok) throw new Error(formatIssues(r.issues));
    const s = r.spec;
    expect(s.backend).toBe('auto');
    expect(s.seed).toBeUndefined();
    expect(s.data).toBeUndefined();
    expect(s.system).toEqual({ name: 'double-well', params: {} });
    expect(s.flow).toEqual({ layers: 'RRRR', hidden: [32, 32], sScale: 1, whiten: false });
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
    expect(s.sampling).toEqual({ n: 1000, temperatures: [1], chunk: 8192 });
    expect(s.analysis).toEqual({ bins: 50, bootstrap: 100 });
  });

  it('fills analysis defaults for an empty analysis section, and data defaults', () => {
    const spec = { ...minimal(), analysis: {}, data: DATA };
    const r = parseRunSpec(spec);
    if (!r.ok) throw new Error(formatIssues(r.issues));
    expect(r.spec.analysis).toEqual({ bins: 50, bootstrap: 100 });
    expect(r.spec.data).toEqual({ source: 'metropolis', perState: 100, stride: 10, burnIn: 1000, temperature: 1 });
  });

  it('does not share default arrays/objects between parses', () => {
    const a = parseRunSpec(minimal());
    const b = parseRunSpec(minimal());
    if (!a.ok || !b.ok) throw new Error('minimal spec must parse');
    (a.spec.sampling.temperatures as number[]).push(2);
    (a.spec.training.stages[0]!.temperatures as number[]).push(2);
    expect(b.spec.sampling.temperatures).toEqual([1]);
    expect(b.spec.training.stages[0]!.temperatures).toEqual([1]);
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

  it('non-numeric system param → system.params.<name>', () => {
    const spec = minimal();
    spec.system.params = { dim: '3' };
    expectIssueAt(spec, 'system.params.dim');
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
      expect(() => createSystem(r.spec.system.name, r.spec.system.params), `examples/${f}`).not.toThrow();
    }
  });
});
