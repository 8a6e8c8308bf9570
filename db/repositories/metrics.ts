import type { Database, Statement } from 'better-sqlite3';
import type { MetricPoint } from '../../contract/api';

export class MetricsRepo {
  private readonly insert: Statement;

  constructor(private readonly db: Database) {
    // A resumed run redoes the steps after its checkpoint: its new points replace the old ones.
    this.insert = db.prepare('INSERT OR REPLACE INTO metrics (run_id, series, step, value) VALUES (?, ?, ?, ?)');
  }

  /** Persist a batch in one transaction (a ~10 Hz progress message carries every step since the last). */
  append(runId: number, points: readonly MetricPoint[]): void {
    this.db.transaction(() => {
      for (const p of points) this.insert.run(runId, p.series, p.step, Number.isFinite(p.value) ? p.value : null);
    })();
  }

  list(runId: number, o: { series?: readonly string[]; afterStep?: number } = {}): MetricPoint[] {
    const after = o.afterStep ?? -1;
    const rows = o.series?.length
      ? this.db.prepare(`SELECT series, step, value FROM metrics WHERE run_id = ? AND step > ? AND series IN (${o.series.map(() => '?').join(',')}) ORDER BY series, step`).all(runId, after, ...o.series)
      : this.db.prepare('SELECT series, step, value FROM metrics WHERE run_id = ? AND step > ? ORDER BY series, step').all(runId, after);
    return (rows as { series: string; step: number; value: number | null }[]).map((r) => ({ series: r.series, step: r.step, value: r.value ?? Number.NaN }));
  }
}
