import { sql } from 'kysely';
import { columnTypes, type MigrationDb, withTimestamps } from './helpers.js';

/**
 * Booking changes (src/flows/change-booking.ts): a guest's request to move a confirmed stay to other
 * dates or another guest count, the host's answer, and the money the change moved. At most one change
 * per booking is open (`requested` or `awaiting_payment`): a unique index on (booking_id, open_slot), a stored generated
 * column that is 1 while the change is open and NULL after (both families; MySQL has no partial indexes).
 */
export async function up(db: MigrationDb): Promise<void> {
  const t = columnTypes(db);
  const table = db.schema
    .createTable('booking_changes')
    .addColumn('id', t.uuid, (c) => c.primaryKey())
    .addColumn('booking_id', t.uuid, (c) => c.notNull().references('bookings.id'))
    .addColumn('requested_by', t.uuid, (c) => c.notNull().references('users.id'))
    .addColumn('status', 'varchar(20)', (c) => c.notNull())
    .addColumn('from_check_in', 'date', (c) => c.notNull())
    .addColumn('from_check_out', 'date', (c) => c.notNull())
    .addColumn('from_guests', 'integer', (c) => c.notNull())
    .addColumn('to_check_in', 'date', (c) => c.notNull())
    .addColumn('to_check_out', 'date', (c) => c.notNull())
    .addColumn('to_guests', 'integer', (c) => c.notNull())
    .addColumn('currency', 'char(3)', (c) => c.notNull())
    .addColumn('from_total', 'bigint', (c) => c.notNull())
    // The new stay's price as the listing computed it (the whole breakdown; applied with priceColumns).
    .addColumn('price', t.json, (c) => c.notNull())
    .addColumn('to_total', 'bigint', (c) => c.notNull())
    // to_total − from_total: > 0 the guest pays more, < 0 the guest is refunded.
    .addColumn('difference', 'bigint', (c) => c.notNull())
    // The charge (the new total, replacing the old payment) of a dearer change.
    .addColumn('payment_id', t.uuid, (c) => c.references('payments.id'))
    // The refund the change promised (the difference, the replaced payment, or a charge that came too late).
    .addColumn('refund_id', t.uuid, (c) => c.references('refunds.id'))
    // How that refund splits between host, platform and taxes (exact, never proportional).
    .addColumn('refund_split', t.json)
    .addColumn('decided_by', t.uuid, (c) => c.references('users.id'))
    .addColumn('decided_at', t.timestamp)
    .addColumn('applied_at', t.timestamp)
    .addColumn('reason', 'varchar(500)')
    .addCheckConstraint(
      'booking_changes_status_check',
      sql`status in ('requested', 'awaiting_payment', 'applied', 'declined', 'withdrawn', 'failed')`,
    )
    .addCheckConstraint('booking_changes_guests_check', sql`to_guests >= 1`)
    .addCheckConstraint('booking_changes_dates_check', sql`to_check_out > to_check_in`)
    // 1 while the change is open, else NULL (NULLs never collide in a unique index): one open change per
    // booking on both families (MySQL has no partial indexes).
    .addColumn('open_slot', 'smallint', (c) =>
      c
        .generatedAlwaysAs(sql`case when status in ('requested', 'awaiting_payment') then 1 else null end`)
        .stored(),
    );
  await withTimestamps(db, table).execute();
  await db.schema
    .createIndex('booking_changes_one_open')
    .on('booking_changes')
    .columns(['booking_id', 'open_slot'])
    .unique()
    .execute();
  await db.schema
    .createIndex('booking_changes_booking_idx')
    .on('booking_changes')
    .columns(['booking_id', 'created_at'])
    .execute();
  await db.schema
    .createIndex('booking_changes_payment_idx')
    .on('booking_changes')
    .column('payment_id')
    .execute();
  await db.schema
    .createIndex('booking_changes_refund_idx')
    .on('booking_changes')
    .column('refund_id')
    .execute();
}

export async function down(db: MigrationDb): Promise<void> {
  await db.schema.dropTable('booking_changes').ifExists().execute();
}
