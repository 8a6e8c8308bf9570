import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** Whether an npm package resolves from this project (optional native backends may be absent). */
export function installed(pkg: string): boolean {
  try {
    require.resolve(`${pkg}/package.json`);
    return true;
  } catch {
    return false;
  }
}

/** tfjs-node or tfjs-node-gpu is installed: tests that expect the wasm fallback skip with this reason. */
export const hasTfjsNode = installed('@tensorflow/tfjs-node') || installed('@tensorflow/tfjs-node-gpu');
