/**
 * Alanine dipeptide throughput on the real code paths: BAOAB steps per second (float64 forces), and
 * ms per training step of two generators in mixed coordinates at batch 256, side by side in one
 * process: 8 RealNVP blocks of 128×128, and the spline example's 4 Q blocks (8 rational-quadratic
 * spline couplings, 8 bins, 128×128), by example (ML) and by energy (ML+KL), with the KL step split
 * into its parts: the mixed transform's forward pass and the force-field energy (with gradients).
 * The spline flow's ML step is also timed on every core count up to 2 (data-parallel threads).
 * Writes bench/results/molecules-<backend>.json.
 *
 *   node --import tsx bench/molecules.ts
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { selectCompute } from '../engine/compute/select';
import { baoab } from '../engine/dynamics/baoab';
import { moleculeMd } from '../engine/dynamics/md-data';
import { createMoleculeSystem } from '../engine/energies/molecule/system';
import { buildFlow } from '../engine/flows/build';
import { fitSplineDomains } from '../engine/flows/spline/fit-domain';
import { alignToReference } from '../engine/flows/internal/mixed-geometry';
import { Rng } from '../engine/rng';
import { serializeFlow } from '../engine/flows/serialize';
import { train } from '../engine/train/trainer';
import { startDataParallel } from '../workers/parallel/data-parallel';
import { machine, median } from './machine';

async function main(): Promise<void> {
  const backend = await selectCompute({ prefer: 'auto' });
  const resources = {
    pdb: await readFile('data/molecules/alanine-dipeptide.pdb', 'utf8'),
    forcefieldXml: await readFile('data/forcefields/amber99sbildn.xml', 'utf8'),
  };
  const sys = createMoleculeSystem('alanine-dipeptide', resources);
  const rng = new Rng(1);

  // MD: 3 × 20 000 steps at 1 fs.
  const mdRates: number[] = [];
  for (let r = 0; r < 3; r++) {
    const t = baoab({ x0: sys.start(0), masses: sys.masses, force: (x, f) => sys.molecule.terms64(x, f).total, kT: sys.molecule.kT, dt: 0.001, gamma: 1, steps: 20000, stride: 1000, rng });
    mdRates.push(20000 / t.seconds);
  }

  const md = moleculeMd(sys, { frames: 2000, chains: 1, stride: 50, burnIn: 2000, dt: 0.001, gamma: 1, tau: 1, rng });
  const data = alignToReference(md.x, sys.cartesianAtoms, sys.start(0));
  const topology = { nAtoms: 22, bonds: sys.molecule.topology.bonds, cartesian: sys.cartesianAtoms };
  const base = { lr: 1e-4, batch: 256, wML: 1, wKL: 0, wRC: 0, highEnergy: 1e3, maxEnergy: 1e10, temperatures: [1], rcLoss: 'barrier' as const };
  /** ML ms/step of a fitted flow on `cores` threads (data-parallel helpers rebuilt from its bytes). */
  const mlOnCores = async (built: ReturnType<typeof buildFlow>, cores: number): Promise<number> => {
    const system = { name: 'alanine-dipeptide' as const, params: {}, molecule: resources };
    const dp = await startDataParallel({ cores, flow: built.flow, flowBytes: serializeFlow(built), backend: backend.name, system, maxBatch: 256 });
    try {
      const run = async (steps: number): Promise<number> => (await train({ flow: built.flow, system: sys, stages: [{ ...base, iterations: steps }], data, dataTau: 1, rng, clipNorm: 100, step: dp.step })).msPerStep;
      await run(3);
      return median([await run(10), await run(10), await run(10)]);
    } finally {
      await dp.close();
    }
  };
  const timeArch = async (layers: string): Promise<{ ml: number; mlkl: number; built: ReturnType<typeof buildFlow> }> => {
    const built = buildFlow({ layers, hidden: [128, 128], sScale: 1, whiten: false, coordinates: 'mixed', spline: { bins: 8 } }, 66, rng, topology);
    built.mixed!.layer.fit(data);
    if (layers.includes('Q')) fitSplineDomains(built, data);
    const msPerStep = async (stage: Parameters<typeof train>[0]['stages'][number], steps: number): Promise<number> =>
      (await train({ flow: built.flow, system: sys, stages: [{ ...stage, iterations: steps }], data, dataTau: 1, rng, clipNorm: 100 })).msPerStep;
    await msPerStep(base, 5); // warm-up
    const ml = median([await msPerStep(base, 20), await msPerStep(base, 20), await msPerStep(base, 20)]);
    const mlkl = median([await msPerStep({ ...base, wKL: 1 }, 10), await msPerStep({ ...base, wKL: 1 }, 10), await msPerStep({ ...base, wKL: 1 }, 10)]);
    return { ml, mlkl, built };
  };
  const spline = await timeArch('QQQQ');
  const coreCounts = backend.name === 'wasm' || backend.name === 'cpu' ? [...new Set([1, Math.min(2, cpus().length)])] : [1];
  const splineByCores: Record<string, number> = {};
  for (const c of coreCounts) splineByCores[String(c)] = await mlOnCores(spline.built, c);
  spline.built.flow.dispose();
  const { ml, mlkl, built } = await timeArch('RRRRRRRR');

  // The KL step's parts, each forward + gradient on a batch of 256.
  const z = tf.randomNormal([256, built.flow.dim]) as tf.Tensor2D;
  const x = tf.tensor2d(Float32Array.from(data.subarray(0, 256 * 66)), [256, 66]);
  const time = (f: () => void): number => {
    for (let i = 0; i < 3; i++) f();
    const ts: number[] = [];
    for (let i = 0; i < 7; i++) {
      const t0 = performance.now();
      f();
      ts.push(performance.now() - t0);
    }
    return median(ts);
  };
  const mixedMs = time(() => tf.tidy(() => void tf.grad((v: tf.Tensor) => tf.sum(built.mixed!.layer.forward(v as tf.Tensor2D).x))(z).dataSync()));
  const energyMs = time(() => tf.tidy(() => void tf.grad((v: tf.Tensor) => tf.sum(sys.energy(v as tf.Tensor2D)))(x).dataSync()));
  tf.dispose([z, x]);
  built.flow.dispose();

  const out = {
    backend: backend.detail,
    machine: machine(),
    md: { stepsPerSecond: Math.round(median(mdRates)), runs: mdRates.map(Math.round), dtFs: 1, atoms: 22 },
    training: { arch: 'mixed + 8 RealNVP blocks, 128×128, batch 256', mlMsPerStep: ml, mlKlMsPerStep: mlkl },
    splineTraining: {
      arch: 'mixed + 4 Q blocks (8 RQ spline couplings, 8 bins), 128×128, batch 256',
      mlMsPerStep: spline.ml,
      mlKlMsPerStep: spline.mlkl,
      mlMsPerStepByCores: splineByCores,
      speedup: Object.fromEntries(Object.entries(splineByCores).map(([k, v]) => [k, Number((splineByCores['1']! / v).toFixed(3))])),
    },
    klParts: { mixedForwardAndGradMs: mixedMs, energyForwardAndGradMs: energyMs },
    at: new Date().toISOString(),
  };
  await mkdir('bench/results', { recursive: true });
  const file = `bench/results/molecules-${backend.name}.json`;
  await writeFile(file, JSON.stringify(out, null, 2) + '\n');
  console.log(JSON.stringify(out, null, 2));
  console.log(`wrote ${file}`);
}

await main();
