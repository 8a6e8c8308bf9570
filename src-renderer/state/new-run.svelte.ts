import { ApiError } from '../../contract/api';
import { parseRunSpec, type SpecIssue } from '../../contract/run-spec';

/** The shipped example specs, as presets (bundled at build time). */
const PRESET_FILES = import.meta.glob('../../examples/*.json', { eager: true, import: 'default' }) as Record<string, Record<string, unknown>>;
export const PRESETS: { id: string; name: string; spec: Record<string, unknown> }[] = Object.entries(PRESET_FILES)
  .map(([path, spec]) => ({ id: path.split('/').pop()!.replace(/\.json$/, ''), name: String(spec.name ?? path), spec }))
  .sort((a, b) => a.id.localeCompare(b.id));

type Json = Record<string, unknown>;

/**
 * The new-run form: a spec draft edited field by field (or as JSON), validated with the same
 * schema the backend uses, with each issue shown at its field (dotted path, e.g.
 * `training.stages[1].lr`). Server-side issues (`spec.…`) land at the same fields.
 */
export class NewRunState {
  draft = $state<Json>(structuredClone(PRESETS.find((p) => p.id === 'double-well')?.spec ?? PRESETS[0]?.spec ?? {}));
  presetId = $state('double-well');
  seed = $state<number | null>(null);
  showJson = $state(false);
  jsonText = $state('');
  jsonError = $state<string | null>(null);
  serverIssues = $state<SpecIssue[]>([]);
  submitError = $state<string | null>(null);

  /** Issues of the current draft (schema) and of the last submission (server), by field path. */
  get issues(): SpecIssue[] {
    const r = parseRunSpec(this.draft);
    return [...(r.ok ? [] : r.issues), ...this.serverIssues];
  }

  issue(path: string): string | null {
    return this.issues.find((i) => i.path === path)?.message ?? null;
  }

  loadPreset(id: string): void {
    const p = PRESETS.find((x) => x.id === id);
    if (!p) return;
    this.presetId = id;
    this.draft = structuredClone(p.spec);
    this.serverIssues = [];
    this.syncJson();
  }

  /** Read a value at a dotted path (`training.stages[0].lr`). */
  get(path: string): unknown {
    let v: unknown = this.draft;
    for (const k of keys(path)) v = v == null ? undefined : (v as Json)[k as string];
    return v;
  }

  /** Set (or with `undefined`, remove) a value at a dotted path, creating objects on the way. */
  set(path: string, value: unknown): void {
    const ks = keys(path);
    const root = structuredClone($state.snapshot(this.draft)) as Json;
    let o: Json = root;
    for (let i = 0; i < ks.length - 1; i++) o = (o[ks[i] as string] ??= typeof ks[i + 1] === 'number' ? [] : {}) as Json;
    const last = ks.at(-1)! as string;
    if (value === undefined) delete o[last];
    else o[last] = value;
    this.draft = root;
    this.serverIssues = this.serverIssues.filter((i) => i.path !== path);
    this.syncJson();
  }

  stages(): Json[] {
    return ((this.get('training.stages') as Json[] | undefined) ?? []).slice();
  }

  addStage(): void {
    this.set('training.stages', [...this.stages(), { name: `stage ${this.stages().length + 1}`, iterations: 500, lr: 0.001, batch: 256, wML: 1 }]);
  }

  /** How stage i trains: by loss weights, by FAB or by temperature annealing (each from the energy alone). */
  stageMethod(i: number): StageMethod {
    const s = this.stages()[i] ?? {};
    return s.fab ? 'fab' : s.anneal ? 'anneal' : 'losses';
  }

  setStageMethod(i: number, m: StageMethod): void {
    const s = this.stages();
    const { fab: _f, anneal: _a, wML: _m, wKL: _k, wRC: _r, ...rest } = s[i] ?? {};
    // The defaults the schema fills in are spelled out, so the user sees what they will get.
    const extra: Json =
      m === 'fab' ? { fab: { intermediate: 8, transitions: 2, chains: 256, bufferSize: 20000, minBuffer: 2560, updatesPerAis: 4 } }
      : m === 'anneal' ? { anneal: { ladder: [4, 2, 1.4, 1], klIterations: 1000, samples: 20000 } }
      : { wML: 1 };
    s[i] = { ...rest, ...extra };
    this.set('training.stages', s);
  }

  removeStage(i: number): void {
    this.set('training.stages', this.stages().filter((_, k) => k !== i));
  }

  moveStage(i: number, by: -1 | 1): void {
    const s = this.stages();
    const j = i + by;
    if (j < 0 || j >= s.length) return;
    [s[i], s[j]] = [s[j]!, s[i]!];
    this.set('training.stages', s);
  }

  toggleJson(): void {
    this.showJson = !this.showJson;
    this.syncJson();
  }

  editJson(text: string): void {
    this.jsonText = text;
    try {
      this.draft = JSON.parse(text) as Json;
      this.jsonError = null;
    } catch (e) {
      this.jsonError = (e as Error).message;
    }
  }

  /** Remember what the server said about a submission (field issues, or one message). */
  rejected(e: unknown): void {
    if (e instanceof ApiError && e.issues?.length) {
      this.serverIssues = e.issues.map((i) => ({ path: i.path.replace(/^spec\.?/, '') || 'spec', message: i.message }));
      this.submitError = 'the backend refused this spec: see the marked fields';
    } else this.submitError = (e as Error).message;
  }

  private syncJson(): void {
    if (this.showJson) ((this.jsonText = JSON.stringify(this.draft, null, 2)), (this.jsonError = null));
  }
}

export type StageMethod = 'losses' | 'fab' | 'anneal';

/** `training.stages[1].lr` → ['training', 'stages', 1, 'lr']. */
function keys(path: string): (string | number)[] {
  return path.split('.').flatMap((part) => {
    const m = /^([^[]*)((?:\[\d+\])*)$/.exec(part)!;
    const idx = [...m[2]!.matchAll(/\[(\d+)\]/g)].map((x) => Number(x[1]));
    return [...(m[1] ? [m[1]] : []), ...idx];
  });
}
