/**
 * Read-only queries for documents. Receipts own no table: these read the ledger, payments and bookings
 * (written by their own modules) the way a report does, never writing them.
 */
import { type Kysely, sql } from 'kysely';
import { yearMonth } from '../../db/dialect.js';
import type { DB } from '../../db/schema/index.js';

/** The provider's reference of each of a booking's payments (null until the provider gave one). */
export async function providerRefsOf(db: Kysely<DB>, bookingId: string): Promise<Map<string, string | null>> {
  const rows = await db
    .selectFrom('payments')
    .select(['id', 'provider_ref'])
    .where('booking_id', '=', bookingId)
    .execute();
  return new Map(rows.map((r) => [r.id, r.provider_ref]));
}

export interface HostLedgerEntry {
  transactionId: string;
  kind: 'guest_charge' | 'refund' | 'payout' | 'adjustment';
  /** Signed, as the ledger holds it: a credit to the host is negative. */
  amount: number;
  currency: string;
  createdAt: Date;
  /** The booking a charge or refund is about (null for other references). */
  bookingId: string | null;
  checkIn: string | null;
  checkOut: string | null;
  guestId: string | null;
  propertyId: string | null;
}

/** Most entries one statement reads (a host with this many movements in a month is paged by support). */
export const MAX_STATEMENT_ENTRIES = 20_000;

/**
 * Every entry of a host's payable account recorded in a month (UTC), with the booking each charge or
 * refund is about: the same entries, bounded the same way, as the ledger's host payout report.
 */
export async function hostLedgerEntries(
  db: Kysely<DB>,
  hostId: string,
  month: string,
): Promise<HostLedgerEntry[]> {
  const [y, m] = month.split('-').map(Number) as [number, number];
  const entryMonth = yearMonth(db, sql.ref('e.created_at'));
  const rows = await db
    .selectFrom('ledger_entries as e')
    .innerJoin('ledger_transactions as t', 't.id', 'e.transaction_id')
    .leftJoin('payments as p', (j) =>
      j.onRef('p.id', '=', 't.reference_id').on('t.reference_type', '=', 'payment'),
    )
    .leftJoin('refunds as r', (j) =>
      j.onRef('r.id', '=', 't.reference_id').on('t.reference_type', '=', 'refund'),
    )
    .leftJoin('bookings as b', (j) => j.on('b.id', '=', sql<string>`coalesce(p.booking_id, r.booking_id)`))
    .select([
      'e.transaction_id as transactionId',
      't.kind',
      'e.amount',
      'e.currency',
      'e.created_at as createdAt',
      'b.id as bookingId',
      'b.check_in as checkIn',
      'b.check_out as checkOut',
      'b.guest_id as guestId',
      'b.property_id as propertyId',
    ])
    .where('e.account', '=', `host_payable:${hostId}`)
    .where('e.created_at', '>=', new Date(Date.UTC(y, m - 1, 1)))
    .where('e.created_at', '<', new Date(Date.UTC(y, m, 1)))
    .where(entryMonth, '=', month)
    .orderBy('e.created_at')
    .orderBy('e.id')
    .limit(MAX_STATEMENT_ENTRIES + 1)
    .execute();
  return rows.map((r) => ({
    transactionId: r.transactionId,
    kind: r.kind,
    amount: Number(r.amount),
    currency: r.currency,
    createdAt: new Date(r.createdAt),
    bookingId: r.bookingId,
    checkIn: r.checkIn === null ? null : dateString(r.checkIn),
    checkOut: r.checkOut === null ? null : dateString(r.checkOut),
    guestId: r.guestId,
    propertyId: r.propertyId,
  }));
}

/** A DATE column as 'YYYY-MM-DD' whatever the driver hands back (a string, or a Date at UTC midnight). */
function dateString(v: unknown): string {
  return v instanceof Date ? v.toISOString().slice(0, 10) : String(v).slice(0, 10);
}
