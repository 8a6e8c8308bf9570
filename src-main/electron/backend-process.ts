import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

/**
 * The Electron shell's backend launcher, in plain Node (unit-tested without Electron): start
 * `bgw serve` as a child process under a real Node (Electron's own binary would need
 * ELECTRON_RUN_AS_NODE and an Electron-ABI better-sqlite3), read the URL it prints, and restart it
 * when it dies, with backoff, at most `max` times within `windowMs`.
 */

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface SpawnOptions {
  /** The Node binary: default `$BGW_NODE`, else `node` on the PATH. */
  readonly node?: string;
  /** Extra `bgw serve` arguments (`--db`, `--workers`). No `--port`: serve then binds a free port and prints it, so a restart never collides with the old one. */
  readonly args?: readonly string[];
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly startTimeoutMs?: number;
  /** The backend's stderr, as it comes (default: dropped, but kept for error messages). */
  readonly onStderr?: (text: string) => void;
}

export interface Backend {
  readonly child: ChildProcess;
  /** `http://127.0.0.1:<port>/?token=<token>`, as printed. */
  readonly url: URL;
  readonly token: string;
  /** SIGTERM (the backend marks its running runs interrupted), SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/** The one stdout line of `bgw serve`; null for anything else. */
export function parseServeUrl(line: string): URL | null {
  try {
    const url = new URL(line.trim());
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.searchParams.get('token') ? url : null;
  } catch {
    return null;
  }
}

export function spawnBackend(o: SpawnOptions = {}): Promise<Backend> {
  const env = { ...(o.env ?? process.env) };
  delete env.ELECTRON_RUN_AS_NODE; // the backend is plain Node, never Electron run as Node
  const child = spawn(o.node ?? process.env.BGW_NODE ?? 'node', ['bin/bgw.mjs', 'serve', ...(o.args ?? [])], {
    cwd: o.cwd ?? REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let tail = '';
  child.stderr!.setEncoding('utf8').on('data', (s: string) => {
    tail = (tail + s).slice(-2000);
    o.onStderr?.(s);
  });
  const stop = (graceMs = 10_000): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      child.once('exit', () => { clearTimeout(timer); resolve(); });
      child.kill('SIGTERM');
    });
  };
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (why: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`bgw serve ${why}${tail.trim() ? `:\n${tail.trim()}` : ''}`));
    };
    const timer = setTimeout(() => fail(`printed no URL within ${o.startTimeoutMs ?? 60_000} ms`), o.startTimeoutMs ?? 60_000);
    child.once('error', (e) => fail(`could not start (${e.message})`));
    child.once('close', (code, signal) => fail(`exited (${signal ?? `code ${code}`}) before printing its URL`));
    createInterface({ input: child.stdout! }).once('line', (line) => {
      const url = parseServeUrl(line);
      if (!url) return fail(`printed an unexpected line: ${line}`);
      settled = true;
      clearTimeout(timer);
      resolve({ child, url, token: url.searchParams.get('token')!, stop });
    });
  });
}

/** At most `max` restarts within any `windowMs`; the delay doubles with each restart in the window. */
export class RestartPolicy {
  private readonly times: number[] = [];
  constructor(
    readonly max = 5,
    readonly windowMs = 60_000,
    readonly baseDelayMs = 500,
    private readonly now: () => number = Date.now,
  ) {}

  /** The delay before the next restart, or null: give up. */
  next(): number | null {
    const t = this.now();
    while (this.times.length > 0 && t - this.times[0]! >= this.windowMs) this.times.shift();
    if (this.times.length >= this.max) return null;
    this.times.push(t);
    return Math.min(this.baseDelayMs * 2 ** (this.times.length - 1), 8_000);
  }
}

export interface SupervisorOptions extends SpawnOptions {
  readonly policy?: RestartPolicy;
  /** A new backend (new port, new token) replaced one that died. */
  readonly onRestart?: (backend: Backend) => void;
  /** The backend died and the policy gave up (or a restart failed for the last time). */
  readonly onGiveUp?: (error: Error) => void;
}

/** Keeps one backend running until `stop()`. */
export class BackendSupervisor {
  private current: Backend | null = null;
  private restarting: Promise<void> | null = null;
  private readonly abort = new AbortController();
  private readonly policy: RestartPolicy;

  constructor(private readonly o: SupervisorOptions = {}) {
    this.policy = o.policy ?? new RestartPolicy();
  }

  get backend(): Backend | null {
    return this.current;
  }

  async start(): Promise<Backend> {
    return this.adopt(await spawnBackend(this.o));
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.restarting;
    const b = this.current;
    this.current = null;
    await b?.stop();
  }

  private adopt(b: Backend): Backend {
    this.current = b;
    b.child.once('exit', (code, signal) => {
      if (this.abort.signal.aborted || this.current !== b) return;
      this.current = null;
      this.restarting = this.restart(new Error(`the backend exited (${signal ?? `code ${code}`})`)).finally(() => { this.restarting = null; });
    });
    return b;
  }

  private async restart(cause: Error): Promise<void> {
    let last = cause;
    for (let delay = this.policy.next(); delay !== null; delay = this.policy.next()) {
      try {
        await sleep(delay, undefined, { signal: this.abort.signal });
        const b = await spawnBackend(this.o);
        if (this.abort.signal.aborted) return void (await b.stop());
        this.o.onRestart?.(this.adopt(b));
        return;
      } catch (e) {
        if (this.abort.signal.aborted) return;
        last = e as Error;
      }
    }
    this.o.onGiveUp?.(new Error(`${last.message}; gave up after ${this.policy.max} restarts within ${this.policy.windowMs / 1000} s`));
  }
}

/** Streams a GET into `path` (via `<path>.partial`, renamed when complete). */
export async function downloadTo(url: string, path: string, fetchImpl: (url: string) => Promise<Response> = fetch): Promise<void> {
  const res = await fetchImpl(url);
  if (!res.ok || !res.body) throw new Error(`download failed: HTTP ${res.status}`);
  const partial = `${path}.partial`;
  try {
    await pipeline(Readable.fromWeb(res.body as NodeReadableStream<Uint8Array>), createWriteStream(partial));
    await rename(partial, path);
  } catch (e) {
    await rm(partial, { force: true });
    throw e;
  }
}
