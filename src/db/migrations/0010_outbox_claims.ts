import { columnTypes, type MigrationDb } from './helpers.js';

/**
 * An email is claimed (in a short transaction) before it is sent and marked sent after: the send itself
 * happens with no transaction open. `claimed_at` is the claim's time; a claim older than the lease is
 * taken to belong to a sender that died, and the email can be claimed again.
 */
export async function up(db: MigrationDb): Promise<void> {
  const t = columnTypes(db);
  await db.schema.alterTable('email_outbox').addColumn('claimed_at', t.timestamp).execute();
}

export async function down(db: MigrationDb): Promise<void> {
  await db.schema.alterTable('email_outbox').dropColumn('claimed_at').execute();
}
