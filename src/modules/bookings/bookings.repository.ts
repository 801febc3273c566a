import { type Kysely, type Selectable, sql } from 'kysely';
import { insertReturning, isUniqueViolation, sqlFamily, updateReturning } from '../../db/dialect.js';
import type { BookingEventsTable, BookingsTable } from '../../db/schema/bookings.js';
import type { DB } from '../../db/schema/index.js';
import { newId } from '../../platform/crypto.js';
import type { BookingStatus } from './state.js';

export type BookingRow = Selectable<BookingsTable>;
export type BookingEventRow = Selectable<BookingEventsTable>;

/**
 * Is this error the database refusing an overlapping active booking? PostgreSQL/PGlite: the exclusion
 * constraint (exclusion_violation); MySQL: a duplicate night in `booking_nights` (see the migration
 * helpers' createNoOverlapGuard).
 */
export function isOverlapViolation(err: unknown): boolean {
  const e = err as { code?: unknown } | null;
  return e?.code === '23P01' || isUniqueViolation(err, 'booking_nights_no_overlap');
}

export function insertBooking(
  db: Kysely<DB>,
  row: Omit<
    BookingRow,
    | 'created_at'
    | 'updated_at'
    | 'refunded_amount'
    | 'nightly'
    | 'request_expires_at'
    | 'tax_lines'
    | 'discount_pct'
    | 'discount'
    | 'extra_guest_fees'
    | 'host_fee'
  > &
    Partial<Pick<BookingRow, 'discount_pct' | 'discount' | 'extra_guest_fees' | 'host_fee'>> & {
      nightly: string;
      tax_lines?: string | null;
    },
) {
  return insertReturning(db, 'bookings', row);
}

export function findBooking(db: Kysely<DB>, id: string): Promise<BookingRow | undefined> {
  return db.selectFrom('bookings').selectAll().where('id', '=', id).executeTakeFirst();
}

/** The booking, locked for update until the surrounding transaction ends. */
export function lockBooking(db: Kysely<DB>, id: string): Promise<BookingRow | undefined> {
  return db.selectFrom('bookings').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
}

export async function setStatus(
  db: Kysely<DB>,
  booking: BookingRow,
  to: BookingStatus,
  event: { actorId: string | null; reason?: string | null; at: Date },
  also: { request_expires_at?: Date | null } = {},
): Promise<BookingRow> {
  const [updated] = await updateReturning(
    db,
    'bookings',
    (eb) => eb.and([eb('id', '=', booking.id), eb('status', '=', booking.status)]),
    { status: to, updated_at: event.at, ...also },
  );
  if (!updated) throw new Error(`booking ${booking.id} changed status concurrently`);
  await insertEvent(db, booking.id, booking.status, to, event);
  return updated;
}

export async function insertEvent(
  db: Kysely<DB>,
  bookingId: string,
  from: BookingStatus | null,
  to: BookingStatus,
  event: { actorId: string | null; reason?: string | null; at: Date },
) {
  await db
    .insertInto('booking_events')
    .values({
      id: newId(),
      booking_id: bookingId,
      from_status: from,
      to_status: to,
      actor_id: event.actorId,
      reason: event.reason ?? null,
      created_at: event.at,
    })
    .execute();
}

export function listEvents(db: Kysely<DB>, bookingId: string): Promise<BookingEventRow[]> {
  return db
    .selectFrom('booking_events')
    .selectAll()
    .where('booking_id', '=', bookingId)
    .orderBy('id')
    .execute();
}

export interface BookingListQuery {
  guestId?: string;
  hostId?: string;
  propertyId?: string | undefined;
  /** upcoming: check-out after today; past: check-out on or before today. */
  when?: 'upcoming' | 'past' | undefined;
  today: string;
  after?: { checkIn: string; id: string } | undefined;
  limit: number;
}

/** Keyset-paged bookings, upcoming ones soonest first, past ones most recent first. */
export function listBookings(db: Kysely<DB>, q: BookingListQuery): Promise<BookingRow[]> {
  const desc = q.when === 'past';
  let query = db.selectFrom('bookings').selectAll();
  if (q.guestId) query = query.where('guest_id', '=', q.guestId);
  if (q.hostId) query = query.where('host_id', '=', q.hostId);
  if (q.propertyId) query = query.where('property_id', '=', q.propertyId);
  if (q.when === 'upcoming') query = query.where('check_out', '>', q.today);
  if (q.when === 'past') query = query.where('check_out', '<=', q.today);
  if (q.after) {
    const { checkIn, id } = q.after;
    query = query.where((eb) =>
      desc
        ? eb.or([eb('check_in', '<', checkIn), eb.and([eb('check_in', '=', checkIn), eb('id', '<', id)])])
        : eb.or([eb('check_in', '>', checkIn), eb.and([eb('check_in', '=', checkIn), eb('id', '>', id)])]),
    );
  }
  return query
    .orderBy('check_in', desc ? 'desc' : 'asc')
    .orderBy('id', desc ? 'desc' : 'asc')
    .limit(q.limit)
    .execute();
}

/** Unpaid holds past their expiry, with no payment under way (locked, skipping rows others hold). */
export function lockExpiredHolds(db: Kysely<DB>, now: Date, limit: number): Promise<BookingRow[]> {
  return db
    .selectFrom('bookings')
    .selectAll()
    .where('status', '=', 'pending_payment')
    .where('hold_expires_at', '<', now)
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('payments')
            .select(sql`1`.as('one'))
            .whereRef('payments.booking_id', '=', 'bookings.id')
            .where('payments.status', 'in', ['processing', 'succeeded']),
        ),
      ),
    )
    .orderBy('hold_expires_at')
    .limit(limit)
    .forUpdate()
    .skipLocked()
    .execute();
}

/** Paid requests to book the host has not answered in time (locked, skipping rows others hold). */
export function lockUnansweredRequests(db: Kysely<DB>, now: Date, limit: number): Promise<BookingRow[]> {
  return db
    .selectFrom('bookings')
    .selectAll()
    .where('status', '=', 'awaiting_host')
    .where('request_expires_at', '<=', now)
    .orderBy('request_expires_at')
    .limit(limit)
    .forUpdate()
    .skipLocked()
    .execute();
}

/** Confirmed stays whose check-out day has come. */
export function lockFinishedStays(db: Kysely<DB>, today: string, limit: number): Promise<BookingRow[]> {
  return db
    .selectFrom('bookings')
    .selectAll()
    .where('status', '=', 'confirmed')
    .where('check_out', '<=', today)
    .orderBy('check_out')
    .limit(limit)
    .forUpdate()
    .skipLocked()
    .execute();
}

export async function addRefunded(db: Kysely<DB>, bookingId: string, amount: number, at: Date) {
  await db
    .updateTable('bookings')
    .set((eb) => ({ refunded_amount: eb('refunded_amount', '+', amount), updated_at: at }))
    .where('id', '=', bookingId)
    .execute();
}

/** Confirmed stays starting on `day`. */
export function confirmedStartingOn(db: Kysely<DB>, day: string): Promise<BookingRow[]> {
  return db
    .selectFrom('bookings')
    .selectAll()
    .where('status', '=', 'confirmed')
    .where('check_in', '=', day)
    .execute();
}

/** Completed stays that ended on `day`. */
export function completedEndingOn(db: Kysely<DB>, day: string): Promise<BookingRow[]> {
  return db
    .selectFrom('bookings')
    .selectAll()
    .where('status', '=', 'completed')
    .where('check_out', '=', day)
    .execute();
}

/** The stays of a property's other occupying bookings that end after `from` (development: moving a stay). */
export function occupiedRanges(
  db: Kysely<DB>,
  propertyId: string,
  exceptId: string,
  from: string,
): Promise<{ check_in: string; check_out: string }[]> {
  return db
    .selectFrom('bookings')
    .select(['check_in', 'check_out'])
    .where('property_id', '=', propertyId)
    .where('id', '!=', exceptId)
    .where('status', 'in', ['pending_payment', 'awaiting_host', 'confirmed', 'completed'])
    .where('check_out', '>', from)
    .execute();
}

/** Move a booking's stay to other dates (the nightly prices keep their order). */
export async function moveStay(
  db: Kysely<DB>,
  booking: BookingRow,
  stay: { checkIn: string; checkOut: string; nightly: { date: string; price: number }[] },
  at: Date,
): Promise<BookingRow> {
  const [updated] = await updateReturning(
    db,
    'bookings',
    (eb) => eb.and([eb('id', '=', booking.id), eb('status', '=', booking.status)]),
    {
      check_in: stay.checkIn,
      check_out: stay.checkOut,
      nightly: JSON.stringify(stay.nightly),
      updated_at: at,
    },
  );
  if (!updated) throw new Error(`booking ${booking.id} changed status concurrently`);
  return updated;
}

/**
 * A confirmed booking's stay changed (src/flows/change-booking.ts): new dates, guests and price columns,
 * and an event (status unchanged) saying so. On MySQL the update trigger moves its nights in
 * `booking_nights`; on PostgreSQL the exclusion constraint checks the new range. Either refuses an overlap.
 */
export async function changeStay(
  db: Kysely<DB>,
  booking: BookingRow,
  patch: { check_in: string; check_out: string; guests: number } & Record<string, unknown>,
  event: { actorId: string | null; reason: string; at: Date },
): Promise<BookingRow> {
  const [updated] = await updateReturning(
    db,
    'bookings',
    (eb) => eb.and([eb('id', '=', booking.id), eb('status', '=', booking.status)]),
    { ...patch, updated_at: event.at },
  );
  if (!updated) throw new Error(`booking ${booking.id} changed status concurrently`);
  await insertEvent(db, booking.id, booking.status, booking.status, event);
  return updated;
}

export interface AdminBookingFilter {
  id?: string | undefined;
  guestId?: string | undefined;
  propertyId?: string | undefined;
  hostId?: string | undefined;
  status?: BookingStatus | undefined;
  /** Stays overlapping [from, to). */
  from?: string | undefined;
  to?: string | undefined;
  /** Keyset: ids strictly below this one (ids are UUIDv7: newest first). */
  beforeId?: string | undefined;
  limit: number;
}

/** Admin search, newest first (by id, i.e. creation time), keyset-paged on the primary key. */
export function searchBookings(db: Kysely<DB>, f: AdminBookingFilter): Promise<BookingRow[]> {
  let q = db.selectFrom('bookings').selectAll();
  if (f.id) q = q.where('id', '=', f.id);
  if (f.guestId) q = q.where('guest_id', '=', f.guestId);
  if (f.hostId) q = q.where('host_id', '=', f.hostId);
  if (f.propertyId) q = q.where('property_id', '=', f.propertyId);
  if (f.status) q = q.where('status', '=', f.status);
  if (f.to) q = q.where('check_in', '<', f.to);
  if (f.from) q = q.where('check_out', '>', f.from);
  if (f.beforeId) q = q.where('id', '<', f.beforeId);
  return q.orderBy('id', 'desc').limit(f.limit).execute();
}

/** How many confirmed or completed stays start (`check_in`) or end (`check_out`) on `day`. */
export async function countStaysOn(db: Kysely<DB>, column: 'check_in' | 'check_out', day: string) {
  const row = await db
    .selectFrom('bookings')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('status', 'in', ['confirmed', 'completed'])
    .where(column, '=', day)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

/** The smallest UUIDv7 minted at or after `at`: a primary-key bound for "created since". */
const uuidV7Floor = (at: Date) => {
  const hex = at.getTime().toString(16).padStart(12, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-7000-8000-000000000000`;
};

/**
 * Bookings created since `since`, per UTC day and currency: how many (any status) and the total of those
 * now confirmed or completed. Bounded by the primary key (UUIDv7 ids are ordered by creation time).
 */
export async function bookingsByDay(db: Kysely<DB>, since: Date) {
  const day =
    sqlFamily(db) === 'postgres'
      ? sql<string>`to_char(created_at at time zone 'UTC', 'YYYY-MM-DD')`
      : sql<string>`date_format(created_at, '%Y-%m-%d')`;
  const rows = await db
    .selectFrom('bookings')
    .select([
      day.as('day'),
      'currency',
      (eb) => eb.fn.countAll<number | string>().as('bookings'),
      sql<
        number | string
      >`coalesce(sum(case when status in ('confirmed', 'completed') then total else 0 end), 0)`.as('revenue'),
    ])
    .where('id', '>=', uuidV7Floor(since))
    .where('created_at', '>=', since)
    .groupBy([day, 'currency'])
    .execute();
  return rows.map((r) => ({
    day: r.day,
    currency: r.currency,
    bookings: Number(r.bookings),
    revenue: Number(r.revenue),
  }));
}
