/**
 * The payments module's part of the privacy tools (src/flows/privacy.ts): the payments and refunds of a
 * person's bookings, for their data export. Erasure changes nothing here: payments, refunds and the
 * ledger hold ids and amounts only, and must stay whole (and balanced).
 */
import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema/index.js';
import { isoOrNull } from '../../platform/instants.js';

/** Payments and refunds of these bookings. */
export async function exportPayments(db: Kysely<DB>, bookingIds: string[]) {
  if (bookingIds.length === 0) return { payments: [], refunds: [] };
  const [payments, refunds] = await Promise.all([
    db
      .selectFrom('payments')
      .select([
        'id',
        'booking_id',
        'provider',
        'amount',
        'currency',
        'status',
        'failure_reason',
        'refunded_amount',
        'created_at',
        'updated_at',
      ])
      .where('booking_id', 'in', bookingIds)
      .orderBy('created_at')
      .orderBy('id')
      .execute(),
    db
      .selectFrom('refunds')
      .select([
        'id',
        'payment_id',
        'booking_id',
        'amount',
        'currency',
        'status',
        'reason',
        'created_at',
        'updated_at',
      ])
      .where('booking_id', 'in', bookingIds)
      .orderBy('created_at')
      .orderBy('id')
      .execute(),
  ]);
  return {
    payments: payments.map((p) => ({
      ...p,
      created_at: isoOrNull(p.created_at),
      updated_at: isoOrNull(p.updated_at),
    })),
    refunds: refunds.map((r) => ({
      ...r,
      created_at: isoOrNull(r.created_at),
      updated_at: isoOrNull(r.updated_at),
    })),
  };
}
