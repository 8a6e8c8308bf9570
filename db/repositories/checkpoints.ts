import type { Database } from 'better-sqlite3';

import { now } from './time';
import type { JobCheckpoint } from '../../contract/checkpoint';

/** Checkpoints kept per run: the latest is what resume uses; one older survives a bad write. */
const KEEP = 2;

interface Row {
  phase: JobCheckpoint['phase'];
  step: number;
  state: string;
  flow: Buffer;
  optimizer: Buffer | null;
  buffer: Buffer | null;
  sampler: Buffer | null;
  best: Buffer | null;
}

const bytes = (b: Buffer | null): Uint8Array | null => (b ? new Uint8Array(b.buffer, b.byteOffset, b.byteLength) : null);

export class CheckpointsRepo {
  constructor(private readonly db: Database) {}

  save(runId: number, c: JobCheckpoint): void {
    this.db.transaction(() => {
      this.db
        .prepare('INSERT INTO checkpoints (run_id, created_at, phase, step, state, flow, optimizer, buffer, sampler, best) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
        .run(runId, now(), c.phase, c.step, JSON.stringify(c.state), c.flow, c.optimizer, c.buffer, c.sampler ?? null, c.best ?? null);
      this.db.prepare(`DELETE FROM checkpoints WHERE run_id = ? AND id NOT IN (SELECT id FROM checkpoints WHERE run_id = ? ORDER BY id DESC LIMIT ${KEEP})`).run(runId, runId);
    })();
  }

  latest(runId: number): JobCheckpoint | null {
    const r = this.db.prepare('SELECT phase, step, state, flow, optimizer, buffer, sampler, best FROM checkpoints WHERE run_id = ? ORDER BY id DESC LIMIT 1').get(runId) as Row | undefined;
    if (!r) return null;
    return { phase: r.phase, step: r.step, state: JSON.parse(r.state) as JobCheckpoint['state'], flow: bytes(r.flow)!, optimizer: bytes(r.optimizer), buffer: bytes(r.buffer), sampler: bytes(r.sampler), best: bytes(r.best) };
  }

  count(runId: number): number {
    return (this.db.prepare('SELECT count(*) AS n FROM checkpoints WHERE run_id = ?').get(runId) as { n: number }).n;
  }
}
