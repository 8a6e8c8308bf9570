import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { GeneratorSpec } from '../../contract/run-spec';
import { DEFAULT_MAX_SWEEP_RUNS, MAX_RUN_NAME, parsePath, parseSweepSpec, setPath, type Sweep, type SweepIssue } from '../../contract/sweep-spec';

/** A valid double-well run spec with three stages (by energy only: no data section needed). */
function base(): Record<string, any> {
  return {
    name: 'double well',
    seed: 1,
    system: { name: 'double-well' },
    flow: { layers: 'RRRR', hidden: [32, 32] },
    training: {
      stages: [
        { iterations: 100, lr: 1e-3, batch: 64, wKL: 1 },
        { iterations: 100, lr: 1e-3, batch: 64, wKL: 1 },
        { iterations: 100, lr: 1e-4, batch: 64, wKL: 1 },
      ],
    },
    sampling: { n: 1000 },
  };
}

function sweepOf(value: unknown, o: { maxRuns?: number } = {}): Sweep {
  const r = parseSweepSpec(value, o);
  if (!r.ok) throw new Error(r.issues.map((i) => `${i.path}: ${i.message}`).join('; '));
  return r.sweep;
}

function issuesOf(value: unknown, o: { maxRuns?: number } = {}): SweepIssue[] {
  const r = parseSweepSpec(value, o);
  if (r.ok) throw new Error(`expected an invalid sweep, but it expanded to ${r.sweep.runs.length} runs`);
  expect(r.issues.length).toBeGreaterThan(0);
  return r.issues;
}

/** The one issue at `path` (fails if there is none or several). */
function issueAt(issues: SweepIssue[], path: string): SweepIssue {
  const hits = issues.filter((i) => i.path === path);
  expect(hits, `issues: ${JSON.stringify(issues)}`).toHaveLength(1);
  return hits[0]!;
}

const gen = (s: Sweep, k: number): GeneratorSpec => {
  const spec = s.runs[k]!.spec;
  if (spec.method !== 'generator') throw new Error('expected a generator spec');
  return spec;
};

describe('parsePath / setPath', () => {
  it('parses what formatPath writes', () => {
    expect(parsePath('seed')).toEqual(['seed']);
    expect(parsePath('system.params.nSolvent')).toEqual(['system', 'params', 'nSolvent']);
    expect(parsePath('training.stages[2].lr')).toEqual(['training', 'stages', 2, 'lr']);
    expect(parsePath('a[0][1]')).toEqual(['a', 0, 1]);
  });

  it('refuses malformed paths and prototype keys', () => {
    for (const bad of ['', '.seed', 'seed.', 'a..b', '[0].a', 'a[x]', 'a[-1]', 'a[1', 'a b', '__proto__.x', 'a.constructor']) {
      expect(() => parsePath(bad), bad).toThrow();
    }
  });

  it('sets a value, creating missing objects, and refuses an index past the end', () => {
    const o: Record<string, any> = { a: [{ b: 1 }] };
    setPath(o, 'a[0].b', 2);
    setPath(o, 'c.d', 3);
    expect(o).toEqual({ a: [{ b: 2 }], c: { d: 3 } });
    expect(() => setPath(o, 'a[1].b', 4)).toThrow(/past the end/);
    expect(() => setPath(o, 'a[0].b.c', 4)).toThrow(/number/);
  });
});

describe('parseSweepSpec: expansion', () => {
  it('grid: the Cartesian product, first axis slowest, with defaults', () => {
    const s = sweepOf({ base: base(), axes: { seed: [1, 2, 3], 'training.stages[2].lr': [1e-4, 1e-5] } });
    expect(s.mode).toBe('grid');
    expect(s.executor).toBe('local');
    expect(s.name).toBeNull();
    expect(s.axes).toEqual([
      { path: 'seed', values: [1, 2, 3] },
      { path: 'training.stages[2].lr', values: [1e-4, 1e-5] },
    ]);
    expect(s.runs.map((r) => r.index)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(s.runs.map((r) => [r.combination.seed, r.combination['training.stages[2].lr']])).toEqual([
      [1, 1e-4],
      [1, 1e-5],
      [2, 1e-4],
      [2, 1e-5],
      [3, 1e-4],
      [3, 1e-5],
    ]);
    // The values are in the specs, and the specs are validated (defaults filled in).
    expect(s.runs.map((_, k) => gen(s, k).seed)).toEqual([1, 1, 2, 2, 3, 3]);
    expect(s.runs.map((_, k) => gen(s, k).training.stages[2]!.lr)).toEqual([1e-4, 1e-5, 1e-4, 1e-5, 1e-4, 1e-5]);
    expect(gen(s, 0).training.stages[0]!.lr).toBe(1e-3);
    expect(gen(s, 0).sampling.chunk).toBe(8192);
  });

  it('list: run k takes value k of every axis', () => {
    const s = sweepOf({ name: 'pairs', base: base(), mode: 'list', executor: 'slurm', axes: { seed: [5, 6, 7], 'system.params.a4': [0.5, 1, 2] } });
    expect(s.name).toBe('pairs');
    expect(s.mode).toBe('list');
    expect(s.executor).toBe('slurm');
    expect(s.runs.map((r) => r.combination)).toEqual([
      { seed: 5, 'system.params.a4': 0.5 },
      { seed: 6, 'system.params.a4': 1 },
      { seed: 7, 'system.params.a4': 2 },
    ]);
    expect(s.runs.map((_, k) => gen(s, k).system.params.a4)).toEqual([0.5, 1, 2]);
  });

  it('an array value is one value', () => {
    const s = sweepOf({ base: base(), axes: { 'flow.hidden': [[64, 64], [128, 128, 128]] } });
    expect(s.runs).toHaveLength(2);
    expect(gen(s, 0).flow.hidden).toEqual([64, 64]);
    expect(gen(s, 1).flow.hidden).toEqual([128, 128, 128]);
  });

  it('creates a missing params object (system.params.nSolvent in a dimer base without params)', () => {
    const b = { ...base(), system: { name: 'dimer' } };
    const s = sweepOf({ base: b, axes: { 'system.params.nSolvent': [0, 10] } });
    expect(s.runs.map((_, k) => gen(s, k).system.params)).toEqual([{ nSolvent: 0 }, { nSolvent: 10 }]);
  });

  it('never modifies the base, and runs share no objects', () => {
    const b = base();
    const before = structuredClone(b);
    const hidden = [[64, 64], [128, 128]];
    const s = sweepOf({ base: b, axes: { 'flow.hidden': hidden, 'training.stages[0].lr': [0.01, 0.02] } });
    expect(b).toEqual(before);
    expect(hidden).toEqual([[64, 64], [128, 128]]);
    gen(s, 0).flow.hidden.push(1);
    expect(gen(s, 1).flow.hidden).toEqual([64, 64]);
    expect(hidden[0]).toEqual([64, 64]);
  });

  it("names each run after the base's name and its combination, within the run spec's limit", () => {
    const s = sweepOf({ base: base(), axes: { seed: [1, 2], 'flow.hidden': [[64, 64]] } });
    expect(s.runs.map((_, k) => gen(s, k).name)).toEqual(['double well [seed=1, flow.hidden=[64,64]]', 'double well [seed=2, flow.hidden=[64,64]]']);
    // 110 + " [seed=1]" fits in 120; 100 + " [flow.hidden=[64,64]]" does not (the run number instead); 120 is cut to make room.
    const names = (n: number, axes: Record<string, unknown[]> = { seed: [1, 2] }) => {
      const s = sweepOf({ base: { ...base(), name: 'x'.repeat(n) }, axes });
      return s.runs.map((_, k) => gen(s, k).name!);
    };
    expect(names(110)).toEqual(['x'.repeat(110) + ' [seed=1]', 'x'.repeat(110) + ' [seed=2]']);
    expect(names(100, { 'flow.hidden': [[64, 64], [128, 128]] })).toEqual(['x'.repeat(100) + ' [run 1 of 2]', 'x'.repeat(100) + ' [run 2 of 2]']);
    for (const n of names(120)) {
      expect(n.length).toBe(MAX_RUN_NAME);
      expect(n).toMatch(/^x+… \[run [12] of 2\]$/);
    }
    const unnamed = { ...base() };
    delete unnamed.name;
    const u = sweepOf({ base: unnamed, axes: { seed: [1] } });
    expect(gen(u, 0).name).toBeUndefined();
  });
});

describe('parseSweepSpec: refused before any run is queued', () => {
  it('schema errors name the field', () => {
    expect(issueAt(issuesOf({ base: base(), axes: { seed: [1] }, mode: 'random' }), 'mode').message).toBeTruthy();
    expect(issuesOf({ base: base(), axes: { seed: [1] }, extra: 1 })[0]!.message).toMatch(/extra/);
    issueAt(issuesOf({ base: [], axes: { seed: [1] } }), 'base');
    issueAt(issuesOf({ base: base(), axes: { seed: 1 } }), 'axes.seed');
    issueAt(issuesOf({ base: base(), axes: { seed: [1] }, name: '' }), 'name');
  });

  it('no axes', () => {
    expect(issueAt(issuesOf({ base: base(), axes: {} }), 'axes').message).toMatch(/at least one axis/);
  });

  it('an axis without values, by name', () => {
    expect(issueAt(issuesOf({ base: base(), axes: { seed: [1, 2], 'flow.hidden': [] } }), 'axes.flow.hidden').message).toMatch(/'flow\.hidden' has no values/);
  });

  it('duplicate paths, and an axis inside another', () => {
    const dup = issuesOf({ base: base(), axes: { 'training.stages[1].lr': [1e-3], 'training.stages[01].lr': [1e-4] } });
    expect(issueAt(dup, 'axes.training.stages[01].lr').message).toMatch(/same field as axis 'training\.stages\[1\]\.lr'/);
    const nested = issuesOf({ base: base(), axes: { flow: [{ layers: 'RR', hidden: [8] }], 'flow.hidden': [[16]] } });
    expect(issueAt(nested, 'axes.flow.hidden').message).toMatch(/'flow\.hidden' lies inside axis 'flow'/);
  });

  it('a malformed path', () => {
    expect(issueAt(issuesOf({ base: base(), axes: { 'training.stages[x].lr': [1] } }), 'axes.training.stages[x].lr').message).toMatch(/not a field path/);
  });

  it('an unknown field names the axis', () => {
    expect(issueAt(issuesOf({ base: base(), axes: { 'flow.hiddn': [[64]] } }), 'axes.flow.hiddn').message).toBe("axis 'flow.hiddn': unknown field");
    expect(issueAt(issuesOf({ base: base(), axes: { 'flow.foo.bar': [1] } }), 'axes.flow.foo.bar').message).toBe("axis 'flow.foo.bar': unknown field 'flow.foo'");
    expect(issueAt(issuesOf({ base: base(), axes: { sead: [1, 2] } }), 'axes.sead').message).toBe("axis 'sead': unknown field");
  });

  it('an index past the end of an array, and a field inside a value', () => {
    const past = issueAt(issuesOf({ base: base(), axes: { 'training.stages[9].lr': [1e-3] } }), 'axes.training.stages[9].lr');
    expect(past.message).toMatch(/index \[9\] is past the end: 'training\.stages' has 3 entries/);
    expect(issueAt(issuesOf({ base: base(), axes: { 'flow.layers.x': [1] } }), 'axes.flow.layers.x').message).toMatch(/'flow\.layers' is a string/);
    expect(issueAt(issuesOf({ base: base(), axes: { 'training.stages.lr': [1] } }), 'axes.training.stages.lr').message).toMatch(/training\.stages\[0\]\.lr/);
  });

  it('a section the axis alone would create but that needs more', () => {
    const m = issueAt(issuesOf({ base: base(), axes: { 'data.perState': [100, 200] } }), 'axes.data.perState').message;
    expect(m).toMatch(/base has no 'data'/);
    expect(m).toMatch(/data\.source/);
  });

  it('list mode: the axis whose length differs', () => {
    const m = issueAt(issuesOf({ base: base(), mode: 'list', axes: { seed: [1, 2, 3], 'flow.hidden': [[8], [16]] } }), 'axes.flow.hidden').message;
    expect(m).toMatch(/'flow\.hidden' has 2 values, axis 'seed' 3/);
  });

  it('a value twice on a grid axis; the same combination twice in a list', () => {
    expect(issueAt(issuesOf({ base: base(), axes: { seed: [1, 2, 1] } }), 'axes.seed').message).toMatch(/value 1 appears twice/);
    const list = issuesOf({ base: base(), mode: 'list', axes: { seed: [1, 2, 1], 'flow.hidden': [[8], [8], [8]] } });
    expect(issueAt(list, 'runs[2]').message).toMatch(/seed=1, flow\.hidden=\[8\]: the same combination as run 0/);
    // List axes may repeat values in different combinations.
    expect(sweepOf({ base: base(), mode: 'list', axes: { seed: [1, 2, 1, 2], 'flow.hidden': [[8], [8], [16], [16]] } }).runs).toHaveLength(4);
  });

  it('more runs than maxRuns: the count, the limit, and that it is a setting', () => {
    const seeds = Array.from({ length: 17 }, (_, i) => i);
    const big = { base: base(), axes: { seed: seeds, 'training.stages[0].lr': Array.from({ length: 16 }, (_, i) => (i + 1) * 1e-4) } };
    expect(DEFAULT_MAX_SWEEP_RUNS).toBe(256);
    const m = issueAt(issuesOf(big), 'axes').message;
    expect(m).toMatch(/272 runs/);
    expect(m).toMatch(/17 × 16/);
    expect(m).toMatch(/limit of 256/);
    expect(m).toMatch(/setting \(maxRuns\)/);
    expect(sweepOf(big, { maxRuns: 272 }).runs).toHaveLength(272);
    expect(issueAt(issuesOf({ base: base(), axes: { seed: [1, 2, 3] } }, { maxRuns: 2 }), 'axes').message).toMatch(/3 runs.*limit of 2/);
  });

  it('an invalid combination names its values, and only the failing ones fail', () => {
    const issues = issuesOf({ base: base(), axes: { seed: [3, 4], 'training.stages[0].lr': [1e-3, -1] } });
    expect(issues.map((i) => i.path)).toEqual(['runs[1]', 'runs[3]']);
    const first = issues[0]!;
    expect(first.message).toMatch(/^seed=3, training\.stages\[0\]\.lr=-1: training\.stages\[0\]\.lr: /);
    expect(first.message).toMatch(/>0/);
    expect(first.combination).toEqual({ seed: 3, 'training.stages[0].lr': -1 });
    expect(issues[1]!.combination).toEqual({ seed: 4, 'training.stages[0].lr': -1 });
  });

  it('a cross-field problem a combination causes names it too', () => {
    const issues = issuesOf({ base: base(), axes: { 'flow.layers': ['RRRR', 'QRQR'] } });
    expect(issues).toHaveLength(1);
    expect(issues[0]!.path).toBe('runs[1]');
    expect(issues[0]!.message).toMatch(/^flow\.layers="QRQR": flow\.layers: a spline flow/);
  });

  it('an issue every combination shares is reported once', () => {
    const b = base();
    delete b.sampling;
    const issues = issuesOf({ base: b, axes: { seed: [1, 2, 3] } });
    expect(issues).toHaveLength(1);
    expect(issues[0]).toEqual({ path: 'runs', message: expect.stringMatching(/^every run: sampling: /) });
  });

  it('an oversized base or axis, before the schema looks at it', () => {
    const b = { ...base(), analysis: { pathFrom: new Array(200_001).fill(0) } };
    expect(issueAt(issuesOf({ base: b, axes: { seed: [1] } }), 'base.analysis.pathFrom').message).toMatch(/200001 elements/);
    expect(issueAt(issuesOf({ base: base(), axes: { seed: new Array(200_001).fill(0) } }), 'axes.seed').message).toMatch(/200001 elements/);
  });
});

describe('docs/run-spec.md', () => {
  it("the Sweeps section's example expands to seeds 1–4 × two flow sizes", () => {
    const md = readFileSync(resolve(import.meta.dirname, '../../docs/run-spec.md'), 'utf8');
    const block = md.split('## Sweeps')[1]!.split('```json')[1]!.split('```')[0]!;
    const s = sweepOf(JSON.parse(block));
    expect(s.runs.map((r) => r.combination)).toEqual([1, 2, 3, 4].flatMap((seed) => [{ seed, 'flow.hidden': [64, 64] }, { seed, 'flow.hidden': [128, 128] }]));
  });
});
