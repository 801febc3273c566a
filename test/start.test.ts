/**
 * `npm start` on a bare machine: no DATABASE_URL, so the service runs on embedded PGlite under a data
 * directory, serves /health/ready and /docs, and keeps its data across a restart.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from './support/processes.js';

const dataDir = mkdtempSync(join(tmpdir(), 'roost-start-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

async function start(port: number): Promise<ChildProcess> {
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' };
  delete env.DATABASE_URL;
  delete env.REDIS_URL;
  env.PGLITE_DATA_DIR = join(dataDir, 'pglite');
  env.MAIL_DIR = join(dataDir, 'mail');
  env.UPLOADS_DIR = join(dataDir, 'uploads');
  env.DATA_DIR = dataDir;
  const child = spawn('npm', ['start', '--silent'], {
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: true,
  });
  let stderr = '';
  child.stderr?.on('data', (d) => {
    stderr += String(d);
  });
  const deadline = Date.now() + 45_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}: ${stderr}`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/health/ready`);
      if (res.status === 200) return child;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`server did not become ready: ${stderr}`);
}

/**
 * SIGTERM to the whole group (npm, tsx, node), then wait until every process of it is gone: npm can exit
 * before the server has closed its PGlite data directory, and the next start must not open it meanwhile.
 */
async function stop(child: ChildProcess): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  process.kill(-child.pid!, 'SIGTERM');
  const code = await exited;
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      process.kill(-child.pid!, 0);
    } catch {
      return code; // ESRCH: no process of the group is left
    }
    if (Date.now() > deadline) throw new Error('the server process group did not exit');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('npm start without DATABASE_URL', () => {
  it('serves health and docs on PGlite and keeps data across restarts', async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const email = `persist.${Date.now()}@example.com`;
    const password = 'persisted-pass-1';

    const first = await start(port);
    try {
      const ready = (await (await fetch(`${base}/health/ready`)).json()) as {
        checks: { database: { status: string } };
      };
      expect(ready.checks.database.status).toBe('ok');
      expect((await fetch(`${base}/docs/`)).status).toBe(200);
      const reg = await fetch(`${base}/api/v1/auth/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, password, firstName: 'Per', lastName: 'Sist' }),
      });
      expect(reg.status).toBe(201);
    } finally {
      await stop(first);
    }

    const second = await start(port);
    try {
      const login = await fetch(`${base}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, password }),
      });
      expect(login.status).toBe(200);
      expect(((await login.json()) as { user: { email: string } }).user.email).toBe(email);
    } finally {
      await stop(second);
    }
  }, 120_000);
});
