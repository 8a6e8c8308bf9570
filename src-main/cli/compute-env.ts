import { UsageError } from './usage-error';

// tfjs and the engine load only for commands that compute (about 2 s), so `validate`, `--help`
// and usage errors answer at once.
export const loadCompute = () => import('../../engine/compute/select');

/** An invalid BGW_BACKEND is the user's mistake: fail with exit 2 before any work, not 1 mid-run. */
export async function checkBackendEnv(): Promise<void> {
  const { resolveComputeChoice } = await loadCompute();
  try {
    resolveComputeChoice();
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}
