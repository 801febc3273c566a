import { sql } from 'kysely';
import { columnTypes, isMysql, type MigrationDb, withTimestamps } from './helpers.js';

/**
 * Host payouts (src/flows/payouts.ts): a payout account per host at the payment provider, and at most one
 * payout per booking (the UNIQUE booking_id is what makes a replayed or concurrent release job pay once).
 */
export async function up(db: MigrationDb): Promise<void> {
  const t = columnTypes(db);
  await withTimestamps(
    db,
    db.schema
      .createTable('payout_accounts')
      .addColumn('host_id', t.uuid, (c) => c.primaryKey().references('users.id'))
      .addColumn('provider', 'varchar(16)', (c) => c.notNull())
      .addColumn('provider_account_ref', 'varchar(255)', (c) => c.notNull())
      .addColumn('status', 'varchar(16)', (c) => c.notNull())
      .addColumn('currency', 'char(3)', (c) => c.notNull())
      .addCheckConstraint(
        'payout_accounts_status_check',
        sql`status in ('pending', 'enabled', 'restricted')`,
      ),
  ).execute();
  await db.schema
    .createIndex('payout_accounts_ref_idx')
    .on('payout_accounts')
    .columns(['provider', 'provider_account_ref'])
    .unique()
    .execute();

  await withTimestamps(
    db,
    db.schema
      .createTable('payouts')
      .addColumn('id', t.uuid, (c) => c.primaryKey())
      .addColumn('booking_id', t.uuid, (c) => c.notNull().references('bookings.id'))
      .addColumn('host_id', t.uuid, (c) => c.notNull().references('users.id'))
      .addColumn('amount', 'bigint', (c) => c.notNull())
      .addColumn('currency', 'char(3)', (c) => c.notNull())
      .addColumn('status', 'varchar(16)', (c) => c.notNull())
      .addColumn('provider', 'varchar(16)', (c) => c.notNull())
      .addColumn('provider_ref', 'varchar(255)')
      // The provider's idempotency key of the current transfer: the payout id, changed only after the
      // provider has answered that the transfer under the previous key failed.
      .addColumn('transfer_key', 'varchar(64)', (c) => c.notNull())
      // The reference of the ledger transaction that moved the amount out of host_payable (the payout id;
      // a new one when an admin releases a failed, reversed payout again).
      .addColumn('ledger_ref', t.uuid, (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('last_error', 'varchar(255)')
      .addColumn('release_at', t.timestamp, (c) => c.notNull())
      .addColumn('paid_at', t.timestamp)
      .addCheckConstraint('payouts_amount_check', sql`amount >= 0`)
      .addCheckConstraint(
        'payouts_status_check',
        sql`status in ('scheduled', 'pending', 'paid', 'failed', 'netted')`,
      ),
  ).execute();
  // At most one payout per booking: the idempotency guarantee of the release job.
  await db.schema.createIndex('payouts_booking_idx').on('payouts').column('booking_id').unique().execute();
  // The host's lists (by status, newest release first) and the job's retries / the admin list by status.
  await db.schema
    .createIndex('payouts_host_idx')
    .on('payouts')
    .columns(['host_id', 'status', 'release_at'])
    .execute();
  await db.schema.createIndex('payouts_status_idx').on('payouts').columns(['status', 'updated_at']).execute();
  await db.schema
    .createIndex('payouts_provider_ref_idx')
    .on('payouts')
    .columns(['provider', 'provider_ref'])
    .execute();
  // The job's scan: confirmed or completed stays by check-in day.
  await db.schema
    .createIndex('bookings_status_check_in_idx')
    .on('bookings')
    .columns(['status', 'check_in'])
    .execute();
}

export async function down(db: MigrationDb): Promise<void> {
  const drop = db.schema.dropIndex('bookings_status_check_in_idx');
  await (isMysql(db) ? drop.on('bookings') : drop).execute();
  await db.schema.dropTable('payouts').ifExists().execute();
  await db.schema.dropTable('payout_accounts').ifExists().execute();
}
