import type { Kysely, Selectable } from 'kysely';
import type { PaymentStatus, PaymentsTable, RefundsTable } from '../../db/schema/bookings.js';
import type { DB } from '../../db/schema/index.js';

export type PaymentRow = Selectable<PaymentsTable>;
export type RefundRow = Selectable<RefundsTable>;

export function insertPayment(
  db: Kysely<DB>,
  row: Omit<PaymentRow, 'created_at' | 'updated_at' | 'refunded_amount'>,
) {
  return db.insertInto('payments').values(row).returningAll().executeTakeFirstOrThrow();
}

/** The booking's payment that is under way or settled, if any (there is at most one). */
export function findLivePayment(db: Kysely<DB>, bookingId: string): Promise<PaymentRow | undefined> {
  return db
    .selectFrom('payments')
    .selectAll()
    .where('booking_id', '=', bookingId)
    .where('status', 'in', ['requires_payment', 'processing', 'succeeded'])
    .orderBy('id', 'desc')
    .executeTakeFirst();
}

export function lockPayment(db: Kysely<DB>, id: string): Promise<PaymentRow | undefined> {
  return db.selectFrom('payments').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
}

export function lockPaymentByRef(
  db: Kysely<DB>,
  provider: string,
  ref: string,
): Promise<PaymentRow | undefined> {
  return db
    .selectFrom('payments')
    .selectAll()
    .where('provider', '=', provider)
    .where('provider_ref', '=', ref)
    .forUpdate()
    .executeTakeFirst();
}

export function listPayments(db: Kysely<DB>, bookingId: string): Promise<PaymentRow[]> {
  return db.selectFrom('payments').selectAll().where('booking_id', '=', bookingId).orderBy('id').execute();
}

export function listRefunds(db: Kysely<DB>, bookingId: string): Promise<RefundRow[]> {
  return db.selectFrom('refunds').selectAll().where('booking_id', '=', bookingId).orderBy('id').execute();
}

export async function updatePayment(
  db: Kysely<DB>,
  id: string,
  patch: {
    status?: PaymentStatus;
    provider_ref?: string | null;
    failure_reason?: string | null;
    refunded_amount?: number;
  },
  at: Date,
) {
  return db
    .updateTable('payments')
    .set({ ...patch, updated_at: at })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

export function insertRefund(db: Kysely<DB>, row: Omit<RefundRow, 'created_at' | 'updated_at'>) {
  return db.insertInto('refunds').values(row).returningAll().executeTakeFirstOrThrow();
}

/** Records a webhook event id; false if it was seen before (replay). */
export async function recordWebhookEvent(
  db: Kysely<DB>,
  provider: string,
  eventId: string,
  type: string,
): Promise<boolean> {
  const row = await db
    .insertInto('webhook_events')
    .values({ provider, event_id: eventId, type })
    .onConflict((oc) => oc.columns(['provider', 'event_id']).doNothing())
    .returning('event_id')
    .executeTakeFirst();
  return row !== undefined;
}

/** Settle a pending refund by its provider reference; returns the refund, or undefined if unknown. */
export function settleRefund(
  db: Kysely<DB>,
  provider: string,
  ref: string,
  status: 'succeeded' | 'failed',
  at: Date,
) {
  return db
    .updateTable('refunds')
    .set({ status, updated_at: at })
    .where('provider_ref', '=', ref)
    .where('status', '=', 'pending')
    .where('payment_id', 'in', (eb) =>
      eb.selectFrom('payments').select('id').where('provider', '=', provider),
    )
    .returningAll()
    .executeTakeFirst();
}

/** Payments still processing since before `before`, oldest first. */
export function staleProcessingPayments(db: Kysely<DB>, before: Date, limit: number): Promise<PaymentRow[]> {
  return db
    .selectFrom('payments')
    .selectAll()
    .where('status', '=', 'processing')
    .where('updated_at', '<', before)
    .orderBy('updated_at')
    .limit(limit)
    .execute();
}
