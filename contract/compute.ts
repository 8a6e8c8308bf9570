/**
 * The tfjs compute backends a run can ask for (`spec.backend`, `BGW_BACKEND`) and what a process
 * reports about the one it got. The engine's `compute/` picks and initialises it; the spec schema,
 * the CLI and the new-run form all take the list from here.
 */
export const COMPUTE_CHOICES = ['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu'] as const;
export type ComputeChoice = (typeof COMPUTE_CHOICES)[number];
export type ComputeName = Exclude<ComputeChoice, 'auto'>;

export interface ComputeReport {
  name: ComputeName;
  detail: string;
  device?: string;
  requested: ComputeChoice;
  /** The backends tried before the chosen one, each with why it was passed over. */
  passedOver: { name: string; reason: string }[];
}
