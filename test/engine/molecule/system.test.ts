import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { createMoleculeSystem, RAMACHANDRAN_BASINS } from '../../../engine/energies/molecule/system';
import { setDihedral } from '../../../engine/energies/molecule/torsion-drive';
import { buildFlow } from '../../../engine/flows/build';
import { deserializeFlow, serializeFlow } from '../../../engine/flows/serialize';
import { alignToReference } from '../../../engine/flows/internal/mixed-geometry';
import { Rng } from '../../../engine/rng';
import { sampleFlow } from '../../../engine/sampling';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const resources = { pdb: readFileSync('data/molecules/alanine-dipeptide.pdb', 'utf8'), forcefieldXml: readFileSync('data/forcefields/amber99sbildn.xml', 'utf8') };
const sys = createMoleculeSystem('alanine-dipeptide', resources);
const top = sys.molecule.topology;
const pos = (x: ArrayLike<number>, i: number): number[] => [x[3 * i]!, x[3 * i + 1]!, x[3 * i + 2]!];
const sub = (a: number[], b: number[]): number[] => a.map((v, k) => v - b[k]!);
const dot = (a: number[], b: number[]): number => a.reduce((s, v, k) => s + v * b[k]!, 0);
const crossV = (a: number[], b: number[]): number[] => [a[1]! * b[2]! - a[2]! * b[1]!, a[2]! * b[0]! - a[0]! * b[2]!, a[0]! * b[1]! - a[1]! * b[0]!];

/** Independent dihedral: the angle between the two planes' normals (acos), signed by the triple product. */
function dihedralRef(x: ArrayLike<number>, [a, b, c, d]: readonly number[]): number {
  const [p0, p1, p2, p3] = [a!, b!, c!, d!].map((i) => pos(x, i));
  const n1 = crossV(sub(p1!, p0!), sub(p2!, p1!)), n2 = crossV(sub(p2!, p1!), sub(p3!, p2!));
  const cos = dot(n1, n2) / Math.sqrt(dot(n1, n1) * dot(n2, n2));
  const sign = Math.sign(dot(crossV(n1, n2), sub(p2!, p1!))) || 1;
  return (sign * Math.acos(Math.max(-1, Math.min(1, cos))) * 180) / Math.PI;
}
const names = (idx: readonly number[]): string => idx.map((i) => `${top.atoms[i]!.resName}:${top.atoms[i]!.name}`).join(' ');

describe('alanine dipeptide as a model system', () => {
  it('finds φ = C(ACE)–N–CA–C and ψ = N–CA–C–N(NME) and puts the shipped structure in C7eq', () => {
    expect(names(sys.backbone.phi)).toBe('ACE:C ALA:N ALA:CA ALA:C');
    expect(names(sys.backbone.psi)).toBe('ALA:N ALA:CA ALA:C NME:N');
    const [phi, psi] = sys.surface.value64(sys.start(0));
    expect(phi).toBeCloseTo(dihedralRef(sys.start(0), sys.backbone.phi), 9);
    expect(psi).toBeCloseTo(dihedralRef(sys.start(0), sys.backbone.psi), 9);
    // C7eq: φ ≈ −80°, ψ ≈ 70° (within the basin, not a precise minimum).
    expect(phi).toBeGreaterThan(-110);
    expect(phi).toBeLessThan(-50);
    expect(psi).toBeGreaterThan(30);
    expect(psi).toBeLessThan(110);
    expect(RAMACHANDRAN_BASINS.filter((b) => b.contains(phi, psi)).map((b) => b.name)).toEqual(['C7eq/β']);
    expect(sys.heavyAtoms.length).toBe(10);
    // The mixed transform's Cartesian block: ALA's N, CA, C and CA's other neighbours (bgflow's choice).
    expect(names(sys.cartesianAtoms)).toBe('ALA:N ALA:CA ALA:HA ALA:CB ALA:C');
    expect(sys.dim).toBe(66);
  });

  it('the RC is φ shifted onto [−240°, 120°): β beyond −180° stays in state A, C7ax is B; the tfjs RC shifts the same way', () => {
    const x0 = sys.start(0);
    const rcAt = (phi: number): number => sys.rc64(setDihedral(x0, top, sys.backbone.phi, phi));
    expect(rcAt(-155)).toBeCloseTo(-155, 6);
    expect(rcAt(170)).toBeCloseTo(-190, 6); // the β basin across ±180°
    expect(rcAt(119)).toBeCloseTo(119, 6);
    expect(rcAt(121)).toBeCloseTo(-239, 6);
    const inState = (rc: number): number => sys.states.findIndex((st) => rc >= st.min && rc < st.max);
    expect([-155, 170, -60, 60, 119, 121].map((p) => inState(rcAt(p)))).toEqual([0, 0, 0, 1, 1, 0]);
    const xs = [170, -60, 60, 130].map((p) => setDihedral(x0, top, sys.backbone.phi, p));
    const rc = sys.rc(tf.tensor2d(xs.flatMap((x) => Array.from(x)), [4, 66])).arraySync();
    xs.forEach((x, i) => expect(Math.abs(rc[i]! - sys.rc64(x))).toBeLessThan(2e-3));
    // The basins follow the same cut: φ = 170° (β) is C7eq/β, φ = 60° C7ax/αL.
    expect(RAMACHANDRAN_BASINS.filter((b) => b.contains(170, 160)).map((b) => b.name)).toEqual(['C7eq/β']);
    expect(RAMACHANDRAN_BASINS.filter((b) => b.contains(60, -60)).map((b) => b.name)).toEqual(['C7ax/αL']);
    expect(RAMACHANDRAN_BASINS.filter((b) => b.contains(-70, -40)).map((b) => b.name)).toEqual(['αR']);
  });

  it('the batched tfjs φ equals the float64 one, and its gradient matches finite differences', () => {
    const rng = new Rng(5);
    const xs = Array.from({ length: 4 }, () => Float64Array.from(sys.start(0), (v) => v + 0.02 * rng.normal()));
    const t = tf.tensor2d(xs.flatMap((x) => Array.from(x)), [4, 66]);
    const rc = sys.rc(t).arraySync();
    xs.forEach((x, i) => expect(Math.abs(rc[i]! - sys.rc64(x))).toBeLessThan(2e-3));
    const g = tf.grad((v: tf.Tensor) => tf.sum(sys.rc(v as tf.Tensor2D)))(tf.tensor2d(Array.from(xs[0]!), [1, 66])).dataSync();
    const h = 1e-6;
    for (const k of [...sys.backbone.phi].flatMap((a) => [3 * a, 3 * a + 2])) {
      const p = Float64Array.from(xs[0]!), m = Float64Array.from(xs[0]!);
      p[k]! += h;
      m[k]! -= h;
      const fd = (sys.rc64(p) - sys.rc64(m)) / (2 * h);
      expect(Math.abs(g[k]! - fd)).toBeLessThan(1e-3 * Math.max(1, Math.abs(fd)));
    }
  });

  it('dispose frees the energy\'s constant tensors, and the system still works after it', () => {
    const own = createMoleculeSystem('alanine-dipeptide', resources);
    const x = tf.tensor2d(Array.from(own.start(0)), [1, 66]);
    const u0 = own.energy(x).dataSync()[0]!;
    const before = tf.memory().numTensors;
    own.dispose!();
    expect(tf.memory().numTensors).toBeLessThan(before);
    expect(own.energy(x).dataSync()[0]!).toBeCloseTo(u0, 4);
    own.dispose!();
    x.dispose();
  });

  it('torsion drive sets φ exactly and keeps every bond length', () => {
    const x0 = sys.start(0);
    const y = setDihedral(x0, top, sys.backbone.phi, 65);
    expect(dihedralRef(y, sys.backbone.phi)).toBeCloseTo(65, 8);
    for (const [i, j] of top.bonds) {
      const d0 = Math.hypot(...sub(pos(x0, i), pos(x0, j))), d1 = Math.hypot(...sub(pos(y, i), pos(y, j)));
      expect(Math.abs(d1 - d0)).toBeLessThan(1e-12);
    }
  });

  it("state B's start is a relaxed C7ax structure (φ > 0, ψ < 0), lower in energy than the bare torsion drive", () => {
    const b = sys.start(1);
    const [phi, psi] = sys.surface.value64(b);
    expect(phi).toBeGreaterThan(30);
    expect(phi).toBeLessThan(110);
    expect(psi).toBeLessThan(0);
    expect(psi).toBeGreaterThan(-120);
    const driven = setDihedral(setDihedral(sys.start(0), top, sys.backbone.phi, 70), top, sys.backbone.psi, -60);
    expect(sys.energy64(b)).toBeLessThan(sys.energy64(driven));
    expect(sys.rc64(b)).toBeGreaterThanOrEqual(sys.states[1].min);
  });

  it('a mixed-coordinate flow serialises and reloads to bit-identical samples', async () => {
    const rng = new Rng(9);
    const data = alignToReference(Float64Array.from({ length: 200 * 66 }, (_, i) => sys.start(0)[i % 66]! + 0.01 * rng.normal()), sys.cartesianAtoms, sys.start(0));
    const arch = { layers: 'RR', hidden: [8], sScale: 1, whiten: false, coordinates: 'mixed' as const };
    const built = buildFlow(arch, 66, new Rng(1), { nAtoms: 22, bonds: top.bonds, cartesian: sys.cartesianAtoms });
    built.mixed!.layer.fit(data);
    expect(built.flow.dim).toBe(60);
    expect(built.flow.xDim).toBe(66);
    const again = deserializeFlow(serializeFlow(built), new Rng(2));
    const a = await sampleFlow(built.flow, sys, { n: 20, tau: 1, chunk: 20, rng: new Rng(4) });
    const b = await sampleFlow(again.flow, sys, { n: 20, tau: 1, chunk: 20, rng: new Rng(4) });
    expect(Array.from(b.x)).toEqual(Array.from(a.x));
    expect(Array.from(b.logw)).toEqual(Array.from(a.logw));
    expect(a.x.length).toBe(20 * 66);
    built.flow.dispose();
    again.flow.dispose();
  });
});
