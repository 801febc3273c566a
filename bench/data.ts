/**
 * Realistic benchmark data: listings (src/modules/properties/generate.ts), the demo users, guests, and
 * around every listing ten bookings and some calendar rows from six months ago to a year ahead:
 *
 * - the range [today − 180 days, today + 360 days) is cut into `SLOTS` slots of `SLOT_DAYS` days; in each
 *   slot a listing has a booking (probability 0.95) of 1–7 nights starting in the slot's first 40 days,
 *   so a listing's bookings never overlap (the PostgreSQL exclusion constraint / MySQL guard hold);
 * - past stays are `completed` (12 % `cancelled_by_guest`); the stay under way is `confirmed`; future
 *   ones are mostly `confirmed`, some cancelled by guest or host, a few `awaiting_host`;
 * - a blocked run of 2–5 nights after the booking in 30 % of the future slots, and for 20 % of the
 *   listings a weekend price (+25 %) on every Friday and Saturday night of the next year.
 *
 * PostgreSQL: `INSERT … SELECT generate_series` on the server. MySQL/MariaDB: the same rows, built here
 * and sent as multi-row inserts (its triggers fill `booking_nights`). Then ANALYZE.
 */
import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { DB } from '../src/db/schema/index.js';
import { seedDemoUsers } from '../src/modules/accounts/demo-users.js';
import { generateListings, prng } from '../src/modules/properties/generate.js';
import { hashPassword } from '../src/platform/passwords.js';

export const SLOTS = 10;
export const SLOT_DAYS = 54;
/** Bookings start this many days before today. */
export const HISTORY_DAYS = 180;
/** Guests get their own domain: the bench's HTTP guests register under another one. */
const GUEST_DOMAIN = 'guests.bench.roost.dev';

export interface SeedStats {
  listings: number;
  guests: number;
  bookings: number;
  activeBookings: number;
  calendarRows: number;
  ms: { listings: number; bookings: number; calendar: number; analyze: number; total: number };
}

const dayMs = 86_400_000;
export const isoDay = (d: Date) => d.toISOString().slice(0, 10);
export const addDays = (day: string, n: number) =>
  isoDay(new Date(Date.parse(`${day}T00:00:00Z`) + n * dayMs));

export async function seed(
  db: Kysely<DB>,
  engine: 'postgres' | 'mysql',
  o: { listings: number; today: string; log?: (msg: string) => void },
): Promise<SeedStats> {
  const log = o.log ?? (() => undefined);
  const t0 = performance.now();
  const users = await seedDemoUsers(db);
  await generateListings(db, { listings: o.listings, seed: 42, extraHostIds: [users[1]!.id] });
  const tListings = performance.now();
  log(`  listings: ${o.listings} in ${Math.round(tListings - t0)} ms`);

  const guests = Math.max(100, Math.round(o.listings / 10));
  const start = addDays(o.today, -HISTORY_DAYS);
  if (engine === 'postgres') await seedPostgres(db, { guests, start, today: o.today });
  else await seedMysql(db, { guests, start, today: o.today, log });
  const tBookings = performance.now();

  if (engine === 'postgres') await calendarPostgres(db, { start, today: o.today });
  const tCalendar = performance.now();
  await (engine === 'mysql'
    ? sql`analyze table users, properties, property_amenities, property_calendar, bookings, booking_nights`
    : sql`analyze`
  ).execute(db);
  const tAnalyze = performance.now();

  const count = async (q: RawBuilder<{ n: number | string }>) =>
    Number((await q.execute(db)).rows[0]?.n ?? 0);
  const stats: SeedStats = {
    listings: o.listings,
    guests,
    bookings: await count(sql<{ n: number }>`select count(*) as n from bookings`),
    activeBookings: await count(
      sql<{
        n: number;
      }>`select count(*) as n from bookings where status in ('pending_payment', 'awaiting_host', 'confirmed', 'completed')`,
    ),
    calendarRows: await count(sql<{ n: number }>`select count(*) as n from property_calendar`),
    ms: {
      listings: Math.round(tListings - t0),
      bookings: Math.round(tBookings - tListings),
      calendar: Math.round(tCalendar - tBookings),
      analyze: Math.round(tAnalyze - tCalendar),
      total: Math.round(tAnalyze - t0),
    },
  };
  log(
    `  bookings: ${stats.bookings} (${stats.activeBookings} active) in ${stats.ms.bookings} ms; calendar rows: ${stats.calendarRows} in ${stats.ms.calendar} ms; analyze ${stats.ms.analyze} ms`,
  );
  return stats;
}

async function seedPostgres(db: Kysely<DB>, o: { guests: number; start: string; today: string }) {
  const hash = await hashPassword('roost-demo-2024');
  await sql`
    insert into users (id, email, password_hash, first_name, last_name, role, email_verified_at)
    select gen_random_uuid(), 'guest' || g || '@' || ${GUEST_DOMAIN}, ${hash}, 'Guest', g::text, 'guest', now()
    from generate_series(0, ${o.guests - 1}) g`.execute(db);
  // Random draws are made once per (listing, slot) in a materialized CTE, then used by every column.
  await sql`
    with guests as materialized (
      select id, (row_number() over (order by email) - 1)::int as n from users where email like ${`%@${GUEST_DOMAIN}`}
    ), s as materialized (
      select p.id as property_id, p.host_id, p.max_guests, p.nightly_price, p.currency, p.cleaning_fee,
        p.cancellation_policy, p.check_in_time, p.instant_book,
        cast(${o.start} as date) + k * ${SLOT_DAYS} + floor(random() * 40)::int as ci,
        1 + floor(random() * 7)::int as n,
        random() as rs, floor(random() * ${o.guests})::int as gn, random() as rg, random() as rc
      from properties p cross join generate_series(0, ${SLOTS - 1}) k
      where random() < 0.95
    ), b as (
      select s.*, s.nightly_price * s.n + s.cleaning_fee as base,
        case
          when s.ci + s.n <= cast(${o.today} as date) then
            case when s.rs < 0.88 then 'completed' else 'cancelled_by_guest' end
          when s.ci <= cast(${o.today} as date) then 'confirmed'
          when s.rs < 0.86 then 'confirmed'
          when s.rs < 0.94 then 'cancelled_by_guest'
          when s.rs < 0.97 then 'cancelled_by_host'
          else 'awaiting_host'
        end as status
      from s
    )
    insert into bookings (id, property_id, guest_id, host_id, check_in, check_out, guests, status, currency,
      nights_subtotal, cleaning_fee, service_fee, taxes, total, host_payout, nightly, cancellation_policy,
      check_in_time, instant_book, hold_expires_at, refunded_amount, guest_message, created_at, updated_at)
    select gen_random_uuid(), b.property_id, g.id, b.host_id, b.ci, b.ci + b.n,
      1 + floor(b.rg * b.max_guests)::int, b.status, b.currency,
      b.nightly_price * b.n, b.cleaning_fee, round(b.base * 0.12)::bigint, 0,
      b.base + round(b.base * 0.12)::bigint, b.base,
      (select jsonb_agg(jsonb_build_object('date', to_char(d, 'YYYY-MM-DD'), 'price', b.nightly_price) order by d)
        from generate_series(b.ci, b.ci + b.n - 1, interval '1 day') d),
      b.cancellation_policy, b.check_in_time, b.instant_book, null, 0, null,
      least(now(), (b.ci - 7 - floor(b.rc * 60)::int)::timestamptz),
      least(now(), (b.ci - 7 - floor(b.rc * 60)::int)::timestamptz)
    from b join guests g on g.n = b.gn`.execute(db);
}

async function calendarPostgres(db: Kysely<DB>, o: { start: string; today: string }) {
  // Blocked runs right after each slot's booking (which ends by day 46 of its slot), future nights only.
  await sql`
    with runs as materialized (
      select p.id as property_id, cast(${o.start} as date) + k * ${SLOT_DAYS} + 46 as first,
        2 + floor(random() * 4)::int as len
      from properties p cross join generate_series(0, ${SLOTS - 1}) k
      where random() < 0.3
    )
    insert into property_calendar (property_id, night, blocked, price_override)
    select r.property_id, r.first + j, true, null
    from runs r cross join lateral generate_series(0, r.len - 1) j
    where r.first + j >= cast(${o.today} as date)`.execute(db);
  await sql`
    with priced as materialized (select id, nightly_price from properties where random() < 0.2)
    insert into property_calendar (property_id, night, blocked, price_override)
    select p.id, d::date, false, (round(p.nightly_price * 1.25 / 100) * 100)::bigint
    from priced p
    cross join generate_series(cast(${o.today} as date), cast(${o.today} as date) + 365, interval '1 day') d
    where extract(isodow from d) in (5, 6)
    on conflict (property_id, night) do update set price_override = excluded.price_override`.execute(db);
}

/** MySQL/MariaDB: the same distribution, built here (deterministic) and inserted in chunks. */
async function seedMysql(
  db: Kysely<DB>,
  o: { guests: number; start: string; today: string; log: (msg: string) => void },
) {
  const rand = prng(7);
  const { randomUUID } = await import('node:crypto');
  const hash = await hashPassword('roost-demo-2024');
  const guestIds: string[] = [];
  for (let i = 0; i < o.guests; i += 1000) {
    const rows = [];
    for (let g = i; g < Math.min(o.guests, i + 1000); g++) {
      const id = randomUUID();
      guestIds.push(id);
      rows.push({
        id,
        email: `guest${g}@${GUEST_DOMAIN}`,
        password_hash: hash,
        first_name: 'Guest',
        last_name: String(g),
        phone: null,
        role: 'guest' as const,
        email_verified_at: new Date(),
      });
    }
    await db.insertInto('users').values(rows).execute();
  }
  const props = await db
    .selectFrom('properties')
    .select([
      'id',
      'host_id',
      'max_guests',
      'nightly_price',
      'currency',
      'cleaning_fee',
      'cancellation_policy',
      'check_in_time',
      'instant_book',
    ])
    .orderBy('id')
    .execute();
  const now = Date.now();
  type BookingInsert = Parameters<ReturnType<Kysely<DB>['insertInto']>['values']>[0];
  let bookings: BookingInsert[] = [];
  let calendar: { property_id: string; night: string; blocked: boolean; price_override: number | null }[] =
    [];
  const flush = async (force: boolean) => {
    if (bookings.length >= 500 || (force && bookings.length > 0)) {
      await db
        .insertInto('bookings')
        .values(bookings as never)
        .execute();
      bookings = [];
    }
    if (calendar.length >= 2000 || (force && calendar.length > 0)) {
      await db.insertInto('property_calendar').values(calendar).execute();
      calendar = [];
    }
  };
  const weekendNights: string[] = [];
  for (let d = 0; d <= 365; d++) {
    const day = addDays(o.today, d);
    const dow = new Date(`${day}T00:00:00Z`).getUTCDay();
    if (dow === 5 || dow === 6) weekendNights.push(day);
  }
  for (const p of props) {
    const nights = new Map<string, { blocked: boolean; price: number | null }>();
    for (let k = 0; k < SLOTS; k++) {
      const slot = addDays(o.start, k * SLOT_DAYS);
      if (rand() < 0.95) {
        const ci = addDays(slot, Math.floor(rand() * 40));
        const n = 1 + Math.floor(rand() * 7);
        const co = addDays(ci, n);
        const rs = rand();
        const status =
          co <= o.today
            ? rs < 0.88
              ? 'completed'
              : 'cancelled_by_guest'
            : ci <= o.today
              ? 'confirmed'
              : rs < 0.86
                ? 'confirmed'
                : rs < 0.94
                  ? 'cancelled_by_guest'
                  : rs < 0.97
                    ? 'cancelled_by_host'
                    : 'awaiting_host';
        const base = p.nightly_price * n + p.cleaning_fee;
        const fee = Math.round(base * 0.12);
        const created = new Date(Math.min(now, Date.parse(ci) - (7 + Math.floor(rand() * 60)) * dayMs));
        bookings.push({
          id: randomUUID(),
          property_id: p.id,
          guest_id: guestIds[Math.floor(rand() * guestIds.length)]!,
          host_id: p.host_id,
          check_in: ci,
          check_out: co,
          guests: 1 + Math.floor(rand() * p.max_guests),
          status,
          currency: p.currency,
          nights_subtotal: p.nightly_price * n,
          cleaning_fee: p.cleaning_fee,
          service_fee: fee,
          taxes: 0,
          total: base + fee,
          host_payout: base,
          nightly: JSON.stringify(
            Array.from({ length: n }, (_, i) => ({ date: addDays(ci, i), price: p.nightly_price })),
          ),
          cancellation_policy: p.cancellation_policy,
          check_in_time: p.check_in_time,
          instant_book: p.instant_book,
          hold_expires_at: null,
          refunded_amount: 0,
          guest_message: null,
          created_at: created,
          updated_at: created,
        } as BookingInsert);
      }
      if (rand() < 0.3) {
        const len = 2 + Math.floor(rand() * 4);
        for (let j = 0; j < len; j++) {
          const night = addDays(slot, 46 + j);
          if (night >= o.today) nights.set(night, { blocked: true, price: null });
        }
      }
    }
    if (rand() < 0.2) {
      const price = Math.round((p.nightly_price * 1.25) / 100) * 100;
      for (const night of weekendNights) {
        const e = nights.get(night);
        nights.set(night, { blocked: e?.blocked ?? false, price });
      }
    }
    for (const [night, v] of nights)
      calendar.push({ property_id: p.id, night, blocked: v.blocked, price_override: v.price });
    await flush(false);
  }
  await flush(true);
}
