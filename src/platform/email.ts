/**
 * Outgoing email through a transactional outbox: `enqueueEmail` writes a row in the caller's
 * transaction, so an email exists exactly when the change that caused it committed. The relay job
 * hands pending rows to the queue (job id = row id); the send job claims its row, sends, marks it sent.
 *
 * Secrets (a verification or reset token, and the link that carries it) are never stored in clear:
 * they travel as the message's `sealed` fields, encrypted (AES-256-GCM, bound to the row) under a key
 * derived from the server secret. The sender opens them only to render the email and erases the
 * sealed part from the row in the transaction that marks it sent.
 */

import { type Kysely, sql } from 'kysely';
import { insertUnlessExists } from '../db/dialect.js';
import type { DB } from '../db/schema/index.js';
import { inTransaction } from '../db/transaction.js';
import type { Config } from './config.js';
import { deriveSealingKey, newId, type SealingKey, seal, UnsealError, unseal } from './crypto.js';
import { type Mailer, renderEmail } from './mailer.js';
import { TRACE_FIELD, type TraceCarrier, traceCarrier, tracingEnabled } from './tracing.js';

export type EmailTemplate = 'verify_email' | 'password_reset' | 'password_changed' | (string & {});

export interface EmailMessage {
  to: string;
  template: EmailTemplate;
  /** Template data, stored as is: never put a secret here. */
  data: Record<string, unknown>;
  /** Secret template data (e.g. `{ token, link }`): stored only sealed, erased once sent. Needs `key`. */
  sealed?: Record<string, string>;
  /** At most one email per key, ever (e.g. `checkin_reminder:<booking id>`). */
  dedupeKey?: string;
}

/** The payload field holding the sealed part (an opaque string, see `seal`). */
export const SEALED_FIELD = '$sealed';

/**
 * The outbox's sealing key, derived from JWT_SECRET (HKDF, a label of its own): the API that writes an
 * email and the worker that sends it derive the same key from the same secret. Changing JWT_SECRET
 * leaves the sealed part of still-pending emails unopenable (their send fails, see `deliverEmail`).
 */
export function outboxSealingKey(config: Pick<Config, 'JWT_SECRET'>): SealingKey {
  return deriveSealingKey(config.JWT_SECRET, 'roost/email-outbox/sealed-fields/v1');
}

/** A sealed part opens only in its own row: another id, recipient or template fails authentication. */
const sealContext = (id: string, recipient: string, template: string) =>
  `email_outbox\n${id}\n${recipient}\n${template}`;

/** Writes the email to the outbox; with a dedupe key already used, writes nothing and returns null. */
export async function enqueueEmail(
  db: Kysely<DB>,
  message: EmailMessage,
  opts: { key?: SealingKey | undefined } = {},
): Promise<string | null> {
  const id = newId();
  for (const field of [SEALED_FIELD, TRACE_FIELD]) {
    if (Object.hasOwn(message.data, field)) throw new Error(`enqueueEmail: ${field} is reserved`);
  }
  const payload: Record<string, unknown> = { ...message.data };
  // Tracing on: the trace of the request that wrote the email, continued by the job that sends it.
  const trace = traceCarrier();
  if (trace) payload[TRACE_FIELD] = trace;
  if (message.sealed) {
    if (!opts.key) throw new Error('enqueueEmail: sealed fields need the outbox key (outboxSealingKey)');
    payload[SEALED_FIELD] = seal(
      opts.key,
      JSON.stringify(message.sealed),
      sealContext(id, message.to, message.template),
    );
  }
  const inserted = await insertUnlessExists(db, 'email_outbox', {
    id,
    recipient: message.to,
    template: message.template,
    payload: JSON.stringify(payload),
    ...(message.dedupeKey ? { dedupe_key: message.dedupeKey } : {}),
  });
  return inserted ? id : null;
}

/**
 * Rows still to send, oldest first, each with the trace context it was written in (tracing on; the
 * relay enqueues its send job in that trace).
 */
export async function pendingEmails(
  db: Kysely<DB>,
  limit = 500,
): Promise<{ id: string; trace: TraceCarrier | undefined }[]> {
  if (!tracingEnabled()) return (await pendingEmailIds(db, limit)).map((id) => ({ id, trace: undefined }));
  const rows = await db
    .selectFrom('email_outbox')
    .select(['id', 'payload'])
    .where('status', '=', 'pending')
    .orderBy('created_at')
    .limit(limit)
    .execute();
  return rows.map((r) => {
    const trace = (r.payload as Record<string, unknown> | null)?.[TRACE_FIELD] as TraceCarrier | undefined;
    return { id: r.id, trace: typeof trace?.['traceparent'] === 'string' ? trace : undefined };
  });
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

/** An outbox row whose sealed part cannot be opened here. Its message never contains secret data. */
export class SealedEmailError extends Error {
  override name = 'SealedEmailError';
}

export interface DeliverOptions {
  /** The outbox key (`outboxSealingKey(config)`); needed for rows with sealed fields. */
  key?: SealingKey | undefined;
  /** Where a row that cannot be opened is reported (default: a JSON line on stderr). */
  log?: ((entry: Record<string, unknown>) => void) | undefined;
}

const stderrLog = (entry: Record<string, unknown>) => console.error(JSON.stringify(entry));

/** How long a claim protects an email from a second sender (far beyond the mailer's own timeouts). */
export const EMAIL_CLAIM_MS = 10 * 60_000;

/** Another sender holds a live claim on this email: the job tries again later. */
export class EmailClaimedError extends Error {
  override name = 'EmailClaimedError';
}

/**
 * Send one outbox row, once: a row already sent is skipped, so a job that runs twice (a retry after
 * a crash, a second relay) sends nothing more. Three steps, and no transaction is open while the mailer
 * talks to the SMTP server: (1) claim the row (a short transaction; a live claim of another sender is an
 * EmailClaimedError, retried by the job), (2) send, (3) mark it sent. A crash between 2 and 3 sends the
 * email again once the claim has lapsed (at least once, as with any mail relay; SMTP carries the outbox
 * id as Message-ID, so receivers can drop the copy).
 * Sealed fields are opened only to render the email, and erased from the row when it is marked sent.
 * A row whose sealed part cannot be opened (JWT_SECRET changed, or differs between API and worker)
 * fails with a SealedEmailError, is logged, and stays pending with that reason in `last_error`.
 */
export async function deliverEmail(
  db: Kysely<DB>,
  mailer: Mailer,
  id: string,
  opts: DeliverOptions = {},
): Promise<'sent' | 'skipped'> {
  const now = () => new Date();
  const row = await inTransaction(db, async (trx) => {
    const found = await trx
      .selectFrom('email_outbox')
      .selectAll()
      .where('id', '=', id)
      .forUpdate()
      .executeTakeFirst();
    if (!found || found.status === 'sent') return null;
    if (found.claimed_at && now().getTime() - found.claimed_at.getTime() < EMAIL_CLAIM_MS) {
      throw new EmailClaimedError(`email ${id} is being sent by another worker`);
    }
    const claimedAt = now();
    await trx.updateTable('email_outbox').set({ claimed_at: claimedAt }).where('id', '=', id).execute();
    return { ...found, claimed_at: claimedAt };
  });
  if (!row) return 'skipped';
  const { [SEALED_FIELD]: sealed, [TRACE_FIELD]: _trace, ...data } = row.payload as Record<string, unknown>;
  try {
    const secrets = sealed === undefined ? {} : openSealed(row, sealed, opts);
    await mailer.send(renderEmail(row.id, row.recipient, row.template, { ...data, ...secrets }));
  } catch (err) {
    // The row stays pending with the attempt and its reason, claim released; the job's retry tries again.
    await db
      .updateTable('email_outbox')
      .set({
        last_error: String((err as Error)?.message ?? err).slice(0, 1000),
        attempts: sql`attempts + 1`,
        claimed_at: null,
      })
      .where('id', '=', id)
      .execute();
    throw err;
  }
  await db
    .updateTable('email_outbox')
    .set({
      status: 'sent',
      sent_at: now(),
      claimed_at: null,
      last_error: null,
      attempts: sql`attempts + 1`,
      // Once sent, not even the ciphertext stays behind.
      ...(sealed === undefined ? {} : { payload: JSON.stringify(data) }),
    })
    .where('id', '=', id)
    .execute();
  return 'sent';
}

function openSealed(
  row: { id: string; recipient: string; template: string },
  sealed: unknown,
  opts: DeliverOptions,
): Record<string, string> {
  let reason: string;
  let detail: string;
  if (!opts.key) {
    reason = 'no_key';
    detail = 'no outbox key was given to deliverEmail';
  } else {
    try {
      if (typeof sealed !== 'string') throw new UnsealError('malformed', 'the sealed part is not a string');
      const plain = unseal(opts.key, sealed, sealContext(row.id, row.recipient, row.template));
      const fields = parseObject(plain);
      if (!fields) throw new UnsealError('malformed', 'the sealed part is not a JSON object');
      return fields;
    } catch (err) {
      if (!(err instanceof UnsealError)) throw err;
      reason = err.reason;
      detail = err.message;
    }
  }
  const message =
    `email ${row.id} (${row.template}) cannot be sent: its sealed fields cannot be opened (${detail}). ` +
    'Was JWT_SECRET changed, or do the API and the worker use different secrets? The row stays pending: ' +
    'restore the secret and retry the job, or let the user ask for a new email.';
  (opts.log ?? stderrLog)({ level: 'error', msg: message, outboxId: row.id, template: row.template, reason });
  throw new SealedEmailError(message);
}

/** JSON.parse without its error (whose message would quote the secret text). */
function parseObject(text: string): Record<string, string> | null {
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, string>)
      : null;
  } catch {
    return null;
  }
}
