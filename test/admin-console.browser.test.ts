/**
 * The operator console (/admin) in a real browser — headless Chromium through playwright-core — against
 * the real server process (src/server.ts, as `npm start` runs it) on a real database and Redis (the job
 * queue). An admin signs in with the login form and, only by clicking and typing:
 * - finds a guest by name and suspends them: the guest's API access token is refused at once;
 * - cancels the guest's booking on the host's behalf with a full refund, the amount shown before the
 *   confirm button: the refund succeeds and the ledger still sums to zero;
 * - hides a review, and retries a failed job (a real BullMQ job in the server's queue);
 * - finds each of those actions in the audit log page, one row each, with their request ids.
 * A guest reaches no console page (redirected to the login form, which refuses them), and a form posted
 * without its CSRF token — or with a forged one — is refused and changes nothing.
 * Screenshots of the dashboard and a booking's timeline go to docs/screenshots/ (rewritten on each run).
 *
 * Needs Chromium at /usr/bin/chromium (or CHROMIUM_PATH): the file fails, saying how to install it,
 * when it is missing.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue, Worker } from 'bullmq';
import { sql } from 'kysely';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUEUE_NAME } from '../src/platform/queue/bullmq.js';
import { hasChromium, launchChromium, MISSING_CHROMIUM, SCREENSHOTS } from './support/browser.js';
import { insertBooking } from './support/factories.js';
import { createListing } from './support/fixtures.js';
import {
  freePort,
  killLeftovers,
  type RoostProcess,
  startRoost,
  waitUntilServing,
} from './support/processes.js';
import { dropPrefix, redisUrl, testRedis, uniquePrefix, waitFor } from './support/redis.js';
import {
  createTestApp,
  createUser,
  TEST_JWT_SECRET,
  type TestApp,
  type TestUser,
} from './support/test-app.js';
import { testDbKind } from './support/test-db.js';

const FAILED_JOB_ID = 'console-e2e-email-1';
/** Distinctive, so that the search finds exactly this guest. */
const GUEST_LAST_NAME = `Browserguest${process.pid}`;

let t: TestApp;
let admin: TestUser;
let guest: TestUser;
let reviewer: TestUser;
let host: TestUser;
let bookingId: string;
let bookingTotal: number;
let reviewId: string;
let server: RoostProcess;
let browser: Browser;
let base: string;
const queuePrefix = uniquePrefix('console');
const redis = testRedis();
const dir = mkdtempSync(join(tmpdir(), 'roost-console-'));
const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

/** A job that failed on its only attempt, left in the server's dead-letter set. */
async function failedJob(): Promise<void> {
  const connection = { url: redisUrl() };
  const queue = new Queue(QUEUE_NAME, { connection, prefix: queuePrefix });
  await queue.add('send-email', { outboxId: 'console-e2e' }, { jobId: FAILED_JOB_ID, attempts: 1 });
  const worker = new Worker(
    QUEUE_NAME,
    async () => {
      throw new Error('SMTP server refused the message (e2e)');
    },
    { connection, prefix: queuePrefix },
  );
  await waitFor(async () => (await queue.getJobCounts('failed'))['failed'] === 1, 15_000, 'the failed job');
  await worker.close();
  await queue.close();
}

beforeAll(async () => {
  // Without Chromium, each test fails (rather than being skipped) with MISSING_CHROMIUM.
  if (!hasChromium()) return;
  // The server process opens the database too: PGlite lives inside one process, so the PGlite suite
  // runs this file on PostgreSQL.
  t = await createTestApp({ engine: testDbKind() === 'mysql' ? 'mysql' : 'postgres' });
  admin = await createUser(t, 'admin');
  host = await createUser(t, 'host');
  guest = await createUser(t);
  reviewer = await createUser(t);
  await t.ctx.db
    .updateTable('users')
    .set({ first_name: 'Gertrude', last_name: GUEST_LAST_NAME })
    .where('id', '=', guest.id)
    .execute();
  const { id: listingId } = await createListing(t, host, {
    title: 'Canal house (console e2e)',
    city: 'Amsterdam',
  });
  const booking = await insertBooking(t, {
    guestId: guest.id,
    propertyId: listingId,
    checkIn: day(40),
    checkOut: day(44),
    status: 'confirmed',
  });
  bookingId = booking.id;
  bookingTotal = booking.total;
  const past = await insertBooking(t, {
    guestId: reviewer.id,
    propertyId: listingId,
    checkIn: day(-6),
    checkOut: day(-3),
    status: 'completed',
  });
  const review = await t.app.inject({
    method: 'POST',
    url: '/api/v1/reviews',
    headers: reviewer.auth,
    payload: {
      bookingId: past.id,
      rating: 1,
      cleanliness: 1,
      accuracy: 1,
      communication: 1,
      location: 1,
      checkIn: 1,
      value: 1,
      body: 'Call me on +1 555 0100 for a better deal off the platform, cheaper than here.',
    },
  });
  expect(review.statusCode).toBe(201);
  reviewId = review.json().id;
  await failedJob();

  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  server = startRoost(
    'src/server.ts',
    {
      DATABASE_URL: t.database.url!,
      JWT_SECRET: TEST_JWT_SECRET,
      PORT: String(port),
      REDIS_URL: redisUrl(),
      QUEUE_PREFIX: queuePrefix,
      UPLOADS_DIR: join(dir, 'uploads'),
      MAIL_DIR: join(dir, 'mail'),
      DATA_DIR: join(dir, 'data'),
      LOG_LEVEL: 'warn',
    },
    'api',
  );
  [browser] = await Promise.all([launchChromium(), waitUntilServing(server, `${base}/health/ready`)]);
  mkdirSync(SCREENSHOTS, { recursive: true });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop().catch(() => {});
  killLeftovers();
  await dropPrefix(redis, queuePrefix);
  redis.disconnect();
  await t?.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Session {
  context: BrowserContext;
  page: Page;
  /** CSP violations and page errors: the console runs no script, so there must be none. */
  problems: string[];
}

async function newSession(): Promise<Session> {
  if (!browser) throw new Error(MISSING_CHROMIUM);
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  context.setDefaultTimeout(20_000);
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) problems.push(m.text());
  });
  page.on('request', (r) => {
    if (!r.url().startsWith(base)) problems.push(`request left the app: ${r.url()}`);
  });
  return { context, page, problems };
}

async function signIn(page: Page, user: TestUser): Promise<void> {
  await page.goto(`${base}/admin/login`);
  await page.fill('#email', user.email);
  await page.fill('#password', user.password);
  await page.click('#login');
}

const flash = (page: Page) => page.locator('#flash');

/** The audit rows the server wrote for the admin, by action. */
async function auditRows(action: string) {
  return t.ctx.db
    .selectFrom('audit_log')
    .selectAll()
    .where('actor_id', '=', admin.id)
    .where('action', '=', action)
    .execute();
}

describe('the operator console in a browser', () => {
  it('an admin suspends a guest, cancels their booking for the host with a full refund, hides a review and retries a failed job — each in the audit log', async () => {
    const { page, context, problems } = await newSession();
    // Not signed in: the console sends the browser to its login form.
    const first = await page.goto(`${base}/admin`);
    expect(new URL(page.url()).pathname).toBe('/admin/login');
    expect(first?.headers()['content-security-policy']).toContain("default-src 'none'");
    await signIn(page, admin);
    expect(new URL(page.url()).pathname).toBe('/admin');
    const cookies = await context.cookies(`${base}/admin`);
    expect(cookies.find((c) => c.name === 'roost_admin')).toMatchObject({
      httpOnly: true,
      sameSite: 'Strict',
    });
    await expect.poll(() => page.locator('h1').first().textContent()).toMatch(/Dashboard/);
    await page.screenshot({ path: join(SCREENSHOTS, 'console-dashboard.png'), fullPage: true });

    // Find the guest by name and suspend them.
    await page.click('[data-testid="nav-users"]');
    await page.fill('#q', GUEST_LAST_NAME);
    await page.click('#search');
    const rows = page.locator('[data-testid="users-table"] tbody tr[data-user-id]');
    await expect.poll(() => rows.count()).toBe(1);
    await rows.first().locator('a').first().click();
    expect(await page.locator('#user-id').textContent()).toBe(guest.id);
    await page.fill('#suspend-reason', 'Asked guests to pay off the platform');
    await page.click('form[data-action="suspend"] button');
    await expect.poll(() => page.locator('#user-status').textContent()).toBe('suspended');
    expect(await flash(page).getAttribute('data-kind')).toBe('ok');
    // The guest's access token stops working at once.
    const me = await fetch(`${base}/api/v1/users/me`, { headers: guest.auth });
    expect(me.status).toBe(401);
    expect(((await me.json()) as { code: string }).code).toBe('account_suspended');

    // Their booking, cancelled on the host's behalf with a full refund, shown before confirming.
    await page.locator('[data-testid="user-bookings-table"] a', { hasText: bookingId }).click();
    expect(await page.locator('#booking-status').textContent()).toBe('confirmed');
    await page.selectOption('#onBehalfOf', 'host');
    await page.selectOption('#refund', 'full');
    await page.click('form[data-action="cancel-preview"] button');
    expect(Number(await page.locator('#refund-amount').getAttribute('data-amount'))).toBe(bookingTotal);
    await page.fill('#cancel-reason', 'Host called: the canal house flooded');
    await page.click('#confirm-cancel');
    await expect.poll(() => page.locator('#booking-status').textContent()).toBe('cancelled_by_host');
    await waitFor(
      async () => {
        const r = await t.ctx.db
          .selectFrom('refunds')
          .select(['status', 'amount'])
          .where('booking_id', '=', bookingId)
          .execute();
        return r.length === 1 && r[0]!.status === 'succeeded' && r[0]!.amount === bookingTotal;
      },
      15_000,
      'the full refund to succeed',
    );
    const ledger = await sql<{
      total: string | number | null;
    }>`select sum(amount) as total from ledger_entries`.execute(t.ctx.db);
    expect(Number(ledger.rows[0]?.total ?? 0)).toBe(0);
    await page.reload();
    // The page names the guest, and offers no second cancellation of a cancelled booking.
    expect(await page.locator('#booking-guest').textContent()).toContain(`Gertrude ${GUEST_LAST_NAME}`);
    expect(await page.locator('form[data-action="cancel-preview"]').count()).toBe(0);
    await expect
      .poll(() => page.locator('[data-testid="timeline-table"] tr[data-kind="refund"]').count())
      .toBeGreaterThan(0);
    expect(
      await page.locator('[data-testid="timeline-table"] tr[data-kind="audit"]').count(),
    ).toBeGreaterThan(0);
    await page.screenshot({ path: join(SCREENSHOTS, 'console-booking-timeline.png'), fullPage: true });

    // Hide the review.
    await page.click('[data-testid="nav-reviews"]');
    const review = page.locator(`tr[data-review-id="${reviewId}"]`);
    await review.locator('input[name="reason"]').fill('Contact details and off-platform payment');
    await review.locator('form[data-action="hide"] button').click();
    expect(await flash(page).getAttribute('data-kind')).toBe('ok');
    await expect
      .poll(() => page.locator(`tr[data-review-id="${reviewId}"] .badge`).textContent())
      .toBe('hidden');
    const hidden = await t.ctx.db
      .selectFrom('reviews')
      .select(['hidden_at', 'hidden_reason'])
      .where('id', '=', reviewId)
      .executeTakeFirstOrThrow();
    expect(hidden.hidden_at).not.toBeNull();
    expect(hidden.hidden_reason).toBe('Contact details and off-platform payment');

    // Retry the failed job: it goes back to the queue.
    await page.click('[data-testid="nav-jobs"]');
    const job = page.locator(`tr[data-job-id="${FAILED_JOB_ID}"]`);
    expect(await job.textContent()).toContain('SMTP server refused the message');
    await job.locator('form[data-action="retry"] button').click();
    expect(await flash(page).getAttribute('data-kind')).toBe('ok');
    const queue = new Queue(QUEUE_NAME, { connection: { url: redisUrl() }, prefix: queuePrefix });
    try {
      expect(await (await queue.getJob(FAILED_JOB_ID))?.getState()).toBe('waiting');
    } finally {
      await queue.close();
    }

    // The audit log page shows each action once, with the object and a request id.
    await page.click('[data-testid="nav-audit"]');
    await page.check('#changesOnly');
    await page.click('#search');
    const expected: [string, string][] = [
      ['user.suspend', guest.id],
      ['booking.cancel', bookingId],
      ['review.hide', reviewId],
      ['job.retry', FAILED_JOB_ID],
    ];
    for (const [action, objectId] of expected) {
      const shown = page.locator(`[data-testid="audit-table"] tr[data-action="${action}"]`);
      expect(await shown.count()).toBe(1);
      expect(await shown.textContent()).toContain(objectId);
      const stored = await auditRows(action);
      expect(stored).toHaveLength(1);
      expect(stored[0]).toMatchObject({
        object_id: objectId,
        request_id: expect.any(String),
        ip: expect.any(String),
      });
    }
    const [suspension] = await auditRows('user.suspend');
    expect(suspension!.reason).toBe('Asked guests to pay off the platform');
    expect(problems).toEqual([]);
    await context.close();
  });

  it('keeps guests out of every page and refuses a form posted without its CSRF token', async () => {
    const { page, context, problems } = await newSession();
    const pages = [
      '/admin',
      '/admin/users',
      `/admin/users/${guest.id}`,
      '/admin/bookings',
      `/admin/bookings/${bookingId}`,
      '/admin/listings',
      '/admin/money',
      '/admin/reviews',
      '/admin/jobs',
      '/admin/audit',
    ];
    // A guest's bearer token opens nothing: every page sends the browser to the login form.
    await context.setExtraHTTPHeaders({ authorization: reviewer.auth.authorization });
    for (const path of pages) {
      await page.goto(`${base}${path}`);
      expect(new URL(page.url()).pathname, path).toBe('/admin/login');
    }
    await context.setExtraHTTPHeaders({});
    // The login form refuses a guest's right password.
    await signIn(page, reviewer);
    expect(new URL(page.url()).pathname).toBe('/admin/login');
    expect(await flash(page).getAttribute('data-kind')).toBe('error');
    expect((await context.cookies(`${base}/admin`)).some((c) => c.name === 'roost_admin')).toBe(false);

    // Signed in as the admin: a suspend form posted without its token, or with a forged one, is refused.
    await signIn(page, admin);
    expect(new URL(page.url()).pathname).toBe('/admin');
    const suspensions = (await auditRows('user.suspend')).length;
    const forms: Record<string, string>[] = [
      { reason: 'no token at all' },
      { reason: 'forged token', _csrf: 'forged-token-value' },
    ];
    for (const form of forms) {
      const res = await context.request.post(`${base}/admin/users/${reviewer.id}/suspend`, {
        form,
        maxRedirects: 0,
      });
      expect(res.status()).toBe(403);
    }
    const row = await t.ctx.db
      .selectFrom('users')
      .select('suspended_at')
      .where('id', '=', reviewer.id)
      .executeTakeFirstOrThrow();
    expect(row.suspended_at).toBeNull();
    expect(await auditRows('user.suspend')).toHaveLength(suspensions);
    const me = await fetch(`${base}/api/v1/users/me`, { headers: reviewer.auth });
    expect(me.status).toBe(200);
    expect(problems).toEqual([]);
    await context.close();
  });
});
