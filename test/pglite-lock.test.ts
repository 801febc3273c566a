/**
 * One process per embedded data directory (src/db/pglite-lock.ts). With real processes: `npm start` on
 * a PGlite directory, then `npm run seed`, `npm run demo` and a second `npm start` on the same directory
 * are refused with a message naming the server's pid (exit 1), and the server's data survives; once it
 * stops, the lock is gone and the same commands work. A lock left by a process that no longer exists
 * is taken over. And the lock itself, in process.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { lockPathOf, lockPgliteDir, PgliteDirInUseError } from '../src/db/pglite-lock.js';
import { freePort, killLeftovers, runCli, startRoost, waitUntilServing } from './support/processes.js';

const dir = mkdtempSync(join(tmpdir(), 'roost-lock-'));
const pgliteDir = join(dir, 'pglite');
const env = (extra: Record<string, string> = {}) => ({
  PGLITE_DATA_DIR: pgliteDir,
  DATA_DIR: dir,
  UPLOADS_DIR: join(dir, 'uploads'),
  MAIL_DIR: join(dir, 'mail'),
  LOG_LEVEL: 'warn',
  ...extra,
});

afterEach(() => killLeftovers());
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `npm run <name>` as it runs it (node with tsx's loader); resolves with the exit code and all output. */
async function cli(name: string, args: string[] = [], extra: Record<string, string> = {}) {
  const { code, all } = await runCli(name, args, env(extra));
  return { code, out: all };
}

async function post(base: string, path: string, body: object) {
  return fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

describe('the embedded data directory lock, across processes', () => {
  it('refuses a second process while the server runs, keeps the server data, and frees the directory at exit', async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const server = startRoost('src/server.ts', env({ PORT: String(port) }), 'server');
    await waitUntilServing(server, `${base}/health/ready`);
    const pid = server.child.pid!;
    expect(readFileSync(lockPathOf(pgliteDir), 'utf8').trim()).toBe(String(pid));
    const account = { email: 'lock.test@example.com', password: 'analytical-engine-1' };
    const registered = await post(base, '/api/v1/auth/register', {
      ...account,
      firstName: 'Kept',
      lastName: 'Data',
    });
    expect(registered.status, await registered.clone().text()).toBe(201);

    const message = `PGLITE_DATA_DIR ${pgliteDir} is in use by process ${pid}; stop it or use DATABASE_URL`;
    const seed = await cli('seed');
    expect(seed.code, seed.out).toBe(1);
    expect(seed.out).toContain(message);
    expect(seed.out).not.toMatch(/^\s+at /m); // one clear line, no stack trace
    for (const script of ['migrate', 'expire-holds']) {
      const other = await cli(script);
      expect(other.code, other.out).toBe(1);
      expect(other.out).toContain(message);
      expect(other.out).not.toMatch(/^\s+at /m);
    }
    const demo = await cli('demo', ['complete-stay', '00000000-0000-4000-8000-000000000000']);
    expect(demo.code, demo.out).toBe(1);
    expect(demo.out).toContain(message);
    expect(demo.out).toContain('POST /api/v1/dev/bookings/{id}/complete-stay');
    const second = startRoost('src/server.ts', env({ PORT: String(await freePort()) }), 'second server');
    expect((await second.exited).code).toBe(1);
    expect(second.text()).toContain(message);

    // The server never noticed: its data, and its lock, are as they were.
    expect((await post(base, '/api/v1/auth/login', account)).status).toBe(200);
    expect(readFileSync(lockPathOf(pgliteDir), 'utf8').trim()).toBe(String(pid));
    expect((await server.stop()).code).toBe(0);
    expect(existsSync(lockPathOf(pgliteDir))).toBe(false);

    // Now the directory is free: the seed writes into it, and the next server sees both.
    const seeded = await cli('seed');
    expect(seeded.code, seeded.out).toBe(0);
    expect(seeded.out).toMatch(/created admin admin@roost\.dev/);
    expect(existsSync(lockPathOf(pgliteDir))).toBe(false);
    const again = startRoost('src/server.ts', env({ PORT: String(port) }), 'server again');
    await waitUntilServing(again, `${base}/health/ready`);
    expect((await post(base, '/api/v1/auth/login', account)).status).toBe(200);
    expect(
      (await post(base, '/api/v1/auth/login', { email: 'admin@roost.dev', password: 'roost-demo-2024' }))
        .status,
    ).toBe(200);
    expect((await again.stop()).code).toBe(0);
  }, 300_000);

  it('takes over a lock whose process is gone', async () => {
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
      encoding: 'utf8',
    });
    const deadPid = Number(gone.stdout);
    expect(deadPid).toBeGreaterThan(0);
    writeFileSync(lockPathOf(pgliteDir), `${deadPid}\n`);
    const seeded = await cli('seed');
    expect(seeded.code, seeded.out).toBe(0);
    expect(seeded.out).toMatch(/(created|exists ) admin admin@roost\.dev/);
    expect(existsSync(lockPathOf(pgliteDir))).toBe(false);
  }, 120_000);
});

describe('lockPgliteDir', () => {
  const local = join(dir, 'unit');

  it('is exclusive within a process too, and free again once released', () => {
    const lock = lockPgliteDir(local);
    expect(readFileSync(lock.path, 'utf8').trim()).toBe(String(process.pid));
    expect(() => lockPgliteDir(local)).toThrow(PgliteDirInUseError);
    lock.release();
    expect(existsSync(lock.path)).toBe(false);
    lockPgliteDir(local).release();
  });

  it('names a live owner, and takes over a lock of its own pid it does not hold, or an unreadable one', async () => {
    // A live process of someone else: refused, naming it; the lock stays theirs.
    const sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });
    try {
      writeFileSync(lockPathOf(local), `${sleeper.pid}\n`);
      expect(() => lockPgliteDir(local)).toThrow(`is in use by process ${sleeper.pid}`);
      expect(readFileSync(lockPathOf(local), 'utf8').trim()).toBe(String(sleeper.pid));
    } finally {
      sleeper.kill('SIGKILL');
    }
    // This pid, but not held here (a restarted container reuses its pid): stale.
    writeFileSync(lockPathOf(local), `${process.pid}\n`);
    lockPgliteDir(local).release();
    // Garbage: stale as well (after a short wait for an owner still writing its pid).
    writeFileSync(lockPathOf(local), 'not a pid');
    const lock = lockPgliteDir(local);
    expect(readFileSync(lock.path, 'utf8').trim()).toBe(String(process.pid));
    lock.release();
  });
});
