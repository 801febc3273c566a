/**
 * What the two real-time transports share (the SSE stream, src/modules/notifications/stream.routes.ts,
 * and the GraphQL `events` subscription, src/graphql/subscriptions.ts): who a stream belongs to, how
 * long it may stay open, the per-user cap, and closing every stream at shutdown.
 *
 * A stream belongs to a session: it ends when the session is signed out or revoked (re-checked every
 * EVENTS_SESSION_CHECK_SECONDS through the session gate) and when the access token it was opened with
 * expires (the client refreshes its token and opens a new stream).
 */

import type { AccessClaims } from './auth.js';
import type { ServiceContext } from './context.js';
import { AppError, unauthorized } from './errors.js';
import { countRealtimeConnection } from './metrics.js';

export type StreamTransport = 'sse' | 'graphql-ws';

/** Why a stream was ended by the server (sent to the client as the `end` event's `reason`). */
export type EndReason = 'session_ended' | 'token_expired' | 'server_shutdown' | 'too_slow';

/** Who a stream belongs to, and until when its token is valid. */
export interface StreamAuth {
  claims: AccessClaims;
  /** When the access token it was opened with expires (ms since the epoch). */
  expiresAt: number;
}

/** `exp` of a JWT already verified (the auth plugin did), in ms since the epoch. */
export function tokenExpiry(token: string): number {
  const payload = token.split('.')[1];
  try {
    const exp = (JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8')) as { exp?: unknown })
      .exp;
    if (typeof exp === 'number' && Number.isFinite(exp)) return exp * 1000;
  } catch {
    // fall through
  }
  throw unauthorized('The access token is malformed', 'invalid_token');
}

/** Verifies `Authorization: Bearer …` (the token and its session) for a stream; 401 otherwise. */
export async function authenticateStream(ctx: ServiceContext, header: unknown): Promise<StreamAuth> {
  const match = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  if (!match?.[1]) throw unauthorized();
  const claims = await ctx.tokens.verify(match[1]);
  await ctx.sessions.resolve(claims);
  return { claims: { userId: claims.userId, sessionId: claims.sessionId }, expiresAt: tokenExpiry(match[1]) };
}

export interface StreamSlot {
  /** The stream ended (for whatever reason): stop its timers and free its place. Idempotent. */
  release(): void;
}

interface OpenStream {
  userId: string;
  end: (reason: EndReason) => void;
}

/**
 * The streams open on this process. `open` enforces EVENTS_MAX_STREAMS_PER_USER (429
 * `too_many_streams`) and watches the stream's session: `end` is called when it must close.
 */
export class RealtimeHub {
  private readonly streams = new Set<OpenStream>();
  private readonly byUser = new Map<string, number>();
  private readonly closers = new Set<() => void>();
  private shuttingDown = false;

  constructor(private readonly ctx: ServiceContext) {}

  /** Open streams on this process (all users). */
  get size(): number {
    return this.streams.size;
  }

  open(auth: StreamAuth, transport: StreamTransport, end: (reason: EndReason) => void): StreamSlot {
    const { userId } = auth.claims;
    if (this.shuttingDown) throw new AppError(503, 'shutting_down', 'The server is shutting down; reconnect');
    const max = this.ctx.config.EVENTS_MAX_STREAMS_PER_USER;
    const count = this.byUser.get(userId) ?? 0;
    if (count >= max) {
      throw new AppError(
        429,
        'too_many_streams',
        `At most ${max} real-time streams may be open per user; close one first`,
      );
    }
    this.byUser.set(userId, count + 1);
    countRealtimeConnection(transport, 1);

    let released = false;
    const stream: OpenStream = {
      userId,
      end: (reason) => {
        if (released) return;
        slot.release();
        end(reason);
      },
    };
    this.streams.add(stream);

    const expiry = setTimeout(() => stream.end('token_expired'), Math.max(0, auth.expiresAt - Date.now()));
    let checking = false;
    const check = setInterval(() => {
      if (checking) return;
      checking = true;
      this.ctx.sessions.resolve(auth.claims).then(
        () => {
          checking = false;
        },
        (err: unknown) => {
          checking = false;
          // Signed out, revoked or suspended: the stream ends. A database failure is not a sign-out.
          if (err instanceof AppError) stream.end('session_ended');
        },
      );
    }, this.ctx.config.EVENTS_SESSION_CHECK_SECONDS * 1000);
    expiry.unref();
    check.unref();

    const slot: StreamSlot = {
      release: () => {
        if (released) return;
        released = true;
        clearTimeout(expiry);
        clearInterval(check);
        this.streams.delete(stream);
        const left = (this.byUser.get(userId) ?? 1) - 1;
        if (left > 0) this.byUser.set(userId, left);
        else this.byUser.delete(userId);
        countRealtimeConnection(transport, -1);
      },
    };
    return slot;
  }

  /** Also run `close` at shutdown (a transport's own connections, e.g. WebSockets). */
  onCloseAll(close: () => void): () => void {
    this.closers.add(close);
    return () => this.closers.delete(close);
  }

  /** Ends every stream (and refuses new ones): at shutdown, before the HTTP server drains. */
  closeAll(reason: EndReason = 'server_shutdown'): void {
    this.shuttingDown = true;
    for (const stream of [...this.streams]) stream.end(reason);
    for (const close of this.closers) close();
  }
}

const hubs = new WeakMap<ServiceContext, RealtimeHub>();

/** The hub of an app (one per ServiceContext: the SSE route and the GraphQL subscriptions share it). */
export function realtimeHub(ctx: ServiceContext): RealtimeHub {
  let hub = hubs.get(ctx);
  if (!hub) {
    hub = new RealtimeHub(ctx);
    hubs.set(ctx, hub);
  }
  return hub;
}
