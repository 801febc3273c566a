/**
 * GraphQL subscriptions over WebSocket at /graphql (both protocols mercurius speaks: `graphql-transport-ws`,
 * the graphql-ws library's, and the older `graphql-ws` of subscriptions-transport-ws):
 *
 *   subscription { events(types: ["message.created"]) { id type at data } }
 *
 * The signed-in user's real-time events (the same ones as the SSE stream, GET /api/v1/events), each
 * as it is published on any API process. Authentication: `Authorization: Bearer …` on the upgrade
 * request, or `{ "authorization": "Bearer …" }` as the `connection_init` payload; a payload with a bad
 * token is refused at `connection_init`, a subscription without a valid token with an error
 * (`unauthorized`, `token_expired`, `session_revoked`). A subscription counts as one of the user's
 * EVENTS_MAX_STREAMS_PER_USER streams, and ends with an error when the session is signed out or
 * revoked or the token expires (the client reconnects with a fresh token). Missed events are not
 * replayed.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { IResolvers, MercuriusContext } from 'mercurius';
import type { AuthLimits } from '../modules/accounts/auth.limits.js';
import type { ServiceContext } from '../platform/context.js';
import { AppError } from '../platform/errors.js';
import { REALTIME_EVENT_TYPES, type RealtimeEvent } from '../platform/events.js';
import type { RoostApp } from '../platform/http.js';
import { authenticateStream, type EndReason, realtimeHub, type StreamAuth } from '../platform/realtime.js';
import { within } from '../platform/timeout.js';
import { graphql } from './graphql-js.js';
import { badUserInput } from './scalars.js';

const { GraphQLError } = graphql;

export const subscriptionSchema = /* GraphQL */ `
  "An event for the signed-in user, pushed as it happens."
  type RealtimeEvent {
    "Unique per event."
    id: ID!
    "message.created, conversation.read, notification.created or booking.changed."
    type: String!
    "When it was published (ISO 8601)."
    at: String!
    "The object, as the REST API shows it (a message, a conversation's read state, a notification, a booking)."
    data: JSON!
  }

  type Subscription {
    "The signed-in user's real-time events, optionally only those of the given types (no replay of missed ones)."
    events(types: [String!]): RealtimeEvent!
  }

  extend schema {
    subscription: Subscription
  }
`;

/** At most this many events wait for a subscriber that does not keep up; then its subscription ends. */
const MAX_QUEUED = 1000;
/** Longest wait for this process's event subscription (Redis) before a subscription starts anyway. */
const SUBSCRIBE_WAIT_MS = 2_000;
/** WebSockets not closed by their client within this long after the server's close are cut. */
const CLOSE_GRACE_MS = 1_000;

/** The `authorization` a `connection_init` payload carries (`{ authorization }` or `{ headers: … }`). */
function payloadAuthorization(payload: unknown): unknown {
  const p = payload as Record<string, unknown> | null | undefined;
  if (!p || typeof p !== 'object') return undefined;
  const headers = (p['headers'] && typeof p['headers'] === 'object' ? p['headers'] : p) as Record<
    string,
    unknown
  >;
  return headers['authorization'] ?? headers['Authorization'];
}

/** A GraphQL error with the REST problem's code and status, as the error formatter shows them. */
function graphqlError(err: unknown): Error {
  if (err instanceof AppError) {
    return new GraphQLError(err.message, { extensions: { code: err.code, status: err.status } });
  }
  return err instanceof Error ? err : new Error(String(err));
}

const END_ERRORS: Record<EndReason, AppError> = {
  session_ended: new AppError(401, 'session_revoked', 'This session has ended; sign in again'),
  token_expired: new AppError(401, 'token_expired', 'The access token has expired; reconnect with a new one'),
  too_slow: new AppError(429, 'too_slow', 'Events were not read fast enough; subscribe again'),
  server_shutdown: new AppError(503, 'shutting_down', 'The server is shutting down; reconnect'),
};

/**
 * The user's events as an async iterator, holding a stream slot until it ends: by the client
 * (`return`, the socket closing), or by the hub (session ended, token expired, shutdown), which ends
 * it with an error naming why.
 */
function eventIterator(
  ctx: ServiceContext,
  auth: StreamAuth,
  types: ReadonlySet<string> | null,
): AsyncIterableIterator<RealtimeEvent> {
  const queue: RealtimeEvent[] = [];
  let waiting: { resolve: (r: IteratorResult<RealtimeEvent>) => void; reject: (e: Error) => void } | null =
    null;
  let done = false;
  let failure: Error | null = null;
  let unsubscribe = () => {};
  const finish = (reason?: EndReason) => {
    if (done) return;
    done = true;
    unsubscribe();
    slot.release();
    if (reason) failure = graphqlError(END_ERRORS[reason]);
    const w = waiting;
    waiting = null;
    if (w && failure) w.reject(failure);
    else w?.resolve({ value: undefined, done: true });
  };
  const slot = realtimeHub(ctx).open(auth, 'graphql-ws', (reason) => finish(reason));
  unsubscribe = ctx.events.subscribe(auth.claims.userId, (event) => {
    if (done || (types && !types.has(event.type))) return;
    if (waiting) {
      const w = waiting;
      waiting = null;
      w.resolve({ value: event, done: false });
    } else if (queue.length < MAX_QUEUED) queue.push(event);
    else finish('too_slow');
  });
  const iterator: AsyncIterableIterator<RealtimeEvent> = {
    next() {
      const value = queue.shift();
      if (value) return Promise.resolve({ value, done: false });
      if (failure) {
        const f = failure;
        failure = null;
        return Promise.reject(f);
      }
      if (done) return Promise.resolve({ value: undefined, done: true });
      return new Promise((resolve, reject) => {
        waiting = { resolve, reject };
      });
    },
    return() {
      failure = null;
      finish();
      return Promise.resolve({ value: undefined, done: true });
    },
    throw(err?: unknown) {
      finish();
      return Promise.reject(err);
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}

interface ClosableSocket {
  close(code: number, reason: string): void;
  once(event: 'close', listener: () => void): unknown;
}

/** The sockets that sent `connection_init`, by app (closed with 1001 at shutdown). */
const initialised = new WeakMap<ServiceContext, Set<ClosableSocket>>();
const socketsOf = (ctx: ServiceContext) => {
  let set = initialised.get(ctx);
  if (!set) {
    set = new Set();
    initialised.set(ctx, set);
  }
  return set;
};

/** The `subscription` option of mercurius. */
export function subscriptionOptions(ctx: ServiceContext, authLimits: AuthLimits) {
  return {
    // Called at `connection_init`, with the socket.
    context: (socket: ClosableSocket) => {
      const sockets = socketsOf(ctx);
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
      return { ctx, authLimits };
    },
    // A token in the payload is checked now (a bad one: `connection_error`, socket closed). Without
    // one, the upgrade request's header may carry it: each subscription checks it when it starts.
    onConnect: async (data: { payload?: unknown }) => {
      const header = payloadAuthorization(data.payload);
      if (header === undefined) return true;
      try {
        await authenticateStream(ctx, header);
        return true;
      } catch {
        return false;
      }
    },
    // graphql-transport-ws `ping` (graphql-ws: `ka`) this often: proxies keep the socket open.
    keepAlive: 25_000,
  };
}

/** Adds the Subscription type and its resolvers; closes the sockets at shutdown. */
export function registerSubscriptions(app: RoostApp, ctx: ServiceContext) {
  app.graphql.extendSchema(subscriptionSchema);
  const known = new Set<string>(REALTIME_EVENT_TYPES);
  const resolvers: IResolvers = {
    Subscription: {
      events: {
        subscribe: async (_root: unknown, args: { types?: string[] | null }, c: MercuriusContext) => {
          const wanted = args.types ?? null;
          if (wanted && (wanted.length > known.size || wanted.some((t) => !known.has(t)))) {
            throw new GraphQLError(`types must be among: ${[...known].join(', ')}`, {
              extensions: badUserInput,
            });
          }
          let auth: StreamAuth;
          try {
            auth = await authenticateStream(c.ctx, c.reply.request.headers.authorization);
          } catch (err) {
            throw graphqlError(err);
          }
          if (c.ctx.events.whenSubscribed) await within(c.ctx.events.whenSubscribed(), SUBSCRIBE_WAIT_MS);
          try {
            return eventIterator(c.ctx, auth, wanted ? new Set(wanted) : null);
          } catch (err) {
            throw graphqlError(err);
          }
        },
        resolve: (event: RealtimeEvent) => event,
      },
    } as unknown as IResolvers[string],
  };
  app.graphql.defineResolvers(resolvers);

  // Shutdown (RealtimeHub.closeAll): every socket is closed (1001 "going away"), and any upgraded
  // connection still open a moment later (a client that does not finish the close handshake, or never
  // sent `connection_init`) is cut, so none holds the HTTP server's drain.
  const upgraded = new Set<Duplex>();
  app.server.on('upgrade', (_req: IncomingMessage, socket: Duplex) => {
    upgraded.add(socket);
    socket.once('close', () => upgraded.delete(socket));
  });
  realtimeHub(ctx).onCloseAll(() => {
    for (const socket of socketsOf(ctx)) socket.close(1001, 'server shutting down');
    if (upgraded.size === 0) return;
    setTimeout(() => {
      for (const socket of upgraded) socket.destroy();
    }, CLOSE_GRACE_MS).unref();
  });
}
