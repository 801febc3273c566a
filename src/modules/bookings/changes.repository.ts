import type { Kysely, Selectable } from 'kysely';
import { insertReturning, isUniqueViolation, updateByIdReturning } from '../../db/dialect.js';
import type { BookingChangeStatus, BookingChangesTable } from '../../db/schema/booking-changes.js';
import type { DB } from '../../db/schema/index.js';

export type BookingChangeRow = Selectable<BookingChangesTable>;

type NewChange = Omit<
  BookingChangeRow,
  | 'created_at'
  | 'updated_at'
  | 'price'
  | 'refund_split'
  | 'decided_by'
  | 'decided_at'
  | 'applied_at'
  | 'open_slot'
> & { price: string };

export function insertChange(db: Kysely<DB>, row: NewChange): Promise<BookingChangeRow> {
  return insertReturning(db, 'booking_changes', row);
}

/** Is this the database refusing a second open change of one booking? */
export const isOpenChangeViolation = (err: unknown) => isUniqueViolation(err, 'booking_changes_one_open');

export function findChange(db: Kysely<DB>, id: string): Promise<BookingChangeRow | undefined> {
  return db.selectFrom('booking_changes').selectAll().where('id', '=', id).executeTakeFirst();
}

export function lockChange(db: Kysely<DB>, id: string): Promise<BookingChangeRow | undefined> {
  return db.selectFrom('booking_changes').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
}

export function findOpenChange(db: Kysely<DB>, bookingId: string): Promise<BookingChangeRow | undefined> {
  return db
    .selectFrom('booking_changes')
    .selectAll()
    .where('booking_id', '=', bookingId)
    .where('status', 'in', ['requested', 'awaiting_payment'])
    .executeTakeFirst();
}

export function listChanges(db: Kysely<DB>, bookingId: string, limit: number): Promise<BookingChangeRow[]> {
  return db
    .selectFrom('booking_changes')
    .selectAll()
    .where('booking_id', '=', bookingId)
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
}

export function findChangeOfPayment(db: Kysely<DB>, paymentId: string) {
  return db.selectFrom('booking_changes').selectAll().where('payment_id', '=', paymentId).executeTakeFirst();
}

export function findChangeOfRefund(db: Kysely<DB>, refundId: string) {
  return db.selectFrom('booking_changes').selectAll().where('refund_id', '=', refundId).executeTakeFirst();
}

export function updateChange(
  db: Kysely<DB>,
  id: string,
  patch: {
    status?: BookingChangeStatus;
    price?: string;
    to_total?: number;
    difference?: number;
    payment_id?: string | null;
    refund_id?: string | null;
    refund_split?: string | null;
    decided_by?: string | null;
    decided_at?: Date | null;
    applied_at?: Date | null;
    reason?: string | null;
  },
  at: Date,
): Promise<BookingChangeRow> {
  return updateByIdReturning(db, 'booking_changes', id, { ...patch, updated_at: at });
}
