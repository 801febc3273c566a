import { sql } from 'kysely';
import { columnTypes, isMysql, type MigrationDb } from './helpers.js';

/**
 * The operator console and privacy tools.
 * - `audit_log`: every admin action — who, what, which object, the state before and after, the reason,
 *   the request id and IP. Append-only, enforced by the database: triggers refuse every UPDATE and
 *   DELETE (and, on PostgreSQL, TRUNCATE), whoever sends it. Snapshots hold ids and states, never
 *   contact details, so that erasing a person never needs to touch this table.
 * - `users.deleted_at`: the account was erased (anonymized in place; its bookings and money stay).
 * - `users.totp_secret` (sealed) and `users.totp_enabled_at`: an admin's optional second factor.
 * - `refresh_tokens.kind`: `api` (refresh tokens) or `console` (the operator console's cookie session);
 *   both are sessions of the same store, revoked together by suspension and "sign out everywhere".
 * - `properties.unlisted_reason`: why an admin took a listing down.
 * - Indexes for the console's questions: stays starting or ending on a day (dashboard), bookings by
 *   date range (search), refunds of a booking (timeline, partial refunds).
 */
export async function up(db: MigrationDb): Promise<void> {
  const t = columnTypes(db);
  await db.schema
    .createTable('audit_log')
    .addColumn('id', t.uuid, (c) => c.primaryKey())
    .addColumn('actor_id', t.uuid, (c) => c.notNull())
    .addColumn('action', 'varchar(64)', (c) => c.notNull())
    .addColumn('object_type', 'varchar(32)', (c) => c.notNull())
    .addColumn('object_id', 'varchar(64)')
    .addColumn('before', t.json)
    .addColumn('after', t.json)
    .addColumn('reason', 'varchar(1000)')
    .addColumn('request_id', 'varchar(128)')
    .addColumn('ip', 'varchar(64)')
    .addColumn('created_at', t.timestamp, (c) => c.notNull().defaultTo(t.now))
    .execute();
  await db.schema
    .createIndex('audit_log_created_idx')
    .on('audit_log')
    .columns(['created_at', 'id'])
    .execute();
  await db.schema
    .createIndex('audit_log_object_idx')
    .on('audit_log')
    .columns(['object_type', 'object_id', 'created_at'])
    .execute();
  await db.schema
    .createIndex('audit_log_actor_idx')
    .on('audit_log')
    .columns(['actor_id', 'created_at'])
    .execute();
  await db.schema.createIndex('audit_log_request_idx').on('audit_log').column('request_id').execute();

  if (isMysql(db)) {
    for (const op of ['update', 'delete']) {
      await sql
        .raw(`create trigger audit_log_no_${op} before ${op} on audit_log for each row
          signal sqlstate '45000' set message_text = 'audit_log is append-only'`)
        .execute(db);
    }
  } else {
    await sql`
      create function audit_log_append_only() returns trigger language plpgsql as $$
      begin
        raise exception 'audit_log is append-only' using errcode = 'P0001';
      end $$`.execute(db);
    await sql`
      create trigger audit_log_no_change before update or delete on audit_log
      for each row execute function audit_log_append_only()`.execute(db);
    await sql`
      create trigger audit_log_no_truncate before truncate on audit_log
      for each statement execute function audit_log_append_only()`.execute(db);
  }

  await db.schema.alterTable('users').addColumn('deleted_at', t.timestamp).execute();
  await db.schema.alterTable('users').addColumn('totp_secret', 'varchar(255)').execute();
  await db.schema.alterTable('users').addColumn('totp_enabled_at', t.timestamp).execute();
  await db.schema
    .alterTable('refresh_tokens')
    .addColumn('kind', 'varchar(16)', (c) => c.notNull().defaultTo(t.text('api')))
    .execute();
  await db.schema.alterTable('properties').addColumn('unlisted_reason', 'varchar(1000)').execute();
  await db.schema.createIndex('bookings_check_in_idx').on('bookings').column('check_in').execute();
  await db.schema.createIndex('bookings_check_out_idx').on('bookings').column('check_out').execute();
  await db.schema.createIndex('refunds_booking_idx').on('refunds').column('booking_id').execute();
}

export async function down(db: MigrationDb): Promise<void> {
  for (const [table, index] of [
    ['refunds', 'refunds_booking_idx'],
    ['bookings', 'bookings_check_out_idx'],
    ['bookings', 'bookings_check_in_idx'],
  ] as const) {
    const drop = db.schema.dropIndex(index);
    await (isMysql(db) ? drop.on(table) : drop).execute();
  }
  await db.schema.alterTable('properties').dropColumn('unlisted_reason').execute();
  await db.schema.alterTable('refresh_tokens').dropColumn('kind').execute();
  await db.schema.alterTable('users').dropColumn('totp_enabled_at').execute();
  await db.schema.alterTable('users').dropColumn('totp_secret').execute();
  await db.schema.alterTable('users').dropColumn('deleted_at').execute();
  await db.schema.dropTable('audit_log').execute();
  if (!isMysql(db)) await sql`drop function if exists audit_log_append_only()`.execute(db);
}
