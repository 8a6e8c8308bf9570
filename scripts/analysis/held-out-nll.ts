/**
 * Over-fitting check for a generator trained by example: the mean negative log-likelihood
 * E[|z|²/2 − log|det J_xz|] of its training frames (the run's stored MD reference set) against
 * that of fresh, independent MD frames (same settings, another seed). A gap means the flow learned
 * its training frames rather than the distribution.
 *
 *   node --import tsx scripts/analysis/held-out-nll.ts <run.db> <flow.bgwf> [frames=5000] [seed=99]
 */
import { readFile } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs-core';
import { openDatabase, Repositories } from '../../db';
import { selectCompute } from '../../engine/compute/select';
import { moleculeMd } from '../../engine/dynamics/md-data';
import { createMoleculeSystem } from '../../engine/energies/molecule/system';
import { alignToReference } from '../../engine/flows/internal/mixed-geometry';
import { deserializeFlow } from '../../engine/flows/serialize';
import { Rng } from '../../engine/rng';

const [dbPath, flowPath, framesArg, seedArg] = process.argv.slice(2);
if (!dbPath || !flowPath) throw new Error('usage: held-out-nll.ts <run.db> <flow.bgwf> [frames] [seed]');
await selectCompute({ prefer: 'wasm' });
const sys = createMoleculeSystem('alanine-dipeptide', {
  pdb: await readFile('data/molecules/alanine-dipeptide.pdb', 'utf8'),
  forcefieldXml: await readFile('data/forcefields/amber99sbildn.xml', 'utf8'),
});
const built = deserializeFlow(new Uint8Array(await readFile(flowPath)), new Rng(1));
const repos = new Repositories(openDatabase(dbPath));
const reference = repos.samples.listSets({}).find((s) => s.kind === 'reference');
if (!reference) throw new Error(`${dbPath} has no reference (training data) set`);
const train = repos.samples.coordinates(reference.id);
const frames = Number(framesArg ?? 5000);
const md = moleculeMd(sys, { frames, chains: 1, stride: 200, burnIn: 10000, dt: 0.001, gamma: 1, tau: 1, rng: new Rng(Number(seedArg ?? 99)) });
const heldOut = alignToReference(md.x, sys.cartesianAtoms, sys.start(0));

/** Mean of |z|²/2 − log|det J_xz| over the rows (the ML loss at τ = 1), in chunks. */
function nll(x: Float64Array): number {
  const d = built.flow.xDim, n = x.length / d;
  let sum = 0;
  for (let s = 0; s < n; s += 2048) {
    const m = Math.min(2048, n - s);
    sum += tf.tidy(() => {
      const r = built.flow.inverse(tf.tensor2d(Float32Array.from(x.subarray(s * d, (s + m) * d)), [m, d]));
      return tf.sum(tf.sub(tf.div(tf.sum(tf.square(r.z), 1), 2), r.logDet)).dataSync()[0]!;
    });
  }
  return sum / n;
}
console.log(JSON.stringify({ trainFrames: train.length / built.flow.xDim, heldOutFrames: frames, trainNll: nll(train), heldOutNll: nll(heldOut) }, null, 2));
