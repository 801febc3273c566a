/**
 * The bookings module's part of the privacy tools (src/flows/privacy.ts): a person's bookings as guest
 * and as host (with their status history) for their data export; whether they have a stay to come
 * (which blocks erasure); and erasing the free text they wrote on bookings. Bookings themselves stay:
 * they are the record of money that moved, and refer to the person by id only.
 */
import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema/index.js';
import { isoOrNull } from '../../platform/instants.js';

/** A booking that still has a stay to come (or under way). */
const LIVE = ['pending_payment', 'awaiting_host', 'confirmed'] as const;

/** Whether the user has a live booking checking out today or later, as guest and as host. */
export async function upcomingStays(
  db: Kysely<DB>,
  userId: string,
  today: string,
): Promise<{ asGuest: boolean; asHost: boolean }> {
  const [guest, host] = await Promise.all(
    (['guest_id', 'host_id'] as const).map((col) =>
      db
        .selectFrom('bookings')
        .select('id')
        .where(col, '=', userId)
        .where('status', 'in', [...LIVE])
        .where('check_out', '>=', today)
        .limit(1)
        .executeTakeFirst(),
    ),
  );
  return { asGuest: guest !== undefined, asHost: host !== undefined };
}

function bookingOut(b: Awaited<ReturnType<typeof loadBookings>>[number], events: EventRow[]) {
  return {
    ...b,
    nightly: typeof b.nightly === 'string' ? JSON.parse(b.nightly) : b.nightly,
    instant_book: Boolean(b.instant_book),
    hold_expires_at: isoOrNull(b.hold_expires_at),
    request_expires_at: isoOrNull(b.request_expires_at),
    created_at: isoOrNull(b.created_at),
    updated_at: isoOrNull(b.updated_at),
    events: events
      .filter((e) => e.booking_id === b.id)
      .map((e) => ({
        id: e.id,
        fromStatus: e.from_status,
        toStatus: e.to_status,
        actorId: e.actor_id,
        reason: e.reason,
        createdAt: isoOrNull(e.created_at),
      })),
  };
}

type EventRow = Awaited<ReturnType<typeof loadEvents>>[number];

const loadBookings = (db: Kysely<DB>, col: 'guest_id' | 'host_id', userId: string) =>
  db.selectFrom('bookings').selectAll().where(col, '=', userId).orderBy('created_at').orderBy('id').execute();

const loadEvents = (db: Kysely<DB>, ids: string[]) =>
  ids.length === 0
    ? Promise.resolve([])
    : db
        .selectFrom('booking_events')
        .selectAll()
        .where('booking_id', 'in', ids)
        .orderBy('created_at')
        .orderBy('id')
        .execute();

/** The user's bookings as guest and as host, each with its status history. */
export async function exportBookings(db: Kysely<DB>, userId: string) {
  const [asGuest, asHost] = await Promise.all([
    loadBookings(db, 'guest_id', userId),
    loadBookings(db, 'host_id', userId),
  ]);
  const events = await loadEvents(db, [...new Set([...asGuest, ...asHost].map((b) => b.id))]);
  // Status changes they made on bookings of others (an admin's actions) are listed too.
  const ownActs = await db
    .selectFrom('booking_events')
    .select(['id', 'booking_id', 'to_status', 'created_at'])
    .where('actor_id', '=', userId)
    .orderBy('created_at')
    .execute();
  // Changes of stays they asked for, and those they answered (as host or admin).
  const changeRows = (col: 'requested_by' | 'decided_by') =>
    db.selectFrom('booking_changes').selectAll().where(col, '=', userId).orderBy('id').execute();
  const [requested, decided] = await Promise.all([changeRows('requested_by'), changeRows('decided_by')]);
  const changeOut = ({ open_slot: _slot, ...c }: (typeof requested)[number]) => ({
    ...c,
    price: typeof c.price === 'string' ? JSON.parse(c.price) : c.price,
    refund_split: typeof c.refund_split === 'string' ? JSON.parse(c.refund_split) : c.refund_split,
    decided_at: isoOrNull(c.decided_at),
    applied_at: isoOrNull(c.applied_at),
    created_at: isoOrNull(c.created_at),
    updated_at: isoOrNull(c.updated_at),
  });
  return {
    asGuest: asGuest.map((b) => bookingOut(b, events)),
    asHost: asHost.map((b) => bookingOut(b, events)),
    changesRequested: requested.map(changeOut),
    changesDecided: decided.map(changeOut),
    statusChangesMade: ownActs.map((e) => ({
      id: e.id,
      bookingId: e.booking_id,
      toStatus: e.to_status,
      createdAt: isoOrNull(e.created_at),
    })),
  };
}

/** The ids of every booking the user is guest or host of. */
export async function bookingIdsOf(db: Kysely<DB>, userId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('bookings')
    .select('id')
    .where((eb) => eb.or([eb('guest_id', '=', userId), eb('host_id', '=', userId)]))
    .execute();
  return rows.map((r) => r.id);
}

/**
 * Erase the free text the user wrote on bookings (in the caller's transaction): their message to the
 * host on bookings they made, and the reasons they gave for status changes. Amounts, dates and statuses
 * stay as they are.
 */
export async function eraseBookingTexts(trx: Kysely<DB>, userId: string): Promise<void> {
  await trx
    .updateTable('bookings')
    .set({ guest_message: null })
    .where('guest_id', '=', userId)
    .where('guest_message', 'is not', null)
    .execute();
  await trx
    .updateTable('booking_events')
    .set({ reason: null })
    .where('actor_id', '=', userId)
    .where('reason', 'is not', null)
    .execute();
  // A change's note (the guest's message, or the host's reason) of changes they asked for or answered.
  await trx
    .updateTable('booking_changes')
    .set({ reason: null })
    .where((eb) => eb.or([eb('requested_by', '=', userId), eb('decided_by', '=', userId)]))
    .where('reason', 'is not', null)
    .execute();
}
