/**
 * Which coordinates and which energy terms carry the spread of a trained alanine-dipeptide
 * generator's log weights (engine/diagnostics/log-w-attribution.ts): draws fresh samples from a
 * saved spline flow, splits log q by coordinate group and u by force-field term, and prints each
 * part's share of Var(log w) with the log-w spread between its 1 % and 99 % quantiles.
 *
 *   node --import tsx scripts/analysis/log-w-attribution.ts <flow.bgwf> [n=10000] [seed=1]
 */
import { readFile } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs-core';
import { selectCompute } from '../../engine/compute/select';
import { logQByGroup, varianceShares } from '../../engine/diagnostics/log-w-attribution';
import { createMoleculeSystem } from '../../engine/energies/molecule/system';
import { deserializeFlow } from '../../engine/flows/serialize';
import { Rng } from '../../engine/rng';

const [file, nArg, seedArg] = process.argv.slice(2);
if (!file) throw new Error('usage: log-w-attribution.ts <flow.bgwf> [n] [seed]');
await selectCompute({ prefer: 'wasm' });
const sys = createMoleculeSystem('alanine-dipeptide', {
  pdb: await readFile('data/molecules/alanine-dipeptide.pdb', 'utf8'),
  forcefieldXml: await readFile('data/forcefields/amber99sbildn.xml', 'utf8'),
});
const rng = new Rng(Number(seedArg ?? 1));
const built = deserializeFlow(new Uint8Array(await readFile(file)), rng);
const n = Number(nArg ?? 10000), dim = built.flow.dim, xDim = built.flow.xDim;
const parts: Record<string, Float64Array> = {};
const add = (k: string, i: number, v: number): void => void ((parts[k] ??= new Float64Array(n))[i] = v);
for (let start = 0; start < n; start += 2000) {
  const m = Math.min(2000, n - start);
  const z = tf.tensor2d(rng.normals(new Float32Array(m * dim)), [m, dim]);
  const { x, groups } = logQByGroup(built, z);
  z.dispose();
  for (let i = 0; i < m; i++) {
    const e = sys.molecule.terms64(Float64Array.from(x.subarray(i * xDim, (i + 1) * xDim)));
    const kT = sys.molecule.kT;
    for (const t of ['bonds', 'angles', 'torsions', 'nonbonded'] as const) add(`energy ${t}`, start + i, -e[t] / kT);
    for (const [g, v] of Object.entries(groups)) add(`log q ${g}`, start + i, -v[i]!);
  }
}
const lw = new Float64Array(n);
for (const v of Object.values(parts)) for (let i = 0; i < n; i++) lw[i]! += v[i]!;
const sorted = Float64Array.from(lw).sort();
const q = (p: number): number => sorted[Math.floor(p * (n - 1))]!;
// A few clashing samples (huge nonbonded energy, weight ~0) dominate the raw variance; the weights
// that decide the ESS are the upper half of log w, so the shares are also given for those alone.
const upper = (k: string): Float64Array => Float64Array.from(Array.from(parts[k]!).filter((_, i) => lw[i]! >= q(0.5)));
const all = varianceShares(parts);
const top = varianceShares(Object.fromEntries(Object.keys(parts).map((k) => [k, upper(k)])));
const finite = Array.from(lw).filter(Number.isFinite);
const mx = Math.max(...finite);
const w = finite.map((l) => Math.exp(l - mx));
const ess = w.reduce((s, v) => s + v, 0) ** 2 / w.reduce((s, v) => s + v * v, 0) / n;
const round = (r: Record<string, number>): Record<string, number> => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Math.round(v * 1000) / 1000]));
console.log(JSON.stringify({
  n, essFraction: ess, logWSpread: { q1to99: q(0.99) - q(0.01), q50to99: q(0.99) - q(0.5), q50to999: q(0.999) - q(0.5) },
  all: { varLogW: all.variance, shares: round(all.shares) },
  upperHalf: { varLogW: top.variance, shares: round(top.shares) },
}, null, 2));
