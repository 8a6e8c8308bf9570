// What every backend candidate shares: loading an optional package, activating a registered
// backend, and turning any failure into the reason the candidate was passed over.
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import type { ComputeReport } from '../../contract/compute';

export const require = createRequire(import.meta.url);

/** Thrown internally when a candidate cannot be used; its message becomes a passedOver reason. */
export class Unavailable extends Error {}

export type Attempt = Omit<ComputeReport, 'requested' | 'passedOver'> & { passedOver?: ComputeReport['passedOver'] };

export function firstLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split('\n')[0]!.trim();
}

export function isInstalled(spec: string): boolean {
  try {
    require.resolve(`${spec}/package.json`);
    return true;
  } catch {
    return false;
  }
}

/** Dynamic import of an optional package: absence or a load failure becomes an Unavailable reason. */
export async function importOptional<T = unknown>(spec: string): Promise<T> {
  if (!isInstalled(spec)) throw new Unavailable(`${spec} is not installed`);
  try {
    return (await import(/* @vite-ignore */ spec)) as T;
  } catch (e) {
    throw new Unavailable(`${spec} failed to load: ${firstLine(e)}`);
  }
}

/** setBackend resolves false (with a console warning) when the factory throws; turn that into a reason. */
export async function activate(name: string): Promise<void> {
  if (!tf.findBackendFactory(name)) {
    // Happens when the package registered into another @tensorflow/tfjs-core copy (version mismatch).
    throw new Unavailable(`'${name}' is not registered with this @tensorflow/tfjs-core ${tf.version_core}`);
  }
  let ok: boolean;
  try {
    ok = await tf.setBackend(name);
  } catch (e) {
    throw new Unavailable(`initialising '${name}' failed: ${firstLine(e)}`);
  }
  if (!ok) throw new Unavailable(`initialising '${name}' failed (see the tfjs warning above)`);
  await tf.ready();
}
