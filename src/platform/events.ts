/**
 * Real-time events for signed-in users: a new message, a notification, a booking that changed. Services
 * publish after their commit (`afterCommit`), addressed to user ids; every API process delivers them to
 * that user's open connections (Server-Sent Events, GraphQL subscriptions). Across processes the events
 * travel over Redis pub/sub (REDIS_URL set: `RedisEventBus`); without Redis, within this one process
 * (`LocalEventBus`).
 *
 * Delivery is at most once and only to connections open at that moment: nothing is stored for later.
 * A client that (re)connects refetches what it shows (conversations, notifications) instead of
 * expecting a replay.
 */
import type { Redis } from 'ioredis';
import { type GuardLogger, redisGuard } from './cache.js';
import { newId } from './crypto.js';
import { countRealtimeDelivered, countRealtimePublished } from './metrics.js';

export type RealtimeEventType =
  | 'message.created'
  | 'conversation.read'
  | 'notification.created'
  | 'booking.changed';

/** Every event type (GraphQL's `events(types:)` accepts these). */
export const REALTIME_EVENT_TYPES: readonly RealtimeEventType[] = [
  'message.created',
  'conversation.read',
  'notification.created',
  'booking.changed',
];

export interface RealtimeEvent {
  /** Unique per event (SSE `id:`). */
  id: string;
  type: RealtimeEventType;
  /** When it was published (ISO 8601). */
  at: string;
  /** The same view the REST API returns for the object (a message, a notification, a booking). */
  data: Record<string, unknown>;
}

export type RealtimeListener = (event: RealtimeEvent) => void;

export interface EventBus {
  /** Deliver `event` to every connection of these users, on every API process. Never throws. */
  publish(userIds: readonly string[], event: Pick<RealtimeEvent, 'type' | 'data'>): Promise<void>;
  /** Listen for this user's events on this process; returns the unsubscribe function. */
  subscribe(userId: string, listener: RealtimeListener): () => void;
  /**
   * Resolves once events published from other processes reach this one's listeners (the Redis
   * subscription is acknowledged). Absent, or at once: always so.
   */
  whenSubscribed?(): Promise<void>;
  close(): Promise<void>;
}

export function realtimeEvent(event: Pick<RealtimeEvent, 'type' | 'data'>): RealtimeEvent {
  return { id: newId(), type: event.type, at: new Date().toISOString(), data: event.data };
}

/** Listeners by user id, on this process. */
export class LocalListeners {
  private readonly byUser = new Map<string, Set<RealtimeListener>>();

  add(userId: string, listener: RealtimeListener): () => void {
    let set = this.byUser.get(userId);
    if (!set) {
      set = new Set();
      this.byUser.set(userId, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.byUser.get(userId) === set) this.byUser.delete(userId);
    };
  }

  /** Hands `event` to each of the user's listeners; returns how many there were. */
  deliver(userId: string, event: RealtimeEvent): number {
    const set = this.byUser.get(userId);
    if (!set) return 0;
    // A copy: a listener may unsubscribe (its connection ending) while we go through them.
    for (const listener of [...set]) {
      try {
        listener(event);
      } catch (err) {
        process.emitWarning(`A realtime listener failed: ${(err as Error)?.message ?? String(err)}`);
      }
    }
    return set.size;
  }

  /** Delivers to each of these users (each once), counted in the metrics. */
  deliverAll(userIds: Iterable<string>, event: RealtimeEvent): number {
    let n = 0;
    for (const userId of new Set(userIds)) n += this.deliver(userId, event);
    countRealtimeDelivered(event.type, n);
    return n;
  }

  get size(): number {
    let n = 0;
    for (const set of this.byUser.values()) n += set.size;
    return n;
  }
}

/** Without Redis: events reach the listeners of this process only. */
export class LocalEventBus implements EventBus {
  readonly listeners = new LocalListeners();

  async publish(userIds: readonly string[], event: Pick<RealtimeEvent, 'type' | 'data'>): Promise<void> {
    if (userIds.length === 0) return;
    const e = realtimeEvent(event);
    countRealtimePublished(e.type, 'local');
    this.listeners.deliverAll(userIds, e);
  }

  subscribe(userId: string, listener: RealtimeListener): () => void {
    return this.listeners.add(userId, listener);
  }

  async whenSubscribed(): Promise<void> {}

  async close(): Promise<void> {}
}

/** What travels on the channel: one message per published event, with its recipients. */
interface Envelope {
  userIds: string[];
  event: RealtimeEvent;
}

function isEnvelope(value: unknown): value is Envelope {
  const v = value as Partial<Envelope> | null;
  const e = v?.event as Partial<RealtimeEvent> | undefined;
  return (
    Array.isArray(v?.userIds) &&
    v.userIds.every((id) => typeof id === 'string') &&
    typeof e?.id === 'string' &&
    typeof e.type === 'string' &&
    typeof e.at === 'string' &&
    typeof e.data === 'object' &&
    e.data !== null
  );
}

/**
 * Redis pub/sub ignores the DB index, so the default channel names it: deployments (and test runs)
 * on separate DB indexes of one Redis never hear each other's events. Named like the app's other keys
 * (`roost:cache:…`, `roost:rl:…`).
 */
export const eventsChannel = (redis: Redis) => `roost:events:${redis.options.db ?? 0}`;

export interface RedisEventBusOptions {
  /** The pub/sub channel (default `roost:events:<DB index>`). */
  channel?: string;
  /** Where failures of the subscriber connection are logged (at most once per 30 s). */
  log?: GuardLogger;
  /** Bound of one PUBLISH (default: the client's RedisGuard's, 100 ms). */
  timeoutMs?: number;
  /**
   * How long a PUBLISH waits for the client's first connection (default 2000 ms). A process publishes
   * right after it starts (the worker runs every scheduled job at once); without the wait, those events
   * would be delivered to this process only, which has no listeners. Once the client has been ready,
   * a lost connection fails fast as before.
   */
  connectWaitMs?: number;
}

/** Event ids delivered locally because PUBLISH failed, remembered so a late PUBLISH is not seen twice. */
const RECENT_LOCAL_MAX = 1000;
const LOG_EVERY_MS = 30_000;

/**
 * Across API processes, over Redis pub/sub:
 *  - `publish` is one PUBLISH of `{ userIds, event }` on the channel, through the client's RedisGuard
 *    (bounded in time, bypassed while Redis fails). It never throws: when Redis is unavailable the
 *    event is delivered to this process's own listeners only (so a single-process deployment keeps
 *    working), logged by the guard and counted (`roost_realtime_events_published_total{via="local"}`);
 *  - a process with listeners holds one subscriber connection (`redis.duplicate()`, opened on the first
 *    `subscribe`), which hands each event to the listeners of its recipients here. ioredis reconnects
 *    it and subscribes again by itself; events published meanwhile are not replayed.
 */
export class RedisEventBus implements EventBus {
  readonly listeners = new LocalListeners();
  readonly channel: string;
  private subscriber: Redis | undefined;
  private subscribed: Promise<void> | undefined;
  private closed = false;
  private readonly recentLocal = new Set<string>();
  private readonly log: GuardLogger;
  private readonly timeoutMs: number | undefined;
  private readonly connectWaitMs: number;
  /** The client has been ready at least once (after that, not ready means failing: no waiting). */
  private everReady: boolean;
  private lastLogAt = 0;

  constructor(
    private readonly redis: Redis,
    opts: RedisEventBusOptions = {},
  ) {
    this.channel = opts.channel ?? eventsChannel(redis);
    this.log = opts.log ?? redisGuard(redis).log;
    this.timeoutMs = opts.timeoutMs;
    this.connectWaitMs = opts.connectWaitMs ?? 2000;
    this.everReady = redis.status === 'ready';
    if (!this.everReady) redis.once('ready', () => (this.everReady = true));
  }

  async publish(userIds: readonly string[], event: Pick<RealtimeEvent, 'type' | 'data'>): Promise<void> {
    const ids = [...new Set(userIds)];
    if (ids.length === 0) return;
    const e = realtimeEvent(event);
    try {
      const message = JSON.stringify({ userIds: ids, event: e } satisfies Envelope);
      await this.firstConnection();
      await redisGuard(this.redis).run(
        'events_publish',
        () => this.redis.publish(this.channel, message),
        this.timeoutMs,
      );
      countRealtimePublished(e.type, 'redis');
    } catch {
      // Logged and counted by the guard. This process's own connections still get it.
      countRealtimePublished(e.type, 'local');
      this.rememberLocal(e.id);
      this.listeners.deliverAll(ids, e);
    }
  }

  /** While the client makes its first connection: wait for it, bounded (then the guard decides). */
  private async firstConnection(): Promise<void> {
    if (this.everReady || !['wait', 'connecting', 'connect'].includes(this.redis.status)) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        for (const ev of ['ready', 'close', 'end']) this.redis.off(ev, done);
        resolve();
      };
      const timer = setTimeout(done, this.connectWaitMs);
      // Ready: send. Closed (refused, reset) or ended: the guard fails it fast, as for any outage.
      for (const ev of ['ready', 'close', 'end']) this.redis.once(ev, done);
      if (this.redis.status === 'wait') this.redis.connect().catch(() => {});
    });
  }

  subscribe(userId: string, listener: RealtimeListener): () => void {
    this.ensureSubscriber();
    return this.listeners.add(userId, listener);
  }

  whenSubscribed(): Promise<void> {
    this.ensureSubscriber();
    // Redis known to be down: nothing to wait for (this process's own events still arrive).
    if (['reconnecting', 'close', 'end'].includes(this.redis.status)) return Promise.resolve();
    return this.subscribed ?? Promise.resolve();
  }

  /** Whether the subscriber connection is open (for tests and diagnostics). */
  get subscriberOpen(): boolean {
    return this.subscriber?.status === 'ready';
  }

  async close(): Promise<void> {
    this.closed = true;
    const sub = this.subscriber;
    this.subscriber = undefined;
    sub?.disconnect();
  }

  private ensureSubscriber() {
    if (this.subscriber || this.closed) return;
    // Commands wait for the connection however long it is down (a subscription has no request to
    // fail); ioredis subscribes again after each reconnect.
    const sub = this.redis.duplicate({ maxRetriesPerRequest: null, enableAutoPipelining: false });
    this.subscriber = sub;
    sub.on('error', (err: Error) => this.failed('subscriber connection', err));
    sub.on('message', (channel: string, message: string) => {
      if (channel === this.channel) this.receive(message);
    });
    this.subscribed = sub.subscribe(this.channel).then(
      () => undefined,
      (err: unknown) => this.failed('subscribe', err),
    );
  }

  private receive(message: string) {
    let envelope: unknown;
    try {
      envelope = JSON.parse(message);
    } catch {
      return;
    }
    if (!isEnvelope(envelope)) return;
    // Already delivered here when its PUBLISH seemed to fail (it went through late).
    if (this.recentLocal.delete(envelope.event.id)) return;
    this.listeners.deliverAll(envelope.userIds, envelope.event);
  }

  private rememberLocal(id: string) {
    this.recentLocal.add(id);
    if (this.recentLocal.size > RECENT_LOCAL_MAX) {
      const oldest = this.recentLocal.values().next().value;
      if (oldest !== undefined) this.recentLocal.delete(oldest);
    }
  }

  private failed(what: string, err: unknown) {
    if (this.closed) return;
    const now = Date.now();
    if (now - this.lastLogAt < LOG_EVERY_MS) return;
    this.lastLogAt = now;
    this.log.warn(
      { dependency: 'redis', op: `events_${what.replace(/ /g, '_')}`, err: String(err) },
      'real-time events: the redis subscriber is failing; events from other processes are not received until it reconnects',
    );
  }
}
