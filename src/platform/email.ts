/**
 * Outgoing email through a transactional outbox: `enqueueEmail` writes a row in the caller's
 * transaction, so an email exists exactly when the change that caused it committed. The relay job
 * hands pending rows to the queue (job id = row id); the send job claims its row, sends, marks it sent.
 */
import { type Kysely, sql } from 'kysely';
import { insertUnlessExists } from '../db/dialect.js';
import type { DB } from '../db/schema/index.js';
import { newId } from './crypto.js';
import { type Mailer, renderEmail } from './mailer.js';

export type EmailTemplate = 'verify_email' | 'password_reset' | 'password_changed' | (string & {});

export interface EmailMessage {
  to: string;
  template: EmailTemplate;
  data: Record<string, unknown>;
  /** At most one email per key, ever (e.g. `checkin_reminder:<booking id>`). */
  dedupeKey?: string;
}

/** Writes the email to the outbox; with a dedupe key already used, writes nothing and returns null. */
export async function enqueueEmail(db: Kysely<DB>, message: EmailMessage): Promise<string | null> {
  const id = newId();
  const inserted = await insertUnlessExists(db, 'email_outbox', {
    id,
    recipient: message.to,
    template: message.template,
    payload: JSON.stringify(message.data),
    ...(message.dedupeKey ? { dedupe_key: message.dedupeKey } : {}),
  });
  return inserted ? id : null;
}

/** Ids of rows still to send, oldest first. */
export async function pendingEmailIds(db: Kysely<DB>, limit = 500): Promise<string[]> {
  const rows = await db
    .selectFrom('email_outbox')
    .select('id')
    .where('status', '=', 'pending')
    .orderBy('created_at')
    .limit(limit)
    .execute();
  return rows.map((r) => r.id);
}

/**
 * Send one outbox row, once: a row already sent is skipped, so a job that runs twice (a retry after
 * a crash, a second relay) sends nothing more. The row lock keeps two workers from sending it at once.
 */
export async function deliverEmail(db: Kysely<DB>, mailer: Mailer, id: string): Promise<'sent' | 'skipped'> {
  try {
    return await db.transaction().execute(async (trx) => {
      const row = await trx
        .selectFrom('email_outbox')
        .selectAll()
        .where('id', '=', id)
        .forUpdate()
        .executeTakeFirst();
      if (!row || row.status === 'sent') return 'skipped';
      await mailer.send(
        renderEmail(row.id, row.recipient, row.template, row.payload as Record<string, unknown>),
      );
      await trx
        .updateTable('email_outbox')
        .set({ status: 'sent', sent_at: new Date(), last_error: null, attempts: sql`attempts + 1` })
        .where('id', '=', id)
        .execute();
      return 'sent' as const;
    });
  } catch (err) {
    // The row stays pending with the attempt and its reason; the job's retry tries again.
    await db
      .updateTable('email_outbox')
      .set({ last_error: String((err as Error)?.message ?? err).slice(0, 1000), attempts: sql`attempts + 1` })
      .where('id', '=', id)
      .execute();
    throw err;
  }
}
