import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// `bgw`'s own usage: per-command --help, --version, unknown commands and bad flags (exit 2, one line).

const ROOT = resolve(import.meta.dirname, '../..');
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const COMMANDS = ['run', 'ls', 'show', 'export', 'resume', 'import', 'serve', 'energy', 'validate', 'backend'];

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function bgw(args: string[]): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env.BGW_BACKEND;
    delete env.BGW_DEBUG;
    const child = spawn(process.execPath, ['bin/bgw.mjs', ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`bgw ${args.join(' ')} timed out\nstderr: ${stderr}`));
    }, 60_000);
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

/** Non-empty lines. */
const lines = (text: string): string[] => text.split('\n').filter((l) => l.trim() !== '');

describe.concurrent('bgw <command> --help: that command’s usage and its own options, exit 0', () => {
  it.each([
    ['run', ['<spec.json>', '--out <dir>', '--seed <N>', '--quiet'], ['--format']],
    ['export', ['<run>', '--format', '--resample <N>', '--set <ID>', '-o, --out <file>'], ['--workers']],
    ['import', ['<file>', '--system <name>', '--params <JSON>', '--forcefield <name>', '--project <ID>'], ['--resample']],
    ['serve', ['--port <N>', '--host <H>', '--allow-remote', '--workers <N>', '--checkpoint-every'], ['--seed']],
    ['energy', ['<file.pdb>', '--forcefield <file.xml>', '--temperature <K>'], ['--out']],
  ])('bgw %s --help', async (command, own, others) => {
    const r = await bgw([command, '--help']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(new RegExp(`^Usage: bgw ${command} `));
    for (const o of own) expect(r.stdout).toContain(o);
    for (const o of others) expect(r.stdout).not.toContain(o);
    // --db is the root's, and every command takes it.
    expect(r.stdout).toContain('--db <file>');
  });

  it('bgw help <command> prints the same as bgw <command> --help', async () => {
    const [a, b] = await Promise.all([bgw(['help', 'ls']), bgw(['ls', '--help'])]);
    expect(a.code).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    expect(a.stdout).toContain('--project <ID>');
  });
});

describe.concurrent('bgw --version, usage and parse errors', () => {
  it.each([['--version'], ['-V']])('%s prints package.json’s version, exit 0', async (flag) => {
    const r = await bgw([flag]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`${VERSION}\n`);
  });

  it('bgw help and bgw --help list every command on stdout, exit 0', async () => {
    for (const r of await Promise.all([bgw(['help']), bgw(['--help'])])) {
      expect(r.code, r.stderr).toBe(0);
      for (const c of COMMANDS) expect(r.stdout).toMatch(new RegExp(`^  bgw ${c}\\b`, 'm'));
    }
  });

  it('an unknown command → exit 2, the problem on one line, then the command list on stderr', async () => {
    const r = await bgw(['frobnicate', 'x']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(lines(r.stderr)[0]).toBe("bgw: error: unknown command 'frobnicate'");
    for (const c of COMMANDS) expect(r.stderr).toMatch(new RegExp(`^  bgw ${c}\\b`, 'm'));
  });

  it('no command → exit 2, the usage on stderr', async () => {
    const r = await bgw([]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^usage: bgw <command>/);
    for (const c of COMMANDS) expect(r.stderr).toMatch(new RegExp(`^  bgw ${c}\\b`, 'm'));
  });

  it.each([
    [['ls', '--frobnicate'], /unknown option '--frobnicate'.*bgw ls --help/],
    [['validate', 'spec.json', '--seed', '3'], /unknown option '--seed'/],
    [['serve', '--port', 'http'], /--port must be an integer in \[0, 65535\], got 'http'/],
    [['energy', 'x.pdb', '--forcefield', 'ff.xml', '--temperature', '-5'], /--temperature must be a positive number of kelvin, got '-5'/],
    [['export', '1', '--format', 'xlsx', '-o', 'x'], /--format.*'xlsx' is invalid/],
    [['import', 'x.csv', '--system', 'double-well', '--params', '[1'], /--params must be a JSON object/],
    [['show'], /missing required argument 'run'/],
    [['run', 'a.json', 'b.json'], /too many arguments for 'run'/],
  ])('bgw %j → exit 2 with one line', async (args, message) => {
    const r = await bgw(args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(lines(r.stderr), r.stderr).toHaveLength(1);
    expect(r.stderr).toMatch(/^bgw: error: /);
    expect(r.stderr).toMatch(message);
  });
});
