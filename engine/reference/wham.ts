// Binned WHAM (Kumar et al. 1992) for harmonic umbrella windows on a 1-D reaction coordinate.
// Everything is in reduced units: bias b_i(ξ) = ½·k_i·(ξ − c_i)² in kT at the reference temperature,
// entering as b/τ exactly as the energy enters as u/τ. Pure float64, no tfjs.
// The parts: wham/input.ts (windows, bins, bias and counts), wham/solver.ts (the iteration),
// wham/profile.ts (the profile and ΔF), wham/bootstrap.ts (block-bootstrap errors).

export type { WhamInput, WhamWindow } from './wham/input';
export { wham, whamDeltaF, type WhamResult } from './wham/profile';
export { bootstrapWham, type BootstrapWhamInput, type BootstrapWhamResult } from './wham/bootstrap';
