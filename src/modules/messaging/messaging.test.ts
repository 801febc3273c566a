/**
 * Messaging, notifications and the request lifecycle through the REST API, on the engine under test:
 * one thread from inquiry to booking, privacy until confirmed, third parties locked out, the request
 * expiry job (refund, ledger, notifications and emails exactly once), email preferences, message email
 * batching, blocks, pre-approvals, limits and concurrency.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createListing } from '../../../test/support/fixtures.js';
import {
  createTestApp,
  createUser,
  expectProblem,
  type TestApp,
  type TestUser,
} from '../../../test/support/test-app.js';
import { createJobRegistry } from '../../jobs.js';
import type { RealtimeEvent } from '../../platform/events.js';
import { ledgerBalance } from '../payments/ledger.js';
import { MASKS } from './masking.js';

let clock = new Date('2031-03-01T10:00:00Z');
let t: TestApp;
let host: TestUser;
let guest: TestUser;
let stranger: TestUser;
let admin: TestUser;

beforeAll(async () => {
  t = await createTestApp({ now: () => clock, env: { SERVICE_FEE_BPS: '1000' } });
  host = await createUser(t, 'host');
  guest = await createUser(t);
  stranger = await createUser(t);
  admin = await createUser(t, 'admin');
});
afterAll(async () => {
  try {
    // Every charge and refund above was posted as balanced double entries.
    expect(Object.values(await ledgerBalance(t.ctx.db)).every((v) => v === 0)).toBe(true);
  } finally {
    await t.close();
  }
});

const call = (
  user: TestUser | null,
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  url: string,
  payload?: object,
) => t.app.inject({ method, url, ...(user ? { headers: user.auth } : {}), ...(payload ? { payload } : {}) });
const ok = async (
  user: TestUser | null,
  method: Parameters<typeof call>[1],
  url: string,
  payload?: object,
) => {
  const res = await call(user, method, url, payload);
  if (res.statusCode >= 300) throw new Error(`${method} ${url}: ${res.statusCode} ${res.body}`);
  return res.json();
};

/** Book and pay a stay (a request on a listing without instant book). */
async function bookAndPay(
  user: TestUser,
  propertyId: string,
  checkIn: string,
  checkOut: string,
  message?: string,
) {
  const booking = await ok(user, 'POST', '/api/v1/bookings', {
    propertyId,
    checkIn,
    checkOut,
    guests: 2,
    ...(message ? { message } : {}),
  });
  await ok(user, 'POST', `/api/v1/bookings/${booking.id}/pay`, { paymentMethod: 'pm_card_visa' });
  return ok(user, 'GET', `/api/v1/bookings/${booking.id}`);
}

async function feed(user: TestUser) {
  return (await ok(user, 'GET', '/api/v1/notifications?limit=100')).items as {
    id: string;
    type: string;
    data: Record<string, unknown>;
    title: string;
    readAt: string | null;
  }[];
}

async function outbox(to: string, template: string) {
  return t.ctx.db
    .selectFrom('email_outbox')
    .selectAll()
    .where('recipient', '=', to)
    .where('template', '=', template)
    .execute();
}

/** Realtime events delivered to a user on this process, while `fn` runs. */
async function pushedTo(userId: string, fn: () => Promise<unknown>): Promise<RealtimeEvent[]> {
  const seen: RealtimeEvent[] = [];
  const stop = t.ctx.events.subscribe(userId, (e) => seen.push(e));
  try {
    await fn();
    await new Promise((r) => setTimeout(r, 50));
  } finally {
    stop();
  }
  return seen;
}

const CONTACT = 'Call me on +34 612 345 678 or write to ana.guest@example.com, see www.anas-flat.com';

describe('one conversation from inquiry to booking', () => {
  it('keeps one thread, masks contact details until confirmed, and shows them after', async () => {
    const listing = await createListing(t, host, { instantBook: false, title: 'Loft by the sea' });

    // The inquiry: a guest writes first.
    const events = await pushedTo(host.id, async () => {
      const started = await call(guest, 'POST', '/api/v1/conversations', {
        propertyId: listing.id,
        body: CONTACT,
      });
      expect(started.statusCode).toBe(201);
    });
    expect(events.map((e) => e.type).sort()).toEqual(['message.created', 'notification.created']);
    const inbox = await ok(host, 'GET', '/api/v1/conversations');
    const thread = inbox.items.find((c: { propertyId: string }) => c.propertyId === listing.id);
    expect(thread).toMatchObject({
      guestId: guest.id,
      hostId: host.id,
      bookingId: null,
      unread: 1,
      contactDetailsVisible: false,
      listing: { id: listing.id, title: 'Loft by the sea' },
      otherParty: { id: guest.id, firstName: 'Test' },
    });
    const first = (await ok(host, 'GET', `/api/v1/conversations/${thread.id}/messages`)).items[0];
    expect(first.body).toBe(`Call me on ${MASKS.phone} or write to ${MASKS.email}, see ${MASKS.link}`);
    expect(first.masked).toBe(true);

    // A second message continues the same thread; the host answers and reads.
    const again = await ok(guest, 'POST', '/api/v1/conversations', {
      propertyId: listing.id,
      body: 'Also: pets?',
    });
    expect(again.conversation.id).toBe(thread.id);
    await ok(host, 'POST', `/api/v1/conversations/${thread.id}/messages`, {
      body: 'Small dogs are welcome.',
    });
    expect((await ok(host, 'GET', `/api/v1/conversations/${thread.id}`)).unread).toBe(0);
    expect(await ok(guest, 'GET', '/api/v1/conversations/unread-count')).toMatchObject({ messages: 1 });
    await ok(guest, 'POST', `/api/v1/conversations/${thread.id}/read`, {});
    expect(await ok(guest, 'GET', '/api/v1/conversations/unread-count')).toEqual({
      messages: 0,
      conversations: 0,
    });

    // The booking joins the thread; its message is posted in it. Still masked while it awaits the host.
    const booking = await bookAndPay(
      guest,
      listing.id,
      '2031-04-10',
      '2031-04-13',
      'We land at 18:00, my cell 0612345678',
    );
    expect(booking.status).toBe('awaiting_host');
    const joined = await ok(guest, 'GET', `/api/v1/bookings/${booking.id}/conversation`);
    expect(joined).toMatchObject({ id: thread.id, bookingId: booking.id, contactDetailsVisible: false });
    let history = (await ok(guest, 'GET', `/api/v1/conversations/${thread.id}/messages`)).items;
    expect(history.map((m: { seq: number }) => m.seq)).toEqual([...history.keys()].map((i) => i + 1));
    expect(history.some((m: { body: string }) => m.body === `We land at 18:00, my cell ${MASKS.phone}`)).toBe(
      true,
    );
    expectProblem(
      await call(guest, 'GET', `/api/v1/bookings/${booking.id}/arrival`),
      409,
      'checkin_details_not_available',
    );

    // The host keeps private check-in details, then accepts: everything becomes visible to the guest.
    await ok(host, 'PUT', `/api/v1/properties/${listing.id}/check-in-details`, {
      details: 'Door code 4921#',
    });
    expect(JSON.stringify(await ok(null, 'GET', `/api/v1/properties/${listing.id}`))).not.toContain('4921');
    await ok(host, 'POST', `/api/v1/bookings/${booking.id}/accept`, {});
    history = (await ok(guest, 'GET', `/api/v1/conversations/${thread.id}/messages`)).items;
    expect(history[0]).toMatchObject({ body: CONTACT, masked: false });
    expect(history.some((m: { body: string }) => m.body.includes('0612345678'))).toBe(true);
    expect(history.at(-1)).toMatchObject({ kind: 'system', senderId: null });
    expect((await ok(guest, 'GET', `/api/v1/conversations/${thread.id}`)).contactDetailsVisible).toBe(true);
    expect((await ok(guest, 'GET', `/api/v1/bookings/${booking.id}/arrival`)).details).toBe(
      'Door code 4921#',
    );

    // Each side heard what it cares about.
    const hostTypes = (await feed(host)).map((n) => n.type);
    expect(hostTypes).toEqual(expect.arrayContaining(['message.new', 'booking.requested']));
    const guestTypes = (await feed(guest)).map((n) => n.type);
    expect(guestTypes).toEqual(
      expect.arrayContaining(['message.new', 'request.accepted', 'checkin.details']),
    );
    expect(await outbox(host.email, 'booking_request_received')).toHaveLength(1);

    // A third user sees nothing of it: 404 everywhere, and no thread in their list.
    for (const [method, url, payload] of [
      ['GET', `/api/v1/conversations/${thread.id}`],
      ['GET', `/api/v1/conversations/${thread.id}/messages`],
      ['POST', `/api/v1/conversations/${thread.id}/messages`, { body: 'hello?' }],
      ['POST', `/api/v1/conversations/${thread.id}/read`, {}],
      ['PUT', `/api/v1/conversations/${thread.id}/block`],
      [
        'POST',
        `/api/v1/conversations/${thread.id}/pre-approvals`,
        { checkIn: '2031-05-01', checkOut: '2031-05-03', guests: 1 },
      ],
      ['GET', `/api/v1/bookings/${booking.id}/conversation`],
      ['GET', `/api/v1/bookings/${booking.id}/arrival`],
    ] as const) {
      expectProblem(await call(stranger, method, url, payload), 404, 'not_found');
    }
    expect((await ok(stranger, 'GET', '/api/v1/conversations')).items).toEqual([]);
    expect(JSON.stringify(await feed(stranger))).not.toContain(thread.id);
    expectProblem(
      await call(stranger, 'GET', `/api/v1/properties/${listing.id}/check-in-details`),
      403,
      'forbidden',
    );

    // An admin may read it for support; the read is recorded with the request id.
    const read = await t.app.inject({
      method: 'GET',
      url: `/api/v1/conversations/${thread.id}/messages`,
      headers: { ...admin.auth, 'x-request-id': 'support-ticket-77' },
    });
    expect(read.statusCode).toBe(200);
    const log = await t.ctx.db
      .selectFrom('conversation_access_log')
      .selectAll()
      .where('conversation_id', '=', thread.id)
      .execute();
    expect(log).toMatchObject([{ admin_id: admin.id, request_id: 'support-ticket-77' }]);
    expectProblem(
      await call(admin, 'POST', `/api/v1/conversations/${thread.id}/messages`, { body: 'hi' }),
      404,
    );
  });

  it('refuses bad messages with field paths, and one’s own listing', async () => {
    const listing = await createListing(t, host);
    for (const body of ['', ' '.repeat(5), 'x'.repeat(4001), 'nul \u0000 byte']) {
      const res = await call(guest, 'POST', '/api/v1/conversations', { propertyId: listing.id, body });
      const problem = expectProblem(res, 400);
      expect(problem.errors?.[0]?.field).toBe('body');
    }
    expectProblem(
      await call(guest, 'POST', '/api/v1/conversations', { propertyId: listing.id }),
      400,
      'validation_error',
    );
    expectProblem(
      await call(host, 'POST', '/api/v1/conversations', { propertyId: listing.id, body: 'me?' }),
      403,
      'own_listing',
    );
    const unlisted = await createListing(t, host, { publish: false });
    expectProblem(
      await call(guest, 'POST', '/api/v1/conversations', { propertyId: unlisted.id, body: 'hi' }),
      404,
    );
    expectProblem(await call(null, 'GET', '/api/v1/conversations'), 401);
  });

  it('pages history newest last, older pages by cursor', async () => {
    const listing = await createListing(t, host);
    const { conversation } = await ok(guest, 'POST', '/api/v1/conversations', {
      propertyId: listing.id,
      body: 'm1',
    });
    for (let i = 2; i <= 7; i++)
      await ok(guest, 'POST', `/api/v1/conversations/${conversation.id}/messages`, { body: `m${i}` });
    const latest = await ok(host, 'GET', `/api/v1/conversations/${conversation.id}/messages?limit=3`);
    expect(latest.items.map((m: { body: string }) => m.body)).toEqual(['m5', 'm6', 'm7']);
    const older = await ok(
      host,
      'GET',
      `/api/v1/conversations/${conversation.id}/messages?limit=3&cursor=${latest.nextCursor}`,
    );
    expect(older.items.map((m: { body: string }) => m.body)).toEqual(['m2', 'm3', 'm4']);
    const oldest = await ok(
      host,
      'GET',
      `/api/v1/conversations/${conversation.id}/messages?limit=3&cursor=${older.nextCursor}`,
    );
    expect(oldest).toMatchObject({ items: [{ body: 'm1', seq: 1 }], nextCursor: null });
    expectProblem(
      await call(host, 'GET', `/api/v1/conversations/${conversation.id}/messages?cursor=bogus`),
      400,
      'invalid_cursor',
    );
  });

  it('makes one thread of concurrent first messages, with unique consecutive numbers', async () => {
    const listing = await createListing(t, host);
    const sent = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        call(guest, 'POST', '/api/v1/conversations', { propertyId: listing.id, body: `hello ${i}` }),
      ),
    );
    expect(sent.map((r) => r.statusCode)).toEqual(Array(12).fill(201));
    const ids = new Set(sent.map((r) => r.json().conversation.id));
    expect(ids.size).toBe(1);
    const seqs = sent.map((r) => r.json().message.seq).sort((a, b) => a - b);
    expect(seqs).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    // The host's unread notification groups them: one entry, count 12.
    const grouped = (await feed(host)).filter(
      (n) => n.type === 'message.new' && n.data['conversationId'] === [...ids][0],
    );
    expect(grouped).toHaveLength(1);
    expect(grouped[0]?.data['count']).toBe(12);
  });
});

describe('blocking', () => {
  it('stops new messages both ways until the blocker unblocks', async () => {
    const listing = await createListing(t, host);
    const { conversation } = await ok(guest, 'POST', '/api/v1/conversations', {
      propertyId: listing.id,
      body: 'hi',
    });
    const blocked = await ok(host, 'PUT', `/api/v1/conversations/${conversation.id}/block`);
    expect(blocked).toMatchObject({ blocked: true, blockedByMe: true });
    expect(await ok(guest, 'GET', `/api/v1/conversations/${conversation.id}`)).toMatchObject({
      blocked: true,
      blockedByMe: false,
    });
    expectProblem(
      await call(guest, 'POST', `/api/v1/conversations/${conversation.id}/messages`, { body: 'x' }),
      409,
      'conversation_blocked',
    );
    expectProblem(
      await call(guest, 'POST', '/api/v1/conversations', { propertyId: listing.id, body: 'x' }),
      409,
      'conversation_blocked',
    );
    expectProblem(
      await call(host, 'POST', `/api/v1/conversations/${conversation.id}/messages`, { body: 'x' }),
      409,
      'conversation_blocked',
    );
    expectProblem(
      await call(guest, 'DELETE', `/api/v1/conversations/${conversation.id}/block`),
      403,
      'not_blocker',
    );
    await ok(host, 'DELETE', `/api/v1/conversations/${conversation.id}/block`);
    expect(
      (await call(guest, 'POST', `/api/v1/conversations/${conversation.id}/messages`, { body: 'thanks' }))
        .statusCode,
    ).toBe(201);
  });
});

describe('message emails', () => {
  it('sends at most one email per thread per MESSAGE_EMAIL_BATCH_MINUTES, the feed keeps counting', async () => {
    const listing = await createListing(t, host);
    const { conversation } = await ok(guest, 'POST', '/api/v1/conversations', {
      propertyId: listing.id,
      body: 'one',
    });
    await ok(guest, 'POST', `/api/v1/conversations/${conversation.id}/messages`, { body: 'two' });
    await ok(guest, 'POST', `/api/v1/conversations/${conversation.id}/messages`, { body: 'three' });
    const emails = async () =>
      (await outbox(host.email, 'new_message')).filter(
        (e) => (e.payload as Record<string, unknown>)['conversationId'] === conversation.id,
      );
    expect(await emails()).toHaveLength(1);
    const entry = (await feed(host)).find((n) => n.data['conversationId'] === conversation.id);
    expect(entry).toMatchObject({ type: 'message.new', readAt: null, data: { count: 3, preview: 'three' } });

    // The host reads the thread: its notification is read too. A new message 16 minutes later is emailed.
    await ok(host, 'POST', `/api/v1/conversations/${conversation.id}/read`, {});
    expect((await feed(host)).find((n) => n.id === entry?.id)?.readAt).not.toBeNull();
    await ok(guest, 'POST', `/api/v1/conversations/${conversation.id}/messages`, { body: 'four' });
    expect(await emails()).toHaveLength(1);
    clock = new Date(clock.getTime() + 16 * 60_000);
    await ok(guest, 'POST', `/api/v1/conversations/${conversation.id}/messages`, { body: 'five' });
    expect(await emails()).toHaveLength(2);
  });
});

describe('the request lifecycle', () => {
  const expireRequests = () =>
    createJobRegistry(t.ctx, { send: async () => {} }, () => {
      throw new Error('no queue in this test');
    })['expire-requests'].handler({}, { id: 'test', attempt: 1 });

  it('expires an unanswered paid request by the scheduled job: full refund, balanced ledger, both told once', async () => {
    const listing = await createListing(t, host, { instantBook: false });
    const booking = await bookAndPay(guest, listing.id, '2031-06-01', '2031-06-04');
    expect(booking.status).toBe('awaiting_host');
    expect(Date.parse(booking.requestExpiresAt) - clock.getTime()).toBe(24 * 3_600_000);

    // Not yet: one minute before the deadline nothing happens.
    clock = new Date(Date.parse(booking.requestExpiresAt) - 60_000);
    await expireRequests();
    expect((await ok(guest, 'GET', `/api/v1/bookings/${booking.id}`)).status).toBe('awaiting_host');

    clock = new Date(Date.parse(booking.requestExpiresAt) + 60_000);
    const pushed = await pushedTo(guest.id, expireRequests);
    expect(pushed.map((e) => e.type)).toEqual(
      expect.arrayContaining(['booking.changed', 'notification.created']),
    );
    await expireRequests(); // a second run (a retried or overlapping job) changes nothing

    const expired = await ok(guest, 'GET', `/api/v1/bookings/${booking.id}`);
    expect(expired).toMatchObject({
      status: 'expired',
      refundedAmount: booking.total,
      requestExpiresAt: null,
    });
    expect(expired.events.at(-1)).toMatchObject({ from: 'awaiting_host', to: 'expired', actorId: null });
    const payments = await ok(guest, 'GET', `/api/v1/bookings/${booking.id}/payments`);
    expect(payments.refunds).toMatchObject([{ amount: booking.total, status: 'succeeded' }]);
    expect(Object.values(await ledgerBalance(t.ctx.db)).every((v) => v === 0)).toBe(true);

    for (const user of [guest, host]) {
      const told = (await feed(user)).filter(
        (n) => n.type === 'request.expired' && n.data['bookingId'] === booking.id,
      );
      expect(told).toHaveLength(1);
      const mails = (await outbox(user.email, 'request_expired')).filter(
        (e) => (e.payload as Record<string, unknown>)['bookingId'] === booking.id,
      );
      expect(mails).toHaveLength(1);
    }
    // Too late to answer now.
    expectProblem(
      await call(host, 'POST', `/api/v1/bookings/${booking.id}/accept`, {}),
      409,
      'illegal_transition',
    );
  });

  it('switching a category’s email off keeps the feed entry and sends no email', async () => {
    const listing = await createListing(t, host, { instantBook: false });
    const prefs = await ok(guest, 'PATCH', '/api/v1/notifications/preferences', {
      email: { requests: false },
    });
    expect(prefs.categories.find((c: { category: string }) => c.category === 'requests')).toMatchObject({
      email: false,
      inApp: true,
    });
    expect(prefs.categories.find((c: { category: string }) => c.category === 'messages')).toMatchObject({
      email: true,
    });
    expectProblem(
      await call(guest, 'PATCH', '/api/v1/notifications/preferences', { email: { spam: true } }),
      400,
    );

    const booking = await bookAndPay(guest, listing.id, '2031-07-01', '2031-07-03');
    clock = new Date(Date.parse(booking.requestExpiresAt) + 1000);
    const before = (await outbox(guest.email, 'request_expired')).length;
    await expireRequests();
    expect(
      (await feed(guest)).filter((n) => n.type === 'request.expired' && n.data['bookingId'] === booking.id),
    ).toHaveLength(1);
    expect(await outbox(guest.email, 'request_expired')).toHaveLength(before);
    // The host still gets theirs.
    expect(
      (await outbox(host.email, 'request_expired')).filter(
        (e) => (e.payload as Record<string, unknown>)['bookingId'] === booking.id,
      ),
    ).toHaveLength(1);
    await ok(guest, 'PATCH', '/api/v1/notifications/preferences', { email: { requests: true } });
  });

  it('lets a host decline with a reason the guest is told', async () => {
    const listing = await createListing(t, host, { instantBook: false });
    const booking = await bookAndPay(guest, listing.id, '2031-08-01', '2031-08-03');
    await ok(host, 'POST', `/api/v1/bookings/${booking.id}/decline`, { reason: 'Renovation that week' });
    const declined = (await feed(guest)).find(
      (n) => n.type === 'request.declined' && n.data['bookingId'] === booking.id,
    );
    expect(declined?.title).toContain('Renovation that week');
  });

  it('makes a pre-approved stay instant for that guest, once', async () => {
    const listing = await createListing(t, host, { instantBook: false, maxGuests: 4 });
    const { conversation } = await ok(guest, 'POST', '/api/v1/conversations', {
      propertyId: listing.id,
      body: 'Free in September?',
    });
    expectProblem(
      await call(guest, 'POST', `/api/v1/conversations/${conversation.id}/pre-approvals`, {
        checkIn: '2031-09-01',
        checkOut: '2031-09-05',
        guests: 2,
      }),
      403,
      'not_host',
    );
    expectProblem(
      await call(host, 'POST', `/api/v1/conversations/${conversation.id}/pre-approvals`, {
        checkIn: '2031-09-05',
        checkOut: '2031-09-01',
        guests: 2,
      }),
      400,
    );
    const approval = await ok(host, 'POST', `/api/v1/conversations/${conversation.id}/pre-approvals`, {
      checkIn: '2031-09-01',
      checkOut: '2031-09-05',
      guests: 2,
    });
    expect(approval).toMatchObject({ guestId: guest.id, bookingId: null });
    expect(
      (await feed(guest)).some(
        (n) => n.type === 'preapproval.received' && n.data['preApprovalId'] === approval.id,
      ),
    ).toBe(true);

    const instant = await bookAndPay(guest, listing.id, '2031-09-01', '2031-09-05');
    expect(instant.status).toBe('confirmed');
    const used = await t.ctx.db
      .selectFrom('pre_approvals')
      .select('booking_id')
      .where('id', '=', approval.id)
      .executeTakeFirstOrThrow();
    expect(used.booking_id).toBe(instant.id);
    // Used once: other dates (or these again, after a cancellation) are a request again.
    const request = await bookAndPay(guest, listing.id, '2031-09-10', '2031-09-12');
    expect(request.status).toBe('awaiting_host');
    const url = `/api/v1/conversations/${conversation.id}/pre-approvals`;
    expectProblem(await call(host, 'DELETE', `${url}/${approval.id}`), 409, 'pre_approval_used');

    // A withdrawn offer no longer makes a booking instant.
    const offer = await ok(host, 'POST', url, { checkIn: '2031-09-20', checkOut: '2031-09-23', guests: 2 });
    expectProblem(await call(guest, 'DELETE', `${url}/${offer.id}`), 403, 'not_host');
    expectProblem(await call(stranger, 'DELETE', `${url}/${offer.id}`), 404, 'not_found');
    expectProblem(await call(stranger, 'GET', url), 404, 'not_found');
    expect(await ok(host, 'DELETE', `${url}/${offer.id}`)).toMatchObject({ id: offer.id, withdrawn: true });
    expect(
      (await ok(guest, 'GET', url)).map((p: { id: string; withdrawn: boolean; bookingId: string | null }) => [
        p.id,
        p.withdrawn,
        p.bookingId,
      ]),
    ).toEqual([
      [offer.id, true, null],
      [approval.id, false, instant.id],
    ]);
    expect((await bookAndPay(guest, listing.id, '2031-09-20', '2031-09-23')).status).toBe('awaiting_host');
  });
});

describe('notification feed', () => {
  it('counts unread, marks some or all read, and ignores other users’ ids', async () => {
    const mine = await feed(host);
    expect(mine.length).toBeGreaterThan(1);
    const { unread } = await ok(host, 'GET', '/api/v1/notifications/unread-count');
    const strangers = await ok(stranger, 'POST', '/api/v1/notifications/read', { ids: [mine[0]?.id] });
    expect(strangers.marked).toBe(0);
    const unreadOne = mine.find((n) => n.readAt === null);
    const marked = await ok(host, 'POST', '/api/v1/notifications/read', { ids: [unreadOne?.id] });
    expect(marked).toEqual({ marked: 1, unread: unread - 1 });
    const page = await ok(host, 'GET', '/api/v1/notifications?unread=true&limit=2');
    expect(page.items.every((n: { readAt: string | null }) => n.readAt === null)).toBe(true);
    expect((await ok(host, 'POST', '/api/v1/notifications/read', {})).unread).toBe(0);
    expectProblem(
      await call(host, 'POST', '/api/v1/notifications/read', { ids: Array(101).fill(mine[0]?.id) }),
      400,
    );
  });
});

describe('message rate limit', () => {
  it('answers 429 past RATE_LIMIT_MESSAGES_MAX per user', async () => {
    const limited = await createTestApp({ database: t.database, env: { RATE_LIMIT_MESSAGES_MAX: '3' } });
    try {
      const listing = await createListing(t, host);
      const post = (user: TestUser) =>
        limited.app.inject({
          method: 'POST',
          url: '/api/v1/conversations',
          headers: user.auth,
          payload: { propertyId: listing.id, body: 'hi' },
        });
      for (let i = 0; i < 3; i++) expect((await post(guest)).statusCode).toBe(201);
      const refused = await post(guest);
      expect(refused.statusCode).toBe(429);
      expect(refused.json().code).toBe('rate_limited');
      expect(refused.headers['retry-after']).toBeDefined();
      // Another user has a count of their own.
      expect((await post(stranger)).statusCode).toBe(201);
    } finally {
      await limited.close();
    }
  });
});
