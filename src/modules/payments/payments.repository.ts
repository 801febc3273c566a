import type { Kysely, Selectable } from 'kysely';
import {
  insertReturning,
  insertUnlessExists,
  updateByIdReturning,
  updateReturning,
} from '../../db/dialect.js';
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

/** Settle a pending refund by its provider reference; returns the refund, or undefined if unknown. */
export async function settleRefund(
  db: Kysely<DB>,
  provider: string,
  ref: string,
  status: 'succeeded' | 'failed',
  at: Date,
): Promise<RefundRow | undefined> {
  const [row] = await updateReturning(
    db,
    'refunds',
    (eb) =>
      eb.and([
        eb('provider_ref', '=', ref),
        eb('status', '=', 'pending'),
        eb('payment_id', 'in', eb.selectFrom('payments').select('id').where('provider', '=', provider)),
      ]),
    { status, updated_at: at },
  );
  return row;
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
