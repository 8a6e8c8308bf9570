import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasTfjsNode } from '../helpers/installed';
import { bgw } from '../helpers/cli';

// `bgw` as a user runs it: a child process, exit code + stdout + stderr. Exit codes:
// 0 ok, 2 usage/spec error, 1 run failure, 130 cancelled.

const ROOT = resolve(import.meta.dirname, '../..');
const FIXTURE = join(ROOT, 'test/fixtures/double-well-ci.json');


/** stderr as non-empty lines. */
const lines = (text: string): string[] => text.split('\n').filter((l) => l.trim() !== '');

let tmp: string;
let fixture: Record<string, any>;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'bgw-cli-test-'));
  fixture = JSON.parse(await readFile(FIXTURE, 'utf8'));
});

afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

let counter = 0;
/** Write a spec (object or raw text) into the temp folder and return its path. */
async function specFile(spec: unknown): Promise<string> {
  const path = join(tmp, `spec-${++counter}.json`);
  await writeFile(path, typeof spec === 'string' ? spec : JSON.stringify(spec, null, 2));
  return path;
}

function withFixture(mutate: (s: Record<string, any>) => void): Record<string, any> {
  const s = structuredClone(fixture);
  mutate(s);
  return s;
}

async function freshDir(name: string): Promise<string> {
  const d = join(tmp, name);
  await mkdir(d, { recursive: true });
  return d;
}

// Each spawn costs ~2 s of start-up (tsx + tfjs), so independent checks run concurrently.
describe.concurrent('bgw run: usage and spec errors exit 2 with one line', () => {
  it('missing spec file → exit 2, one stderr line naming the path, no result written', async () => {
    const missing = join(tmp, 'no-such-spec.json');
    const out = join(tmp, 'out-missing');
    const r = await bgw(['run', missing, '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr.trimEnd().split('\n'), r.stderr).toHaveLength(1);
    expect(r.stderr).toContain(missing);
    expect(r.stderr).toMatch(/no such file/);
    expect(r.stdout).toBe('');
    expect(existsSync(join(out, 'result.json'))).toBe(false);
  });

  it('spec that is not JSON → exit 2, "not valid JSON"', async () => {
    const path = await specFile('{ "system": { "name": "double-well" ');
    const r = await bgw(['run', path, '--out', join(tmp, 'out-notjson')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/not valid JSON/);
    expect(r.stderr).toContain(path);
    expect(lines(r.stderr)).toHaveLength(1);
  });

  it('invalid spec (negative lr) → exit 2 naming training.stages[0].lr', async () => {
    const path = await specFile(withFixture((s) => (s.training.stages[0].lr = -0.001)));
    const r = await bgw(['run', path, '--out', join(tmp, 'out-badlr')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('training.stages[0].lr');
    expect(lines(r.stderr)).toHaveLength(1);
  });

  it('unknown system param → exit 2 naming system.params and the parameter', async () => {
    const path = await specFile(withFixture((s) => (s.system.params = { bogus: 1 })));
    const r = await bgw(['run', path, '--out', join(tmp, 'out-bogus')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('system.params');
    expect(r.stderr).toContain('bogus');
  });


  it('missing spec argument → exit 2', async () => {
    const r = await bgw(['run', '--out', join(tmp, 'out-nospec')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/spec/);
  });

  it.each([['abc'], ['1.5'], ['-1']])('bad --seed %s → exit 2', async (seed) => {
    const r = await bgw(['run', FIXTURE, '--out', join(tmp, 'out-seed'), `--seed=${seed}`]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--seed/);
    expect(existsSync(join(tmp, 'out-seed'))).toBe(false);
  });

  it('unknown option → exit 2', async () => {
    const r = await bgw(['run', FIXTURE, '--out', join(tmp, 'out-opt'), '--frobnicate']);
    expect(r.code).toBe(2);
  });

  it('--out pointing at an existing file → exit 2, file untouched', async () => {
    const file = join(tmp, 'i-am-a-file');
    await writeFile(file, 'keep me\n');
    const r = await bgw(['run', FIXTURE, '--out', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(file);
    expect(r.stderr).toMatch(/not a directory/);
    expect(await readFile(file, 'utf8')).toBe('keep me\n');
  });

  it('unknown command and no command → exit 2', async () => {
    expect((await bgw(['frobnicate'])).code).toBe(2);
    const none = await bgw([]);
    expect(none.code).toBe(2);
    expect(none.stdout + none.stderr).toMatch(/usage/);
  });

  it('--help → exit 0 with usage on stdout', async () => {
    const r = await bgw(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/bgw run <spec\.json> \[--out <dir>\]/);
    expect(r.stdout).toMatch(/bgw serve/);
  });
});

describe('bgw run: a failed or cancelled run leaves no half-written result', () => {
  const PREVIOUS = { format: 'bgw-result/1', note: 'previous complete result' };

  /** An out dir holding a previous complete run. */
  async function outWithPrevious(name: string): Promise<string> {
    const out = await freshDir(name);
    await writeFile(join(out, 'result.json'), JSON.stringify(PREVIOUS));
    await writeFile(join(out, 'samples.csv'), 'x0,x1\n1,2\n');
    return out;
  }

  async function expectPreviousIntact(out: string): Promise<void> {
    const entries = await readdir(out);
    expect(entries.filter((e) => e.startsWith('.bgw-partial-')), `leftover staging in ${entries.join(', ')}`).toEqual([]);
    expect(entries.sort()).toEqual(['result.json', 'samples.csv']);
    expect(JSON.parse(await readFile(join(out, 'result.json'), 'utf8'))).toEqual(PREVIOUS);
    expect(await readFile(join(out, 'samples.csv'), 'utf8')).toBe('x0,x1\n1,2\n');
  }

  it('SIGINT during training → exit 130 "cancelled"; previous result intact, no staging folder', async () => {
    // Enough training steps that it is still training when the signal arrives, little else.
    const spec = await specFile({
      name: 'cancel me',
      system: { name: 'double-well' },
      data: { source: 'metropolis', perState: 500, stride: 5, burnIn: 200 },
      flow: { layers: 'RR', hidden: [32] },
      training: { stages: [{ name: 'ML', iterations: 400, lr: 1e-3, batch: 128, wML: 1 }] },
      sampling: { n: 2000 },
      analysis: { bootstrap: 10 },
    });
    const out = await outWithPrevious('out-cancel');
    let sentAt = 0;
    const r = await bgw(['run', spec, '--out', out, '--seed', '3'], {
      timeoutMs: 120_000,
      onStderr: (soFar, child) => {
        if (!sentAt && /training/.test(soFar)) {
          sentAt = Date.now();
          child.kill('SIGINT');
        }
      },
    });
    expect(sentAt, `never saw "training" on stderr:\n${r.stderr}`).toBeGreaterThan(0);
    expect(r.signal, 'the CLI must handle SIGINT itself, not die of it').toBeNull();
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).toMatch(/bgw: cancelled/);
    expect(r.stdout).not.toMatch(/wrote /);
    await expectPreviousIntact(out);
  });

  it.skipIf(hasTfjsNode)('run failure (explicit backend unavailable) → exit 1; previous result intact', async () => {
    const spec = await specFile(withFixture((s) => (s.backend = 'tensorflow')));
    const out = await outWithPrevious('out-fail');
    const r = await bgw(['run', spec, '--out', out]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/bgw: error: tensorflow backend unavailable/);
    await expectPreviousIntact(out);
  });
});

describe.concurrent('bgw validate', () => {
  it('valid spec → exit 0', async () => {
    const r = await bgw(['validate', FIXTURE]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/valid \(double-well, 2 stages\)/);
  });

  it('invalid spec → exit 2 naming the field', async () => {
    const path = await specFile(withFixture((s) => (s.sampling.n = 0)));
    const r = await bgw(['validate', path]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('sampling.n');
  });
});

describe.concurrent('bgw backend', () => {
  it('reports the chosen backend (wasm here) with BGW_BACKEND unset', async () => {
    const r = await bgw(['backend']);
    expect(r.code, r.stderr).toBe(0);
    const first = r.stdout.split('\n')[0]!;
    if (hasTfjsNode) expect(first).toMatch(/^backend: /);
    // A machine with a hardware WebGPU adapter would rightly pick it instead of wasm.
    else expect(first).toMatch(/^backend: (wasm|webgpu \(Dawn, hardware)/);
    expect(first).toMatch(/\(requested: auto\)/);
  });

  it('invalid BGW_BACKEND → usage error, exit 2', async () => {
    const r = await bgw(['backend'], { env: { BGW_BACKEND: 'bogus' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/BGW_BACKEND 'bogus'/);
    expect(lines(r.stderr)).toHaveLength(1);
  });

  it('invalid BGW_BACKEND makes `run` exit 2 before doing any work', async () => {
    const out = join(tmp, 'out-badenv');
    const r = await bgw(['run', FIXTURE, '--out', out], { env: { BGW_BACKEND: 'bogus' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/BGW_BACKEND/);
    expect(existsSync(out)).toBe(false);
  });
});

describe('bgw on the database: run without --out, then ls, show, export', () => {
  it('a run is stored, listed, shown and exported', async () => {
    const db = join(await freshDir('db-cli'), 'w.db');
    const run = await bgw(['run', FIXTURE, '--db', db, '--seed', '5', '--quiet'], { timeoutMs: 120_000 });
    expect(run.code, run.stderr).toBe(0);
    const id = /run (\d+) completed/.exec(run.stdout)?.[1];
    expect(id, run.stdout).toBeDefined();
    expect(run.stderr).toMatch(new RegExp(`run ${id} queued`));

    const ls = await bgw(['ls', '--db', db]);
    expect(ls.code, ls.stderr).toBe(0);
    expect(ls.stdout).toMatch(new RegExp(`^${id}\\s+completed\\s+double well \\(CI end-to-end\\)`, 'm'));

    const show = await bgw(['show', id!, '--db', db]);
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toMatch(/ΔF\(right − left\) at τ=1: 3\.\d+ ± 0\.\d+ kT \(exact 3\.380\)/);
    expect(show.stdout).toMatch(/samples {4}set \d+: generated τ=1, 10000 × 2/);

    const csv = join(await freshDir('db-cli-export'), 'resampled.csv');
    const ex = await bgw(['export', id!, '--db', db, '--format', 'csv', '--resample', '500', '-o', csv]);
    expect(ex.code, ex.stderr).toBe(0);
    const lines = (await readFile(csv, 'utf8')).trimEnd().split('\n');
    expect(lines[0]).toBe('id,x0,x1,energy,logw,weight,rc,state');
    expect(lines).toHaveLength(501);

    const typo = await bgw(['ls', '--db', `${db}.typo`]);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/no database at .*\.typo/);
    expect(existsSync(`${db}.typo`)).toBe(false);

    const missing = await bgw(['show', '999', '--db', db]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/run 999 does not exist/);
  });

  it('a molecule run prints its basin populations against MD and exports a PDB with atom names and CONECT', async () => {
    const dir = await freshDir('db-cli-molecule');
    const spec = join(dir, 'ala.json');
    await writeFile(spec, JSON.stringify({
      seed: 3,
      system: { name: 'alanine-dipeptide' },
      data: { source: 'md', frames: 100, chains: 2, stride: 20, burnIn: 200 },
      flow: { layers: 'RR', hidden: [16], coordinates: 'mixed' },
      training: { stages: [{ iterations: 10, lr: 0.001, batch: 32, wML: 1 }] },
      sampling: { n: 300 },
      analysis: { bins: 36, bootstrap: 10, pathPoints: 0 },
    }));
    const db = join(dir, 'w.db');
    const run = await bgw(['run', spec, '--db', db, '--quiet'], { timeoutMs: 120_000 });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/ΔF\(C7ax\/αL − C7eq\/β\/αR\)/);
    // One line per basin; the MD frames (2 chains × 100) are the reference.
    for (const b of ['C7eq/β', 'αR', 'C7ax/αL']) expect(run.stdout).toMatch(new RegExp(`^${b.replace('/', '\\/')}\\s+\\d+\\.\\d+ ± \\d+\\.\\d+ % reweighted \\(raw \\d+\\.\\d+ %\\), MD \\d+\\.\\d+ ± \\d+\\.\\d+ %$`, 'm'));
    const id = /run (\d+) completed/.exec(run.stdout)![1]!;
    const pdb = join(dir, 'ala.pdb');
    const ex = await bgw(['export', id, '--db', db, '--format', 'pdb', '--resample', '3', '-o', pdb]);
    expect(ex.code, ex.stderr).toBe(0);
    const lines = (await readFile(pdb, 'utf8')).split('\n');
    expect(lines.filter((l) => l.startsWith('MODEL ')).length).toBe(3);
    expect(lines.find((l) => l.slice(12, 16) === ' CA ')?.slice(17, 20)).toBe('ALA');
    expect(lines.filter((l) => l.startsWith('CONECT')).length).toBeGreaterThan(0);
  });
});
