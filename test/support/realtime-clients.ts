/**
 * Clients of the real-time endpoints for tests: an SSE reader (GET /api/v1/events over a real socket)
 * and a GraphQL-over-WebSocket subscriber speaking `graphql-transport-ws` as mercurius does.
 */
import http from 'node:http';
import WebSocket from 'ws';

export interface SseFrame {
  event: string;
  data: string;
  id?: string;
  /** performance.now() when it was read. */
  at: number;
}

export interface SseStream {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** The body, when the answer was not a stream (a problem). */
  body: string;
  frames: SseFrame[];
  /** Comment lines (`: ping`) seen. */
  comments: string[];
  /** Raw `retry:` values seen. */
  retry: string[];
  /** The next frame not yet read (by `next`), waiting for it up to `timeoutMs`. */
  next(timeoutMs?: number): Promise<SseFrame>;
  /** Resolves when the server ends the response (or the socket closes). */
  ended: Promise<void>;
  close(): void;
}

/** Opens an SSE stream; resolves once the status line arrived (for 200: after the headers). */
export function openSse(url: string, headers: Record<string, string> = {}): Promise<SseStream> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
      const frames: SseFrame[] = [];
      const comments: string[] = [];
      const retry: string[] = [];
      const waiters = new Set<() => void>();
      let read = 0;
      let buffered = '';
      let body = '';
      let endedFlag = false;
      const ended = new Promise<void>((done) => {
        const finish = () => {
          endedFlag = true;
          for (const w of waiters) w();
          done();
        };
        res.once('end', finish);
        res.once('close', finish);
      });
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (res.statusCode !== 200) {
          body += chunk;
          return;
        }
        buffered += chunk;
        let sep = buffered.indexOf('\n\n');
        while (sep >= 0) {
          const block = buffered.slice(0, sep);
          buffered = buffered.slice(sep + 2);
          sep = buffered.indexOf('\n\n');
          const frame: Partial<SseFrame> = {};
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) comments.push(line.slice(1).trim());
            else if (line.startsWith('retry:')) retry.push(line.slice(6).trim());
            else if (line.startsWith('event:')) frame.event = line.slice(6).trim();
            else if (line.startsWith('data:'))
              frame.data = (frame.data ? `${frame.data}\n` : '') + line.slice(5).trim();
            else if (line.startsWith('id:')) frame.id = line.slice(3).trim();
          }
          if (frame.data !== undefined) {
            frames.push({
              event: frame.event ?? 'message',
              data: frame.data,
              id: frame.id,
              at: performance.now(),
            });
          }
        }
        for (const w of waiters) w();
      });
      const stream: SseStream = {
        status: res.statusCode ?? 0,
        headers: res.headers,
        get body() {
          return body;
        },
        frames,
        comments,
        retry,
        ended,
        next(timeoutMs = 5000) {
          const index = read++;
          return new Promise((ok, fail) => {
            const check = () => {
              const f = frames[index];
              if (f) {
                done();
                ok(f);
              } else if (endedFlag) {
                done();
                fail(new Error(`the stream ended before frame ${index}`));
              }
            };
            const timer = setTimeout(() => {
              done();
              fail(new Error(`no frame ${index} within ${timeoutMs} ms (have: ${JSON.stringify(frames)})`));
            }, timeoutMs);
            const done = () => {
              clearTimeout(timer);
              waiters.delete(check);
            };
            waiters.add(check);
            check();
          });
        },
        close: () => req.destroy(),
      };
      if (res.statusCode === 200) resolve(stream);
      else res.once('end', () => resolve(stream));
    });
    req.once('error', reject);
  });
}

export interface GraphqlMessage {
  type: string;
  id?: string;
  payload?: unknown;
  at: number;
}

export interface GraphqlSocket {
  messages: GraphqlMessage[];
  /** The next message (of `type`, if given) not yet read, within `timeoutMs`. */
  next(type?: string, timeoutMs?: number): Promise<GraphqlMessage>;
  send(message: Record<string, unknown>): void;
  subscribe(id: string, query: string, variables?: Record<string, unknown>): void;
  closed: Promise<{ code: number }>;
  close(): void;
}

/**
 * A WebSocket to /graphql, `graphql-transport-ws`; sends `connection_init` with `payload` (unless
 * `init` is false). Answers the server's pings.
 */
export function openGraphqlSocket(
  baseUrl: string,
  opts: { payload?: Record<string, unknown>; headers?: Record<string, string>; init?: boolean } = {},
): Promise<GraphqlSocket> {
  const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/graphql`, 'graphql-transport-ws', {
    headers: opts.headers ?? {},
  });
  const messages: GraphqlMessage[] = [];
  const waiters = new Set<() => void>();
  const consumed = new Set<GraphqlMessage>();
  let isClosed = false;
  const closed = new Promise<{ code: number }>((resolve) => {
    ws.once('close', (code) => {
      isClosed = true;
      for (const w of waiters) w();
      resolve({ code });
    });
  });
  ws.on('message', (raw) => {
    const msg = { ...(JSON.parse(String(raw)) as Omit<GraphqlMessage, 'at'>), at: performance.now() };
    if (msg.type === 'ping') return void ws.send(JSON.stringify({ type: 'pong' }));
    messages.push(msg);
    for (const w of waiters) w();
  });
  const socket: GraphqlSocket = {
    messages,
    closed,
    send: (m) => ws.send(JSON.stringify(m)),
    subscribe: (id, query, variables) =>
      ws.send(JSON.stringify({ id, type: 'subscribe', payload: { query, variables } })),
    next(type, timeoutMs = 5000) {
      return new Promise((ok, fail) => {
        const check = () => {
          const m = messages.find((x) => !consumed.has(x) && (!type || x.type === type));
          if (m) {
            consumed.add(m);
            done();
            ok(m);
          } else if (isClosed) {
            done();
            fail(new Error(`the socket closed before a ${type ?? 'message'}: ${JSON.stringify(messages)}`));
          }
        };
        const timer = setTimeout(() => {
          done();
          fail(new Error(`no ${type ?? 'message'} within ${timeoutMs} ms: ${JSON.stringify(messages)}`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    close: () => ws.close(),
  };
  return new Promise((resolve, reject) => {
    ws.once('open', () => {
      if (opts.init !== false) socket.send({ type: 'connection_init', payload: opts.payload ?? {} });
      resolve(socket);
    });
    ws.once('error', reject);
  });
}

export const EVENTS_SUBSCRIPTION =
  'subscription ($types: [String!]) { events(types: $types) { id type at data } }';
