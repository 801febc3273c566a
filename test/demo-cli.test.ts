/**
 * The demo world as a user meets it, with real processes:
 *  - `npm start` on a fresh embedded data directory (NODE_ENV=development, as `npm start` runs) makes the
 *    demo world, and the README's "Try it" walk-through (TRY_IT below, the README's text with its port)
 *    runs through bash and curl against it: search with cover photos, a review of a completed demo stay,
 *    the host's view with the guest's message, a booking paid, its stay completed, and reviewed;
 *  - `npm run seed -- --demo` and `npm run demo` on PostgreSQL/MySQL (the engine of TEST_DB): the world
 *    once, the bookings listed, a confirmed stay completed, bad arguments and production refused.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { freePort, killLeftovers, runToExit, startRoost, waitUntilServing } from './support/processes.js';
import { createTestDatabase, type TestDatabase, testDbKind } from './support/test-db.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const dir = mkdtempSync(join(tmpdir(), 'roost-demo-cli-'));
afterEach(() => killLeftovers());
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The README's "Try it" block, read from the README itself (the test only points it at its own port). */
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const TRY_IT = /```bash\n(json\(\) \{[\s\S]*?)```/.exec(README)?.[1] ?? '';

const run = (command: string, args: string[], env: Record<string, string>) =>
  runToExit(command, args, env, 120_000);

/**
 * `npm start` with no DATABASE_URL is the embedded engine whatever the suite: this part runs once, in the
 * PGlite suite (TEST_DB=pglite), not three times.
 */
const embedded = testDbKind() === 'pglite' ? describe : () => {};

embedded('npm start on a fresh embedded database, then the README walk-through', () => {
  it('makes the demo world at first start, and every step of "Try it" works', async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const env = {
      NODE_ENV: 'development',
      PORT: String(port),
      PGLITE_DATA_DIR: join(dir, 'try', 'pglite'),
      DATA_DIR: join(dir, 'try'),
      UPLOADS_DIR: join(dir, 'try', 'uploads'),
      MAIL_DIR: join(dir, 'try', 'mail'),
      LOG_LEVEL: 'info',
    };
    const server = startRoost('src/server.ts', env, 'server');
    await waitUntilServing(server, `${base}/health/ready`, 120_000);
    const made = server.lines.find((l) => String(l.msg).startsWith('demo world made'));
    expect(made, server.text()).toMatchObject({ created: true, listings: 50, photos: 75 });

    expect(TRY_IT, 'the README has a "Try it" block starting with json()').toContain('complete-stay');
    const script = TRY_IT.replaceAll('localhost:3000', `127.0.0.1:${port}`);
    const walk = await run('bash', ['-euo', 'pipefail', '-c', script], {});
    expect(walk.code, walk.err + walk.out).toBe(0);
    // Every answer was a success: no problem document anywhere in the output.
    expect(walk.out).not.toContain('application/problem');
    expect(walk.out).not.toMatch(/"status":(4|5)\d\d/);
    const out = walk.out;
    expect(out).toContain('"coverPhoto":{"id"');
    // The week's quote: whole homes in the demo give 10 % off a week; Portugal's VAT is a line of its own.
    expect(out).toContain('"discountPct":10');
    expect(out).toMatch(/"taxLines":\[\{"name":"IVA","kind":"percent","rateBps":600,"amount":\d+\}\]/);
    expect(out).toMatch(/"url":"\/media\/[0-9a-f]{64}\.png"/);
    // Two reviews written: the completed demo stay, and the stay completed through the dev endpoint.
    expect(out.match(/"hostReply":null/g)?.length).toBe(2);
    expect(out).toContain('"message":"Hi Hugo!');
    expect(out).toContain('"status":"completed"');
    const cover = /"url":"(\/media\/[0-9a-f]{64}\.png)"/.exec(out)![1]!;
    const image = await fetch(`${base}${cover}`);
    expect(image.status).toBe(200);
    expect(image.headers.get('content-type')).toBe('image/png');

    // A second start makes nothing more.
    expect((await server.stop()).code).toBe(0);
    const again = startRoost('src/server.ts', env, 'server again');
    await waitUntilServing(again, `${base}/health/ready`, 120_000);
    expect(again.lines.some((l) => String(l.msg).startsWith('demo world made'))).toBe(false);
    const page = (await (await fetch(`${base}/api/v1/properties?limit=100`)).json()) as { items: unknown[] };
    expect(page.items).toHaveLength(50);
    expect((await again.stop()).code).toBe(0);
  }, 300_000);
});

describe('npm run seed -- --demo and npm run demo on a database server', () => {
  let db: TestDatabase;
  afterAll(async () => {
    await db?.close();
  });

  it('makes the world once, lists bookings, completes a confirmed stay, and refuses bad input and production', async () => {
    db = await createTestDatabase(undefined, testDbKind() === 'mysql' ? 'mysql' : 'postgres');
    const env = {
      DATABASE_URL: db.url!,
      DATA_DIR: join(dir, 'server'),
      UPLOADS_DIR: join(dir, 'server', 'uploads'),
      LOG_LEVEL: 'warn',
    };
    const tsx = (name: string, args: string[], extra: Record<string, string> = {}) =>
      run(process.execPath, ['--import', 'tsx', `src/cli/${name}.ts`, ...args], { ...env, ...extra });

    const seeded = await tsx('seed', ['--demo']);
    expect(seeded.code, seeded.err).toBe(0);
    expect(seeded.out).toMatch(/demo world: 9 users, 50 listings, 75 photos/);
    const again = await tsx('seed', ['--demo']);
    expect(again.code, again.err).toBe(0);
    expect(again.out).toMatch(/demo world: nothing to do \(the demo world is there already\)/);

    const list = await tsx('demo', ['list', '--email', 'guest@roost.dev']);
    expect(list.code, list.err).toBe(0);
    expect(list.out).toMatch(/completed .* not reviewed yet/);
    // The demo guest's inquiry (a conversation with no booking), with its id.
    expect(list.out).toMatch(
      /^[0-9a-f-]{36} {2}inquiry +5 messages {2}guest@roost\.dev @ .*\(host host@roost\.dev\)$/m,
    );
    const confirmed = /^([0-9a-f-]{36}) {2}confirmed /m.exec(list.out)?.[1];
    expect(confirmed, list.out).toBeDefined();
    const done = await tsx('demo', ['complete-stay', confirmed!]);
    expect(done.code, done.err).toBe(0);
    expect(done.out).toMatch(/stay moved to \d{4}-\d\d-\d\d\.\.\d{4}-\d\d-\d\d and completed/);
    const row = await db.db
      .selectFrom('bookings')
      .select('status')
      .where('id', '=', confirmed!)
      .executeTakeFirstOrThrow();
    expect(row.status).toBe('completed');
    const twice = await tsx('demo', ['complete-stay', confirmed!]);
    expect(twice.code).toBe(1);
    expect(twice.err).toContain('Only a confirmed stay can be completed early; this one is completed');
    const unknown = await tsx('demo', ['complete-stay', '00000000-0000-4000-8000-000000000000']);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toMatch(/not found/i);

    for (const args of [['complete-stay'], ['complete-stay', 'not-an-id'], ['launch'], []]) {
      const bad = await tsx('demo', args);
      expect(bad.code, args.join(' ')).toBe(2);
      expect(bad.err).toMatch(/usage: npm run demo/);
    }
    const production = {
      NODE_ENV: 'production',
      JWT_SECRET: 'production-secret-production-secret-0123',
      SANDBOX_WEBHOOK_SECRET: 'production-sandbox-secret',
    };
    const refused = await tsx('demo', ['complete-stay', confirmed!], production);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/development only; refused with NODE_ENV=production/);
    const noDemo = await tsx('seed', ['--demo'], production);
    expect(noDemo.code).toBe(1);
    expect(noDemo.err).toMatch(/never made in production/);
  }, 300_000);
});
