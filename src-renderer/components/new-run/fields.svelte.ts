import { SvelteSet } from 'svelte/reactivity';

// Helpers shared by the new-run form's fields: ids, parsing, and which issue paths have a place.

/** Paths whose error is shown somewhere in the form (issues elsewhere are listed in the summary). */
export const placed = new SvelteSet<string>();

/** A DOM id for a dotted path (`training.stages[0].lr` → `nr-training_stages_0__lr`). */
export const idFor = (path: string, suffix = ''): string => `nr-${path.replace(/[^\w-]/g, '_')}${suffix}`;

export type Kind = 'number' | 'text' | 'list';

/** Input text → draft value: empty → undefined (defaults apply); unparsable text stays text. */
export function parse(kind: Kind, text: string): unknown {
  const t = text.trim();
  if (t === '') return undefined;
  if (kind === 'text') return text;
  if (kind === 'number') return Number.isFinite(Number(t)) ? Number(t) : text;
  const parts = t.split(',').map((p) => p.trim());
  const nums = parts.map((p) => (p === '' ? NaN : Number(p)));
  return nums.every(Number.isFinite) ? nums : text;
}

/** Draft value → input text. */
export function format(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) return value.join(', ');
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/** Whether the input's text already stands for this value (so typing is never overwritten). */
export function sameValue(kind: Kind, text: string, value: unknown): boolean {
  const p = parse(kind, text);
  if (Array.isArray(p) && Array.isArray(value)) return p.length === value.length && p.every((x, i) => x === value[i]);
  return p === value;
}
