/**
 * A real API process (src/server.ts through tsx, as `npm start` runs it) killed between the commit of a
 * cancellation and the provider's answer to its refund call. Always on PostgreSQL: the process needs a
 * server database (like test/worker-process.test.ts).
 *
 * The user, listing and guest token are made in process on the same database; the booking, the payment
 * and the cancellation go over HTTP to the real process, whose Stripe adapter talks to the stub. Once
 * the stub holds the refund request (so the cancellation has committed), the process gets SIGKILL.
 * The database must then hold the cancelled booking and a pending refund; settlePendingRefunds, run in
 * process against the same stub, must refund exactly once and leave the rows and the ledger consistent.
 *
 * Two variants: the provider never executed the refund (`hang`), and the provider executed it but the
 * answer never left (`executeThenHang`).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { settlePendingRefunds } from '../src/flows/refunds.js';
import { createListing } from './support/fixtures.js';
import {
  freePort,
  killLeftovers,
  type RoostProcess,
  startRoost,
  waitUntilServing,
} from './support/processes.js';
import { expectMoneyConsistent, type StripeStub, startStripeStub } from './support/stripe-stub.js';
import {
  createTestApp,
  createUser,
  TEST_JWT_SECRET,
  type TestApp,
  type TestUser,
} from './support/test-app.js';
import { createTestDatabase, type TestDatabase, testDbKind } from './support/test-db.js';

const dir = mkdtempSync(join(tmpdir(), 'roost-refund-crash-'));
let database: TestDatabase;
let stub: StripeStub;
/** In process on the same database: fixtures, then the settling job. */
let t: TestApp;
let host: TestUser;
let guest: TestUser;

const stripeEnv = (timeoutMs: number) => ({
  PAYMENT_PROVIDER: 'stripe',
  STRIPE_SECRET_KEY: 'sk_test_x',
  STRIPE_WEBHOOK_SECRET: 'whsec_x',
  STRIPE_API_BASE: stub.url,
  PAYMENT_PROVIDER_TIMEOUT_MS: String(timeoutMs),
});

beforeAll(async () => {
  database = await createTestDatabase(
    testDbKind() === 'postgres' ? inject('templateDatabase') : undefined,
    'postgres',
  );
  stub = await startStripeStub();
  t = await createTestApp({ database, env: stripeEnv(5_000) });
  host = await createUser(t, 'host');
  guest = await createUser(t);
});

const started: RoostProcess[] = [];

/** The pids of `pid`'s descendants (from /proc: the ppid is the 4th field of /proc/<pid>/stat). */
function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const c of children.get(p) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(pid);
  return out;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * SIGKILL a started process and everything under it, by pid (a runner such as the tsx CLI would put the
 * server in a child process, to which SIGKILL cannot be relayed). Returns the pids killed.
 */
function killTree(proc: RoostProcess): number[] {
  const pid = proc.child.pid;
  if (pid === undefined || proc.exit) return [];
  const pids = [...descendants(pid).reverse(), pid];
  for (const p of pids) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  return pids;
}

async function waitForGone(pids: number[]) {
  const deadline = Date.now() + 10_000;
  while (pids.some(alive)) {
    if (Date.now() > deadline) throw new Error(`processes ${pids.filter(alive)} still alive after SIGKILL`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

afterEach(() => {
  // Whatever the test did: no API process (nor the server under tsx) outlives it.
  for (const p of started.splice(0)) killTree(p);
  killLeftovers();
  stub.clearFaults();
});

afterAll(async () => {
  killLeftovers();
  await t?.close();
  await stub?.close();
  await database?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function startApi(): Promise<{ api: RoostProcess; base: string }> {
  const port = await freePort();
  const api = startRoost(
    'src/server.ts',
    {
      DATABASE_URL: database.url!,
      PORT: String(port),
      JWT_SECRET: TEST_JWT_SECRET,
      SANDBOX_WEBHOOK_SECRET: 'refund-crash-sandbox-secret',
      DATA_DIR: join(dir, 'data'),
      MAIL_DIR: join(dir, 'mail'),
      UPLOADS_DIR: join(dir, 'uploads'),
      LOG_LEVEL: 'warn',
      ...stripeEnv(60_000),
    },
    'api',
  );
  started.push(api);
  const base = `http://127.0.0.1:${port}`;
  await waitUntilServing(api, `${base}/health/ready`);
  return { api, base };
}

async function post(base: string, path: string, user: TestUser, body: unknown) {
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { ...user.auth, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

let month = 0;
async function crashDuringRefund(fault: 'hang' | 'executeThenHang') {
  const listing = await createListing(t, host, { nightlyPrice: 11_000, cleaningFee: 1_500 });
  const { api, base } = await startApi();
  try {
    const m = String(++month).padStart(2, '0');
    const booked = await post(base, '/api/v1/bookings', guest, {
      propertyId: listing.id,
      checkIn: `2033-${m}-10`,
      checkOut: `2033-${m}-14`,
      guests: 2,
    });
    expect(booked.status, JSON.stringify(booked.body)).toBe(201);
    const id = booked.body['id'] as string;
    const total = booked.body['total'] as number;
    const paid = await post(base, `/api/v1/bookings/${id}/pay`, guest, { paymentMethod: 'pm_card_visa' });
    expect(paid.status, JSON.stringify(paid.body)).toBe(200);
    expect(paid.body).toMatchObject({ status: 'succeeded', provider: 'stripe', amount: total });
    const intent = (
      await database.db
        .selectFrom('payments')
        .select('provider_ref')
        .where('booking_id', '=', id)
        .executeTakeFirstOrThrow()
    ).provider_ref!;

    stub.fault(fault, { times: 1, paymentIntent: intent });
    const since = stub.calls.length;
    const cancelling = post(base, `/api/v1/bookings/${id}/cancel`, guest, {}).then(
      (r) => ({ answered: r }),
      (err: unknown) => ({ error: err }),
    );
    const call = await stub.waitForCall('/v1/refunds', { method: 'POST', since, timeoutMs: 20_000 });
    expect(call.form.get('payment_intent')).toBe(intent);
    expect(stub.hungCount()).toBe(1);

    const server = killTree(api);
    expect(server).toContain(api.child.pid);
    await api.exited;
    await waitForGone(server);
    // The client never got an answer: the process died holding the request.
    expect(await cancelling).toHaveProperty('error');
    stub.clearFaults();

    // What survived the crash: the cancellation and its pending refund, committed together.
    const before = await expectMoneyConsistent(database.db, id);
    expect(before.booking).toMatchObject({ status: 'cancelled_by_guest', refunded_amount: total });
    expect(before.refunds).toHaveLength(1);
    const refund = before.refunds[0]!;
    expect(refund).toMatchObject({ status: 'pending', amount: total, provider_ref: null });
    expect(before.refundPostings(refund.id)).toEqual([]);
    expect(call.idempotencyKey).toBe(`refund:${refund.id}`);
    const executedBefore = stub.executedRefunds().filter((r) => r.payment_intent === intent);
    expect(executedBefore).toHaveLength(fault === 'executeThenHang' ? 1 : 0);

    // The job, as a worker would run it (the age threshold waived).
    expect(await settlePendingRefunds(t.ctx, { olderThanMs: 0 })).toBe(1);
    const after = await expectMoneyConsistent(database.db, id);
    const executed = stub.executedRefunds().filter((r) => r.payment_intent === intent);
    expect(executed.map((r) => ({ amount: r.amount, key: r.idempotencyKey, status: r.status }))).toEqual([
      { amount: total, key: `refund:${refund.id}`, status: 'succeeded' },
    ]);
    expect(after.refunds).toMatchObject([
      { id: refund.id, status: 'succeeded', provider_ref: executed[0]!.id },
    ]);
    expect(after.refundPostings(refund.id)).toHaveLength(1);
    expect(after.booking).toMatchObject({ status: 'cancelled_by_guest', refunded_amount: total });
    expect(after.payment.refunded_amount).toBe(total);
    expect(after.clearing).toBe(0);
    // Nothing left to do.
    expect(await settlePendingRefunds(t.ctx, { olderThanMs: 0 })).toBe(0);
  } finally {
    killTree(api);
  }
}

describe('the API killed between the commit and the refund', () => {
  it('provider never executed the refund: the cancellation and a pending refund survive; the job refunds once', async () => {
    await crashDuringRefund('hang');
  }, 120_000);

  it('provider executed the refund, the answer never came back: the job finds it by key, still one refund', async () => {
    await crashDuringRefund('executeThenHang');
  }, 120_000);
});
