/**
 * The operator console's front page: today's arrivals and departures, bookings and revenue by day, the
 * backlogs (emails not yet sent, refunds not yet carried out), whether the ledger balances, host payouts
 * (failed, under way, paid this month and today), and failed jobs (counted by the caller, which holds the
 * queue). Every query is bounded: counts on indexed columns,
 * the per-day figures over the primary-key range of the window (ids are UUIDv7).
 */
import * as bookings from '../modules/bookings/bookings.service.js';
import { balancesOf, pendingRefundCount } from '../modules/payments/money.service.js';
import { type PayoutFigures, payoutFigures } from '../modules/payouts/payouts.service.js';
import { type Actor, assertRole } from '../platform/auth.js';
import type { ServiceContext } from '../platform/context.js';
import { pendingEmailIds } from '../platform/email.js';

/** The outbox count stops here (the dashboard shows "10000+"): counting is bounded too. */
export const OUTBOX_COUNT_CAP = 10_000;

export interface DashboardDay {
  date: string;
  /** Bookings created that (UTC) day, any status. */
  bookings: number;
  /**
   * Totals of the bookings created that day that are now confirmed or completed, in minor units of
   * `DashboardStats.currency` (the most common currency of the window); `revenueByCurrency` has them all.
   */
  revenue: number;
  revenueByCurrency: Record<string, number>;
}

export interface DashboardStats {
  /** Today, UTC (YYYY-MM-DD). */
  today: string;
  /** Confirmed or completed stays checking in today. */
  checkInsToday: number;
  /** Confirmed or completed stays checking out today. */
  checkOutsToday: number;
  /** The currency of `byDay[].revenue` (null when the window has no revenue). */
  currency: string | null;
  /** Oldest first, `days` days ending today (days without bookings included, as zeros). */
  byDay: DashboardDay[];
  /** Emails waiting in the outbox (capped at OUTBOX_COUNT_CAP) plus refunds promised and not carried out. */
  outboxBacklog: number;
  pendingEmails: number;
  pendingRefunds: number;
  ledger: { balanced: boolean; total: number };
  failedJobs: number | null;
  /**
   * Host payouts: counts by status (`failed`: failed for good, to look at; `scheduled` / `pending`: under
   * way), and the amounts paid this month and today (UTC) per currency.
   */
  payouts: PayoutFigures;
}

const DAY_MS = 86_400_000;

/** Admin only. `days`: 1..90 (clamped), default 14; `failedJobs`: the queue's count, if the caller has one. */
export async function dashboardStats(
  ctx: ServiceContext,
  actor: Actor,
  opts: { days?: number; failedJobs?: number | null | undefined },
): Promise<DashboardStats> {
  assertRole(actor, 'admin');
  const days = Math.min(Math.max(Math.trunc(opts.days ?? 14), 1), 90);
  const now = ctx.now();
  const today = now.toISOString().slice(0, 10);
  const since = new Date(Date.parse(`${today}T00:00:00Z`) - (days - 1) * DAY_MS);
  const [stays, perDay, emails, refunds, ledger, payouts] = await Promise.all([
    bookings.staysStartingAndEnding(ctx, today),
    bookings.bookingsByDay(ctx, since),
    pendingEmailIds(ctx.db, OUTBOX_COUNT_CAP),
    pendingRefundCount(ctx),
    balancesOf(ctx),
    payoutFigures(ctx),
  ]);
  const revenueOf = new Map<string, number>();
  for (const r of perDay) revenueOf.set(r.currency, (revenueOf.get(r.currency) ?? 0) + r.revenue);
  const currency = [...revenueOf].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]?.[0] ?? null;
  const byDay: DashboardDay[] = [];
  for (let i = 0; i < days; i++) {
    const date = new Date(since.getTime() + i * DAY_MS).toISOString().slice(0, 10);
    const rows = perDay.filter((r) => r.day === date);
    const revenueByCurrency: Record<string, number> = {};
    for (const r of rows) if (r.revenue) revenueByCurrency[r.currency] = r.revenue;
    byDay.push({
      date,
      bookings: rows.reduce((s, r) => s + r.bookings, 0),
      revenue: currency ? (revenueByCurrency[currency] ?? 0) : 0,
      revenueByCurrency,
    });
  }
  return {
    today,
    checkInsToday: stays.checkIns,
    checkOutsToday: stays.checkOuts,
    currency,
    byDay,
    outboxBacklog: emails.length + refunds,
    pendingEmails: emails.length,
    pendingRefunds: refunds,
    ledger: { balanced: ledger.balanced, total: ledger.total },
    failedJobs: opts.failedJobs ?? null,
    payouts,
  };
}
