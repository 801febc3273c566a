import type { MigrationDb } from './helpers.js';

/** Emails that must go out at most once per cause (e.g. one check-in reminder per booking) carry a key. */
export async function up(db: MigrationDb): Promise<void> {
  await db.schema.alterTable('email_outbox').addColumn('dedupe_key', 'varchar(200)').execute();
  await db.schema
    .createIndex('email_outbox_dedupe_idx')
    .on('email_outbox')
    .column('dedupe_key')
    .unique()
    .execute();
}

export async function down(db: MigrationDb): Promise<void> {
  await db.schema.dropIndex('email_outbox_dedupe_idx').execute();
  await db.schema.alterTable('email_outbox').dropColumn('dedupe_key').execute();
}
