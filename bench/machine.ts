import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';

const SIMD = ['sse4_2', 'avx', 'avx2', 'fma', 'avx512f', 'avx512bw', 'avx512vl', 'avx512_vnni', 'amx_tile', 'neon', 'asimd'];

/** What the figures were taken on: the host changes between sessions, so every JSON names it. */
export function machine(): { cpuModel: string; cpus: number; simd: string[]; node: string } {
  let flags: string[] = [];
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => /^(flags|Features)\s*:/.test(l));
    flags = line ? line.split(':')[1]!.trim().split(/\s+/) : [];
  } catch {
    // Not Linux: no flags to report.
  }
  return { cpuModel: cpus()[0]?.model ?? 'unknown', cpus: cpus().length, simd: SIMD.filter((f) => flags.includes(f)), node: process.version };
}

/**
 * A Python with torch for the side-by-side peer: $BGW_PYTHON, else `python3`, else Debian's
 * /usr/bin/python3 (python3-torch installs there, and a pyenv python3 may shadow it). Null: none.
 */
export function torchPython(): string | null {
  const candidates = [process.env.BGW_PYTHON, 'python3', '/usr/bin/python3'].filter((p): p is string => Boolean(p));
  for (const py of candidates) {
    const r = spawnSync(py, ['-c', 'import torch'], { stdio: 'ignore' });
    if (r.status === 0) return py;
  }
  return null;
}

export const median = (a: readonly number[]): number => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
