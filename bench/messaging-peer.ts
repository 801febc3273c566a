/**
 * The two client sides of the bench's `messaging` scenario (bench/messaging.ts), each a process of its
 * own so neither competes with the other (or with the API processes) for one event loop:
 *
 *   messaging-peer.ts subscribe <job.json>   N SSE streams (GET /api/v1/events, one per user) on
 *       process A; prints `ready` once every stream has said `event: ready`, then for each
 *       `message.created` of a measured message records the push latency: receipt time minus the send
 *       time the loader wrote into the message (`post`), and minus the event's `at`, stamped when the
 *       event was published after the commit (`publish`). On SIGTERM it prints its summary (JSON).
 *   messaging-peer.ts load <job.json>        C connections posting `POST /api/v1/conversations` through
 *       process B for `seconds`, round-robin over the guests; prints its summary (JSON).
 *
 * Times are `performance.timeOrigin + performance.now()` (ms since the epoch, sub-ms), comparable across
 * processes of one machine. The send time travels in the message text spelled with letters (a–j for
 * 0–9): digits could be masked as a phone number.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';

const now = () => performance.timeOrigin + performance.now();
const DIGITS = 'abcdefghij';
const encode = (t: number) => String(Math.round(t * 1000)).replace(/\d/g, (d) => DIGITS[Number(d)]!);
const decode = (s: string) => Number(s.replace(/[a-j]/g, (c) => String(DIGITS.indexOf(c)))) / 1000;
const percentile = (sorted: number[], p: number) =>
  sorted.length === 0
    ? Number.NaN
    : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

export interface SubscribeJob {
  base: string;
  tokens: string[];
  /** Only messages whose text starts with this count (the warm-up's do not). */
  marker: string;
}

export interface LoadJob {
  base: string;
  guests: { token: string; propertyId: string }[];
  seconds: number;
  connections: number;
  marker: string;
}

export interface SubscribeSummary {
  streams: number;
  received: number;
  measured: number;
  post: { p50: number; p90: number; p99: number; max: number };
  publish: { p50: number; p99: number };
  ended: number;
}

export interface LoadSummary {
  requests: number;
  ok: number;
  non2xx: number;
  seconds: number;
  rps: number;
  p50: number;
  p99: number;
  firstError?: string;
}

async function subscribe(job: SubscribeJob) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: job.tokens.length + 10 });
  const post: number[] = [];
  const publish: number[] = [];
  let received = 0;
  let ready = 0;
  let ended = 0;
  const pattern = new RegExp(`${job.marker} ([a-j]+)`);
  for (const token of job.tokens) {
    const req = http.get(
      `${job.base}/api/v1/events`,
      { agent, headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' } },
      (res) => {
        if (res.statusCode !== 200) {
          console.error(`stream answered ${res.statusCode}`);
          process.exit(2);
        }
        res.setEncoding('utf8');
        let buffered = '';
        res.on('data', (chunk: string) => {
          const at = now();
          buffered += chunk;
          let sep = buffered.indexOf('\n\n');
          while (sep >= 0) {
            const block = buffered.slice(0, sep);
            buffered = buffered.slice(sep + 2);
            sep = buffered.indexOf('\n\n');
            const event = /^event: (.+)$/m.exec(block)?.[1];
            if (event === 'ready') {
              if (++ready === job.tokens.length) console.log('ready');
              continue;
            }
            if (event !== 'message.created') continue;
            received++;
            const data = /^data: (.+)$/m.exec(block)?.[1];
            if (!data) continue;
            const e = JSON.parse(data) as { at: string; data: { body?: string } };
            const sent = pattern.exec(e.data.body ?? '')?.[1];
            if (!sent) continue;
            post.push(at - decode(sent));
            publish.push(at - Date.parse(e.at));
          }
        });
        res.once('end', () => ended++);
      },
    );
    req.once('error', (err) => {
      console.error(`stream failed: ${err.message}`);
      process.exit(2);
    });
  }
  process.once('SIGTERM', () => {
    post.sort((a, b) => a - b);
    publish.sort((a, b) => a - b);
    const summary: SubscribeSummary = {
      streams: job.tokens.length,
      received,
      measured: post.length,
      post: {
        p50: percentile(post, 50),
        p90: percentile(post, 90),
        p99: percentile(post, 99),
        max: post.at(-1) ?? Number.NaN,
      },
      publish: { p50: percentile(publish, 50), p99: percentile(publish, 99) },
      ended,
    };
    console.log(JSON.stringify(summary));
    process.exit(0);
  });
}

async function load(job: LoadJob): Promise<LoadSummary> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: job.connections });
  const url = new URL(`${job.base}/api/v1/conversations`);
  const latencies: number[] = [];
  let requests = 0;
  let ok = 0;
  let non2xx = 0;
  let firstError: string | undefined;
  let next = 0;
  const started = now();
  const deadline = started + job.seconds * 1000;
  const once = (guest: { token: string; propertyId: string }) =>
    new Promise<void>((resolve) => {
      const sent = now();
      const body = JSON.stringify({ propertyId: guest.propertyId, body: `${job.marker} ${encode(sent)}` });
      const req = http.request(
        url,
        {
          method: 'POST',
          agent,
          headers: {
            authorization: `Bearer ${guest.token}`,
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
          },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => {
            text += c;
          });
          res.once('end', () => {
            requests++;
            latencies.push(now() - sent);
            if (res.statusCode === 201) ok++;
            else {
              non2xx++;
              firstError ??= `${res.statusCode} ${text.slice(0, 300)}`;
            }
            resolve();
          });
        },
      );
      req.once('error', (err) => {
        requests++;
        non2xx++;
        firstError ??= err.message;
        resolve();
      });
      req.end(body);
    });
  await Promise.all(
    Array.from({ length: job.connections }, async () => {
      while (now() < deadline) await once(job.guests[next++ % job.guests.length]!);
    }),
  );
  const seconds = (now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  agent.destroy();
  return {
    requests,
    ok,
    non2xx,
    seconds,
    rps: requests / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    ...(firstError ? { firstError } : {}),
  };
}

const [mode, file] = process.argv.slice(2);
if (!file || (mode !== 'subscribe' && mode !== 'load')) {
  console.error('usage: messaging-peer.ts subscribe|load <job.json>');
  process.exit(2);
}
const job = JSON.parse(readFileSync(file, 'utf8')) as unknown;
if (mode === 'subscribe') void subscribe(job as SubscribeJob);
else
  void load(job as LoadJob).then((summary) => {
    console.log(JSON.stringify(summary));
    process.exit(0);
  });
