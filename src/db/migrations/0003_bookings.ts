import { sql } from 'kysely';
import { columnTypes, createNoOverlapGuard, type MigrationDb, withTimestamps } from './helpers.js';

export async function up(db: MigrationDb): Promise<void> {
  const t = columnTypes(db);
  await withTimestamps(
    db,
    db.schema
      .createTable('bookings')
      .addColumn('id', t.uuid, (c) => c.primaryKey())
      .addColumn('property_id', t.uuid, (c) => c.notNull().references('properties.id'))
      .addColumn('guest_id', t.uuid, (c) => c.notNull().references('users.id'))
      .addColumn('host_id', t.uuid, (c) => c.notNull().references('users.id'))
      .addColumn('check_in', 'date', (c) => c.notNull())
      .addColumn('check_out', 'date', (c) => c.notNull())
      .addColumn('guests', 'integer', (c) => c.notNull())
      .addColumn('status', 'varchar(24)', (c) => c.notNull())
      .addColumn('currency', 'char(3)', (c) => c.notNull())
      .addColumn('nights_subtotal', 'bigint', (c) => c.notNull())
      .addColumn('cleaning_fee', 'bigint', (c) => c.notNull())
      .addColumn('service_fee', 'bigint', (c) => c.notNull())
      .addColumn('taxes', 'bigint', (c) => c.notNull())
      .addColumn('total', 'bigint', (c) => c.notNull())
      .addColumn('host_payout', 'bigint', (c) => c.notNull())
      .addColumn('nightly', t.json, (c) => c.notNull())
      .addColumn('cancellation_policy', 'varchar(16)', (c) => c.notNull())
      .addColumn('check_in_time', 'varchar(5)', (c) => c.notNull())
      .addColumn('instant_book', 'boolean', (c) => c.notNull())
      .addColumn('hold_expires_at', t.timestamp)
      .addColumn('refunded_amount', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('guest_message', 'text')
      .addCheckConstraint('bookings_dates_check', sql`check_out > check_in`)
      .addCheckConstraint('bookings_guests_check', sql`guests > 0`)
      .addCheckConstraint('bookings_money_check', sql`total >= 0 and refunded_amount between 0 and total`)
      .addCheckConstraint(
        'bookings_status_check',
        sql`status in ('pending_payment', 'awaiting_host', 'confirmed', 'declined', 'cancelled_by_guest', 'cancelled_by_host', 'expired', 'completed')`,
      ),
  ).execute();
  // The no-overlap guarantee, enforced by the database across processes.
  await createNoOverlapGuard(db);
  await db.schema
    .createIndex('bookings_guest_idx')
    .on('bookings')
    .columns(['guest_id', 'check_in'])
    .execute();
  await db.schema.createIndex('bookings_host_idx').on('bookings').columns(['host_id', 'check_in']).execute();
  await db.schema
    .createIndex('bookings_status_idx')
    .on('bookings')
    .columns(['status', 'hold_expires_at'])
    .execute();

  await db.schema
    .createTable('booking_events')
    .addColumn('id', t.uuid, (c) => c.primaryKey())
    .addColumn('booking_id', t.uuid, (c) => c.notNull().references('bookings.id').onDelete('cascade'))
    .addColumn('from_status', 'varchar(24)')
    .addColumn('to_status', 'varchar(24)', (c) => c.notNull())
    .addColumn('actor_id', t.uuid, (c) => c.references('users.id'))
    .addColumn('reason', 'varchar(500)')
    .addColumn('created_at', t.timestamp, (c) => c.notNull().defaultTo(t.now))
    .execute();
  await db.schema
    .createIndex('booking_events_booking_idx')
    .on('booking_events')
    .columns(['booking_id', 'created_at'])
    .execute();

  await db.schema
    .createTable('idempotency_keys')
    .addColumn('user_id', t.uuid, (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('scope', 'varchar(64)', (c) => c.notNull())
    .addColumn('key', 'varchar(255)', (c) => c.notNull())
    .addColumn('request_hash', 'char(64)', (c) => c.notNull())
    .addColumn('response_status', 'integer')
    .addColumn('response_body', t.json)
    .addColumn('created_at', t.timestamp, (c) => c.notNull().defaultTo(t.now))
    .addPrimaryKeyConstraint('idempotency_keys_pk', ['user_id', 'scope', 'key'])
    .execute();

  await withTimestamps(
    db,
    db.schema
      .createTable('payments')
      .addColumn('id', t.uuid, (c) => c.primaryKey())
      .addColumn('booking_id', t.uuid, (c) => c.notNull().references('bookings.id'))
      .addColumn('provider', 'varchar(16)', (c) => c.notNull())
      .addColumn('provider_ref', 'varchar(255)')
      .addColumn('amount', 'bigint', (c) => c.notNull())
      .addColumn('currency', 'char(3)', (c) => c.notNull())
      .addColumn('status', 'varchar(20)', (c) => c.notNull())
      .addColumn('failure_reason', 'varchar(255)')
      .addColumn('refunded_amount', 'bigint', (c) => c.notNull().defaultTo(0))
      .addCheckConstraint('payments_amount_check', sql`amount > 0 and refunded_amount between 0 and amount`)
      .addCheckConstraint(
        'payments_status_check',
        sql`status in ('requires_payment', 'processing', 'succeeded', 'failed')`,
      ),
  ).execute();
  await db.schema.createIndex('payments_booking_idx').on('payments').column('booking_id').execute();
  await db.schema
    .createIndex('payments_provider_ref_idx')
    .on('payments')
    .columns(['provider', 'provider_ref'])
    .unique()
    .execute();

  await withTimestamps(
    db,
    db.schema
      .createTable('refunds')
      .addColumn('id', t.uuid, (c) => c.primaryKey())
      .addColumn('payment_id', t.uuid, (c) => c.notNull().references('payments.id'))
      .addColumn('booking_id', t.uuid, (c) => c.notNull().references('bookings.id'))
      .addColumn('amount', 'bigint', (c) => c.notNull())
      .addColumn('currency', 'char(3)', (c) => c.notNull())
      .addColumn('status', 'varchar(16)', (c) => c.notNull())
      .addColumn('provider_ref', 'varchar(255)')
      .addColumn('reason', 'varchar(64)', (c) => c.notNull())
      .addCheckConstraint('refunds_amount_check', sql`amount > 0`)
      .addCheckConstraint('refunds_status_check', sql`status in ('pending', 'succeeded', 'failed')`),
  ).execute();
  await db.schema.createIndex('refunds_payment_idx').on('refunds').column('payment_id').execute();

  await db.schema
    .createTable('webhook_events')
    .addColumn('provider', 'varchar(16)', (c) => c.notNull())
    .addColumn('event_id', 'varchar(255)', (c) => c.notNull())
    .addColumn('type', 'varchar(64)', (c) => c.notNull())
    .addColumn('received_at', t.timestamp, (c) => c.notNull().defaultTo(t.now))
    .addPrimaryKeyConstraint('webhook_events_pk', ['provider', 'event_id'])
    .execute();
}

export async function down(db: MigrationDb): Promise<void> {
  for (const t of [
    'webhook_events',
    'refunds',
    'payments',
    'idempotency_keys',
    'booking_events',
    'bookings',
  ]) {
    await db.schema.dropTable(t).ifExists().execute();
  }
}
