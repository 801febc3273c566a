/**
 * Every command-line tool a user runs, started for real (through tsx, as `npm run <script>` runs it)
 * against a real database of its own: migrate, seed, expire-holds, db:backup and db:restore. Each must
 * exit 0 and leave the database as it says; a wrong argument exits non-zero with its usage.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runToExit } from './support/processes.js';
import { createTestDatabase, type TestDatabase, testDbKind } from './support/test-db.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const TSX = join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');
const dir = mkdtempSync(join(tmpdir(), 'roost-cli-'));
let db: TestDatabase;

/** Runs `src/cli/<name>.ts` with arguments (through the tsx CLI); resolves with its exit code and output. */
async function cli(name: string, args: string[] = []): Promise<{ code: number | null; out: string }> {
  const env = { DATABASE_URL: db.url!, DATA_DIR: join(dir, 'data'), LOG_LEVEL: 'warn' };
  const { code, all } = await runToExit(process.execPath, [TSX, `src/cli/${name}.ts`, ...args], env);
  return { code, out: all };
}

const count = async (table: 'users' | 'properties' | 'bookings') =>
  Number(
    (
      await db.db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );

beforeAll(async () => {
  // An empty database (no template, not migrated): the migrate command creates the schema. PGlite lives
  // inside a process, so on that engine the commands run against PostgreSQL.
  db = await createTestDatabase(undefined, testDbKind() === 'mysql' ? 'mysql' : 'postgres', false);
}, 60_000);

afterAll(async () => {
  await db?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('command-line tools', () => {
  it('migrate creates the schema, and a second run applies nothing', async () => {
    const first = await cli('migrate');
    expect(first.code, first.out).toBe(0);
    expect(first.out).toMatch(/applied \d+ migration\(s\)/);
    expect(await count('users')).toBe(0);
    const second = await cli('migrate');
    expect(second.code, second.out).toBe(0);
    expect(second.out).toMatch(/up to date/);
  }, 120_000);

  it('seed creates the demo users and listings, idempotently for the users', async () => {
    const seeded = await cli('seed', ['--listings', '25', '--seed', '7']);
    expect(seeded.code, seeded.out).toBe(0);
    expect(seeded.out).toMatch(/generated 25 listings/);
    const users = await count('users');
    expect(users).toBeGreaterThanOrEqual(3);
    expect(await count('properties')).toBe(25);
    const again = await cli('seed');
    expect(again.code, again.out).toBe(0);
    expect(again.out).toMatch(/exists/);
    expect(await count('users')).toBe(users);
    const bad = await cli('seed', ['--listings', 'many']);
    expect(bad.code).toBe(2);
    expect(bad.out).toMatch(/usage/);
  }, 120_000);

  it('expire-holds runs the expiry and completion services', async () => {
    const run = await cli('expire-holds');
    expect(run.code, run.out).toBe(0);
    expect(run.out).toMatch(/expired \d+ unpaid hold\(s\); completed \d+ finished stay\(s\)/);
  }, 120_000);

  it('db:backup writes a dump that db:restore brings back', async () => {
    const file = join(dir, 'roost.dump');
    const backup = await cli('backup', ['--file', file]);
    expect(backup.code, backup.out).toBe(0);
    expect(existsSync(file)).toBe(true);
    const [users, listings] = [await count('users'), await count('properties')];
    // A change after the backup: the restore takes the database back to the backup's contents.
    await db.db
      .insertInto('users')
      .values({
        id: '00000000-0000-4000-8000-00000000c11e',
        email: 'after.backup@example.com',
        password_hash: 'x',
        first_name: 'After',
        last_name: 'Backup',
        phone: null,
        role: 'guest',
      })
      .execute();
    expect(await count('users')).toBe(users + 1);
    const restore = await cli('restore', ['--file', file]);
    expect(restore.code, restore.out).toBe(0);
    expect(await count('users')).toBe(users);
    expect(await count('properties')).toBe(listings);
    const missing = await cli('restore');
    expect(missing.code).not.toBe(0);
    expect(missing.out).toMatch(/usage/);
  }, 180_000);
});
