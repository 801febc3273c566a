import { columnTypes, type MigrationDb } from './helpers.js';

/** A suspended user cannot sign in, and every session of theirs stops working on its next request. */
export async function up(db: MigrationDb): Promise<void> {
  const t = columnTypes(db);
  await db.schema.alterTable('users').addColumn('suspended_at', t.timestamp).execute();
}

export async function down(db: MigrationDb): Promise<void> {
  await db.schema.alterTable('users').dropColumn('suspended_at').execute();
}
