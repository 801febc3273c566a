import { describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../test/support/test-db.js';
import { newId } from '../platform/crypto.js';
import { afterCommit, inTransaction, QueryOutsideTransactionError } from './transaction.js';

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
      const effects = [0, 0];
      const worker = (k: 0 | 1) =>
        inTransaction(db, async (trx) => {
          attempts[k]!++;
          // Registered on every attempt; runs once, for the attempt that committed.
          afterCommit(trx, () => effects[k]!++);
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
      expect(effects).toEqual([1, 1]);
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

describe('afterCommit', () => {
  it('runs effects once the commit is visible, never for an aborted transaction, and never fails the commit', async () => {
    const database = await createTestDatabase();
    try {
      const { db } = database;
      const seen: string[] = [];
      const user = (email: string) => ({
        id: newId(),
        email,
        password_hash: 'x',
        first_name: '-',
        last_name: '-',
        role: 'guest' as const,
      });
      const committed = user('after-commit@example.com');
      await inTransaction(db, async (trx) => {
        await trx.insertInto('users').values(committed).execute();
        afterCommit(trx, async () => {
          // The effect runs after the commit: the row is there for anyone to read.
          const row = await db
            .selectFrom('users')
            .select('email')
            .where('id', '=', committed.id)
            .executeTakeFirst();
          seen.push(`committed:${row?.email ?? 'missing'}`);
        });
        afterCommit(trx, () => {
          throw new Error('an effect that fails');
        });
        afterCommit(trx, () => seen.push('later effects still run'));
        seen.push('inside');
      });
      expect(seen).toEqual(['inside', 'committed:after-commit@example.com', 'later effects still run']);

      seen.length = 0;
      const aborted = user('aborted@example.com');
      await expect(
        inTransaction(db, async (trx) => {
          await trx.insertInto('users').values(aborted).execute();
          afterCommit(trx, () => seen.push('must not run'));
          throw new Error('abort');
        }),
      ).rejects.toThrow('abort');
      expect(seen).toEqual([]);
      expect(
        await db.selectFrom('users').select('id').where('id', '=', aborted.id).executeTakeFirst(),
      ).toBeUndefined();

      // Outside a transaction the write before it has committed already: the effect runs at once.
      afterCommit(db, () => seen.push('no transaction'));
      await new Promise((r) => setImmediate(r));
      expect(seen).toEqual(['no transaction']);
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

// On the engine under test (PGlite included: there such a query would wait forever for its one connection).
describe('a query beside an open transaction', () => {
  it('is refused at once outside production; the same query on trx, or after the commit, runs', async () => {
    const database = await createTestDatabase();
    try {
      const { db } = database;
      const id = newId();
      let afterwards = -1;
      await expect(
        inTransaction(db, async (trx) => {
          await trx
            .insertInto('users')
            .values({
              id,
              email: `beside.${id}@example.com`,
              password_hash: 'x',
              first_name: '-',
              last_name: '-',
              role: 'guest',
            })
            .execute();
          // Seen through the transaction…
          expect(await trx.selectFrom('users').select('id').where('id', '=', id).execute()).toHaveLength(1);
          afterCommit(trx, async () => {
            afterwards = (await db.selectFrom('users').select('id').where('id', '=', id).execute()).length;
          });
          // …but asked of the pool: refused instead of running beside it (or hanging on PGlite).
          await db.selectFrom('users').select('id').where('id', '=', id).execute();
        }),
      ).rejects.toThrow(QueryOutsideTransactionError);
      // The transaction rolled back; the effect never ran; the pool works again.
      expect(afterwards).toBe(-1);
      expect(await db.selectFrom('users').select('id').where('id', '=', id).execute()).toEqual([]);
      await inTransaction(db, async (trx) => {
        afterCommit(trx, async () => {
          afterwards = (await db.selectFrom('users').select('id').execute()).length;
        });
      });
      expect(afterwards).toBeGreaterThanOrEqual(0);
    } finally {
      await database.close();
    }
  });
});
