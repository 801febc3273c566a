/**
 * Outgoing email, written to the `email_outbox` table inside the caller's transaction
 * (transactional outbox): an email exists exactly when the change that caused it committed.
 * Delivery from the outbox (SMTP or a file transport, through a background job) is a separate step.
 */
import type { Kysely } from 'kysely';
import type { DB } from '../db/schema/index.js';
import { newId } from './crypto.js';

export type EmailTemplate = 'verify_email' | 'password_reset' | 'password_changed' | (string & {});

export interface EmailMessage {
  to: string;
  template: EmailTemplate;
  data: Record<string, unknown>;
}

export async function enqueueEmail(db: Kysely<DB>, message: EmailMessage): Promise<string> {
  const id = newId();
  await db
    .insertInto('email_outbox')
    .values({ id, recipient: message.to, template: message.template, payload: JSON.stringify(message.data) })
    .execute();
  return id;
}
