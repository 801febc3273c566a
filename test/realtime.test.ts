/**
 * Real-time delivery across API processes: two real API processes (src/server.ts, as `npm start` runs
 * it) on one database and one Redis DB index, as a deployment behind a load balancer runs. Subscribers
 * connect to process A (SSE with a bearer token, SSE with a ticket made on B, a GraphQL subscription over
 * WebSocket); a guest writes to a host through process B's REST API; the host's connections on A get
 * `message.created` within a second, and a third user's stream gets nothing. The worker process (as
 * `npm run worker` runs it) expires an unanswered paid request on its schedule: the guest's stream on an
 * API process gets the change the worker published, and the refund, ledger, notifications and emails
 * are there exactly once.
 *
 * The engine under test (PGlite, an embedded database, serves one process only: there, PostgreSQL).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiProcess, startApiProcess } from './support/api-process.js';
import { insertBooking, insertListing } from './support/factories.js';
import { freePort, startRoost } from './support/processes.js';
import {
  EVENTS_SUBSCRIPTION,
  type GraphqlSocket,
  openGraphqlSocket,
  openSse,
  type SseStream,
} from './support/realtime-clients.js';
import { waitFor } from './support/redis.js';
import { createTestApp, createUser, type TestApp, type TestUser } from './support/test-app.js';
import { testDbKind } from './support/test-db.js';

let a: ApiProcess;
let b: ApiProcess;
/** An app on the same database, for the factories (users, sessions, a listing). */
let t: TestApp;
let host: TestUser;
let guest: TestUser;
let stranger: TestUser;
let propertyId: string;
const streams: SseStream[] = [];
const sockets: GraphqlSocket[] = [];

beforeAll(async () => {
  a = await startApiProcess({
    name: 'realtime-a',
    redisDb: 9,
    ...(testDbKind() === 'pglite' ? { engine: 'postgres' as const } : {}),
  });
  b = await startApiProcess({ name: 'realtime-b', redisDb: 9, sharing: a });
  t = await createTestApp({ database: a.database! });
  host = await createUser(t, 'host');
  guest = await createUser(t, 'guest');
  stranger = await createUser(t, 'guest');
  propertyId = (await insertListing(t, host.id)).id;
}, 180_000);

afterAll(async () => {
  for (const s of streams) s.close();
  for (const w of sockets) w.close();
  await b?.close();
  await t?.close();
  await a?.close();
});

async function post(base: string, path: string, user: TestUser, body: unknown) {
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { ...user.auth, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** The value of one sample in process `p`'s GET /metrics. */
async function metric(p: ApiProcess, sample: string): Promise<number> {
  const text = await (await fetch(`${p.baseUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${sample} `));
  return line ? Number(line.split(' ')[1]) : 0;
}

describe('events published on one API process reach subscribers on another', () => {
  it('a message posted through B reaches the host on A (SSE and GraphQL) within 1 s; a stranger gets nothing', async () => {
    // The host: an SSE stream with the token, and a GraphQL subscription, both on A.
    const hostSse = await openSse(`${a.baseUrl}/api/v1/events`, host.auth);
    streams.push(hostSse);
    expect(hostSse.status).toBe(200);
    expect((await hostSse.next()).event).toBe('ready');
    const hostWs = await openGraphqlSocket(a.baseUrl, {
      payload: { authorization: host.auth.authorization },
    });
    sockets.push(hostWs);
    await hostWs.next('connection_ack');
    hostWs.subscribe('host', EVENTS_SUBSCRIPTION);
    // A stranger: SSE on A with a ticket made on B (tickets live in the shared Redis).
    const ticket = await post(b.baseUrl, '/api/v1/events/tickets', stranger, {});
    expect(ticket.status).toBe(201);
    const strangerSse = await openSse(`${a.baseUrl}/api/v1/events?ticket=${String(ticket.body['ticket'])}`);
    streams.push(strangerSse);
    expect(strangerSse.status).toBe(200);
    expect((await strangerSse.next()).event).toBe('ready');
    await waitFor(
      async () => (await metric(a, 'roost_realtime_connections{transport="graphql-ws"}')) === 1,
      5_000,
      'the GraphQL subscription on A',
    );

    // The guest asks the host about the listing, through B.
    const sent = performance.now();
    const started = await post(b.baseUrl, '/api/v1/conversations', guest, {
      propertyId,
      body: 'Hello! Is the terrace shaded in the afternoon?',
    });
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    const message = started.body['message'] as { id: string; conversationId?: string };
    const conversation = started.body['conversation'] as { id: string };

    const frame = await hostSse.next(1_000);
    expect(frame.at - sent).toBeLessThan(1_000);
    expect(frame.event).toBe('message.created');
    const event = JSON.parse(frame.data) as { id: string; type: string; data: { id: string } };
    expect(frame.id).toBe(event.id);
    expect(event).toMatchObject({ type: 'message.created', data: { id: message.id } });
    const pushed = await hostWs.next('next', 1_000);
    expect(pushed.at - sent).toBeLessThan(1_000);
    expect(pushed.payload).toMatchObject({
      data: { events: { id: event.id, type: 'message.created', data: { id: message.id } } },
    });

    // The host answers through B's other route; the guest's stream on A gets it (and the host's too).
    const guestSse = await openSse(`${a.baseUrl}/api/v1/events`, guest.auth);
    streams.push(guestSse);
    await guestSse.next();
    const reply = await post(b.baseUrl, `/api/v1/conversations/${conversation.id}/messages`, host, {
      body: 'Yes, from three o’clock on.',
    });
    expect(reply.status, JSON.stringify(reply.body)).toBe(201);
    const replyId = (reply.body['message'] as { id: string }).id;
    const toGuest = JSON.parse((await guestSse.next(1_000)).data) as { data: { id: string } };
    expect(toGuest.data.id).toBe(replyId);

    // Nothing for the stranger.
    await new Promise((r) => setTimeout(r, 300));
    expect(strangerSse.frames.map((f) => f.event)).toEqual(['ready']);
    // Counted: B published over Redis, A delivered.
    expect(
      await metric(b, 'roost_realtime_events_published_total{type="message.created",via="redis"}'),
    ).toBeGreaterThanOrEqual(2);
    expect(
      await metric(a, 'roost_realtime_events_delivered_total{type="message.created"}'),
    ).toBeGreaterThanOrEqual(4);
  });

  it('SIGTERM: open streams end at once (`end`, server_shutdown) and do not hold the drain', async () => {
    const sse = await openSse(`${a.baseUrl}/api/v1/events`, host.auth);
    streams.push(sse);
    await sse.next();
    const ws = await openGraphqlSocket(a.baseUrl, { payload: { authorization: host.auth.authorization } });
    sockets.push(ws);
    await ws.next('connection_ack');
    ws.subscribe('shutdown', EVENTS_SUBSCRIPTION);
    await waitFor(
      async () => (await metric(a, 'roost_realtime_connections{transport="graphql-ws"}')) >= 1,
      5_000,
      'the GraphQL subscription on A',
    );
    const exit = await a.api.stop('SIGTERM', 15_000);
    expect(exit.code).toBe(0);
    // Far below the drain timeout (6 s, then the connections are cut) an open stream would run into.
    expect(exit.ms).toBeLessThan(3_000);
    const end = sse.frames.find((f) => f.event === 'end');
    expect(end && JSON.parse(end.data)).toEqual({ reason: 'server_shutdown' });
    expect((await ws.closed).code).toBe(1001);
  });
});

describe('the worker publishes to API subscribers', () => {
  it('expires an unanswered paid request on its schedule; the guest connected to B hears of it from the worker', async () => {
    const requestOnly = (await insertListing(t, host.id, { instantBook: false })).id;
    const booking = await insertBooking(t, {
      guestId: guest.id,
      propertyId: requestOnly,
      checkIn: '2031-10-01',
      checkOut: '2031-10-04',
      status: 'awaiting_host',
    });
    // Its answer time has passed.
    await t.ctx.db
      .updateTable('bookings')
      .set({ request_expires_at: new Date(Date.now() - 60_000) })
      .where('id', '=', booking.id)
      .execute();

    const guestSse = await openSse(`${b.baseUrl}/api/v1/events`, guest.auth);
    streams.push(guestSse);
    expect((await guestSse.next()).event).toBe('ready');

    // Every scheduled job runs once when a worker starts: `expire-requests` among them.
    const worker = startRoost(
      'src/worker.ts',
      { ...b.env, WORKER_METRICS_PORT: String(await freePort()) },
      'worker',
    );
    try {
      const seen: { type: string; data: Record<string, unknown> }[] = [];
      await waitFor(
        async () => {
          const frame = await guestSse.next(20_000);
          const event = JSON.parse(frame.data) as { type: string; data: Record<string, unknown> };
          seen.push(event);
          return event.type === 'booking.changed' && event.data['bookingId'] === booking.id;
        },
        30_000,
        'the booking change pushed from the worker',
      );
      expect(seen.find((e) => e.type === 'booking.changed')?.data).toMatchObject({
        bookingId: booking.id,
        status: 'expired',
        from: 'awaiting_host',
      });

      const row = await t.ctx.db
        .selectFrom('bookings')
        .selectAll()
        .where('id', '=', booking.id)
        .executeTakeFirstOrThrow();
      expect(row).toMatchObject({ status: 'expired', refunded_amount: booking.total });
      await waitFor(
        async () =>
          (
            await t.ctx.db
              .selectFrom('refunds')
              .select('status')
              .where('booking_id', '=', booking.id)
              .execute()
          )
            .map((r) => r.status)
            .join() === 'succeeded',
        10_000,
        'the refund carried out',
      );
      const entries = await t.ctx.db.selectFrom('ledger_entries').select('amount').execute();
      expect(entries.reduce((sum, e) => sum + Number(e.amount), 0)).toBe(0);
      for (const user of [guest, host]) {
        const told = await t.ctx.db
          .selectFrom('notifications')
          .select('id')
          .where('user_id', '=', user.id)
          .where('type', '=', 'request.expired')
          .execute();
        expect(told).toHaveLength(1);
        const mails = await t.ctx.db
          .selectFrom('email_outbox')
          .select('id')
          .where('recipient', '=', user.email)
          .where('template', '=', 'request_expired')
          .execute();
        expect(mails).toHaveLength(1);
      }
    } finally {
      await worker.stop('SIGTERM', 15_000);
    }
  });
});
