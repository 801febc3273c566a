import { type Kysely, type Selectable, sql } from 'kysely';
import { insertReturning, insertUnlessExists, updateByIdReturning } from '../../db/dialect.js';
import type { PaymentStatus, PaymentsTable, RefundsTable } from '../../db/schema/bookings.js';
import type { DB } from '../../db/schema/index.js';

export type PaymentRow = Selectable<PaymentsTable>;
export type RefundRow = Selectable<RefundsTable>;

export function insertPayment(
  db: Kysely<DB>,
  row: Omit<PaymentRow, 'created_at' | 'updated_at' | 'refunded_amount'>,
) {
  return insertReturning(db, 'payments', row);
}

/** The reason of a refund a booking change promised: never a cancellation's refund (see succeededRefundTotal). */
export const CHANGE_REFUND_REASON = 'booking_change';

/**
 * The booking's payment that is under way or settled, if any. A booking has one, except after a dearer
 * booking change (src/flows/change-booking.ts) charged the new total as a second payment: then a captured
 * payment with something left to refund comes first, then one under way, then fully refunded ones; the
 * newest first among equals.
 */
export function findLivePayment(db: Kysely<DB>, bookingId: string): Promise<PaymentRow | undefined> {
  return db
    .selectFrom('payments')
    .selectAll()
    .where('booking_id', '=', bookingId)
    .where('status', 'in', ['requires_payment', 'processing', 'succeeded'])
    .orderBy(
      sql`case when status = 'succeeded' and refunded_amount < amount then 0 when status <> 'succeeded' then 1 else 2 end`,
    )
    .orderBy('id', 'desc')
    .executeTakeFirst();
}

export function lockPayment(db: Kysely<DB>, id: string): Promise<PaymentRow | undefined> {
  return db.selectFrom('payments').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
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
): Promise<PaymentRow> {
  return updateByIdReturning(db, 'payments', id, {
    ...patch,
    updated_at: at,
  });
}

export function insertRefund(db: Kysely<DB>, row: Omit<RefundRow, 'created_at' | 'updated_at'>) {
  return insertReturning(db, 'refunds', row);
}

/** Records a webhook event id; false if it was seen before (replay). */
export async function recordWebhookEvent(
  db: Kysely<DB>,
  provider: string,
  eventId: string,
  type: string,
): Promise<boolean> {
  return insertUnlessExists(db, 'webhook_events', { provider, event_id: eventId, type });
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

export function findPayment(db: Kysely<DB>, id: string): Promise<PaymentRow | undefined> {
  return db.selectFrom('payments').selectAll().where('id', '=', id).executeTakeFirst();
}

export function findPaymentByRef(
  db: Kysely<DB>,
  provider: string,
  ref: string,
): Promise<PaymentRow | undefined> {
  return db
    .selectFrom('payments')
    .selectAll()
    .where('provider', '=', provider)
    .where('provider_ref', '=', ref)
    .executeTakeFirst();
}

export function findRefund(db: Kysely<DB>, id: string): Promise<RefundRow | undefined> {
  return db.selectFrom('refunds').selectAll().where('id', '=', id).executeTakeFirst();
}

export function lockRefund(db: Kysely<DB>, id: string): Promise<RefundRow | undefined> {
  return db.selectFrom('refunds').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
}

/** The refund a provider reference names (refund references are unique per provider). */
export function findRefundByRef(
  db: Kysely<DB>,
  provider: string,
  ref: string,
): Promise<RefundRow | undefined> {
  return db
    .selectFrom('refunds')
    .selectAll('refunds')
    .innerJoin('payments', 'payments.id', 'refunds.payment_id')
    .where('payments.provider', '=', provider)
    .where('refunds.provider_ref', '=', ref)
    .executeTakeFirst();
}

export function updateRefund(
  db: Kysely<DB>,
  id: string,
  patch: {
    status?: RefundRow['status'];
    provider_ref?: string | null;
    attempts?: number;
    last_error?: string | null;
    failure_reason?: string | null;
  },
  at: Date,
): Promise<RefundRow> {
  return updateByIdReturning(db, 'refunds', id, { ...patch, updated_at: at });
}

/** One more unanswered provider call for a pending refund. */
export async function recordRefundAttempt(
  db: Kysely<DB>,
  id: string,
  patch: { last_error: string },
  at: Date,
) {
  await db
    .updateTable('refunds')
    .set((eb) => ({ attempts: eb('attempts', '+', 1), last_error: patch.last_error, updated_at: at }))
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .execute();
}

/**
 * What of a payment has been refunded for certain (succeeded refunds), leaving one refund out. A booking
 * change's refunds are not counted: they are posted with their own exact split, and the booking's charge
 * components are the changed stay's, so later refunds are shares of those alone.
 */
export async function succeededRefundTotal(
  db: Kysely<DB>,
  paymentId: string,
  except: string,
): Promise<number> {
  const row = await db
    .selectFrom('refunds')
    .select(sql<number>`coalesce(sum(amount), 0)`.as('total'))
    .where('payment_id', '=', paymentId)
    .where('status', '=', 'succeeded')
    .where('reason', '<>', CHANGE_REFUND_REASON)
    .where('id', '<>', except)
    .executeTakeFirstOrThrow();
  return Number(row.total);
}

/** Pending refunds last touched before `before`, oldest first. */
export function duePendingRefunds(db: Kysely<DB>, before: Date, limit: number): Promise<RefundRow[]> {
  return db
    .selectFrom('refunds')
    .selectAll()
    .where('status', '=', 'pending')
    .where('updated_at', '<', before)
    .orderBy('updated_at')
    .limit(limit)
    .execute();
}
