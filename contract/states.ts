/**
 * Metastable states on a reaction coordinate, and the one rule that assigns a configuration to
 * one: state A is rc ∈ [A.min, A.max), state B is rc ∈ [B.min, B.max), anything else is neither
 * (A wins where the two overlap). Estimates, stored sets and exports all use this rule.
 */
export interface StateDef {
  readonly name: string;
  readonly min: number;
  readonly max: number;
}

/** The part of a state the assignment reads (analysis passes bare ranges). */
export type StateRange = Pick<StateDef, 'min' | 'max'>;

/** 0 for state A, 1 for state B, −1 for neither. */
export function stateIndex(rc: number, states: readonly [StateRange, StateRange]): -1 | 0 | 1 {
  const [a, b] = states;
  return rc >= a.min && rc < a.max ? 0 : rc >= b.min && rc < b.max ? 1 : -1;
}

/** `stateIndex` of every value, as the Int8 column sample sets store. */
export function stateIndices(rc: ArrayLike<number>, states: readonly [StateRange, StateRange]): Int8Array {
  const out = new Int8Array(rc.length);
  for (let i = 0; i < rc.length; i++) out[i] = stateIndex(rc[i] as number, states);
  return out;
}
