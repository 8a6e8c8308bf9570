import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

// `bgw` as a user runs it: a child process, exit code + stdout + stderr. Exit codes:
// 0 ok, 2 usage/spec error, 1 run failure, 130 cancelled.

export const ROOT = resolve(import.meta.dirname, '../..');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  env?: Record<string, string>;
  timeoutMs?: number;
  /** SIGKILL the process after this many milliseconds (crash tests). */
  killAfterMs?: number;
  /** Called with the stderr text so far on every chunk (to react to progress). */
  onStderr?: (soFar: string, child: ReturnType<typeof spawn>) => void;
}

export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  if (!('BGW_BACKEND' in extra)) delete env.BGW_BACKEND;
  delete env.BGW_DEBUG;
  return env;
}

export function bgw(args: string[], o: CliOptions = {}): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['bin/bgw.mjs', ...args], {
      cwd: ROOT,
      env: cleanEnv(o.env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`bgw ${args.join(' ')} timed out after ${o.timeoutMs ?? 60_000} ms\nstderr: ${stderr}`));
    }, o.timeoutMs ?? 60_000);
    const killer = o.killAfterMs !== undefined ? setTimeout(() => child.kill('SIGKILL'), o.killAfterMs) : null;
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      o.onStderr?.(stderr, child);
    });
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (killer) clearTimeout(killer);
      resolvePromise({ code, signal, stdout, stderr });
    });
  });
}

