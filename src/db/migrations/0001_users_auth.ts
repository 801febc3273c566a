import { sql } from 'kysely';
import { columnTypes, type MigrationDb, withTimestamps } from './helpers.js';

export async function up(db: MigrationDb): Promise<void> {
  const t = columnTypes(db);
  await withTimestamps(
    db,
    db.schema
      .createTable('users')
      .addColumn('id', t.uuid, (c) => c.primaryKey())
      .addColumn('email', 'varchar(254)', (c) => c.notNull().unique())
      .addColumn('password_hash', 'text', (c) => c.notNull())
      .addColumn('first_name', 'varchar(100)', (c) => c.notNull())
      .addColumn('last_name', 'varchar(100)', (c) => c.notNull())
      .addColumn('phone', 'varchar(32)')
      .addColumn('role', 'varchar(16)', (c) => c.notNull().defaultTo('guest'))
      .addColumn('email_verified_at', t.timestamp)
      .addCheckConstraint('users_role_check', sql`role in ('guest', 'host', 'admin')`)
      .addCheckConstraint('users_email_lower_check', sql`email = lower(email)`),
  ).execute();

  await db.schema
    .createTable('refresh_tokens')
    .addColumn('id', t.uuid, (c) => c.primaryKey())
    .addColumn('user_id', t.uuid, (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('family_id', t.uuid, (c) => c.notNull())
    .addColumn('token_hash', 'char(64)', (c) => c.notNull().unique())
    .addColumn('expires_at', t.timestamp, (c) => c.notNull())
    .addColumn('created_at', t.timestamp, (c) => c.notNull().defaultTo(t.now))
    .addColumn('rotated_at', t.timestamp)
    .addColumn('revoked_at', t.timestamp)
    .addColumn('revoked_reason', 'varchar(64)')
    .addColumn('user_agent', 'varchar(512)')
    .addColumn('ip', 'varchar(64)')
    .execute();
  await db.schema.createIndex('refresh_tokens_family_idx').on('refresh_tokens').column('family_id').execute();
  await db.schema.createIndex('refresh_tokens_user_idx').on('refresh_tokens').column('user_id').execute();

  await db.schema
    .createTable('user_tokens')
    .addColumn('id', t.uuid, (c) => c.primaryKey())
    .addColumn('user_id', t.uuid, (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('purpose', 'varchar(32)', (c) => c.notNull())
    .addColumn('token_hash', 'char(64)', (c) => c.notNull().unique())
    .addColumn('expires_at', t.timestamp, (c) => c.notNull())
    .addColumn('used_at', t.timestamp)
    .addColumn('created_at', t.timestamp, (c) => c.notNull().defaultTo(t.now))
    .addCheckConstraint('user_tokens_purpose_check', sql`purpose in ('verify_email', 'reset_password')`)
    .execute();
  await db.schema
    .createIndex('user_tokens_user_idx')
    .on('user_tokens')
    .columns(['user_id', 'purpose'])
    .execute();

  await db.schema
    .createTable('email_outbox')
    .addColumn('id', t.uuid, (c) => c.primaryKey())
    .addColumn('recipient', 'varchar(254)', (c) => c.notNull())
    .addColumn('template', 'varchar(64)', (c) => c.notNull())
    .addColumn('payload', t.json, (c) => c.notNull())
    .addColumn('status', 'varchar(16)', (c) => c.notNull().defaultTo('pending'))
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_error', 'text')
    .addColumn('created_at', t.timestamp, (c) => c.notNull().defaultTo(t.now))
    .addColumn('sent_at', t.timestamp)
    .addCheckConstraint('email_outbox_status_check', sql`status in ('pending', 'sent', 'failed')`)
    .execute();
  await db.schema
    .createIndex('email_outbox_status_idx')
    .on('email_outbox')
    .columns(['status', 'created_at'])
    .execute();
}

export async function down(db: MigrationDb): Promise<void> {
  for (const t of ['email_outbox', 'user_tokens', 'refresh_tokens', 'users']) {
    await db.schema.dropTable(t).ifExists().execute();
  }
}
