import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// `bgw energy <pdb> --forcefield <xml>`: one line per model, against OpenMM's energies (fixtures).
const ROOT = resolve(import.meta.dirname, '../..');
const PDB = 'data/molecules/alanine-dipeptide.pdb';
const XML = 'data/forcefields/amber99sbildn.xml';
const fixture = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/mm/alanine-dipeptide-amber99sbildn.json'), 'utf8')) as { configurations: { positions: number[]; forces: number[]; energies: { total: number } }[] };
const bgw = (...args: string[]) => spawnSync(process.execPath, ['bin/bgw.mjs', 'energy', ...args], { cwd: ROOT, encoding: 'utf8' });
const totals = (out: string): number[] => [...out.matchAll(/^model \d+: (-?\d+\.\d+) kJ\/mol/gm)].map((m) => Number(m[1]));

/** The shipped PDB with its coordinates replaced (Å, 8.3f columns), one MODEL per configuration. */
function multiModel(configs: number[][]): string {
  const atoms = readFileSync(join(ROOT, PDB), 'utf8').split('\n').filter((l) => /^(ATOM  |HETATM)/.test(l));
  return configs
    .map((pos, k) => [`MODEL     ${String(k + 1).padStart(4)}`, ...atoms.map((l, i) => l.slice(0, 30) + [0, 1, 2].map((c) => (10 * pos[3 * i + c]!).toFixed(3).padStart(8)).join('') + l.slice(54)), 'ENDMDL'].join('\n'))
    .join('\n') + '\nEND\n';
}

describe('bgw energy', () => {
  it('prints the shipped structure’s energy as OpenMM computes it', () => {
    const r = bgw(PDB, '--forcefield', XML);
    expect(r.status, r.stderr).toBe(0);
    expect(totals(r.stdout)).toHaveLength(1);
    expect(totals(r.stdout)[0]).toBeCloseTo(fixture.configurations[0]!.energies.total, 3);
  });

  it('one line per model of a multi-model PDB, each within the PDB rounding bound of OpenMM’s energy', () => {
    const configs = fixture.configurations.slice(0, 5);
    const path = join(mkdtempSync(join(tmpdir(), 'bgw-energy-')), 'five.pdb');
    writeFileSync(path, multiModel(configs.map((c) => c.positions)));
    const r = bgw(path, '--forcefield', XML);
    expect(r.status, r.stderr).toBe(0);
    const got = totals(r.stdout);
    expect(got).toHaveLength(5);
    // Rounding each coordinate to 0.001 Å (5·10⁻⁵ nm at most) moves E by at most Σ|F|·5·10⁻⁵ to first order.
    got.forEach((e, k) => {
      const bound = 1.5 * 5e-5 * configs[k]!.forces.reduce((a, f) => a + Math.abs(f), 0) + 1e-3;
      expect(Math.abs(e - configs[k]!.energies.total)).toBeLessThan(bound);
    });
  });

  it('a malformed PDB fails with its line number; a missing force field is a usage error', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'bgw-energy-')), 'bad.pdb');
    writeFileSync(path, multiModel([fixture.configurations[0]!.positions]).replace(/^(HETATM|ATOM  )(.{24})(.{8})/m, (_m, a: string, b: string) => `${a}${b}   1.0x0`));
    const bad = bgw(path, '--forcefield', XML);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/line 2/);
    const missing = bgw(PDB, '--forcefield', 'no/such.xml');
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/no such file/);
  });
});
