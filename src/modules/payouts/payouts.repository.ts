import { type Kysely, type Selectable, sql, type Updateable } from 'kysely';
import { insertUnlessExists } from '../../db/dialect.js';
import type { DB } from '../../db/schema/index.js';
import type { PayoutAccountsTable, PayoutStatus, PayoutsTable } from '../../db/schema/payouts.js';

type Db = Kysely<DB>;
export type PayoutRow = Selectable<PayoutsTable>;
export type PayoutAccountRow = Selectable<PayoutAccountsTable>;

const payoutRow = (r: PayoutRow): PayoutRow => ({
  ...r,
  amount: Number(r.amount),
  attempts: Number(r.attempts),
});

// --------------------------------------------------------------------------------------------- accounts

export function findAccount(db: Db, hostId: string): Promise<PayoutAccountRow | undefined> {
  return db.selectFrom('payout_accounts').selectAll().where('host_id', '=', hostId).executeTakeFirst();
}

/**
 * The host's account row, locked: payouts of one host are released one at a time (the balance they net).
 * `skipLocked`: undefined at once when another transaction holds it (instead of waiting).
 */
export function lockAccount(
  db: Db,
  hostId: string,
  opts: { skipLocked?: boolean } = {},
): Promise<PayoutAccountRow | undefined> {
  const q = db.selectFrom('payout_accounts').selectAll().where('host_id', '=', hostId).forUpdate();
  return (opts.skipLocked ? q.skipLocked() : q).executeTakeFirst();
}

export function insertAccountUnlessExists(db: Db, row: Omit<PayoutAccountRow, 'created_at' | 'updated_at'>) {
  return insertUnlessExists(db, 'payout_accounts', row);
}

export async function updateAccountStatus(
  db: Db,
  where: { hostId: string } | { provider: string; ref: string },
  status: PayoutAccountRow['status'],
  at: Date,
): Promise<number> {
  let q = db.updateTable('payout_accounts').set({ status, updated_at: at });
  q =
    'hostId' in where
      ? q.where('host_id', '=', where.hostId)
      : q.where('provider', '=', where.provider).where('provider_account_ref', '=', where.ref);
  const r = await q.executeTakeFirst();
  return Number(r.numUpdatedRows);
}

/** The host's email (sent to the provider when opening the account). */
export async function hostEmail(db: Db, hostId: string): Promise<string | undefined> {
  const row = await db.selectFrom('users').select('email').where('id', '=', hostId).executeTakeFirst();
  return row?.email;
}

// ---------------------------------------------------------------------------------------------- payouts

/**
 * Paid stays whose payout may be due: confirmed or completed, checking in on or before `lastDay`, with a
 * captured payment, no payout yet, no refund still pending, and an enabled payout account. Oldest first.
 */
export function dueStays(db: Db, lastDay: string, limit: number) {
  return db
    .selectFrom('bookings as b')
    .innerJoin('payout_accounts as a', 'a.host_id', 'b.host_id')
    .leftJoin('payouts as p', 'p.booking_id', 'b.id')
    .select(['b.id', 'b.host_id', 'b.check_in', 'b.check_in_time', 'b.currency'])
    .where('b.status', 'in', ['confirmed', 'completed'])
    .where('b.check_in', '<=', lastDay)
    .where('a.status', '=', 'enabled')
    .where('p.id', 'is', null)
    .where((eb) =>
      eb.exists(
        eb
          .selectFrom('payments as pay')
          .select('pay.id')
          .whereRef('pay.booking_id', '=', 'b.id')
          .where('pay.status', '=', 'succeeded'),
      ),
    )
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('refunds as r')
            .select('r.id')
            .whereRef('r.booking_id', '=', 'b.id')
            .where('r.status', '=', 'pending'),
        ),
      ),
    )
    .orderBy('b.check_in')
    .orderBy('b.id')
    .limit(limit)
    .execute();
}

export async function findPayout(db: Db, id: string): Promise<PayoutRow | undefined> {
  const r = await db.selectFrom('payouts').selectAll().where('id', '=', id).executeTakeFirst();
  return r && payoutRow(r);
}

export async function lockPayout(db: Db, id: string): Promise<PayoutRow | undefined> {
  const r = await db.selectFrom('payouts').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
  return r && payoutRow(r);
}

export async function findPayoutOfBooking(db: Db, bookingId: string): Promise<PayoutRow | undefined> {
  const r = await db.selectFrom('payouts').selectAll().where('booking_id', '=', bookingId).executeTakeFirst();
  return r && payoutRow(r);
}

export async function findPayoutByRef(db: Db, provider: string, ref: string): Promise<PayoutRow | undefined> {
  const r = await db
    .selectFrom('payouts')
    .selectAll()
    .where('provider', '=', provider)
    .where('provider_ref', '=', ref)
    .executeTakeFirst();
  return r && payoutRow(r);
}

/** Insert a payout unless the booking has one (false: another run released it first). */
export function insertPayoutUnlessExists(db: Db, row: Omit<PayoutRow, 'created_at' | 'updated_at'>) {
  return insertUnlessExists(db, 'payouts', row);
}

export async function updatePayout(
  db: Db,
  id: string,
  changes: Updateable<PayoutsTable>,
  at: Date,
): Promise<PayoutRow> {
  await db
    .updateTable('payouts')
    .set({ ...changes, updated_at: at })
    .where('id', '=', id)
    .execute();
  return payoutRow(await db.selectFrom('payouts').selectAll().where('id', '=', id).executeTakeFirstOrThrow());
}

/** Payouts released whose transfer has not been answered yet (retried by the job), oldest first. */
export async function scheduledPayouts(db: Db, limit: number): Promise<PayoutRow[]> {
  const rows = await db
    .selectFrom('payouts')
    .selectAll()
    .where('status', '=', 'scheduled')
    .orderBy('updated_at')
    .orderBy('id')
    .limit(limit)
    .execute();
  return rows.map(payoutRow);
}

/**
 * Payouts the provider answered `pending` for and that nothing touched since `before` (no webhook came),
 * least recently touched first (the (status, updated_at) index).
 */
export async function stalePendingPayouts(db: Db, before: Date, limit: number): Promise<PayoutRow[]> {
  const rows = await db
    .selectFrom('payouts')
    .selectAll()
    .where('status', '=', 'pending')
    .where('updated_at', '<', before)
    .orderBy('updated_at')
    .orderBy('id')
    .limit(limit)
    .execute();
  return rows.map(payoutRow);
}

/** A host's payouts with one of `statuses`, newest release first, keyset-paged on (release_at, id). */
export async function listHostPayouts(
  db: Db,
  q: {
    hostId: string;
    statuses: PayoutStatus[];
    before?: { at: Date; id: string } | undefined;
    limit: number;
  },
) {
  let query = db
    .selectFrom('payouts as p')
    .innerJoin('bookings as b', 'b.id', 'p.booking_id')
    .selectAll('p')
    .select(['b.check_in', 'b.check_out', 'b.property_id', 'b.host_payout', 'b.host_fee'])
    .where('p.host_id', '=', q.hostId)
    .where('p.status', 'in', q.statuses);
  const before = q.before;
  if (before) {
    query = query.where((eb) =>
      eb.or([
        eb('p.release_at', '<', before.at),
        eb.and([eb('p.release_at', '=', before.at), eb('p.id', '<', before.id)]),
      ]),
    );
  }
  const rows = await query.orderBy('p.release_at', 'desc').orderBy('p.id', 'desc').limit(q.limit).execute();
  return rows.map((r) => ({
    ...r,
    amount: Number(r.amount),
    attempts: Number(r.attempts),
    check_in: dayOf(r.check_in),
    check_out: dayOf(r.check_out),
  }));
}

/** A host's paid stays not released yet (confirmed or completed, no payout), soonest check-in first. */
export async function listUpcomingStays(
  db: Db,
  q: { hostId: string; after?: { checkIn: string; id: string } | undefined; limit: number },
) {
  let query = db
    .selectFrom('bookings as b')
    .leftJoin('payouts as p', 'p.booking_id', 'b.id')
    .select([
      'b.id',
      'b.property_id',
      'b.check_in',
      'b.check_out',
      'b.check_in_time',
      'b.currency',
      'b.status',
      'b.host_payout',
      'b.host_fee',
    ])
    .where('b.host_id', '=', q.hostId)
    .where('b.status', 'in', ['confirmed', 'completed'])
    .where('p.id', 'is', null);
  const after = q.after;
  if (after) {
    query = query.where((eb) =>
      eb.or([
        eb('b.check_in', '>', after.checkIn),
        eb.and([eb('b.check_in', '=', after.checkIn), eb('b.id', '>', after.id)]),
      ]),
    );
  }
  const rows = await query.orderBy('b.check_in').orderBy('b.id').limit(q.limit).execute();
  return rows.map((r) => ({ ...r, check_in: dayOf(r.check_in), check_out: dayOf(r.check_out) }));
}

/** Admin: payouts, optionally of one status or host, newest first (ids are UUIDv7), keyset on id. */
export async function listPayouts(
  db: Db,
  q: {
    status?: PayoutStatus | undefined;
    hostId?: string | undefined;
    beforeId?: string | undefined;
    limit: number;
  },
): Promise<PayoutRow[]> {
  let query = db.selectFrom('payouts').selectAll();
  if (q.status) query = query.where('status', '=', q.status);
  if (q.hostId) query = query.where('host_id', '=', q.hostId);
  if (q.beforeId) query = query.where('id', '<', q.beforeId);
  const rows = await query.orderBy('id', 'desc').limit(q.limit).execute();
  return rows.map(payoutRow);
}

/** A host's payouts released in [from, to) (or the latest `limit`), with the stay and listing, for the CSV. */
export async function payoutsForExport(
  db: Db,
  q: { hostId: string; from?: Date | undefined; to?: Date | undefined; limit: number },
) {
  let query = db
    .selectFrom('payouts as p')
    .innerJoin('bookings as b', 'b.id', 'p.booking_id')
    .innerJoin('properties as pr', 'pr.id', 'b.property_id')
    .select([
      'p.id',
      'p.booking_id',
      'p.amount',
      'p.currency',
      'p.status',
      'p.release_at',
      'p.paid_at',
      'p.last_error',
      'b.check_in',
      'b.check_out',
      'pr.title',
    ])
    .where('p.host_id', '=', q.hostId);
  if (q.from) query = query.where('p.release_at', '>=', q.from);
  if (q.to) query = query.where('p.release_at', '<', q.to);
  const rows = await query.orderBy('p.release_at', 'desc').orderBy('p.id', 'desc').limit(q.limit).execute();
  return rows.map((r) => ({
    ...r,
    amount: Number(r.amount),
    check_in: dayOf(r.check_in),
    check_out: dayOf(r.check_out),
  }));
}

/** Payouts by status (the dashboard's counts). */
export async function countByStatus(db: Db): Promise<Record<string, number>> {
  const rows = await db
    .selectFrom('payouts')
    .select(['status', sql<number | string>`count(*)`.as('n')])
    .groupBy('status')
    .execute();
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
}

/**
 * Amounts paid since `monthStart` and since `dayStart`, per currency (the dashboard's). A paid payout was
 * last updated when it was paid, so the (status, updated_at) index bounds the rows read.
 */
export async function paidTotalsSince(
  db: Db,
  monthStart: Date,
  dayStart: Date,
): Promise<{ currency: string; month: number; today: number }[]> {
  const rows = await db
    .selectFrom('payouts')
    .select([
      'currency',
      sql<number | string>`coalesce(sum(amount), 0)`.as('month'),
      sql<number | string>`coalesce(sum(case when paid_at >= ${dayStart} then amount else 0 end), 0)`.as(
        'today',
      ),
    ])
    .where('status', '=', 'paid')
    .where('updated_at', '>=', monthStart)
    .where('paid_at', '>=', monthStart)
    .groupBy('currency')
    .orderBy('currency')
    .execute();
  return rows.map((r) => ({ currency: r.currency, month: Number(r.month), today: Number(r.today) }));
}

const dayOf = (d: unknown) => (d instanceof Date ? d.toISOString().slice(0, 10) : String(d).slice(0, 10));
