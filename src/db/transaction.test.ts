import { describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../test/support/test-db.js';
import { newId } from '../platform/crypto.js';
import { inTransaction } from './transaction.js';

// A deadlock needs two connections: this runs on the PostgreSQL and MariaDB servers in every suite mode.
describe.each(['postgres', 'mysql'] as const)('inTransaction on %s', (engine) => {
  it('runs a transaction again when the database breaks a deadlock with it', async () => {
    const database = await createTestDatabase(undefined, engine);
    try {
      const { db } = database;
      const ids = [newId(), newId()] as const;
      await db
        .insertInto('users')
        .values(
          ids.map((id, i) => ({
            id,
            email: `deadlock.${i}@example.com`,
            password_hash: 'x',
            first_name: '-',
            last_name: '-',
            role: 'guest' as const,
          })),
        )
        .execute();
      // Each worker locks one row, waits until the other holds its own, then wants the other's row.
      let holding = 0;
      let release = () => {};
      const bothHold = new Promise<void>((resolve) => {
        release = resolve;
      });
      const attempts = [0, 0];
      const worker = (k: 0 | 1) =>
        inTransaction(db, async (trx) => {
          attempts[k]!++;
          const [mine, theirs] = k === 0 ? [ids[0], ids[1]] : [ids[1], ids[0]];
          await trx
            .updateTable('users')
            .set({ first_name: `w${k}` })
            .where('id', '=', mine)
            .execute();
          if (++holding === 2) release();
          await bothHold;
          await trx
            .updateTable('users')
            .set({ last_name: `w${k}` })
            .where('id', '=', theirs)
            .execute();
          return k;
        });
      expect(await Promise.all([worker(0), worker(1)])).toEqual([0, 1]);
      // One of the two was chosen as the victim and ran twice; both committed in full.
      expect(attempts[0]! + attempts[1]!).toBe(3);
      const rows = await db
        .selectFrom('users')
        .select(['id', 'first_name', 'last_name'])
        .where('id', 'in', [...ids])
        .orderBy('id')
        .execute();
      expect(rows.map((r) => [r.first_name, r.last_name])).toEqual([
        ['w0', 'w1'],
        ['w1', 'w0'],
      ]);
    } finally {
      await database.close();
    }
  });
});

describe('one transaction path', () => {
  it('opens no transaction outside src/db except through inTransaction (which retries and forbids effects)', async () => {
    const { readdirSync, readFileSync } = await import('node:fs');
    const { join, relative } = await import('node:path');
    const src = join(import.meta.dirname, '..');
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) {
          if (path !== join(src, 'db')) walk(path);
        } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) {
          readFileSync(path, 'utf8')
            .split('\n')
            .forEach((line, i) => {
              if (/\.transaction\(\)/.test(line))
                offenders.push(`${relative(src, path)}:${i + 1}: ${line.trim()}`);
            });
        }
      }
    };
    walk(src);
    expect(offenders).toEqual([]);
  });
});

describe('findOrFail', () => {
  it('returns the row, or throws a 404 naming what is missing', async () => {
    const { findOrFail } = await import('./find-or-fail.js');
    expect(await findOrFail(Promise.resolve({ id: 'x' }), 'Booking')).toEqual({ id: 'x' });
    await expect(findOrFail(Promise.resolve(undefined), 'Booking')).rejects.toMatchObject({
      status: 404,
      code: 'not_found',
      message: 'Booking not found',
    });
  });
});
