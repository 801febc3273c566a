/**
 * The demo world, made on the test database through the real flows: what it holds (listings with
 * photos served under /media, bookings in every state with consistent payments and ledger), that it is
 * made once, that the same seed makes the same content, and that a demo guest can review a completed
 * stay and an admin can complete a confirmed one (development only). Its conversations and feeds come
 * from the flows too: every booking's thread with the guest's message, the demo guest's inquiry (contact
 * details masked, a pre-approval), check-in details, notifications for every guest and host, and an email
 * with a real template for each of them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, expectProblem, type TestApp } from '../../test/support/test-app.js';
import { DEMO_PASSWORD, DEMO_USERS, DEMO_WORLD_USERS } from '../modules/accounts/demo-users.js';
import { BOOKING_STATUSES } from '../modules/bookings/state.js';
import { MASKS } from '../modules/messaging/masking.js';
import { ledgerBalance } from '../modules/payments/ledger.js';
import type { Actor } from '../platform/auth.js';
import { LocalFileStore } from '../platform/file-store.js';
import { EMAIL_TEMPLATE_NAMES, renderEmail } from '../platform/mailer.js';
import {
  DEMO_CHECKIN_DETAILS,
  type DemoWorldSummary,
  demoWorldWanted,
  ensureDemoWorld,
} from './demo-world.js';
import { getConversation, listMessages } from './messages.js';

const uploads = mkdtempSync(join(tmpdir(), 'roost-demo-uploads-'));
let t: TestApp;
let first: DemoWorldSummary;
const files = new LocalFileStore(uploads);
const today = new Date().toISOString().slice(0, 10);
const addDays = (day: string, n: number) =>
  new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);

beforeAll(async () => {
  t = await createTestApp({ env: { UPLOADS_DIR: uploads } });
  first = await ensureDemoWorld(t.ctx, files, { onlyIfEmpty: true });
}, 120_000);
afterAll(async () => {
  await t.close();
  rmSync(uploads, { recursive: true, force: true });
});

async function login(email: string) {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { email, password: DEMO_PASSWORD },
  });
  expect(res.statusCode, res.body).toBe(200);
  return { authorization: `Bearer ${res.json().accessToken as string}` };
}

describe('the demo world', () => {
  it('holds 50 listed listings with generated photos, and bookings in every state', async () => {
    expect(first).toMatchObject({ created: true, users: 9, listings: 50, photos: 75, conversations: 29 });
    expect(first.notifications).toBeGreaterThan(29);
    expect(Object.keys(first.bookings).sort()).toEqual([...BOOKING_STATUSES].sort());
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/properties?limit=100' });
    expect(res.statusCode).toBe(200);
    const items = res.json().items as { city: string; coverPhoto: { url: string } | null }[];
    expect(items).toHaveLength(50);
    expect(new Set(items.map((i) => i.city)).size).toBe(10);
    // Every card has a cover, and it is a real PNG served by /media.
    expect(items.every((i) => i.coverPhoto !== null)).toBe(true);
    const image = await t.app.inject({ method: 'GET', url: items[0]!.coverPhoto!.url });
    expect(image.statusCode).toBe(200);
    expect(image.headers['content-type']).toBe('image/png');
    expect(image.rawPayload.subarray(1, 4).toString()).toBe('PNG');
    expect(image.rawPayload.readUInt32BE(16)).toBe(480); // IHDR width
    const policies = await t.ctx.db
      .selectFrom('properties')
      .select('cancellation_policy')
      .distinct()
      .execute();
    expect(policies.map((p) => p.cancellation_policy).sort()).toEqual(['flexible', 'moderate', 'strict']);
  });

  it('has payments, refunds and ledger postings consistent with each booking state', async () => {
    const rows = await t.ctx.db
      .selectFrom('bookings as b')
      .leftJoin('payments as p', (j) => j.onRef('p.booking_id', '=', 'b.id').on('p.status', '=', 'succeeded'))
      .select([
        'b.id',
        'b.status',
        'b.total',
        'b.refunded_amount',
        'p.amount as paid',
        'p.refunded_amount as paid_back',
      ])
      .execute();
    for (const r of rows) {
      const unpaid = r.status === 'pending_payment' || r.status === 'expired';
      expect(r.paid ?? null, `${r.status} ${r.id}`).toBe(unpaid ? null : r.total);
      const refundedInFull =
        r.status === 'declined' || r.status === 'cancelled_by_host' || r.status === 'cancelled_by_guest';
      expect(r.refunded_amount, `${r.status} ${r.id}`).toBe(refundedInFull ? r.total : 0);
      if (!unpaid) expect(r.paid_back).toBe(r.refunded_amount);
    }
    const refunds = await t.ctx.db.selectFrom('refunds').select(['status']).execute();
    expect(refunds.length).toBe(3);
    expect(refunds.every((r) => r.status === 'succeeded')).toBe(true);
    expect(Object.values(await ledgerBalance(t.ctx.db)).every((v) => v === 0)).toBe(true);
  });

  it('is made once: a second run, or a run on a database with accounts, makes nothing', async () => {
    const counts = async () =>
      Promise.all(
        (['users', 'properties', 'bookings', 'reviews', 'property_photos'] as const).map(async (table) =>
          Number(
            (
              await t.ctx.db
                .selectFrom(table)
                .select((eb) => eb.fn.countAll<number>().as('n'))
                .executeTakeFirstOrThrow()
            ).n,
          ),
        ),
      );
    const before = await counts();
    expect(await ensureDemoWorld(t.ctx, files)).toMatchObject({
      created: false,
      reason: expect.stringMatching(/there already/),
    });
    expect(await ensureDemoWorld(t.ctx, files, { onlyIfEmpty: true })).toMatchObject({
      created: false,
      reason: expect.stringMatching(/already has accounts/),
    });
    expect(await counts()).toEqual(before);
  });

  it('makes the same content from the same seed on another database', async () => {
    const other = await createTestApp();
    try {
      await ensureDemoWorld(other.ctx, files);
      const content = (app: TestApp) =>
        app.ctx.db
          .selectFrom('properties as p')
          .innerJoin('property_photos as f', 'f.property_id', 'p.id')
          .select(['p.title', 'p.city', 'p.nightly_price', 'p.latitude', 'p.longitude', 'f.storage_key'])
          .orderBy('f.storage_key')
          .execute();
      expect(await content(other)).toEqual(await content(t));
    } finally {
      await other.close();
    }
  }, 120_000);

  it("lets the demo guest review a completed stay, once, and shows the host the guests' messages", async () => {
    const guest = await login('guest@roost.dev');
    const past = (
      await t.app.inject({ method: 'GET', url: '/api/v1/bookings?when=past', headers: guest })
    ).json();
    const stay = past.items[0];
    expect(stay).toMatchObject({ status: 'completed', checkOut: addDays(today, -2) });
    const review = {
      bookingId: stay.id,
      rating: 5,
      cleanliness: 5,
      accuracy: 5,
      communication: 5,
      location: 5,
      checkIn: 5,
      value: 4,
      body: 'Lovely stay, the host left fresh bread and coffee for us.',
    };
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/reviews',
      headers: guest,
      payload: review,
    });
    expect(created.statusCode, created.body).toBe(201);
    expectProblem(
      await t.app.inject({ method: 'POST', url: '/api/v1/reviews', headers: guest, payload: review }),
      409,
      'already_reviewed',
    );
    const host = await login('host@roost.dev');
    const requests = (
      await t.app.inject({ method: 'GET', url: '/api/v1/bookings?as=host&limit=100', headers: host })
    ).json().items as { status: string; message: string | null }[];
    const waiting = requests.filter((b) => b.status === 'awaiting_host');
    expect(waiting.length).toBeGreaterThan(0);
    expect(waiting.every((b) => typeof b.message === 'string' && b.message.length > 0)).toBe(true);
    // GraphQL shows the host the same messages.
    const gql = await t.app.inject({
      method: 'POST',
      url: '/graphql',
      headers: host,
      payload: {
        query: '{ bookings(as: "host", when: "upcoming", first: 50) { edges { node { status message } } } }',
      },
    });
    expect(gql.statusCode, gql.body).toBe(200);
    const nodes = (
      gql.json().data.bookings.edges as { node: { status: string; message: string | null } }[]
    ).map((e) => e.node);
    expect(nodes.filter((n) => n.status === 'awaiting_host').map((n) => n.message)).toEqual(
      waiting.map((b) => b.message),
    );
  });
});

interface Conversation {
  id: string;
  bookingId: string | null;
  unread: number;
  contactDetailsVisible: boolean;
  listing: { id: string; title: string };
  otherParty: { id: string; firstName: string } | null;
}
interface Message {
  senderId: string | null;
  kind: string;
  body: string;
  masked: boolean;
}

describe('conversations and notifications in the demo world', () => {
  const actor = async (email: string): Promise<Actor> => {
    const u = await t.ctx.db
      .selectFrom('users')
      .select(['id', 'role'])
      .where('email', '=', email)
      .executeTakeFirstOrThrow();
    return { userId: u.id, role: u.role, sessionId: 'demo-world-test' };
  };
  const get = async <T>(url: string, headers: { authorization: string }): Promise<T> => {
    const res = await t.app.inject({ method: 'GET', url, headers });
    expect(res.statusCode, `${url}: ${res.body}`).toBe(200);
    return res.json() as T;
  };
  const conversationsOf = async (headers: { authorization: string }) =>
    (await get<{ items: Conversation[] }>('/api/v1/conversations?limit=100', headers)).items;
  const messagesOf = async (id: string, headers: { authorization: string }) =>
    (await get<{ items: Message[] }>(`/api/v1/conversations/${id}/messages?limit=100`, headers)).items;

  it("joined every booking to its thread when it was made, with the guest's message in it", async () => {
    const booked = await t.ctx.db
      .selectFrom('bookings')
      .select(['id', 'guest_id', 'host_id', 'property_id', 'guest_message'])
      .execute();
    expect(booked.filter((b) => b.guest_message).length).toBeGreaterThanOrEqual(3);
    for (const b of booked) {
      const c = await t.ctx.db
        .selectFrom('conversations')
        .selectAll()
        .where('booking_id', '=', b.id)
        .executeTakeFirst();
      expect(c, `the thread of booking ${b.id}`).toMatchObject({
        guest_id: b.guest_id,
        host_id: b.host_id,
        property_id: b.property_id,
      });
      if (!b.guest_message) continue;
      const guest = { userId: b.guest_id, role: 'guest' as const, sessionId: 'demo-world-test' };
      const { items } = await listMessages(t.ctx, guest, c!.id, { limit: 100 });
      const written = items.filter((m) => m.kind === 'text' && m.senderId === b.guest_id).map((m) => m.body);
      expect(written, b.id).toContain(b.guest_message);
    }
  });

  it("has the demo guest's inquiry: back and forth, contact details masked, and a pre-approval", async () => {
    const guest = await login('guest@roost.dev');
    const host = await login('host@roost.dev');
    const hugo = await actor('host@roost.dev');
    const greta = await actor('guest@roost.dev');
    const inquiries = (await conversationsOf(guest)).filter((c) => c.bookingId === null);
    expect(inquiries).toHaveLength(1);
    const inquiry = inquiries[0]!;
    expect(inquiry).toMatchObject({
      contactDetailsVisible: false,
      otherParty: { id: hugo.userId, firstName: 'Hugo' },
    });
    expect(inquiry.listing.title.length).toBeGreaterThan(0);
    // The host's last words and the pre-approval are unread for the guest.
    expect(inquiry.unread).toBeGreaterThanOrEqual(2);
    for (const headers of [guest, host]) {
      const messages = await messagesOf(inquiry.id, headers);
      expect(messages.map((m) => [m.kind, m.senderId])).toEqual([
        ['text', greta.userId],
        ['text', hugo.userId],
        ['text', greta.userId],
        ['text', hugo.userId],
        ['pre_approval', hugo.userId],
      ]);
      // Nothing is booked: the phone number and the email address are hidden from both sides.
      const contact = messages[2]!;
      expect(contact.masked).toBe(true);
      expect(contact.body).toContain(MASKS.phone);
      expect(contact.body).toContain(MASKS.email);
      expect(contact.body).not.toMatch(/7700|900123|example\.com/);
      expect(messages.filter((m) => m.masked)).toHaveLength(1);
    }
    const approvals = await t.ctx.db
      .selectFrom('pre_approvals')
      .selectAll()
      .where('conversation_id', '=', inquiry.id)
      .execute();
    expect(approvals).toHaveLength(1);
    expect(approvals[0]).toMatchObject({ guest_id: greta.userId, host_id: hugo.userId, booking_id: null });
    expect(approvals[0]!.withdrawn_at).toBeNull();
    // Still usable: it lasts BOOKING_REQUEST_HOURS from the end of the demo world's making.
    expect(new Date(approvals[0]!.expires_at).getTime()).toBeGreaterThan(Date.now());
  });

  it("reveals contact details in a confirmed stay's thread, and shows its guest the check-in details", async () => {
    const guest = await login('guest@roost.dev');
    const greta = await actor('guest@roost.dev');
    const stay = await t.ctx.db
      .selectFrom('bookings')
      .select(['id', 'status'])
      .where('guest_id', '=', greta.userId)
      .where('guest_message', 'like', '%anniversary%')
      .executeTakeFirstOrThrow();
    expect(stay.status).toBe('confirmed');
    const thread = await get<Conversation>(`/api/v1/bookings/${stay.id}/conversation`, guest);
    expect(thread.contactDetailsVisible).toBe(true);
    const messages = await messagesOf(thread.id, guest);
    const reply = messages.find((m) => m.kind === 'text' && m.senderId === thread.otherParty?.id);
    expect(reply).toMatchObject({ masked: false, body: expect.stringContaining('+351 912 345 678') });
    const arrival = await get<{ details: string | null }>(`/api/v1/bookings/${stay.id}/arrival`, guest);
    expect(arrival.details).toBe(DEMO_CHECKIN_DETAILS);
  });

  it('hides each thread from anyone but its guest and host: 404 from the service and the API', async () => {
    const greta = await actor('guest@roost.dev');
    const threads = await t.ctx.db
      .selectFrom('conversations')
      .select(['id', 'booking_id'])
      .where('guest_id', '=', greta.userId)
      .execute();
    expect(threads.length).toBeGreaterThan(5);
    const inquiry = threads.find((c) => c.booking_id === null)!;
    const booked = threads.find((c) => c.booking_id !== null)!;
    // Another guest, and a host of other listings.
    for (const email of ['ines@roost.dev', 'marco@roost.dev']) {
      const stranger = await actor(email);
      for (const c of [inquiry, booked]) {
        const thread = await t.ctx.db
          .selectFrom('conversations')
          .select(['guest_id', 'host_id'])
          .where('id', '=', c.id)
          .executeTakeFirstOrThrow();
        if (thread.host_id === stranger.userId) continue; // marco may host one of Greta's stays
        await expect(getConversation(t.ctx, stranger, c.id)).rejects.toMatchObject({ status: 404 });
        await expect(listMessages(t.ctx, stranger, c.id, { limit: 10 })).rejects.toMatchObject({
          status: 404,
        });
      }
      const headers = await login(email);
      expectProblem(
        await t.app.inject({ method: 'GET', url: `/api/v1/conversations/${inquiry.id}`, headers }),
        404,
      );
      expectProblem(
        await t.app.inject({ method: 'GET', url: `/api/v1/conversations/${inquiry.id}/messages`, headers }),
        404,
      );
      expect((await conversationsOf(headers)).some((c) => c.id === inquiry.id)).toBe(false);
    }
  });

  it('gives every demo guest and host a feed of what happened to them', async () => {
    const people = [...DEMO_USERS, ...DEMO_WORLD_USERS].filter((u) => u.role !== 'admin');
    const feeds = new Map<string, { type: string; title: string; data: Record<string, unknown> }[]>();
    for (const u of people) {
      const items = (
        await get<{ items: { type: string; title: string; data: Record<string, unknown> }[] }>(
          '/api/v1/notifications?limit=100',
          await login(u.email),
        )
      ).items;
      expect(items.length, u.email).toBeGreaterThan(0);
      feeds.set(u.email, items);
    }
    const types = (email: string) => new Set(feeds.get(email)!.map((n) => n.type));
    expect([...types('guest@roost.dev')]).toEqual(
      expect.arrayContaining([
        'message.new',
        'preapproval.received',
        'checkin.details',
        'booking.confirmed',
        'request.accepted',
        'request.declined',
        'review.reminder',
      ]),
    );
    expect([...types('host@roost.dev')]).toEqual(
      expect.arrayContaining(['message.new', 'booking.requested', 'booking.new', 'payout.changed']),
    );
    expect([...types('theo@roost.dev')]).toEqual(
      expect.arrayContaining(['checkin.reminder', 'booking.cancelled']),
    );
    // The host's notice of the guest's messages in the inquiry: two of them, the latest masked.
    const inquiry = (await conversationsOf(await login('guest@roost.dev'))).find(
      (c) => c.bookingId === null,
    )!;
    const told = feeds.get('host@roost.dev')!.find((n) => n.data['conversationId'] === inquiry.id)!;
    expect(told).toMatchObject({ type: 'message.new', title: '2 new messages from Greta' });
    expect(told.data['preview']).toContain(MASKS.phone);
    expect(String(told.data['preview'])).not.toContain('7700');
  });

  it("renders every email in the demo world's outbox with its own template, never the check-in details", async () => {
    const outbox = await t.ctx.db
      .selectFrom('email_outbox')
      .select(['id', 'recipient', 'template', 'payload'])
      .execute();
    const templates = new Set(outbox.map((r) => r.template));
    for (const name of [
      'new_message',
      'preapproval_received',
      'checkin_details',
      'booking_request_received',
    ]) {
      expect(templates, name).toContain(name);
    }
    for (const row of outbox) {
      const data = (typeof row.payload === 'string' ? JSON.parse(row.payload) : row.payload) as Record<
        string,
        unknown
      >;
      expect(EMAIL_TEMPLATE_NAMES, row.template).toContain(row.template);
      const mail = renderEmail(row.id, row.recipient, row.template, data);
      expect(mail.text, row.template).not.toContain('{"');
      for (const part of [mail.subject, mail.text, mail.html]) {
        expect(part, row.template).not.toMatch(/undefined|null|NaN|4711|welcome-home|7700/);
      }
    }
  });
});

describe('completing a stay early (development)', () => {
  it('moves a confirmed stay into the past, completes it, and its guest can review it', async () => {
    const admin = await login('admin@roost.dev');
    const guest = await login('guest@roost.dev');
    const upcoming = (
      await t.app.inject({ method: 'GET', url: '/api/v1/bookings?when=upcoming&limit=100', headers: guest })
    ).json().items as { id: string; status: string; checkIn: string; checkOut: string; nights: number }[];
    const confirmed = upcoming.find((b) => b.status === 'confirmed')!;
    const url = `/api/v1/dev/bookings/${confirmed.id}/complete-stay`;
    expectProblem(await t.app.inject({ method: 'POST', url }), 401);
    expectProblem(await t.app.inject({ method: 'POST', url, headers: guest }), 403);
    expectProblem(
      await t.app.inject({
        method: 'POST',
        url: '/api/v1/dev/bookings/00000000-0000-4000-8000-000000000000/complete-stay',
        headers: admin,
      }),
      404,
    );
    const done = await t.app.inject({ method: 'POST', url, headers: admin });
    expect(done.statusCode, done.body).toBe(200);
    expect(done.json()).toMatchObject({
      status: 'completed',
      checkOut: today,
      checkIn: addDays(today, -confirmed.nights),
      nights: confirmed.nights,
    });
    expect(done.json().nightly.map((n: { date: string }) => n.date)[0]).toBe(
      addDays(today, -confirmed.nights),
    );
    const detail = (
      await t.app.inject({ method: 'GET', url: `/api/v1/bookings/${confirmed.id}`, headers: guest })
    ).json();
    expect(detail.events.at(-1)).toMatchObject({ from: 'confirmed', to: 'completed' });
    // Only once: it is completed now.
    expectProblem(await t.app.inject({ method: 'POST', url, headers: admin }), 409, 'illegal_transition');
    const reviewed = await t.app.inject({
      method: 'POST',
      url: '/api/v1/reviews',
      headers: guest,
      payload: {
        bookingId: confirmed.id,
        rating: 4,
        cleanliness: 4,
        accuracy: 4,
        communication: 5,
        location: 5,
        checkIn: 5,
        value: 4,
        body: 'Great flat for a short break, easy to reach from the station.',
      },
    });
    expect(reviewed.statusCode, reviewed.body).toBe(201);
  });

  it('moves the stay to the latest nights the listing has free', async () => {
    const admin = await login('admin@roost.dev');
    const guest = await login('guest@roost.dev');
    // A new 4-night booking on the listing of the stay that ended two days ago (its last 3 nights are taken).
    const past = (
      await t.app.inject({ method: 'GET', url: '/api/v1/bookings?when=past', headers: guest })
    ).json().items as { propertyId: string; checkIn: string; checkOut: string }[];
    const recent = past.find((b) => b.checkOut === addDays(today, -2))!;
    expect(recent).toBeDefined();
    const other = await login('ines@roost.dev');
    const booked = await t.app.inject({
      method: 'POST',
      url: '/api/v1/bookings',
      headers: other,
      payload: {
        propertyId: recent.propertyId,
        checkIn: addDays(today, 90),
        checkOut: addDays(today, 94),
        guests: 1,
      },
    });
    expect(booked.statusCode, booked.body).toBe(201);
    const paid = await t.app.inject({
      method: 'POST',
      url: `/api/v1/bookings/${booked.json().id}/pay`,
      headers: other,
      payload: { paymentMethod: 'pm_card_visa' },
    });
    expect(paid.statusCode, paid.body).toBe(200);
    const done = await t.app.inject({
      method: 'POST',
      url: `/api/v1/dev/bookings/${booked.json().id}/complete-stay`,
      headers: admin,
    });
    expect(done.statusCode, done.body).toBe(200);
    // Ending today or up to 2 days ago would overlap the finished stay: it ends the day that one began.
    expect(done.json()).toMatchObject({
      status: 'completed',
      checkOut: recent.checkIn,
      checkIn: addDays(recent.checkIn, -4),
    });
  });

  it('is not there in production (404), and the demo world is never wanted there', async () => {
    const prod = await createTestApp({ env: { NODE_ENV: 'production' }, database: t.database });
    try {
      const res = await prod.app.inject({
        method: 'POST',
        url: '/api/v1/dev/bookings/00000000-0000-4000-8000-000000000000/complete-stay',
      });
      expect(res.statusCode).toBe(404);
      expect(demoWorldWanted(prod.ctx.config, 'pglite')).toBe(false);
      await expect(ensureDemoWorld(prod.ctx, files)).rejects.toThrow(/never made in production/);
    } finally {
      await prod.close();
    }
    const dev = { ...t.ctx.config, NODE_ENV: 'development' as const };
    expect(demoWorldWanted({ ...dev, DEMO_DATA: 'auto' }, 'pglite')).toBe('if-empty');
    expect(demoWorldWanted({ ...dev, DEMO_DATA: 'auto' }, 'postgres')).toBe(false);
    expect(demoWorldWanted({ ...dev, DEMO_DATA: 'auto' }, 'mysql')).toBe(false);
    expect(demoWorldWanted({ ...dev, DEMO_DATA: 'on' }, 'mysql')).toBe('always');
    expect(demoWorldWanted({ ...dev, DEMO_DATA: 'off' }, 'pglite')).toBe(false);
    // Tests start servers on PGlite all the time: `auto` is for development only.
    expect(demoWorldWanted({ ...t.ctx.config, DEMO_DATA: 'auto' }, 'pglite')).toBe(false);
  });
});
