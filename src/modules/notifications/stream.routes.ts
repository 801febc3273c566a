/**
 * GET /api/v1/events: the signed-in user's real-time events as Server-Sent Events, and
 * POST /api/v1/events/tickets: a one-time ticket to open that stream where no header can be sent
 * (a browser's EventSource).
 *
 * The stream: `retry: 3000`, then `event: ready`, then each event as `id:` / `event: <type>` /
 * `data: <the RealtimeEvent as JSON>`, and a `: ping` comment every 25 s (proxies keep it open). It ends
 * with `event: end` (`data: {"reason": …}`) when the session is signed out or revoked, when the access
 * token expires, when the client reads too slowly, or at server shutdown. Nothing is replayed: a client
 * that reconnects refetches its lists (conversations, notifications) and then listens again.
 */
import { PassThrough } from 'node:stream';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { bearerSecurity, requireActor } from '../../platform/auth.js';
import type { ServiceContext } from '../../platform/context.js';
import { randomToken, sha256Hex } from '../../platform/crypto.js';
import { unauthorized } from '../../platform/errors.js';
import type { RealtimeEvent } from '../../platform/events.js';
import { described, optionalBearerSecurity, problemResponses, type RoostApp } from '../../platform/http.js';
import {
  type EndReason,
  realtimeHub,
  type StreamAuth,
  type StreamSlot,
  tokenExpiry,
} from '../../platform/realtime.js';
import { within } from '../../platform/timeout.js';

/** How long a ticket may wait to be used. */
export const TICKET_TTL_SECONDS = 60;
/** A comment line this often keeps proxies and load balancers from closing an idle stream. */
export const PING_MS = 25_000;
/** What EventSource waits before reconnecting after the stream closes. */
export const RETRY_MS = 3_000;
/** A client this far behind (bytes queued for it) is too slow: its stream ends. */
const MAX_BUFFERED_BYTES = 1_048_576;
/** Longest wait, at connect, for this process's event subscription (Redis) before the stream opens. */
const SUBSCRIBE_WAIT_MS = 2_000;

const ticketKey = (ticket: string) => `events-ticket:${sha256Hex(ticket)}`;

const TicketSchema = Type.Object(
  {
    ticket: Type.String({
      description: `Pass as \`?ticket=\` to GET /api/v1/events within ${TICKET_TTL_SECONDS} s; valid once`,
    }),
    expiresIn: Type.Integer({ description: 'Seconds the ticket stays valid', minimum: 1 }),
  },
  {
    examples: [{ ticket: 'hT3x0Qk7V2u8pJq5bLwYc1nFz6aR4sDe9gKmXoPvB0s', expiresIn: TICKET_TTL_SECONDS }],
  },
);

const StreamQuery = Type.Object({
  ticket: Type.Optional(
    Type.String({
      minLength: 43,
      maxLength: 43,
      pattern: '^[A-Za-z0-9_-]{43}$',
      description:
        'A ticket from POST /api/v1/events/tickets, for clients that cannot send `Authorization` ' +
        '(EventSource). Used up by this request.',
    }),
  ),
});

const EXAMPLE_STREAM = [
  `retry: ${RETRY_MS}`,
  '',
  'event: ready',
  'data: {"userId":"01936c52-8f4e-7b55-a1a4-6c2fd0e3b9a1","expiresAt":"2026-06-01T10:15:00.000Z"}',
  '',
  'id: 01936c53-1d2e-7c4b-9f0a-3e5d7c8b9a10',
  'event: message.created',
  'data: {"id":"01936c53-1d2e-7c4b-9f0a-3e5d7c8b9a10","type":"message.created","at":"2026-06-01T10:01:12.345Z","data":{"conversationId":"01936c52-9a1b-7e3c-8d4f-5a6b7c8d9e0f","seq":4,"body":"See you on Friday!"}}',
  '',
  ': ping',
  '',
  'event: end',
  'data: {"reason":"token_expired"}',
  '',
  '',
].join('\n');

/** The stream in the OpenAPI document: `text/event-stream`, not JSON. */
const StreamResponse = {
  description:
    'The event stream (`text/event-stream`): `event: ready` first, then one message per event ' +
    '(`id`, `event` = the event type, `data` = the event as JSON), `: ping` comments, and a final ' +
    '`event: end` when the server closes it',
  content: {
    'text/event-stream': {
      schema: { type: 'string', description: 'Server-Sent Events' },
      example: EXAMPLE_STREAM,
    },
  },
} as unknown as ReturnType<typeof Type.Unknown>;

/** The bearer token of a request the auth plugin accepted. */
function bearerToken(req: FastifyRequest): string {
  const match = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  if (!match?.[1]) throw unauthorized();
  return match[1];
}

/** One SSE message. JSON has no raw newlines, so `data` is one line. */
const frame = (event: string, data: unknown, id?: string) =>
  `${id ? `id: ${id}\n` : ''}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

export async function streamRoutes(app: RoostApp, { ctx }: { ctx: ServiceContext }) {
  const tags = ['events'];
  const hub = realtimeHub(ctx);
  app.addHook('preClose', async () => hub.closeAll('server_shutdown'));

  app.post(
    '/events/tickets',
    {
      schema: {
        tags,
        security: bearerSecurity,
        operationId: 'createEventsTicket',
        summary: 'Get a ticket to open the event stream',
        description:
          "A browser's EventSource cannot send `Authorization`: get a ticket with the token, then open " +
          `\`GET /api/v1/events?ticket=…\` within ${TICKET_TTL_SECONDS} s. A ticket opens one stream, ` +
          'once, on any API process; the stream belongs to the session and ends with the token it was ' +
          'made with.',
        response: { 201: described(TicketSchema, 'The ticket'), ...problemResponses(401) },
      },
    },
    async (req, reply) => {
      const actor = requireActor(req);
      const ticket = randomToken();
      const stored: StreamAuth = {
        claims: { userId: actor.userId, sessionId: actor.sessionId },
        expiresAt: tokenExpiry(bearerToken(req)),
      };
      await ctx.cache.set(ticketKey(ticket), stored, TICKET_TTL_SECONDS);
      return reply.code(201).send({ ticket, expiresIn: TICKET_TTL_SECONDS });
    },
  );

  app.get(
    '/events',
    {
      schema: {
        tags,
        security: optionalBearerSecurity,
        operationId: 'streamEvents',
        summary: "Stream the signed-in user's events (Server-Sent Events)",
        description:
          'Events for the signed-in user as they happen, on a `text/event-stream` that stays open: ' +
          '`message.created`, `conversation.read`, `notification.created`, `booking.changed`. Each ' +
          'message has `id`, `event` (the type) and `data` (the event: `id`, `type`, `at`, `data`, the ' +
          'object as the REST API shows it). Authenticate with `Authorization: Bearer …` or, from a ' +
          'browser, `?ticket=` (POST /api/v1/events/tickets). The stream ends (`event: end`, with a ' +
          '`reason`: `session_ended`, `token_expired`, `too_slow`, `server_shutdown`) when the session ' +
          'is signed out or revoked, when the token expires, or at shutdown; reconnect with a fresh ' +
          'token. Missed events are not replayed: on (re)connect, refetch lists, then listen. At most ' +
          'EVENTS_MAX_STREAMS_PER_USER (5) streams per user and API process (429 `too_many_streams`).',
        querystring: StreamQuery,
        response: { 200: StreamResponse, ...problemResponses(400, 401, 429, 503) },
      },
    },
    async (req, reply) => {
      let auth: StreamAuth;
      if (req.query.ticket) {
        // Single use: `take` reads and deletes in one step (GETDEL on Redis), whichever process asks.
        const stored = await ctx.cache.take<StreamAuth>(ticketKey(req.query.ticket));
        if (!stored) throw unauthorized('This ticket is unknown, expired or already used', 'invalid_ticket');
        await ctx.sessions.resolve(stored.claims);
        auth = stored;
      } else {
        const actor = requireActor(req);
        auth = {
          claims: { userId: actor.userId, sessionId: actor.sessionId },
          expiresAt: tokenExpiry(bearerToken(req)),
        };
      }

      const body = new PassThrough();
      let ready = false;
      const early: RealtimeEvent[] = [];
      const send = (event: RealtimeEvent) => {
        if (!ready) return void early.push(event);
        if (body.writableLength > MAX_BUFFERED_BYTES) return end('too_slow');
        body.write(frame(event.type, event, event.id));
      };
      let slot: StreamSlot | undefined;
      let ping: NodeJS.Timeout | undefined;
      let unsubscribe: (() => void) | undefined;
      let ended = false;
      const cleanup = () => {
        if (ended) return;
        ended = true;
        clearInterval(ping);
        unsubscribe?.();
        slot?.release();
      };
      const end = (reason: EndReason) => {
        if (ended) return;
        cleanup();
        body.end(frame('end', { reason }));
      };
      slot = hub.open(auth, 'sse', end); // 429 / 503 before anything is sent
      unsubscribe = ctx.events.subscribe(auth.claims.userId, send);
      reply.raw.once('close', cleanup);
      reply
        .header('content-type', 'text/event-stream; charset=utf-8')
        .header('cache-control', 'no-cache, no-transform')
        .header('x-accel-buffering', 'no');
      // Events from other processes reach this one once its subscription is acknowledged (Redis down:
      // not at all, and the stream opens anyway, with this process's own events).
      if (ctx.events.whenSubscribed) await within(ctx.events.whenSubscribed(), SUBSCRIBE_WAIT_MS);
      if (ended) {
        if (!body.writableEnded) body.end();
        return reply.send(body);
      }

      body.write(`retry: ${RETRY_MS}\n\n`);
      body.write(
        frame('ready', { userId: auth.claims.userId, expiresAt: new Date(auth.expiresAt).toISOString() }),
      );
      ready = true;
      for (const event of early.splice(0)) send(event);
      ping = setInterval(() => body.write(': ping\n\n'), PING_MS);
      ping.unref();
      return reply.send(body);
    },
  );
}
