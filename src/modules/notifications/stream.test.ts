/**
 * The real-time endpoints of one app, over real sockets (the app listens on a port of its own): the SSE
 * stream (authentication by token or one-time ticket, the per-user cap, the end of a stream when its
 * session is signed out and at shutdown) and the GraphQL `events` subscription over WebSocket.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  EVENTS_SUBSCRIPTION,
  openGraphqlSocket,
  openSse,
  type SseStream,
} from '../../../test/support/realtime-clients.js';
import { createTestApp, createUser, type TestApp, type TestUser } from '../../../test/support/test-app.js';

let t: TestApp;
let base: string;
let alice: TestUser;
let bob: TestUser;

beforeAll(async () => {
  t = await createTestApp({
    env: { EVENTS_MAX_STREAMS_PER_USER: '2', EVENTS_SESSION_CHECK_SECONDS: '1' },
  });
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = t.app.server.address() as { port: number };
  base = `http://127.0.0.1:${port}`;
  alice = await createUser(t, 'guest');
  bob = await createUser(t, 'host');
});

afterAll(async () => {
  await t?.close();
});

const open: SseStream[] = [];
async function sse(path: string, headers: Record<string, string> = {}) {
  const s = await openSse(`${base}${path}`, headers);
  open.push(s);
  return s;
}

function problemOf(s: SseStream) {
  expect(String(s.headers['content-type'])).toMatch(/^application\/problem\+json/);
  return JSON.parse(s.body) as { status: number; code: string };
}

async function ticketFor(user: TestUser): Promise<string> {
  const res = await t.app.inject({ method: 'POST', url: '/api/v1/events/tickets', headers: user.auth });
  expect(res.statusCode, res.body).toBe(201);
  const body = res.json();
  expect(body.expiresIn).toBe(60);
  return body.ticket as string;
}

describe('GET /api/v1/events (Server-Sent Events)', () => {
  afterAll(() => {
    for (const s of open) s.close();
  });

  it('refuses a caller without a token or with a bad one (401)', async () => {
    const none = await sse('/api/v1/events');
    expect(none.status).toBe(401);
    expect(problemOf(none).code).toBe('unauthorized');
    const bad = await sse('/api/v1/events', { authorization: 'Bearer nope' });
    expect(bad.status).toBe(401);
    const noTicket = await sse(`/api/v1/events?ticket=${'x'.repeat(43)}`);
    expect(noTicket.status).toBe(401);
    expect(problemOf(noTicket).code).toBe('invalid_ticket');
    const tickets = await t.app.inject({ method: 'POST', url: '/api/v1/events/tickets' });
    expect(tickets.statusCode).toBe(401);
  });

  it("streams the caller's events: retry, ready, then id / event / data; nobody else's", async () => {
    const a = await sse('/api/v1/events', alice.auth);
    expect(a.status).toBe(200);
    expect(a.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(a.headers['cache-control']).toBe('no-cache, no-transform');
    expect(a.headers['content-encoding']).toBeUndefined();
    const ready = await a.next();
    expect(a.retry).toEqual(['3000']);
    expect(ready.event).toBe('ready');
    expect(JSON.parse(ready.data)).toMatchObject({ userId: alice.id });
    const b = await sse('/api/v1/events', bob.auth);
    await b.next();

    await t.ctx.events.publish([alice.id], { type: 'message.created', data: { body: 'hello' } });
    const frame = await a.next();
    expect(frame.event).toBe('message.created');
    const event = JSON.parse(frame.data);
    expect(event).toMatchObject({ type: 'message.created', data: { body: 'hello' } });
    expect(frame.id).toBe(event.id);
    await new Promise((r) => setTimeout(r, 100));
    expect(b.frames.map((f) => f.event)).toEqual(['ready']);
    a.close();
    b.close();
  });

  it('opens with a one-time ticket (no header), once', async () => {
    const ticket = await ticketFor(alice);
    const first = await sse(`/api/v1/events?ticket=${ticket}`);
    expect(first.status).toBe(200);
    expect(JSON.parse((await first.next()).data)).toMatchObject({ userId: alice.id });
    await t.ctx.events.publish([alice.id], { type: 'notification.created', data: { n: 1 } });
    expect((await first.next()).event).toBe('notification.created');
    const again = await sse(`/api/v1/events?ticket=${ticket}`);
    expect(again.status).toBe(401);
    expect(problemOf(again).code).toBe('invalid_ticket');
    first.close();
  });

  it('refuses a stream beyond EVENTS_MAX_STREAMS_PER_USER (429), and frees the place on disconnect', async () => {
    const one = await sse('/api/v1/events', bob.auth);
    const two = await sse('/api/v1/events', bob.auth);
    await Promise.all([one.next(), two.next()]);
    const three = await sse('/api/v1/events', bob.auth);
    expect(three.status).toBe(429);
    expect(problemOf(three).code).toBe('too_many_streams');
    // Another user is not counted against bob.
    const other = await sse('/api/v1/events', alice.auth);
    expect(other.status).toBe(200);
    other.close();
    one.close();
    await one.ended;
    let four: SseStream | undefined;
    for (let i = 0; i < 40 && four?.status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 25));
      four = await sse('/api/v1/events', bob.auth);
    }
    expect(four?.status).toBe(200);
    two.close();
    four?.close();
  });

  it('ends the stream when its session is signed out', async () => {
    const carol = await createUser(t, 'guest');
    const s = await sse('/api/v1/events', carol.auth);
    await s.next();
    const logout = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/logout',
      payload: { refreshToken: carol.refreshToken },
    });
    expect(logout.statusCode, logout.body).toBeLessThan(300);
    const end = await s.next(4000);
    expect(end.event).toBe('end');
    expect(JSON.parse(end.data)).toEqual({ reason: 'session_ended' });
    await s.ended;
    // And it cannot be opened again with that token.
    const again = await sse('/api/v1/events', carol.auth);
    expect(again.status).toBe(401);
  });
});

describe('GraphQL subscription `events` over WebSocket', () => {
  it("delivers the caller's events (optionally only some types), not another user's", async () => {
    const ws = await openGraphqlSocket(base, { payload: { authorization: alice.auth.authorization } });
    await ws.next('connection_ack');
    ws.subscribe('all', EVENTS_SUBSCRIPTION);
    ws.subscribe('reads', EVENTS_SUBSCRIPTION, { types: ['conversation.read'] });
    const other = await openGraphqlSocket(base, { headers: bob.auth });
    await other.next('connection_ack');
    other.subscribe('bob', EVENTS_SUBSCRIPTION);
    // Both subscriptions (and bob's) are listening once the process counts them.
    await waitForListeners(3);

    await t.ctx.events.publish([alice.id], { type: 'message.created', data: { body: 'hi', n: [1, 2] } });
    await t.ctx.events.publish([alice.id], { type: 'conversation.read', data: { seq: 7 } });
    const first = await ws.next('next');
    expect(first.id).toBe('all');
    expect(first.payload).toMatchObject({
      data: { events: { type: 'message.created', data: { body: 'hi', n: [1, 2] } } },
    });
    const reads = [await ws.next('next'), await ws.next('next')].find((m) => m.id === 'reads');
    expect(reads?.payload).toMatchObject({
      data: { events: { type: 'conversation.read', data: { seq: 7 } } },
    });
    await new Promise((r) => setTimeout(r, 100));
    expect(other.messages.filter((m) => m.type === 'next')).toHaveLength(0);
    ws.close();
    other.close();
    await Promise.all([ws.closed, other.closed]);
    await waitForListeners(0);
  });

  it('refuses an unauthenticated subscriber', async () => {
    // A bad token in connection_init: refused there.
    const bad = await openGraphqlSocket(base, { payload: { authorization: 'Bearer nope' } });
    expect((await bad.next()).type).toBe('connection_error');
    await bad.closed;
    // No token at all: the subscription is refused with the REST code.
    const anon = await openGraphqlSocket(base);
    await anon.next('connection_ack');
    anon.subscribe('1', EVENTS_SUBSCRIPTION);
    const error = await anon.next('error');
    expect(error.payload).toMatchObject([{ extensions: { code: 'unauthorized' } }]);
    anon.close();
  });

  it('applies the depth limit, validation and argument checks to subscriptions', async () => {
    const ws = await openGraphqlSocket(base, { payload: { authorization: alice.auth.authorization } });
    await ws.next('connection_ack');
    ws.subscribe('unknown-field', 'subscription { events { id nope } }');
    expect((await ws.next('error')).payload).toMatchObject([{ message: expect.stringContaining('nope') }]);
    ws.subscribe('bad-type', EVENTS_SUBSCRIPTION, { types: ['everything'] });
    expect((await ws.next('error')).payload).toMatchObject([{ extensions: { code: 'validation_error' } }]);
    ws.close();
  });
});

async function waitForListeners(n: number) {
  const listeners = (t.ctx.events as unknown as { listeners: { size: number } }).listeners;
  for (let i = 0; i < 200 && listeners.size !== n; i++) await new Promise((r) => setTimeout(r, 10));
  expect(listeners.size).toBe(n);
}

describe('shutdown', () => {
  it('ends open SSE streams (`end`, server_shutdown) and closes subscription sockets when the app closes', async () => {
    const other = await createTestApp({ database: t.database });
    await other.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = other.app.server.address() as { port: number };
    const url = `http://127.0.0.1:${port}`;
    const s = await openSse(`${url}/api/v1/events`, alice.auth);
    await s.next();
    const ws = await openGraphqlSocket(url, { payload: { authorization: alice.auth.authorization } });
    await ws.next('connection_ack');
    const started = performance.now();
    await other.close();
    expect(performance.now() - started).toBeLessThan(2000);
    const end = await s.next();
    expect(end.event).toBe('end');
    expect(JSON.parse(end.data)).toEqual({ reason: 'server_shutdown' });
    expect((await ws.closed).code).toBe(1001);
  });
});
