/**
 * How a saved alanine-dipeptide generator's reweighted basin populations scatter between fresh
 * draws, and whether their bootstrap errors say so (docs/examples.md, "Basin populations from all
 * three draws"): draws `draws` × 20 000 samples, reweights each draw and each run of three pooled
 * draws with the run's own estimator (engine/surface.ts), and prints per basin the mean, the actual
 * scatter and the mean bootstrap error, for single draws and for three pooled.
 *
 *   node --import tsx scripts/analysis/basin-draws.ts <flow.bgwf> [draws=24] [seed=11]
 */
import { readFile } from 'node:fs/promises';
import { selectCompute } from '../../engine/compute/select';
import { createMoleculeSystem } from '../../engine/energies/molecule/system';
import { deserializeFlow } from '../../engine/flows/serialize';
import { Rng } from '../../engine/rng';
import { sampleFlow } from '../../engine/sampling';
import { project, surfaceEstimate } from '../../engine/surface';

const [file, drawsArg, seedArg] = process.argv.slice(2);
if (!file) throw new Error('usage: basin-draws.ts <flow.bgwf> [draws] [seed]');
await selectCompute({ prefer: 'wasm' });
const sys = createMoleculeSystem('alanine-dipeptide', {
  pdb: await readFile('data/molecules/alanine-dipeptide.pdb', 'utf8'),
  forcefieldXml: await readFile('data/forcefields/amber99sbildn.xml', 'utf8'),
});
const rng = new Rng(Number(seedArg ?? 11));
const built = deserializeFlow(new Uint8Array(await readFile(file)), rng);
const D = Number(drawsArg ?? 24), n = 20000, def = sys.surface;
const draws: { ab: Float64Array; logw: Float64Array }[] = [];
for (let d = 0; d < D; d++) {
  const s = await sampleFlow(built.flow, sys, { n, tau: 1, chunk: 2000, rng });
  draws.push({ ab: project(def, s.x, sys.dim), logw: s.logw });
}
const stats = new Rng(5);
const reweight = (parts: typeof draws) => {
  const ab = new Float64Array(parts.reduce((k, p) => k + p.ab.length, 0)), logw = new Float64Array(ab.length / 2);
  parts.forEach((p, i) => (ab.set(p.ab, i * 2 * n), logw.set(p.logw, i * n)));
  return surfaceEstimate(def, ab, logw, null, { bins: 2, bootstrap: 100, rng: stats, referenceBlocks: 1, points: 0 }).basins;
};
const single = draws.map((d) => reweight([d]));
const pooled = Array.from({ length: Math.floor(D / 3) }, (_, g) => reweight(draws.slice(3 * g, 3 * g + 3)));
const mean = (a: number[]): number => a.reduce((x, y) => x + y, 0) / a.length;
const sd = (a: number[]): number => Math.sqrt(a.reduce((x, y) => x + (y - mean(a)) ** 2, 0) / (a.length - 1));
const pct = (v: number): number => Math.round(1e5 * v) / 1e3;
const summary = (sets: typeof single, k: number) => ({
  mean: pct(mean(sets.map((b) => b[k]!.population))),
  scatter: pct(sd(sets.map((b) => b[k]!.population))),
  meanBootstrapError: pct(mean(sets.map((b) => b[k]!.stderr))),
});
console.log(JSON.stringify({
  draws: D, n, unit: '%',
  basins: def.basins.map((b, k) => ({ name: b.name, single: summary(single, k), threePooled: summary(pooled, k), perDraw: single.map((s) => pct(s[k]!.population)) })),
}, null, 1));
