import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBackend, type Backend } from '../../src-main/backend/backend';

// A user's PDB (here the shipped alanine dipeptide) imported as a `molecule`, then a tiny run on it
// through the real scheduler and worker: MD data, mixed coordinates, training, sampling. Every set
// the run stores carries the molecule, so its PDB export has real atoms and CONECT bonds.

const ROOT = join(import.meta.dirname, '..', '..');
const SPEC = (setId: number) => ({
  system: { name: 'molecule', structure: { setId } },
  data: { source: 'md', frames: 100, stride: 10, burnIn: 100 },
  flow: { layers: 'RR', hidden: [16], coordinates: 'mixed' },
  training: { stages: [{ iterations: 10, lr: 0.001, batch: 32, wML: 1 }] },
  sampling: { n: 200 },
  analysis: { bootstrap: 5, pathPoints: 0 },
});

describe('an imported molecule runs', () => {
  let backend: Backend;
  const dir = mkdtempSync(join(tmpdir(), 'bgw-molecule-run-'));
  const bgw = (args: string[], db = join(dir, 'w.db')) => spawnSync(process.execPath, ['bin/bgw.mjs', ...args, '--db', db], { cwd: ROOT, encoding: 'utf8' });

  beforeAll(async () => {
    backend = await createBackend({ dbPath: join(dir, 'w.db'), workers: 1 });
  });
  afterAll(async () => {
    await backend?.close();
  });

  it('imports the PDB as a molecule, trains and samples on it, and exports the generated set with CONECT', async () => {
    const project = await backend.call('projects:create', { name: 'molecule run' });
    const text = readFileSync(join(ROOT, 'data/molecules/alanine-dipeptide.pdb'), 'utf8');
    const set = await backend.call('import:samples', { projectId: project.id, system: { name: 'molecule', forcefield: 'amber99sbildn' }, format: 'pdb', text });
    expect(set).toMatchObject({ system: 'molecule', n: 1, dim: 66, molecule: true });

    const run = await backend.call('runs:start', { projectId: project.id, spec: SPEC(set.id), seed: 3 });
    const done = await backend.scheduler.waitFor(run.id);
    expect(done.status, done.error ?? '').toBe('completed');

    const sets = await backend.call('samples:sets', { runId: run.id });
    const generated = sets.find((s) => s.kind === 'generated');
    expect(generated).toMatchObject({ system: 'molecule', dim: 66, n: 200, molecule: true });
    // Every set of the run (generated, reference data) is a molecule set.
    for (const s of sets) expect(s.molecule, `${s.kind} set ${s.id}`).toBe(true);

    const path = join(dir, 'generated.pdb');
    const out = await backend.call('export:samples', { setId: generated!.id, format: 'pdb', path });
    expect(out.rows).toBe(200);
    const lines = readFileSync(path, 'utf8').split('\n');
    expect(lines.filter((l) => l.startsWith('MODEL ')).length).toBe(200);
    expect(lines.filter((l) => l.startsWith('CONECT')).length).toBeGreaterThanOrEqual(22);
    expect(lines.filter((l) => /^(ATOM  |HETATM)/.test(l)).slice(0, 22).map((l) => l.slice(12, 16))).toEqual(
      text.split('\n').filter((l) => /^(ATOM  |HETATM)/.test(l)).map((l) => l.slice(12, 16)),
    );

    // A generated sample as a structure, with its energy in kJ/mol.
    const s = await backend.call('samples:structure', { setId: generated!.id, index: 0 });
    expect(s.atoms).toBe(22);
    expect(s.pdb).toMatch(/^CONECT/m);

    // The CLI beside the running backend: `bgw export --format pdb` writes the same molecule PDB.
    const cliOut = join(dir, 'cli.pdb');
    const exp = bgw(['export', String(run.id), '--format', 'pdb', '-o', cliOut]);
    expect(exp.status, exp.stderr).toBe(0);
    expect(readFileSync(cliOut, 'utf8')).toBe(readFileSync(path, 'utf8'));
  });

  it('bgw import --system molecule --forcefield NAME stores a molecule set; a misnamed atom is refused with exit 2', () => {
    const cliDb = join(dir, 'cli.db');
    const pdb = join(dir, 'ala2.pdb');
    const text = readFileSync(join(ROOT, 'data/molecules/alanine-dipeptide.pdb'), 'utf8');
    writeFileSync(pdb, text);
    const ok = bgw(['import', pdb, '--system', 'molecule', '--forcefield', 'amber99sbildn'], cliDb);
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/imported 1 configuration\(s\) from .* as sample set 1 \(a molecule: run it with "system": \{"name": "molecule", "structure": \{"setId": 1\}\}\)/);
    const bad = join(dir, 'bad.pdb');
    writeFileSync(bad, text.replace(/^(ATOM {6}9 ) CA /m, '$1 CX '));
    const refused = bgw(['import', bad, '--system', 'molecule', '--forcefield', 'amber99sbildn'], cliDb);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/residue 2 \(ALA\)/);
  });
});
