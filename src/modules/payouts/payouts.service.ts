/**
 * Host payouts: the host's payout account at the provider (onboarding, status), the payout rows (one per
 * booking at most) and the host's and admins' views of them. Releasing a payout, its ledger postings and
 * its transfer are composed in src/flows/payouts.ts; this module knows nothing of the ledger.
 */
import { Type } from 'typebox';
import { findOrFail } from '../../db/find-or-fail.js';
import type { PayoutStatus } from '../../db/schema/payouts.js';
import { type Actor, assertRole } from '../../platform/auth.js';
import type { ServiceContext } from '../../platform/context.js';
import { AppError, forbidden, notFound } from '../../platform/errors.js';
import { isoOrNull } from '../../platform/instants.js';
import { decodeCursor, toPage } from '../../platform/pagination.js';
import type { PaymentProvider, PayoutAccountResult } from '../../platform/payment-provider.js';
import { TIMED_OUT, within } from '../../platform/timeout.js';
import * as repo from './payouts.repository.js';
import type { AdminPayoutView, HostPayoutItem, PayoutAccountView } from './payouts.schemas.js';

type Db = ServiceContext['db'];

export type { PayoutAccountRow, PayoutRow } from './payouts.repository.js';

const HOUR = 3_600_000;
/** The instant a stay's payout is due: its check-in instant (check-in day at check-in time, UTC) + the delay. */
export function releaseAtOf(ctx: ServiceContext, stay: { check_in: string; check_in_time: string }): Date {
  const [h = '15', m = '00'] = stay.check_in_time.split(':');
  const checkIn = Date.parse(`${stay.check_in}T${h.padStart(2, '0')}:${m.padStart(2, '0')}:00Z`);
  return new Date(checkIn + ctx.config.PAYOUT_DELAY_HOURS * HOUR);
}

function providerNamed(ctx: ServiceContext, name: string): PaymentProvider {
  const provider = ctx.payments[name];
  if (!provider) throw notFound(`Payment provider ${name}`);
  return provider;
}

const providerUnavailable = () =>
  new AppError(502, 'provider_unavailable', 'The payment provider did not answer; try again in a moment');

async function callProvider<T>(ctx: ServiceContext, work: () => Promise<T>): Promise<T> {
  let result: T | typeof TIMED_OUT;
  try {
    result = await within(work(), ctx.config.PAYMENT_PROVIDER_TIMEOUT_MS);
  } catch {
    throw providerUnavailable();
  }
  if (result === TIMED_OUT) throw providerUnavailable();
  return result;
}

// --------------------------------------------------------------------------------------------- accounts

function toAccountView(row: repo.PayoutAccountRow, onboardingUrl: string | null): PayoutAccountView {
  return {
    hostId: row.host_id,
    provider: row.provider,
    status: row.status,
    currency: row.currency,
    onboardingUrl: row.status === 'enabled' ? null : onboardingUrl,
    createdAt: isoOrNull(row.created_at)!,
    updatedAt: isoOrNull(row.updated_at)!,
  };
}

function assertHost(actor: Actor) {
  if (actor.role !== 'host') throw forbidden('Only hosts have payout accounts and payouts');
}

/**
 * Open the host's payout account at the configured provider, or (when it exists) refresh its status from
 * the provider; either way with a fresh onboarding link while it is not enabled. Hosts only.
 */
export async function openPayoutAccount(
  ctx: ServiceContext,
  actor: Actor,
  input: { country?: string | undefined; currency?: string | undefined },
): Promise<{ created: boolean; account: PayoutAccountView }> {
  assertHost(actor);
  const existing = await repo.findAccount(ctx.db, actor.userId);
  if (existing) {
    const provider = providerNamed(ctx, existing.provider);
    const now = await callProvider(ctx, () => provider.retrievePayoutAccount(existing.provider_account_ref));
    const row = await applyAccountStatus(ctx, existing, now);
    return { created: false, account: toAccountView(row, now.onboardingUrl) };
  }
  const provider = providerNamed(ctx, ctx.config.PAYMENT_PROVIDER);
  const email = await repo.hostEmail(ctx.db, actor.userId);
  if (!email) throw notFound('User');
  const currency = input.currency ?? 'EUR';
  // Keyed by host: two requests at once open one account at the provider.
  const opened = await callProvider(ctx, () =>
    provider.createPayoutAccount({
      hostId: actor.userId,
      email,
      country: input.country,
      currency,
      idempotencyKey: `payout-account:${actor.userId}`,
    }),
  );
  const inserted = await repo.insertAccountUnlessExists(ctx.db, {
    host_id: actor.userId,
    provider: provider.name,
    provider_account_ref: opened.accountRef,
    status: opened.status,
    currency,
  });
  const row = await findOrFail(repo.findAccount(ctx.db, actor.userId), 'Payout account');
  return { created: inserted, account: toAccountView(row, opened.onboardingUrl) };
}

async function applyAccountStatus(ctx: ServiceContext, row: repo.PayoutAccountRow, now: PayoutAccountResult) {
  if (now.status === row.status) return row;
  await repo.updateAccountStatus(ctx.db, { hostId: row.host_id }, now.status, ctx.now());
  return findOrFail(repo.findAccount(ctx.db, row.host_id), 'Payout account');
}

/** The host's payout account as stored (404 before onboarding). Hosts only. */
export async function getPayoutAccount(ctx: ServiceContext, actor: Actor): Promise<PayoutAccountView> {
  assertHost(actor);
  const row = await findOrFail(repo.findAccount(ctx.db, actor.userId), 'Payout account');
  return toAccountView(row, null);
}

/** A provider's `account.updated`, in the caller's transaction: the account's new status (if it is ours). */
export async function recordAccountStatus(
  ctx: ServiceContext,
  trx: Db,
  provider: string,
  accountRef: string,
  status: repo.PayoutAccountRow['status'],
): Promise<boolean> {
  return (await repo.updateAccountStatus(trx, { provider, ref: accountRef }, status, ctx.now())) > 0;
}

/**
 * The host's account row, locked for the rest of the caller's transaction (undefined: none, or with
 * `skipLocked`, held by another transaction right now).
 */
export function lockAccount(trx: Db, hostId: string, opts: { skipLocked?: boolean } = {}) {
  return repo.lockAccount(trx, hostId, opts);
}

export function findAccount(db: Db, hostId: string) {
  return repo.findAccount(db, hostId);
}

// ---------------------------------------------------------------------------------------------- payouts

/** Paid stays that may be due by `now` (the flow checks each one's exact release instant). */
export function dueStays(ctx: ServiceContext, limit: number) {
  // Check-in day ≤ the day of (now − delay): a stay checking in later that day is filtered by the flow.
  const lastDay = new Date(ctx.now().getTime() - ctx.config.PAYOUT_DELAY_HOURS * HOUR)
    .toISOString()
    .slice(0, 10);
  return repo.dueStays(ctx.db, lastDay, limit);
}

export const findPayout = (db: Db, id: string) => repo.findPayout(db, id);
export const lockPayout = (trx: Db, id: string) => findOrFail(repo.lockPayout(trx, id), 'Payout');
export const findPayoutOfBooking = (db: Db, bookingId: string) => repo.findPayoutOfBooking(db, bookingId);
export const findPayoutByRef = (db: Db, provider: string, ref: string) =>
  repo.findPayoutByRef(db, provider, ref);
export const insertPayoutUnlessExists = repo.insertPayoutUnlessExists;
export const scheduledPayouts = (ctx: ServiceContext, limit: number) => repo.scheduledPayouts(ctx.db, limit);

export function updatePayout(
  ctx: ServiceContext,
  trx: Db,
  id: string,
  changes: Parameters<typeof repo.updatePayout>[2],
) {
  return repo.updatePayout(trx, id, changes, ctx.now());
}

export function payoutCounts(ctx: ServiceContext) {
  return repo.countByStatus(ctx.db);
}

export interface PayoutFigures {
  /** Payouts by status (a status without payouts: absent). */
  counts: Record<string, number>;
  /** Amounts paid this month and today (UTC), in minor units, per currency (currencies with payouts paid this month). */
  paid: { currency: string; month: number; today: number }[];
}

/** The dashboard's payout figures: counts by status, and what was paid this month and today (UTC). */
export async function payoutFigures(ctx: ServiceContext): Promise<PayoutFigures> {
  const today = ctx.now().toISOString().slice(0, 10);
  const dayStart = new Date(`${today}T00:00:00.000Z`);
  const monthStart = new Date(`${today.slice(0, 7)}-01T00:00:00.000Z`);
  const [counts, paid] = await Promise.all([
    repo.countByStatus(ctx.db),
    repo.paidTotalsSince(ctx.db, monthStart, dayStart),
  ]);
  return { counts, paid };
}

/** Pending payouts not touched for `olderThanMs` (no webhook settled them), least recently touched first. */
export const stalePendingPayouts = (ctx: ServiceContext, olderThanMs: number, limit: number) =>
  repo.stalePendingPayouts(ctx.db, new Date(ctx.now().getTime() - olderThanMs), limit);

// ---------------------------------------------------------------------------------------- host's views

const ReleasedCursor = Type.Tuple([Type.String({ maxLength: 40 }), Type.String({ maxLength: 40 })]);
const UpcomingCursor = Type.Tuple([Type.String({ maxLength: 10 }), Type.String({ maxLength: 40 })]);

const STATUSES_OF: Record<'processing' | 'paid' | 'failed', PayoutStatus[]> = {
  processing: ['scheduled', 'pending'],
  paid: ['paid', 'netted'],
  failed: ['failed'],
};

/** The host's released payouts (processing, paid or failed), newest release first. Hosts only. */
/** What the stay earns before and after the host's service fee (the fee is the platform's). */
const bothSides = (b: { host_payout: number; host_fee: number }) => ({
  accommodation: Number(b.host_payout) + Number(b.host_fee),
  hostFee: Number(b.host_fee),
});

export async function listReleased(
  ctx: ServiceContext,
  actor: Actor,
  q: { status: 'processing' | 'paid' | 'failed'; limit: number; cursor?: string | undefined },
): Promise<{ items: HostPayoutItem[]; nextCursor: string | null }> {
  assertHost(actor);
  const c = q.cursor ? decodeCursor<[string, string]>(q.cursor, ReleasedCursor) : undefined;
  const before = c ? { at: new Date(c[0]), id: c[1] } : undefined;
  if (before && Number.isNaN(before.at.getTime())) return { items: [], nextCursor: null };
  const rows = await repo.listHostPayouts(ctx.db, {
    hostId: actor.userId,
    statuses: STATUSES_OF[q.status],
    before,
    limit: q.limit + 1,
  });
  return toPage(
    rows,
    q.limit,
    (r) => ({
      bookingId: r.booking_id,
      propertyId: r.property_id,
      checkIn: r.check_in,
      checkOut: r.check_out,
      payoutId: r.id,
      status: r.status,
      amount: r.amount,
      ...bothSides(r),
      currency: r.currency,
      releaseAt: isoOrNull(r.release_at)!,
      paidAt: isoOrNull(r.paid_at),
      failureReason: r.status === 'failed' ? r.last_error : null,
    }),
    (r) => [isoOrNull(r.release_at), r.id],
  );
}

/**
 * The host's paid stays whose payout is not released yet, soonest first, with their release instant;
 * `earned` gives each one's amount (the flow asks the ledger). Hosts only.
 */
export async function listUpcoming(
  ctx: ServiceContext,
  actor: Actor,
  q: { limit: number; cursor?: string | undefined },
  earned: (bookingIds: string[]) => Promise<Map<string, number>>,
): Promise<{ items: HostPayoutItem[]; nextCursor: string | null }> {
  assertHost(actor);
  const c = q.cursor ? decodeCursor<[string, string]>(q.cursor, UpcomingCursor) : undefined;
  const rows = await repo.listUpcomingStays(ctx.db, {
    hostId: actor.userId,
    after: c ? { checkIn: c[0], id: c[1] } : undefined,
    limit: q.limit + 1,
  });
  const amounts = await earned(rows.slice(0, q.limit).map((r) => r.id));
  return toPage(
    rows,
    q.limit,
    (r) => ({
      bookingId: r.id,
      propertyId: r.property_id,
      checkIn: r.check_in,
      checkOut: r.check_out,
      payoutId: null,
      status: 'upcoming' as const,
      amount: amounts.get(r.id) ?? 0,
      ...bothSides(r),
      currency: r.currency,
      releaseAt: releaseAtOf(ctx, r).toISOString(),
      paidAt: null,
      failureReason: null,
    }),
    (r) => [r.check_in, r.id],
  );
}

/** One CSV field (RFC 4180): quoted when it holds a comma, quote or line break; formula-looking text defused. */
export function csvField(value: string | number | null): string {
  if (value === null) return '';
  let s = String(value);
  // A spreadsheet runs a cell starting with = + - @ (or a tab / CR) as a formula: prefix text ones with '.
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

const CSV_COLUMNS = [
  'payout_id',
  'booking_id',
  'listing',
  'check_in',
  'check_out',
  'status',
  'currency',
  'amount_minor',
  'release_at',
  'paid_at',
  'failure_reason',
];

/** The host's payouts released in `month` (UTC), or the latest `limit`, as CSV (CRLF lines). Hosts only. */
export async function payoutsCsv(
  ctx: ServiceContext,
  actor: Actor,
  q: { month?: string | undefined; limit: number },
): Promise<string> {
  assertHost(actor);
  let from: Date | undefined;
  let to: Date | undefined;
  if (q.month) {
    const [y, m] = q.month.split('-').map(Number) as [number, number];
    from = new Date(Date.UTC(y, m - 1, 1));
    to = new Date(Date.UTC(y, m, 1));
  }
  const rows = await repo.payoutsForExport(ctx.db, { hostId: actor.userId, from, to, limit: q.limit });
  const lines = [CSV_COLUMNS.join(',')];
  for (const r of rows) {
    lines.push(
      [
        r.id,
        r.booking_id,
        r.title,
        r.check_in,
        r.check_out,
        r.status,
        r.currency,
        r.amount,
        isoOrNull(r.release_at),
        isoOrNull(r.paid_at),
        r.status === 'failed' ? r.last_error : null,
      ]
        .map(csvField)
        .join(','),
    );
  }
  return `${lines.join('\r\n')}\r\n`;
}

// --------------------------------------------------------------------------------------------- admin's

export function toAdminPayoutView(r: repo.PayoutRow): AdminPayoutView {
  return {
    id: r.id,
    bookingId: r.booking_id,
    hostId: r.host_id,
    amount: r.amount,
    currency: r.currency,
    status: r.status,
    provider: r.provider,
    providerRef: r.provider_ref,
    attempts: r.attempts,
    lastError: r.last_error,
    releaseAt: isoOrNull(r.release_at)!,
    paidAt: isoOrNull(r.paid_at),
    createdAt: isoOrNull(r.created_at)!,
    updatedAt: isoOrNull(r.updated_at)!,
  };
}

const AdminCursor = Type.Object({ id: Type.String({ format: 'uuid' }) });

/** Admin: payouts, newest first, optionally of one status (`failed`: the ones to look at) or host. */
export async function adminListPayouts(
  ctx: ServiceContext,
  actor: Actor,
  q: {
    status?: PayoutStatus | undefined;
    hostId?: string | undefined;
    limit: number;
    cursor?: string | undefined;
  },
): Promise<{ items: AdminPayoutView[]; nextCursor: string | null }> {
  assertRole(actor, 'admin');
  const after = q.cursor ? decodeCursor<{ id: string }>(q.cursor, AdminCursor) : undefined;
  const rows = await repo.listPayouts(ctx.db, {
    status: q.status,
    hostId: q.hostId,
    beforeId: after?.id,
    limit: q.limit + 1,
  });
  return toPage(rows, q.limit, toAdminPayoutView, (r) => ({ id: r.id }));
}
