/**
 * The bench's `messaging` scenario: real-time delivery across two API processes of the build.
 *
 *   process A (the bench's API)  ←  N SSE streams, one per host (N hosts: N users, one connection each)
 *   process B (a second one, same database and Redis)  ←  guests post `POST /api/v1/conversations`
 *
 * Each of N guests writes to the host of one listing (guest i → host i; the first message opens the
 * conversation, the next ones continue it), round-robin, from C connections in a load process of its
 * own (bench/messaging-peer.ts load) for the run's seconds. Every message is published by B over Redis
 * and pushed by A to its host's stream. Measured: the posts' throughput (req/s) and latency through B,
 * and the push latency at the subscribers (bench/messaging-peer.ts subscribe): receipt minus the send
 * time written in the message (post → push), and receipt minus the event's `at` (publish → push).
 * Every measured message must reach its subscriber.
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Kysely } from 'kysely';
import type { DB } from '../src/db/schema/index.js';
import { createAccessTokens } from '../src/platform/auth.js';
import { newId, randomToken, sha256Hex } from '../src/platform/crypto.js';
import type { LoadJob, LoadSummary, SubscribeJob, SubscribeSummary } from './messaging-peer.js';
import { runTracked, spawnTracked, stopGroup } from './procs.js';

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const PEER = join(BENCH_DIR, 'messaging-peer.ts');

export interface MessagingResult {
  subscribers: number;
  connections: number;
  seconds: number;
  post: LoadSummary;
  push: SubscribeSummary;
}

interface ApiLike {
  base: string;
  stop(): Promise<void>;
}

/** A session row and an access token for each user, as a login makes them. */
async function sessions(db: Kysely<DB>, userIds: string[], jwtSecret: string): Promise<string[]> {
  const tokens = createAccessTokens({ secret: jwtSecret, issuer: 'roost', ttlSeconds: 3600 });
  const out: string[] = [];
  const rows = [];
  for (const userId of userIds) {
    const sessionId = newId();
    rows.push({
      id: newId(),
      user_id: userId,
      family_id: sessionId,
      token_hash: sha256Hex(randomToken()),
      expires_at: new Date(Date.now() + 86_400_000),
      rotated_at: null,
      revoked_at: null,
      revoked_reason: null,
      user_agent: 'roost-bench',
      ip: '127.0.0.1',
    });
    out.push((await tokens.sign({ userId, sessionId })).token);
  }
  await db.insertInto('refresh_tokens').values(rows).execute();
  return out;
}

export async function benchMessaging(o: {
  db: Kysely<DB>;
  /** Process A (the subscribers connect to it). */
  a: ApiLike;
  /** Starts process B on the same database and Redis, with these extra variables. */
  startB: (env: Record<string, string>) => Promise<ApiLike>;
  subscribers: number;
  connections: number;
  seconds: number;
  warmup: number;
  jwtSecret: string;
  tmp: string;
  repo: string;
  log: (msg: string) => void;
}): Promise<MessagingResult> {
  const n = o.subscribers;
  // N hosts with a listed listing each, and N guests.
  // (Portable: no min(uuid) in PostgreSQL, no DISTINCT ON in MySQL.)
  const rows = await o.db
    .selectFrom('properties')
    .select(['id', 'host_id'])
    .where('status', '=', 'listed')
    .where('deleted_at', 'is', null)
    .orderBy('id')
    .limit(50 * n)
    .execute();
  const byHost = new Map<string, string>();
  for (const r of rows) if (!byHost.has(r.host_id)) byHost.set(r.host_id, r.id);
  const listings = [...byHost].slice(0, n).map(([host_id, property_id]) => ({ host_id, property_id }));
  const guests = await o.db
    .selectFrom('users')
    .select('id')
    .where('role', '=', 'guest')
    .orderBy('id')
    .limit(n)
    .execute();
  if (listings.length < n || guests.length < n) {
    throw new Error(
      `messaging: ${n} subscribers need ${n} hosts and ${n} guests; the data has ${listings.length} and ${guests.length}`,
    );
  }
  const hostTokens = await sessions(
    o.db,
    listings.map((l) => l.host_id),
    o.jwtSecret,
  );
  const guestTokens = await sessions(
    o.db,
    guests.map((g) => g.id),
    o.jwtSecret,
  );

  // The message rate limit is per user: raised on B, which takes the posts.
  const b = await o.startB({ RATE_LIMIT_MESSAGES_MAX: '1000000000' });
  writeFileSync(
    join(o.tmp, 'sub.json'),
    JSON.stringify({ base: o.a.base, tokens: hostTokens, marker: 'roostbench' } satisfies SubscribeJob),
  );
  const subscriber = spawnTracked(
    process.execPath,
    ['--import', 'tsx', PEER, 'subscribe', join(o.tmp, 'sub.json')],
    {
      cwd: o.repo,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  try {
    let out = '';
    let err = '';
    subscriber.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
    });
    subscriber.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`messaging: ${n} streams not ready in 60 s\n${err}`)),
        60_000,
      );
      const check = () => {
        if (out.includes('ready\n')) {
          clearTimeout(timer);
          resolve();
        }
      };
      subscriber.stdout!.on('data', check);
      subscriber.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`messaging: the subscriber exited (${code})\n${err}`));
      });
    });
    o.log(`messaging: ${n} SSE streams open on A`);

    const load = async (seconds: number, marker: string): Promise<LoadSummary> => {
      const file = join(o.tmp, `load-${marker}.json`);
      const job: LoadJob = {
        base: b.base,
        guests: guests.map((_, i) => ({
          token: guestTokens[i]!,
          propertyId: String(listings[i]!.property_id),
        })),
        seconds,
        connections: o.connections,
        marker,
      };
      writeFileSync(file, JSON.stringify(job));
      const r = await runTracked(process.execPath, ['--import', 'tsx', PEER, 'load', file], {
        cwd: o.repo,
        timeoutMs: (seconds + 60) * 1000,
      });
      if (r.code !== 0) throw new Error(`messaging load exited ${r.code}: ${r.stderr.slice(-2000)}`);
      const summary = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}') as LoadSummary;
      if (summary.non2xx > 0)
        throw new Error(`messaging: ${summary.non2xx} posts failed (${summary.firstError})`);
      return summary;
    };
    await load(o.warmup, 'roostwarm');
    const post = await load(o.seconds, 'roostbench');
    // Pushes still in flight when the load stopped.
    await new Promise((r) => setTimeout(r, 1000));
    const exited = new Promise<void>((resolve) => subscriber.once('exit', () => resolve()));
    subscriber.kill('SIGTERM');
    await exited;
    const push = JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as SubscribeSummary;
    if (push.measured !== post.ok) {
      throw new Error(
        `messaging: ${post.ok} messages posted but ${push.measured} pushed to their subscribers`,
      );
    }
    if (push.ended > 0) throw new Error(`messaging: ${push.ended} streams ended during the run`);
    const f = (x: number) => x.toFixed(1);
    o.log(
      `messaging: ${post.rps.toFixed(0)} posts/s through B (${f(post.p50)} / ${f(post.p99)} ms); push to ${n} ` +
        `subscribers on A: post → push p50 ${f(push.post.p50)} ms, p99 ${f(push.post.p99)} ms ` +
        `(publish → push p50 ${f(push.publish.p50)}, p99 ${f(push.publish.p99)} ms); ${push.measured} delivered`,
    );
    return { subscribers: n, connections: o.connections, seconds: o.seconds, post, push };
  } finally {
    await stopGroup(subscriber);
    await b.stop();
  }
}
