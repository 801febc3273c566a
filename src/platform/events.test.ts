/**
 * The event buses, on the real Redis (a channel of this file's own): two RedisEventBus instances (two
 * API processes' worth) deliver to each other's listeners; the local bus; publish never throwing when
 * Redis cannot be reached, and still reaching this process's listeners.
 */
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../test/support/processes.js';
import { redisUrl, testRedis, uniquePrefix } from '../../test/support/redis.js';
import { LocalEventBus, type RealtimeEvent, RedisEventBus } from './events.js';
import { registry } from './metrics.js';

const channel = `${uniquePrefix('events')}:events`;
const clients: Redis[] = [];
const buses: RedisEventBus[] = [];

function bus(redis: Redis = testRedis()): RedisEventBus {
  clients.push(redis);
  const b = new RedisEventBus(redis, { channel });
  buses.push(b);
  return b;
}

afterAll(async () => {
  for (const b of buses) await b.close();
  for (const c of clients) c.disconnect();
});

/** Collects what a listener receives. */
function inbox() {
  const got: RealtimeEvent[] = [];
  const waiters: (() => void)[] = [];
  let read = 0;
  return {
    got,
    listener: (e: RealtimeEvent) => {
      got.push(e);
      for (const w of waiters.splice(0)) w();
    },
    /** The next event not yet read, when it arrives. */
    next(timeoutMs = 1000): Promise<RealtimeEvent> {
      const have = read++;
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no event within ${timeoutMs} ms`)), timeoutMs);
        const check = () => {
          if (got.length > have) {
            clearTimeout(t);
            resolve(got[have]!);
          } else waiters.push(check);
        };
        check();
      });
    },
  };
}

async function published(via: string): Promise<number> {
  const metric = (await registry.getMetricsAsJSON()).find(
    (m) => m.name === 'roost_realtime_events_published_total',
  );
  return (metric?.values ?? [])
    .filter((v) => v.labels['via'] === via)
    .reduce((sum, v) => sum + Number(v.value), 0);
}

describe('RedisEventBus', () => {
  it('delivers an event published by one bus to the listeners of its recipients on another', async () => {
    const a = bus();
    const b = bus();
    const alice = inbox();
    const bob = inbox();
    const carol = inbox();
    // No subscriber connection until something listens.
    expect(a.subscriberOpen).toBe(false);
    a.subscribe('alice', alice.listener);
    a.subscribe('carol', carol.listener);
    b.subscribe('bob', bob.listener);
    await Promise.all([a.whenSubscribed(), b.whenSubscribed()]);
    expect(a.subscriberOpen).toBe(true);

    const started = performance.now();
    await b.publish(['alice', 'bob', 'alice'], { type: 'message.created', data: { body: 'hi' } });
    const [toAlice, toBob] = await Promise.all([alice.next(), bob.next()]);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(toAlice).toMatchObject({ type: 'message.created', data: { body: 'hi' } });
    expect(toAlice.id).toBe(toBob.id);
    expect(new Date(toAlice.at).getTime()).toBeGreaterThan(Date.now() - 5000);
    // Once each, however often a recipient is named; nobody else.
    await new Promise((r) => setTimeout(r, 100));
    expect(alice.got).toHaveLength(1);
    expect(carol.got).toHaveLength(0);
  });

  it('stops delivering to a listener once unsubscribed', async () => {
    const a = bus();
    const b = bus();
    const first = inbox();
    const second = inbox();
    const off = a.subscribe('dave', first.listener);
    a.subscribe('dave', second.listener);
    await a.whenSubscribed();
    off();
    await b.publish(['dave'], { type: 'notification.created', data: { n: 1 } });
    await second.next();
    await new Promise((r) => setTimeout(r, 100));
    expect(first.got).toHaveLength(0);
  });

  it('delivers what a process publishes before its client has connected (the worker, right after it starts)', async () => {
    const a = bus();
    const grace = inbox();
    a.subscribe('grace', grace.listener);
    await a.whenSubscribed();
    // Not connected at all until asked: the first PUBLISH is what starts the connection.
    const fresh = new Redis(redisUrl(), { lazyConnect: true });
    expect(fresh.status).toBe('wait');
    const starting = bus(fresh);
    const before = await published('redis');
    await starting.publish(['grace'], { type: 'booking.changed', data: { status: 'expired' } });
    expect(await grace.next()).toMatchObject({ type: 'booking.changed', data: { status: 'expired' } });
    expect(await published('redis')).toBe(before + 1);
    // A client still connecting (created just now) is waited for as well.
    const connecting = bus(testRedis());
    expect(connecting.subscriberOpen).toBe(false);
    await connecting.publish(['grace'], { type: 'booking.changed', data: { status: 'confirmed' } });
    expect(await grace.next()).toMatchObject({ data: { status: 'confirmed' } });
  });

  it('never throws when Redis cannot be reached, and still delivers to its own listeners', async () => {
    const port = await freePort(); // nothing listens there
    const down = new Redis(`redis://127.0.0.1:${port}`, {
      maxRetriesPerRequest: 1,
      retryStrategy: () => 200,
      enableOfflineQueue: true,
    });
    const lonely = bus(down);
    const erin = inbox();
    lonely.subscribe('erin', erin.listener);
    const before = await published('local');
    const started = performance.now();
    await expect(
      lonely.publish(['erin', 'frank'], { type: 'booking.changed', data: { status: 'cancelled' } }),
    ).resolves.toBeUndefined();
    expect(performance.now() - started).toBeLessThan(500);
    expect(await erin.next()).toMatchObject({ type: 'booking.changed', data: { status: 'cancelled' } });
    expect(await published('local')).toBe(before + 1);
    await lonely.close();
  });
});

describe('LocalEventBus', () => {
  it("delivers to this process's listeners of the recipients only", async () => {
    const local = new LocalEventBus();
    const alice = inbox();
    const bob = inbox();
    const off = local.subscribe('alice', alice.listener);
    local.subscribe('bob', bob.listener);
    await local.publish(['alice', 'alice'], { type: 'conversation.read', data: { seq: 3 } });
    expect(alice.got).toHaveLength(1);
    expect(alice.got[0]).toMatchObject({ type: 'conversation.read', data: { seq: 3 } });
    expect(bob.got).toHaveLength(0);
    off();
    await local.publish(['alice'], { type: 'conversation.read', data: { seq: 4 } });
    expect(alice.got).toHaveLength(1);
    expect(local.listeners.size).toBe(1);
    // A failing listener does not keep the others from theirs.
    local.subscribe('bob', () => {
      throw new Error('boom');
    });
    await local.publish(['bob'], { type: 'notification.created', data: {} });
    expect(bob.got).toHaveLength(1);
  });
});
