import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import config from '../../electron.config';
import { BackendSupervisor, downloadTo, parseServeUrl, RestartPolicy, type Backend } from '../../src-main/electron/backend-process';

// The Electron shell's backend launcher, with a real `bgw serve` child and no Electron.

const ROOT = resolve(import.meta.dirname, '../..');
const supervisors: BackendSupervisor[] = [];
afterEach(async () => { await Promise.all(supervisors.splice(0).map((s) => s.stop())); });

async function systemInfo(b: Backend): Promise<Response> {
  return fetch(new URL('/api/system:info', b.url), {
    method: 'POST', headers: { authorization: `Bearer ${b.token}`, 'content-type': 'application/json' }, body: '{}',
  });
}

describe('backend process', () => {
  it('parses the serve line', () => {
    expect(parseServeUrl('http://127.0.0.1:5123/?token=abc\n')?.port).toBe('5123');
    expect(parseServeUrl('http://127.0.0.1:5123/')).toBeNull();
    expect(parseServeUrl('bgw: serving')).toBeNull();
  });

  it('restart policy: doubling delay, at most 5 restarts a minute', () => {
    let t = 0;
    const p = new RestartPolicy(5, 60_000, 500, () => t);
    expect([1, 2, 3, 4, 5].map(() => p.next())).toEqual([500, 1000, 2000, 4000, 8000]);
    expect(p.next()).toBeNull();
    t = 60_000;
    expect(p.next()).toBe(500);
  });

  it('starts bgw serve, restarts it with a new URL and token after SIGKILL, stops it', async () => {
    const db = join(mkdtempSync(join(tmpdir(), 'bgw-shell-')), 'workbench.db');
    let restarted!: (b: Backend) => void;
    const again = new Promise<Backend>((r) => (restarted = r));
    const sup = new BackendSupervisor({ node: process.execPath, args: ['--db', db, '--workers', '1'], cwd: ROOT, onRestart: (b) => restarted(b) });
    supervisors.push(sup);
    const first = await sup.start();
    const info = await systemInfo(first);
    expect(info.status).toBe(200);
    expect((await info.json()) as object).toHaveProperty('workers', 1);
    expect((await fetch(new URL('/api/system:info', first.url), { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } })).status).toBe(401);

    first.child.kill('SIGKILL');
    const second = await again;
    expect(second.url.href).not.toBe(first.url.href);
    expect(second.token).not.toBe(first.token);
    expect((await systemInfo(second)).status).toBe(200);

    await sup.stop();
    expect(second.child.signalCode ?? second.child.exitCode).not.toBeNull();
    expect(sup.backend).toBeNull();
  });

  it('downloads to <path>.partial, then renames', async () => {
    const server = createServer((_req, res) => res.end('a,b\n1,2\n')).listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const { port } = server.address() as { port: number };
    const target = join(mkdtempSync(join(tmpdir(), 'bgw-dl-')), 'out.csv');
    await downloadTo(`http://127.0.0.1:${port}/x`, target);
    server.close();
    expect(readFileSync(target, 'utf8')).toBe('a,b\n1,2\n');
    expect(existsSync(`${target}.partial`)).toBe(false);
  });

  it('the packaging config names files that exist', () => {
    for (const f of [config.main.entry, config.preload.entry, config.backend, config.workersDir]) expect(existsSync(join(ROOT, f)), f).toBe(true);
  });
});

describe('npm start without the Electron binary', () => {
  const electronDir = join(ROOT, 'node_modules/electron');
  const hasBinary = existsSync(join(electronDir, 'path.txt'));

  it.skipIf(hasBinary)('exits 1 with one line on stderr', () => {
    const env = { ...process.env };
    delete env.ELECTRON_OVERRIDE_DIST_PATH;
    const r = spawnSync(process.execPath, ['bin/start.mjs'], { cwd: ROOT, encoding: 'utf8', env });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe("bgw: Electron's binary is not installed on this machine; run `npm run serve` and open the printed URL in a browser (or install Electron: npx electron@45.5.0 --version)\n");
  });
});
