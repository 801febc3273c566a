import type { MigrationDb } from './helpers.js';

/**
 * Emails written before tokens were sealed held the raw token and its link in the payload. Erase both;
 * one not yet sent is withdrawn (marked failed with a reason): the user asks for a new link.
 */
export async function up(db: MigrationDb): Promise<void> {
  const rows = await db
    .selectFrom('email_outbox')
    .select(['id', 'status', 'payload'])
    .where('template', 'in', ['verify_email', 'password_reset'])
    .execute();
  for (const row of rows) {
    const payload: Record<string, unknown> =
      typeof row.payload === 'string' ? JSON.parse(row.payload) : { ...(row.payload as object) };
    if (!('token' in payload) && !('link' in payload)) continue;
    delete payload['token'];
    delete payload['link'];
    await db
      .updateTable('email_outbox')
      .set({
        payload: JSON.stringify(payload),
        ...(row.status === 'sent'
          ? {}
          : { status: 'failed', last_error: 'withdrawn when tokens stopped being stored in clear' }),
      })
      .where('id', '=', row.id)
      .execute();
  }
}

export async function down(): Promise<void> {}
