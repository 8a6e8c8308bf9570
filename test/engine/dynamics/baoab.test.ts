import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { parseForceField } from '../../../engine/energies/mm/forcefield-xml';
import { createMolecule } from '../../../engine/energies/mm';
import { atomMasses, coordinateMasses } from '../../../engine/energies/mm/masses';
import { baoab, baoabModel, BOLTZMANN_KJ_PER_MOL_K, type ForceFn } from '../../../engine/dynamics/baoab';
import { createSystem } from '../../../engine/energies';
import { Rng } from '../../../engine/rng';

const KT300 = BOLTZMANN_KJ_PER_MOL_K * 300; // 2.494339 kJ/mol
const rel = (a: number, b: number): number => Math.abs(a / b - 1);

/** Independent harmonic coordinates E = Σ ½ k_i x_i², force −k_i x_i. */
function harmonic(k: Float64Array): ForceFn {
  return (x, out) => {
    let e = 0;
    for (let i = 0; i < x.length; i++) {
      out[i] = -k[i]! * x[i]!;
      e += 0.5 * k[i]! * x[i]! * x[i]!;
    }
    return e;
  };
}

describe('BAOAB on harmonic oscillators (exact: ⟨x²⟩ = kT/k, ⟨m v²⟩ = kT)', () => {
  // Three masses (amu) × 8 independent copies, all with ω = 10/ps (k = m ω²), so dt = 0.1/ω for each.
  const MASSES = [1.008, 12.011, 15.999];
  const COPIES = 8;
  const omega = 10;
  const m = Float64Array.from(MASSES.flatMap((mm) => Array<number>(COPIES).fill(mm)));
  const k = m.map((mm) => mm * omega * omega);
  const dim = m.length;

  function run(dt: number, seed: number) {
    const mv2 = new Float64Array(MASSES.length);
    const r = baoab({
      x0: new Float64Array(dim), masses: m, force: harmonic(k), kT: KT300, dt, gamma: omega, steps: 200_000, stride: 10,
      rng: new Rng(seed), burnIn: 1000,
      onFrame: (_s, _x, v) => {
        for (let i = 0; i < dim; i++) { const g = Math.floor(i / COPIES); mv2[g] = mv2[g]! + m[i]! * v[i]! * v[i]!; }
      },
    });
    const nFrames = r.energies.length;
    const x2 = new Float64Array(MASSES.length);
    for (let f = 0; f < nFrames; f++) {
      for (let i = 0; i < dim; i++) { const g = Math.floor(i / COPIES); x2[g] = x2[g]! + r.frames[f * dim + i]! ** 2; }
    }
    return {
      r,
      // Per mass group: ⟨x²⟩·k/kT and ⟨m v²⟩/kT (end-of-step velocities, as onFrame sees them).
      x2: [...x2].map((s, g) => (s / (nFrames * COPIES)) * k[g * COPIES]! / KT300),
      mv2: [...mv2].map((s) => s / (nFrames * COPIES) / KT300),
    };
  }

  it('dt = 0.1/ω, 2·10⁵ steps: ⟨x²⟩, ⟨m v²⟩ per mass and the kinetic temperature within 2 %', () => {
    const { r, x2, mv2 } = run(0.1 / omega, 11);
    console.log(`harmonic dt=0.1/ω: k⟨x²⟩/kT ${x2.map((v) => v.toFixed(4)).join(' ')}, ⟨mv²⟩/kT ${mv2.map((v) => v.toFixed(4)).join(' ')}, ` +
      `T ${r.kineticTemperature.toFixed(2)} K (end-of-step ${r.fullStepKineticTemperature.toFixed(2)} K), ${r.seconds.toFixed(2)} s`);
    expect(r.frames.length).toBe(20_000 * dim);
    for (const v of x2) expect(rel(v, 1)).toBeLessThan(0.02);
    for (const v of mv2) expect(rel(v, 1)).toBeLessThan(0.02);
    expect(rel(r.kineticTemperature, 300)).toBeLessThan(0.02);
    expect(rel(r.fullStepKineticTemperature, 300)).toBeLessThan(0.02);
  });

  it('ω dt = 1: ⟨x²⟩ and the mid-step temperature stay exact, end-of-step ⟨m v²⟩ = kT(1 − ω²dt²/4) (Leimkuhler–Matthews)', () => {
    const { r, x2, mv2 } = run(1 / omega, 12);
    console.log(`harmonic ωdt=1: k⟨x²⟩/kT ${x2.map((v) => v.toFixed(4)).join(' ')}, ⟨mv²⟩/kT ${mv2.map((v) => v.toFixed(4)).join(' ')}, ` +
      `T ${r.kineticTemperature.toFixed(2)} K (end-of-step ${r.fullStepKineticTemperature.toFixed(2)} K)`);
    for (const v of x2) expect(rel(v, 1)).toBeLessThan(0.02);
    for (const v of mv2) expect(rel(v, 0.75)).toBeLessThan(0.02);
    expect(rel(r.kineticTemperature, 300)).toBeLessThan(0.02);
    expect(rel(r.fullStepKineticTemperature, 225)).toBeLessThan(0.02);
  });
});

describe('BAOAB on alanine dipeptide (amber99sbildn, vacuum, no constraints)', () => {
  const ff = parseForceField(readFileSync('data/forcefields/amber99sbildn.xml', 'utf8'));
  const mol = createMolecule(readFileSync('data/molecules/alanine-dipeptide.pdb', 'utf8'), ff, 300);
  const masses = coordinateMasses(mol.topology, ff);
  const force: ForceFn = (x, out) => mol.terms64(x, out).total;

  it('masses come from the XML atom types', () => {
    const am = atomMasses(mol.topology, ff);
    expect(am.length).toBe(22);
    const byElement = new Map<string, number>();
    mol.topology.atoms.forEach((a, i) => byElement.set(a.element, am[i]!));
    expect(byElement.get('H')).toBeCloseTo(1.008, 3);
    expect(byElement.get('C')).toBeCloseTo(12.011, 3);
    expect(byElement.get('N')).toBeCloseTo(14.007, 3);
    expect(byElement.get('O')).toBeCloseTo(15.999, 3);
    expect(am.reduce((s, v) => s + v, 0)).toBeCloseTo(144.17, 1); // C6H12N2O2
    expect([...masses.subarray(0, 6)]).toEqual([am[0], am[0], am[0], am[1], am[1], am[1]]);
  });

  it('300 K, dt = 1 fs, γ = 1/ps, 200 ps: kinetic temperature within 2 % (n_dof = 3N = 66)', () => {
    const steps = 200_000;
    const r = baoab({ x0: mol.positions, masses, force, kT: mol.kT, dt: 0.001, gamma: 1, steps, stride: 1000, rng: new Rng(2), burnIn: 5000 });
    console.log(`alanine 1 fs: T ${r.kineticTemperature.toFixed(2)} K (end-of-step ${r.fullStepKineticTemperature.toFixed(2)} K), ` +
      `${((steps + 5000) / r.seconds).toFixed(0)} steps/s, ${r.seconds.toFixed(1)} s`);
    expect(rel(r.kineticTemperature, 300)).toBeLessThan(0.02);
    expect(r.energies.length).toBe(200);
    expect(r.energies.every(Number.isFinite)).toBe(true);
  });

  it('dt = 2 fs is stable (40 ps); its end-of-step velocities run visibly cold, the mid-step ones do not', () => {
    const r = baoab({ x0: mol.positions, masses, force, kT: mol.kT, dt: 0.002, gamma: 1, steps: 20_000, stride: 100, rng: new Rng(3), burnIn: 1000 });
    console.log(`alanine 2 fs: T ${r.kineticTemperature.toFixed(2)} K (end-of-step ${r.fullStepKineticTemperature.toFixed(2)} K)`);
    expect(r.frames.every(Number.isFinite)).toBe(true);
    expect(rel(r.kineticTemperature, 300)).toBeLessThan(0.05);
    expect(r.fullStepKineticTemperature).toBeLessThan(0.97 * r.kineticTemperature);
  });

  it('γ = 0 is velocity Verlet: E + ½ Σ m v² is conserved (forces consistent with the energy)', () => {
    const h: number[] = [];
    const kin: number[] = [];
    baoab({
      x0: mol.positions, masses, force, kT: mol.kT, dt: 0.0005, gamma: 0, steps: 4000, stride: 1, rng: new Rng(4),
      onFrame: (_s, _x, v, E) => {
        let k = 0;
        for (let i = 0; i < v.length; i++) k += 0.5 * masses[i]! * v[i]! * v[i]!;
        kin.push(k);
        h.push(E + k);
      },
    });
    const std = (a: number[]): number => { const mu = a.reduce((s, v) => s + v, 0) / a.length; return Math.sqrt(a.reduce((s, v) => s + (v - mu) ** 2, 0) / a.length); };
    const drift = Math.max(...h.map((v) => Math.abs(v - h[0]!)));
    console.log(`alanine NVE 0.5 fs: max |ΔH| ${drift.toFixed(4)} kJ/mol, std(K) ${std(kin).toFixed(3)} kJ/mol`);
    expect(std(h)).toBeLessThan(0.02 * std(kin));
    expect(drift).toBeLessThan(0.1 * std(kin));
  });

  it('same seed → identical frames; another seed → different', () => {
    const go = (seed: number) => baoab({ x0: mol.positions, masses, force, kT: mol.kT, dt: 0.001, gamma: 1, steps: 500, stride: 50, rng: new Rng(seed) });
    const a = go(7), b = go(7), c = go(8);
    expect(a.frames).toEqual(b.frames);
    expect(a.energies).toEqual(b.energies);
    expect(a.v).toEqual(b.v);
    expect(c.frames).not.toEqual(a.frames);
  });

  it('a fired signal aborts with an AbortError', () => {
    const ac = new AbortController();
    const go = () => baoab({
      x0: mol.positions, masses, force, kT: mol.kT, dt: 0.001, gamma: 1, steps: 10_000, stride: 10, rng: new Rng(1),
      signal: ac.signal, onFrame: (s) => { if (s === 100) ac.abort(); },
    });
    expect(go).toThrow(expect.objectContaining({ name: 'AbortError' }));
  });
});

describe('reduced units (model systems)', () => {
  it('double well: mass 1, kT = τ; kineticKT estimates τ', () => {
    const sys = createSystem('double-well');
    const r = baoabModel(sys, { tau: 1, dt: 0.005, gamma: 5, steps: 40_000, stride: 100, rng: new Rng(5), burnIn: 1000 });
    expect(r.frames.length).toBe(400 * sys.dim);
    expect(r.energies.every(Number.isFinite)).toBe(true);
    expect(rel(r.kineticKT, 1)).toBeLessThan(0.05);
  });
});
