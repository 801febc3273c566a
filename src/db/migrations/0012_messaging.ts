import { type SqlBool, sql } from 'kysely';
import { columnTypes, isMysql, type MigrationDb, partial, withTimestamps } from './helpers.js';

/**
 * Guests and hosts talk: one conversation per (listing, guest), joined to the booking made from it; its
 * messages numbered per conversation (`seq`), so a participant's read marker is one number and the unread
 * count is `last_seq - read_seq`. Admin reads of a conversation are recorded. Pre-approvals let a guest
 * book the listed dates instantly. Notifications are an in-app feed with per-category email preferences.
 * A paid request to book expires at `request_expires_at`; a listing's check-in details are private until
 * a stay is confirmed.
 */
export async function up(db: MigrationDb): Promise<void> {
  const t = columnTypes(db);
  await withTimestamps(
    db,
    db.schema
      .createTable('conversations')
      .addColumn('id', t.uuid, (c) => c.primaryKey())
      .addColumn('property_id', t.uuid, (c) => c.notNull().references('properties.id'))
      .addColumn('guest_id', t.uuid, (c) => c.notNull().references('users.id'))
      .addColumn('host_id', t.uuid, (c) => c.notNull().references('users.id'))
      .addColumn('booking_id', t.uuid, (c) => c.references('bookings.id'))
      .addColumn('last_seq', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('guest_read_seq', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('host_read_seq', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('last_message_at', t.timestamp, (c) => c.notNull().defaultTo(t.now))
      .addColumn('blocked_by', t.uuid, (c) => c.references('users.id'))
      .addColumn('contact_revealed_at', t.timestamp),
  ).execute();
  await db.schema
    .createIndex('conversations_listing_guest_idx')
    .on('conversations')
    .columns(['property_id', 'guest_id'])
    .unique()
    .execute();
  await db.schema
    .createIndex('conversations_guest_idx')
    .on('conversations')
    .columns(['guest_id', 'last_message_at', 'id'])
    .execute();
  await db.schema
    .createIndex('conversations_host_idx')
    .on('conversations')
    .columns(['host_id', 'last_message_at', 'id'])
    .execute();
  await db.schema.createIndex('conversations_booking_idx').on('conversations').column('booking_id').execute();

  await db.schema
    .createTable('messages')
    .addColumn('id', t.uuid, (c) => c.primaryKey())
    .addColumn('conversation_id', t.uuid, (c) => c.notNull().references('conversations.id'))
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('sender_id', t.uuid, (c) => c.references('users.id'))
    .addColumn('kind', 'varchar(16)', (c) => c.notNull().defaultTo('text'))
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('created_at', t.timestamp, (c) => c.notNull().defaultTo(t.now))
    .addCheckConstraint('messages_kind_check', sql`kind in ('text', 'system', 'pre_approval')`)
    .execute();
  await db.schema
    .createIndex('messages_conversation_seq_idx')
    .on('messages')
    .columns(['conversation_id', 'seq'])
    .unique()
    .execute();

  await db.schema
    .createTable('conversation_access_log')
    .addColumn('id', t.uuid, (c) => c.primaryKey())
    .addColumn('conversation_id', t.uuid, (c) => c.notNull().references('conversations.id'))
    .addColumn('admin_id', t.uuid, (c) => c.notNull().references('users.id'))
    .addColumn('request_id', 'varchar(128)')
    .addColumn('created_at', t.timestamp, (c) => c.notNull().defaultTo(t.now))
    .execute();
  await db.schema
    .createIndex('conversation_access_log_conversation_idx')
    .on('conversation_access_log')
    .columns(['conversation_id', 'created_at'])
    .execute();

  await db.schema
    .createTable('pre_approvals')
    .addColumn('id', t.uuid, (c) => c.primaryKey())
    .addColumn('conversation_id', t.uuid, (c) => c.notNull().references('conversations.id'))
    .addColumn('property_id', t.uuid, (c) => c.notNull().references('properties.id'))
    .addColumn('guest_id', t.uuid, (c) => c.notNull().references('users.id'))
    .addColumn('host_id', t.uuid, (c) => c.notNull().references('users.id'))
    .addColumn('check_in', 'date', (c) => c.notNull())
    .addColumn('check_out', 'date', (c) => c.notNull())
    .addColumn('guests', 'integer', (c) => c.notNull())
    .addColumn('expires_at', t.timestamp, (c) => c.notNull())
    .addColumn('booking_id', t.uuid, (c) => c.references('bookings.id'))
    .addColumn('withdrawn_at', t.timestamp)
    .addColumn('created_at', t.timestamp, (c) => c.notNull().defaultTo(t.now))
    .execute();
  await db.schema
    .createIndex('pre_approvals_listing_guest_idx')
    .on('pre_approvals')
    .columns(['property_id', 'guest_id', 'check_in'])
    .execute();

  await db.schema
    .createTable('notifications')
    .addColumn('id', t.uuid, (c) => c.primaryKey())
    .addColumn('user_id', t.uuid, (c) => c.notNull().references('users.id'))
    .addColumn('category', 'varchar(16)', (c) => c.notNull())
    .addColumn('type', 'varchar(40)', (c) => c.notNull())
    .addColumn('data', t.json, (c) => c.notNull())
    // Events of one group (a thread's new messages) share one unread notification.
    .addColumn('group_key', 'varchar(100)')
    .addColumn('created_at', t.timestamp, (c) => c.notNull().defaultTo(t.now))
    .addColumn('updated_at', t.timestamp, (c) => c.notNull().defaultTo(t.now))
    .addColumn('read_at', t.timestamp)
    .execute();
  await db.schema
    .createIndex('notifications_group_idx')
    .on('notifications')
    .columns(['user_id', 'group_key', 'created_at'])
    .execute();
  await db.schema
    .createIndex('notifications_user_idx')
    .on('notifications')
    .columns(['user_id', 'created_at', 'id'])
    .execute();
  await partial(
    db,
    db.schema.createIndex('notifications_unread_idx').on('notifications').columns(['user_id', 'read_at']),
    sql<SqlBool>`read_at is null`,
  ).execute();

  await db.schema
    .createTable('notification_preferences')
    .addColumn('user_id', t.uuid, (c) => c.notNull().references('users.id'))
    .addColumn('category', 'varchar(16)', (c) => c.notNull())
    .addColumn('email', 'boolean', (c) => c.notNull())
    .addColumn('updated_at', t.timestamp, (c) => c.notNull().defaultTo(t.now))
    .addPrimaryKeyConstraint('notification_preferences_pk', ['user_id', 'category'])
    .execute();

  await db.schema.alterTable('bookings').addColumn('request_expires_at', t.timestamp).execute();
  await partial(
    db,
    db.schema
      .createIndex('bookings_request_expiry_idx')
      .on('bookings')
      .columns(['status', 'request_expires_at']),
    sql<SqlBool>`status = 'awaiting_host'`,
  ).execute();
  await db.schema.alterTable('properties').addColumn('checkin_details', 'text').execute();
}

export async function down(db: MigrationDb): Promise<void> {
  await db.schema.alterTable('properties').dropColumn('checkin_details').execute();
  const drop = db.schema.dropIndex('bookings_request_expiry_idx');
  await (isMysql(db) ? drop.on('bookings') : drop).execute();
  await db.schema.alterTable('bookings').dropColumn('request_expires_at').execute();
  for (const table of [
    'notification_preferences',
    'notifications',
    'pre_approvals',
    'conversation_access_log',
    'messages',
    'conversations',
  ]) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
