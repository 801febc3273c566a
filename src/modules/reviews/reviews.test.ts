import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createListing } from '../../../test/support/fixtures.js';
import { completedStay } from '../../../test/support/stays.js';
import {
  createTestApp,
  createUser,
  expectProblem,
  type TestApp,
  type TestUser,
} from '../../../test/support/test-app.js';

let clock = new Date('2032-01-01T12:00:00Z');
const advance = (to: Date) => {
  clock = to;
};
let t: TestApp;
let host: TestUser;
beforeAll(async () => {
  t = await createTestApp({ now: () => clock });
  host = await createUser(t, 'host');
});
afterAll(() => t.close());

const review = (u: TestUser, bookingId: string, rating = 5, extra: object = {}) =>
  t.app.inject({
    method: 'POST',
    url: '/api/v1/reviews',
    headers: u.auth,
    payload: {
      bookingId,
      rating,
      cleanliness: 5,
      accuracy: 4,
      communication: 5,
      location: 4,
      checkIn: 5,
      value: 4,
      body: 'A lovely, quiet place; would stay again.',
      ...extra,
    },
  });

let day = 0;
function nextStay() {
  const start = new Date(Date.UTC(2032, 1, 1) + day * 3 * 86_400_000);
  day++;
  const d = (x: Date) => x.toISOString().slice(0, 10);
  clock = new Date(start.getTime() - 10 * 86_400_000);
  return [d(start), d(new Date(start.getTime() + 2 * 86_400_000))] as const;
}

describe('reviews', () => {
  it('refuses reviews before completion, twice, of others’ stays, and after the window', async () => {
    const guest = await createUser(t);
    const stranger = await createUser(t);
    const { id } = await createListing(t, host);
    const [checkIn, checkOut] = nextStay();
    const b = await t.app.inject({
      method: 'POST',
      url: '/api/v1/bookings',
      headers: guest.auth,
      payload: { propertyId: id, checkIn, checkOut, guests: 1 },
    });
    expectProblem(await review(guest, b.json().id), 409, 'stay_not_completed');

    const [in2, out2] = nextStay();
    const stay = await completedStay(t, guest, id, in2, out2, advance);
    expectProblem(await review(stranger, stay), 404);
    expectProblem(await review(host, stay), 404);
    expect((await review(guest, stay)).statusCode).toBe(201);
    expectProblem(await review(guest, stay), 409, 'already_reviewed');
    expectProblem(await review(guest, stay, 6), 400, 'validation_error');

    const [in3, out3] = nextStay();
    const late = await completedStay(t, guest, id, in3, out3, advance);
    clock = new Date(Date.parse(`${out3}T00:00:00Z`) + 15 * 86_400_000);
    expectProblem(await review(guest, late), 409, 'review_window_closed');
    const count = await t.ctx.db
      .selectFrom('reviews')
      .select(sql<string>`count(*)`.as('n'))
      .where('property_id', '=', id)
      .executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(1);
  });

  it('keeps the listing aggregate equal to a recomputation through random reviews, edits and hides', async () => {
    const { id } = await createListing(t, host);
    const admin = await createUser(t, 'admin');
    let seed = 7;
    const rand = (n: number) => {
      seed = (seed * 48_271) % 2_147_483_647;
      return seed % n;
    };
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) {
      const guest = await createUser(t);
      const [checkIn, checkOut] = nextStay();
      const stay = await completedStay(t, guest, id, checkIn, checkOut, advance);
      const res = await review(guest, stay, 1 + rand(5));
      expect(res.statusCode).toBe(201);
      ids.push(res.json().id);
      if (rand(3) === 0) {
        const edit = await t.app.inject({
          method: 'PATCH',
          url: `/api/v1/reviews/${res.json().id}`,
          headers: guest.auth,
          payload: { rating: 1 + rand(5) },
        });
        expect(edit.statusCode).toBe(200);
      }
      if (rand(4) === 0) {
        const hide = await t.app.inject({
          method: 'POST',
          url: `/api/v1/reviews/${ids[rand(ids.length)]}/hide`,
          headers: admin.auth,
          payload: { reason: 'off-topic' },
        });
        expect(hide.statusCode).toBe(200);
      }
    }
    const stored = await t.ctx.db
      .selectFrom('properties')
      .select(['rating_avg', 'rating_count'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    const fresh = await t.ctx.db
      .selectFrom('reviews')
      .select([
        sql<string | null>`cast(avg(rating) as decimal(3,2))`.as('avg'),
        sql<string>`count(*)`.as('n'),
      ])
      .where('property_id', '=', id)
      .where('hidden_at', 'is', null)
      .executeTakeFirstOrThrow();
    expect(stored.rating_count).toBe(Number(fresh.n));
    expect(stored.rating_avg).toBe(Number(fresh.avg ?? 0));
    expect(stored.rating_count).toBeGreaterThan(0);

    const page = (
      await t.app.inject({ method: 'GET', url: `/api/v1/properties/${id}/reviews?sort=highest&limit=50` })
    ).json();
    expect(page.items).toHaveLength(Number(fresh.n));
    const ratings = page.items.map((r: { rating: number }) => r.rating);
    expect(ratings).toEqual([...ratings].sort((a, b) => b - a));
  });

  it('pages reviews newest first without repeats, lets the host reply once, and hosts rate guests', async () => {
    const { id } = await createListing(t, host);
    const guests: TestUser[] = [];
    for (let i = 0; i < 5; i++) {
      const guest = await createUser(t);
      guests.push(guest);
      const [checkIn, checkOut] = nextStay();
      const stay = await completedStay(t, guest, id, checkIn, checkOut, advance);
      expect((await review(guest, stay)).statusCode).toBe(201);
      if (i === 0) {
        const rated = await t.app.inject({
          method: 'POST',
          url: '/api/v1/guest-ratings',
          headers: host.auth,
          payload: { bookingId: stay, rating: 4, body: 'Tidy guest' },
        });
        expect(rated.statusCode).toBe(201);
        expectProblem(
          await t.app.inject({
            method: 'POST',
            url: '/api/v1/guest-ratings',
            headers: host.auth,
            payload: { bookingId: stay, rating: 4 },
          }),
          409,
          'already_rated',
        );
      }
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: Awaited<ReturnType<typeof t.app.inject>> = await t.app.inject({
        method: 'GET',
        url: `/api/v1/properties/${id}/reviews?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      });
      seen.push(...res.json().items.map((r: { id: string }) => r.id));
      cursor = res.json().nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(5);
    expect(new Set(seen).size).toBe(5);

    const other = await createUser(t, 'host');
    expectProblem(
      await t.app.inject({
        method: 'POST',
        url: `/api/v1/reviews/${seen[0]}/reply`,
        headers: other.auth,
        payload: { body: 'Thanks!' },
      }),
      403,
    );
    expect(
      (
        await t.app.inject({
          method: 'POST',
          url: `/api/v1/reviews/${seen[0]}/reply`,
          headers: host.auth,
          payload: { body: 'Thanks!' },
        })
      ).statusCode,
    ).toBe(200);
    expectProblem(
      await t.app.inject({
        method: 'POST',
        url: `/api/v1/reviews/${seen[0]}/reply`,
        headers: host.auth,
        payload: { body: 'Again' },
      }),
      409,
      'already_replied',
    );

    const visibleToHosts = await t.app.inject({
      method: 'GET',
      url: `/api/v1/users/${guests[0]!.id}/guest-ratings`,
      headers: other.auth,
    });
    expect(visibleToHosts.json()).toEqual([expect.objectContaining({ rating: 4, body: 'Tidy guest' })]);
    expectProblem(
      await t.app.inject({
        method: 'GET',
        url: `/api/v1/users/${guests[0]!.id}/guest-ratings`,
        headers: guests[1]!.auth,
      }),
      403,
    );

    // Editing closes after 48 hours.
    clock = new Date(clock.getTime() + 49 * 3_600_000);
    const mine = (
      await t.ctx.db
        .selectFrom('reviews')
        .select('id')
        .where('guest_id', '=', guests[4]!.id)
        .executeTakeFirstOrThrow()
    ).id;
    expectProblem(
      await t.app.inject({
        method: 'PATCH',
        url: `/api/v1/reviews/${mine}`,
        headers: guests[4]!.auth,
        payload: { rating: 1 },
      }),
      409,
      'edit_window_closed',
    );
  });
});

describe('reminders', () => {
  it('emails one check-in reminder the day before and one review reminder the day after, never twice', async () => {
    const { queueCheckinReminders, queueReviewReminders } = await import('../../flows/reminders.js');
    const guest = await createUser(t);
    const { id } = await createListing(t, host);
    clock = new Date('2033-05-01T09:00:00Z');
    const b = await t.app.inject({
      method: 'POST',
      url: '/api/v1/bookings',
      headers: guest.auth,
      payload: { propertyId: id, checkIn: '2033-05-10', checkOut: '2033-05-12', guests: 1 },
    });
    await t.app.inject({
      method: 'POST',
      url: `/api/v1/bookings/${b.json().id}/pay`,
      headers: guest.auth,
      payload: { paymentMethod: 'pm_card_visa' },
    });
    const emails = async (template: string) =>
      (
        await t.ctx.db
          .selectFrom('email_outbox')
          .select('id')
          .where('recipient', '=', guest.email)
          .where('template', '=', template)
          .execute()
      ).length;

    clock = new Date('2033-05-09T09:00:00Z');
    await queueCheckinReminders(t.ctx);
    await queueCheckinReminders(t.ctx);
    expect(await emails('checkin_reminder')).toBe(1);

    clock = new Date('2033-05-12T12:00:00Z');
    await completeStays();
    clock = new Date('2033-05-13T09:00:00Z');
    await queueReviewReminders(t.ctx);
    await queueReviewReminders(t.ctx);
    expect(await emails('review_reminder')).toBe(1);
  });
});

async function completeStays() {
  const { completeFinishedStays } = await import('../bookings/bookings.service.js');
  await completeFinishedStays(t.ctx);
}
