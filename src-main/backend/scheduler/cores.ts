/**
 * How the cores (training threads) are shared between runs. A run's threads are fixed when it
 * starts (its data-parallel helpers), but how many of them it uses can go down and back up between
 * steps: so a run that started alone with every core gives some back when another run arrives, and
 * takes them again when that run ends. Pure functions: the scheduler applies what they return.
 */

/** A working run: the cores it uses now, and the threads it started with (the most it can use). */
export interface Holding {
  readonly cores: number;
  readonly max: number;
}

export interface AdmitInput {
  readonly total: number;
  readonly running: ReadonlyMap<number, Holding>;
  /** Runs waiting behind this one. */
  readonly waiting: number;
  /** Runs that can work at once (the worker pool). */
  readonly slots: number;
  /** What the run asks for (`spec.cores`); absent: a fair share. */
  readonly requested?: number | undefined;
}

/**
 * The next run's cores — what it asks for or a fair share of the machine among the runs that can
 * work now (all of it when alone), never more than is free — and the running runs to shrink to
 * their fair share to make room. `grant` null: nothing is free even after shrinking (it waits).
 */
export function admit(o: AdmitInput): { grant: number | null; shrink: Map<number, number> } {
  const contenders = Math.min(o.slots, o.running.size + o.waiting + 1);
  const fair = Math.max(1, Math.floor(o.total / contenders));
  const want = Math.max(1, Math.min(o.requested ?? fair, o.total));
  let free = o.total - sum(o.running);
  const shrink = new Map<number, number>();
  for (const [id, h] of o.running) {
    if (free >= Math.min(want, fair)) break;
    if (h.cores > fair) ((free += h.cores - fair), shrink.set(id, fair));
  }
  return { grant: free >= 1 ? Math.min(want, free) : null, shrink };
}

/** After a run ends: running runs below their share (and below the threads they have) grow back into the free cores. */
export function regrow(total: number, running: ReadonlyMap<number, Holding>): Map<number, number> {
  const grow = new Map<number, number>();
  if (running.size === 0) return grow;
  let free = total - sum(running);
  const fair = Math.max(1, Math.floor(total / running.size));
  const now = (id: number, h: Holding): number => grow.get(id) ?? h.cores;
  // First up to the fair share, then what is left to whoever has threads to use it.
  for (const cap of [(h: Holding) => Math.min(h.max, Math.max(h.cores, fair)), (h: Holding) => h.max]) {
    for (const [id, h] of running) {
      const target = Math.min(cap(h), now(id, h) + free);
      if (target > now(id, h)) ((free -= target - now(id, h)), grow.set(id, target));
    }
  }
  return grow;
}

function sum(running: ReadonlyMap<number, Holding>): number {
  let n = 0;
  for (const h of running.values()) n += h.cores;
  return n;
}
