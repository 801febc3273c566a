import { isMysql, type MigrationDb } from './helpers.js';

/**
 * A refund row is written as an intent in the transaction that decides it and carried out after the
 * commit (by the request, or by the `settle-refunds` job after a crash or a provider outage): the row
 * counts the attempts, keeps the last error and the provider's reason for a refusal, and the job finds
 * the pending ones by status and age.
 */
export async function up(db: MigrationDb): Promise<void> {
  await db.schema
    .alterTable('refunds')
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.alterTable('refunds').addColumn('last_error', 'varchar(255)').execute();
  await db.schema.alterTable('refunds').addColumn('failure_reason', 'varchar(255)').execute();
  await db.schema.createIndex('refunds_status_idx').on('refunds').columns(['status', 'updated_at']).execute();
}

export async function down(db: MigrationDb): Promise<void> {
  const drop = db.schema.dropIndex('refunds_status_idx');
  await (isMysql(db) ? drop.on('refunds') : drop).execute();
  for (const column of ['failure_reason', 'last_error', 'attempts']) {
    await db.schema.alterTable('refunds').dropColumn(column).execute();
  }
}
