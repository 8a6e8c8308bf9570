import { isInstalled } from '../../engine/compute/attempt';

/** Whether an npm package resolves from this project (optional native backends may be absent). */
export const installed = isInstalled;

/** tfjs-node or tfjs-node-gpu is installed: tests that expect the wasm fallback skip with this reason. */
export const hasTfjsNode = installed('@tensorflow/tfjs-node') || installed('@tensorflow/tfjs-node-gpu');
