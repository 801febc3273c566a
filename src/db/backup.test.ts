/** Restore drill: back up a database with data, wipe it, restore, and find every row again. */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Kysely, sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { createListing } from '../../test/support/fixtures.js';
import { createTestApp, createUser } from '../../test/support/test-app.js';
import { backupDatabase, restoreDatabase } from './backup.js';
import type { DB } from './schema/index.js';

const dir = mkdtempSync(join(tmpdir(), 'roost-backup-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function rowCounts(db: Kysely<DB>) {
  const tables = [
    'users',
    'refresh_tokens',
    'email_outbox',
    'properties',
    'property_amenities',
    'bookings',
    'booking_events',
    'payments',
    'ledger_entries',
  ];
  const out: Record<string, number> = {};
  for (const table of tables) {
    const r = await sql<{ n: string }>`select count(*) as n from ${sql.table(table)}`.execute(db);
    out[table] = Number(r.rows[0]!.n);
  }
  return out;
}

/** Drop every table (and with them the rows), as a lost database would be. */
async function wipe(db: Kysely<DB>, engine: 'postgres' | 'mysql') {
  if (engine === 'postgres') {
    await sql`drop schema public cascade`.execute(db);
    await sql`create schema public`.execute(db);
    return;
  }
  await db.connection().execute(async (conn) => {
    const tables = await sql<{ t: string }>`
      select table_name as t from information_schema.tables where table_schema = database()`.execute(conn);
    await sql`set foreign_key_checks = 0`.execute(conn);
    for (const { t } of tables.rows) await sql`drop table ${sql.table(t)}`.execute(conn);
    await sql`set foreign_key_checks = 1`.execute(conn);
  });
}

// The dump tools work on servers (not on embedded PGlite): this drill runs on PostgreSQL and MariaDB in
// every suite mode.
describe.each(['postgres', 'mysql'] as const)('backups on %s', (engine) => {
  it('backup, wipe, restore: the same rows come back', async () => {
    const t = await createTestApp({ engine });
    try {
      const host = await createUser(t, 'host');
      const guest = await createUser(t);
      const { id } = await createListing(t, host, { amenities: ['wifi', 'pool'] });
      const b = await t.app.inject({
        method: 'POST',
        url: '/api/v1/bookings',
        headers: guest.auth,
        payload: { propertyId: id, checkIn: '2031-01-01', checkOut: '2031-01-03', guests: 1 },
      });
      await t.app.inject({
        method: 'POST',
        url: `/api/v1/bookings/${b.json().id}/pay`,
        headers: guest.auth,
        payload: { paymentMethod: 'pm_card_visa' },
      });
      const before = await rowCounts(t.ctx.db);
      expect(before.bookings).toBe(1);
      expect(before.ledger_entries).toBeGreaterThan(0);

      const file = join(dir, 'drill.dump');
      await backupDatabase(t.database.url!, file);
      expect(statSync(file).size).toBeGreaterThan(1000);

      await wipe(t.ctx.db, engine);
      await expect(rowCounts(t.ctx.db)).rejects.toThrow();

      await restoreDatabase(t.database.url!, file);
      expect(await rowCounts(t.ctx.db)).toEqual(before);
      // The restored database still enforces its rules: the overlap guard is back.
      const again = await t.app.inject({
        method: 'POST',
        url: '/api/v1/bookings',
        headers: guest.auth,
        payload: { propertyId: id, checkIn: '2031-01-02', checkOut: '2031-01-04', guests: 1 },
      });
      expect(again.statusCode).toBe(409);
    } finally {
      await t.close();
    }
  });
});
