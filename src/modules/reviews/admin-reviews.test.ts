/** Review moderation by admins: the list, hide and unhide with their audit rows. */
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

let clock = new Date('2033-01-01T12:00:00Z');
const advance = (to: Date) => {
  clock = to;
};
let t: TestApp;
let host: TestUser;
let admin: TestUser;
beforeAll(async () => {
  t = await createTestApp({ now: () => clock });
  host = await createUser(t, 'host');
  admin = await createUser(t, 'admin');
});
afterAll(() => t.close());

const MISSING = '0193a5b2-0000-7000-8000-000000000000';
const json = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v);

let day = 0;
async function reviewedStay(guest: TestUser, propertyId: string, rating: number, body: string) {
  const start = new Date(Date.UTC(2033, 1, 1) + day * 3 * 86_400_000);
  day++;
  const d = (x: Date) => x.toISOString().slice(0, 10);
  clock = new Date(start.getTime() - 10 * 86_400_000);
  const stay = await completedStay(
    t,
    guest,
    propertyId,
    d(start),
    d(new Date(start.getTime() + 2 * 86_400_000)),
    advance,
  );
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/reviews',
    headers: guest.auth,
    payload: {
      bookingId: stay,
      rating,
      body,
      cleanliness: 5,
      accuracy: 4,
      communication: 5,
      location: 4,
      checkIn: 5,
      value: 4,
    },
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id as string;
}

function auditRows(objectId: string) {
  return t.ctx.db
    .selectFrom('audit_log')
    .selectAll()
    .where('object_id', '=', objectId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}

const list = (query: string, user: TestUser | null = admin) =>
  t.app.inject({
    method: 'GET',
    url: `/api/v1/admin/reviews${query}`,
    ...(user ? { headers: user.auth } : {}),
  });

describe('admin reviews', () => {
  it('lists every review for moderation, hides and unhides with one audit row each', async () => {
    const guest = await createUser(t);
    const { id: propertyId } = await createListing(t, host);
    const long = `Great stay. ${'Lovely view over the river. '.repeat(20)}`;
    const r1 = await reviewedStay(guest, propertyId, 5, long);
    const r2 = await reviewedStay(
      guest,
      propertyId,
      1,
      'Call me on +34 600 000 000 for a discount next time.',
    );

    expectProblem(await list('', guest), 403);
    expectProblem(await list('', host), 403);
    expectProblem(await list('', null), 401);

    const all = await list(`?propertyId=${propertyId}`);
    expect(all.statusCode).toBe(200);
    expect(all.json().items.map((r: { id: string }) => r.id)).toEqual([r2, r1]);
    const first = all.json().items[1];
    expect(first).toMatchObject({
      id: r1,
      propertyId,
      guestId: guest.id,
      rating: 5,
      hidden: false,
      hiddenReason: null,
    });
    expect(first.body).toHaveLength(280);
    expect(long.startsWith(first.body.slice(0, -1))).toBe(true);

    // Hide r2 with a reason: one row, with the reason and the request id.
    const reason = 'Contains a phone number (off-platform contact)';
    const hide = await t.app.inject({
      method: 'POST',
      url: `/api/v1/reviews/${r2}/hide`,
      headers: admin.auth,
      payload: { reason },
    });
    expect(hide.statusCode).toBe(200);
    let rows = await auditRows(r2);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      actor_id: admin.id,
      action: 'review.hide',
      object_type: 'review',
      reason,
      request_id: hide.headers['x-request-id'],
    });
    expect(json(rows[0]?.before)).toEqual({ hidden: false });
    expect(json(rows[0]?.after)).toEqual({ hidden: true });

    const hidden = await list(`?propertyId=${propertyId}&hidden=true`);
    expect(hidden.json().items).toEqual([
      expect.objectContaining({ id: r2, hidden: true, hiddenReason: reason }),
    ]);
    const visible = await list(`?propertyId=${propertyId}&hidden=false`);
    expect(visible.json().items.map((r: { id: string }) => r.id)).toEqual([r1]);
    // Pages.
    const p1 = await list(`?propertyId=${propertyId}&limit=1`);
    const p2 = await list(`?propertyId=${propertyId}&limit=1&cursor=${p1.json().nextCursor}`);
    expect(p2.json()).toEqual({ items: [expect.objectContaining({ id: r1 })], nextCursor: null });

    // Unhide with an optional reason; then bodiless.
    const unhide = await t.app.inject({
      method: 'POST',
      url: `/api/v1/reviews/${r2}/unhide`,
      headers: admin.auth,
      payload: { reason: 'Appeal accepted' },
    });
    expect(unhide.statusCode).toBe(200);
    expect(unhide.json().hidden).toBe(false);
    rows = await auditRows(r2);
    expect(rows.map((r) => [r.action, r.reason])).toEqual([
      ['review.hide', reason],
      ['review.unhide', 'Appeal accepted'],
    ]);
    const bare = await t.app.inject({
      method: 'POST',
      url: `/api/v1/reviews/${r1}/unhide`,
      headers: admin.auth,
    });
    expect(bare.statusCode).toBe(200);
    expect((await auditRows(r1)).map((r) => [r.action, r.reason])).toEqual([['review.unhide', null]]);

    // Refusals write nothing.
    expectProblem(
      await t.app.inject({
        method: 'POST',
        url: `/api/v1/reviews/${r1}/hide`,
        headers: host.auth,
        payload: { reason },
      }),
      403,
    );
    expectProblem(
      await t.app.inject({
        method: 'POST',
        url: `/api/v1/reviews/${MISSING}/hide`,
        headers: admin.auth,
        payload: { reason },
      }),
      404,
    );
    expect(await auditRows(MISSING)).toHaveLength(0);
    expect(await auditRows(r1)).toHaveLength(1);

    expectProblem(await list('?hidden=maybe'), 400, 'validation_error');
    expectProblem(await list('?propertyId=nope'), 400, 'validation_error');
    expectProblem(await list('?cursor=bad'), 400, 'invalid_cursor');
  });
});
