/**
 * Request logging: one JSON line per request, written when the response is done, with what an operator
 * looks for (request id, method, path, route, status, duration, caller) — Fastify's default is two lines
 * ("incoming request", "request completed") with the serialized request, about a fifth of the CPU of a
 * small request. The query string is left out: links carry tokens (email verification, password reset).
 *
 * Redaction names its paths: pino's wildcard paths (`*.password`) are evaluated on every object logged.
 */

import { hostname } from 'node:os';
import {
  type FastifyLoggerOptions,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerOptions,
  LogController,
} from 'fastify';
import pino from 'pino';
import { LOG_LEVELS } from './log-levels.js';
import { PERSONAL_DATA_PATHS, redactingErrorSerializer } from './log-redaction.js';
import { requestSpan, traceLogMixin, tracingEnabled } from './tracing.js';

type LoggerOptions = Exclude<NonNullable<FastifyServerOptions['logger']>, boolean>;

/** Fields that hold credentials wherever they are logged (top level or under an error or request). */
export const REDACTED_PATHS = [
  'password',
  'token',
  'accessToken',
  'refreshToken',
  'headers.authorization',
  'headers.cookie',
  'req.headers.authorization',
  'req.headers.cookie',
  'err.password',
  'err.token',
  // Contact details and other secrets (phone, email, TOTP codes, request bodies…): log-redaction.ts.
  ...PERSONAL_DATA_PATHS,
];

/**
 * The app's logger options; `stream` (tests) receives the JSON lines instead of stdout. With tracing on,
 * every line logged inside a span carries its `traceId` and `spanId` (pino's mixin).
 */
export function requestLogger(level: string, stream?: FastifyLoggerOptions['stream']): LoggerOptions {
  return {
    level,
    ...(tracingEnabled() ? { mixin: traceLogMixin } : {}),
    redact: { paths: REDACTED_PATHS, censor: '[Redacted]' },
    // Errors' free text (messages, a driver's `detail`) with emails and phone numbers masked.
    serializers: { err: redactingErrorSerializer },
    // Asynchronous writes to stdout: lines logged while a write is in flight go out together in the next
    // one (one write per line cost a system call per request). Nothing waits for a size threshold, so an
    // idle process's lines appear at once; pino flushes what is pending when the process exits.
    stream: stream ?? pino.destination({ dest: 1, sync: false }),
  };
}

/** The path of a request URL, without its query string. */
const pathOf = (url: string) => {
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
};

/**
 * Fastify's per-request logging, replaced: nothing when a request arrives, one line when it completes
 * (at `error` when it failed or answered 5xx). Pass as the `logController` server option.
 *
 * Given the logger's options (`requestLogger`), the `info` line of a successful request is written
 * straight to the logger's stream, in pino's own line format (level, time, pid, hostname, reqId, then the
 * fields): its fields are fixed and hold no credentials, and going through pino's generic object
 * serialization and redaction cost about a quarter of a small request. Failures go through pino.
 */
export class RequestLog extends LogController {
  private readonly stream: { write(line: string): unknown } | undefined;
  /** What follows the time in every line: pino's pid and hostname. */
  private readonly frame = `,"pid":${process.pid},"hostname":${JSON.stringify(hostname())}`;

  constructor(logger?: LoggerOptions | false) {
    super();
    const level = logger ? (LOG_LEVELS as Record<string, number>)[String(logger.level ?? 'info')] : undefined;
    const stream = logger ? (logger.stream as { write?: unknown } | undefined) : undefined;
    // Only when info lines are wanted and the stream is known; otherwise pino decides, as usual.
    this.stream =
      level !== undefined && level <= 30 && typeof stream?.write === 'function'
        ? (stream as { write(line: string): unknown })
        : undefined;
  }

  override incomingRequest(): void {}

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    const status = reply.statusCode;
    const path = pathOf(request.url);
    const route = request.routeOptions.url;
    const ms = Math.round(reply.elapsedTime * 10) / 10;
    const user = request.actor?.userId;
    // Tracing on: the request's trace and span ids (its server span; the line is written after it ends).
    const ids = tracingEnabled() ? requestSpan(request)?.spanContext() : undefined;
    if (!error && status < 500 && this.stream) {
      this.stream.write(
        `{"level":30,"time":${Date.now()}${this.frame},"reqId":${JSON.stringify(request.id)}${ids ? `,"traceId":"${ids.traceId}","spanId":"${ids.spanId}"` : ''},"method":${JSON.stringify(request.method)},"path":${JSON.stringify(path)}${route === undefined ? '' : `,"route":${JSON.stringify(route)}`},"status":${status},"ms":${ms}${user ? `,"user":${JSON.stringify(user)}` : ''},"msg":"request"}\n`,
      );
      return;
    }
    const line = {
      ...(ids ? { traceId: ids.traceId, spanId: ids.spanId } : {}),
      method: request.method,
      path,
      route,
      status,
      ms,
      ...(user ? { user } : {}),
    };
    if (error) reply.log.error({ ...line, err: error }, 'request failed');
    else if (status >= 500) reply.log.error(line, 'request');
    else reply.log.info(line, 'request');
  }
}
