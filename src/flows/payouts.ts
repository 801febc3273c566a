/**
 * Host payouts: releasing what a stay earned its host, a configurable time after check-in
 * (PAYOUT_DELAY_HOURS), by the `release-payouts` job.
 *
 *   1. release, in ONE transaction with the host's payout account row locked (one release per host at a
 *      time: they net against one balance) and the booking locked: the payout row (UNIQUE booking_id —
 *      a replayed or concurrent run finds it and does nothing) and its ledger posting
 *      (host_payable:<host> +amount, provider_clearing −amount). The amount is what the stay earned the
 *      host now (its share minus the host's part of refunds) but never more than the host is owed in
 *      that currency: a debt left by refunds after an earlier payout is netted off. Nothing left: the
 *      payout is `netted` (amount 0, no transfer).
 *   2. after the commit, the transfer (idempotency key: the payout id), no transaction open;
 *   3. its answer, in a second short transaction: paid / pending (a webhook settles it) / refused. A
 *      refused or unanswered transfer stays `scheduled` and is tried again by the next runs, up to
 *      PAYOUT_MAX_ATTEMPTS; then it is `failed` for good and its ledger posting is reversed, so the
 *      ledger says the host is owed the amount again. Admins see failed payouts and can release them again.
 *
 * The key changes only after the provider answered that the transfer under it failed (then no money
 * moved under it); an unanswered attempt keeps its key, so a transfer that did go through is found again.
 */
import { inTransaction } from '../db/transaction.js';
import * as bookings from '../modules/bookings/bookings.service.js';
import * as ledger from '../modules/payments/payout-ledger.js';
import type { HostPayoutItem } from '../modules/payouts/payouts.schemas.js';
import * as payouts from '../modules/payouts/payouts.service.js';
import { recordAdminAction } from '../platform/audit.js';
import { type Actor, assertRole } from '../platform/auth.js';
import type { ServiceContext } from '../platform/context.js';
import { newId } from '../platform/crypto.js';
import { conflict } from '../platform/errors.js';
import type { ProviderEvent, TransferResult } from '../platform/payment-provider.js';
import { TIMED_OUT, within } from '../platform/timeout.js';

type Db = ServiceContext['db'];

export interface ReleaseReport {
  /** Payouts released by this run (transfers started), and of those, netted to 0. */
  released: number;
  netted: number;
  /** Transfers answered `paid` / `pending` in this run (new releases and retries). */
  paid: number;
  pending: number;
  /** Payouts that failed for good in this run (ledger reversed). */
  failed: number;
  /** Stays skipped: released meanwhile by another run, no longer due, or the account not enabled. */
  skipped: number;
}

/** What a stay's release comes to, in the caller's transaction (account and booking locked). */
async function amountOwed(trx: Db, hostId: string, bookingId: string, currency: string) {
  const share = (await ledger.bookingHostShares(trx, hostId, [bookingId])).get(bookingId) ?? 0;
  const balance = await ledger.hostPayableBalance(trx, hostId, currency);
  return Math.max(0, Math.min(share, balance));
}

/**
 * Step 1 for one stay. Returns the payout released (null: nothing to do — released already, not due,
 * not payable, the account not enabled, or (`skipBusyHost`) another run is releasing this host's payouts
 * right now: the next run takes the stay).
 */
export async function releaseStay(
  ctx: ServiceContext,
  stay: { id: string; host_id: string },
  opts: { skipBusyHost?: boolean } = {},
): Promise<payouts.PayoutRow | null> {
  const bookingId = stay.id;
  return inTransaction(ctx.db, async (trx) => {
    // The account first: this host's releases queue here, so each sees the balance the previous left.
    const account = await payouts.lockAccount(trx, stay.host_id, { skipLocked: opts.skipBusyHost === true });
    if (account?.status !== 'enabled') return null;
    const booking = await bookings.lockBooking(trx, bookingId);
    if (booking.host_id !== stay.host_id) return null;
    if (booking.status !== 'confirmed' && booking.status !== 'completed') return null;
    const releaseAt = payouts.releaseAtOf(ctx, booking);
    if (releaseAt.getTime() > ctx.now().getTime()) return null;
    if (await payouts.findPayoutOfBooking(trx, booking.id)) return null;
    if (await ledger.hasPendingRefund(trx, booking.id)) return null;
    const amount = await amountOwed(trx, booking.host_id, booking.id, booking.currency);
    const id = newId();
    const inserted = await payouts.insertPayoutUnlessExists(trx, {
      id,
      booking_id: booking.id,
      host_id: booking.host_id,
      amount,
      currency: booking.currency,
      status: amount > 0 ? 'scheduled' : 'netted',
      provider: account.provider,
      provider_ref: null,
      transfer_key: id,
      ledger_ref: id,
      attempts: 0,
      last_error: null,
      release_at: releaseAt,
      paid_at: null,
    });
    if (!inserted) return null; // another run released it first (the UNIQUE booking_id)
    if (amount > 0) {
      await ledger.postPayout(trx, {
        ledgerRef: id,
        hostId: booking.host_id,
        amount,
        currency: booking.currency,
      });
    }
    return payouts.lockPayout(trx, id);
  });
}

/** Steps 2 and 3 for one `scheduled` payout: the transfer, then its answer. Returns the payout afterwards. */
export async function attemptTransfer(ctx: ServiceContext, payoutId: string): Promise<payouts.PayoutRow> {
  const payout = await payouts.findPayout(ctx.db, payoutId);
  if (!payout) throw new Error(`payout ${payoutId} not found`);
  if (payout.status !== 'scheduled') return payout;
  const account = await payouts.findAccount(ctx.db, payout.host_id);
  const provider = ctx.payments[payout.provider];
  let answer: TransferResult | { unanswered: string };
  if (!account || !provider) {
    answer = { providerRef: '', status: 'failed', failureReason: 'no_payout_account' };
  } else {
    try {
      const result = await within(
        provider.transfer({
          amount: payout.amount,
          currency: payout.currency,
          destination: account.provider_account_ref,
          idempotencyKey: payout.transfer_key,
          metadata: { payoutId: payout.id, bookingId: payout.booking_id },
        }),
        ctx.config.PAYMENT_PROVIDER_TIMEOUT_MS,
      );
      answer = result === TIMED_OUT ? { unanswered: 'timeout' } : result;
    } catch {
      answer = { unanswered: 'provider_unavailable' };
    }
  }
  return inTransaction(ctx.db, (trx) => recordTransferAnswer(ctx, trx, payoutId, answer));
}

async function recordTransferAnswer(
  ctx: ServiceContext,
  trx: Db,
  payoutId: string,
  answer: TransferResult | { unanswered: string },
): Promise<payouts.PayoutRow> {
  const payout = await payouts.lockPayout(trx, payoutId);
  if (payout.status !== 'scheduled') return payout; // a webhook or a concurrent run got there first
  const attempts = payout.attempts + 1;
  if ('status' in answer && answer.status !== 'failed') {
    return payouts.updatePayout(ctx, trx, payout.id, {
      status: answer.status,
      provider_ref: answer.providerRef || payout.provider_ref,
      attempts,
      last_error: null,
      paid_at: answer.status === 'paid' ? ctx.now() : null,
    });
  }
  const refused = 'status' in answer;
  const error = refused ? (answer.failureReason ?? 'transfer_failed') : answer.unanswered;
  if (attempts >= ctx.config.PAYOUT_MAX_ATTEMPTS)
    return failForGood(ctx, trx, payout, error, refused, attempts);
  return payouts.updatePayout(ctx, trx, payout.id, {
    attempts,
    last_error: error.slice(0, 255),
    // Refused: no money moved under this key, the next attempt is a new transfer. Unanswered: same key.
    ...(refused ? { transfer_key: newId() } : {}),
  });
}

/** A payout failed for good, in the caller's transaction (payout locked): its ledger posting reversed. */
async function failForGood(
  ctx: ServiceContext,
  trx: Db,
  payout: payouts.PayoutRow,
  error: string,
  /** The provider said the transfer failed: a later release is a new transfer (new key). */
  refused: boolean,
  attempts = payout.attempts,
): Promise<payouts.PayoutRow> {
  await ledger.reversePayout(trx, {
    ledgerRef: payout.ledger_ref,
    hostId: payout.host_id,
    amount: payout.amount,
    currency: payout.currency,
    reason: error,
  });
  return payouts.updatePayout(ctx, trx, payout.id, {
    status: 'failed',
    attempts,
    last_error: error.slice(0, 255),
    paid_at: null,
    ...(refused ? { transfer_key: newId() } : {}),
  });
}

/**
 * The `release-payouts` job: transfers still unanswered are tried again, then every stay due by now is
 * released and its transfer made. Safe to run any number of times, also concurrently.
 */
export async function releaseDuePayouts(
  ctx: ServiceContext,
  opts: { limit?: number } = {},
): Promise<ReleaseReport> {
  const limit = opts.limit ?? 500;
  const report: ReleaseReport = { released: 0, netted: 0, paid: 0, pending: 0, failed: 0, skipped: 0 };
  let failure: unknown;
  const count = (p: payouts.PayoutRow) => {
    if (p.status === 'paid') report.paid++;
    else if (p.status === 'pending') report.pending++;
    else if (p.status === 'failed') report.failed++;
  };
  for (const due of await payouts.scheduledPayouts(ctx, limit)) {
    try {
      count(await attemptTransfer(ctx, due.id));
    } catch (err) {
      failure ??= err;
    }
  }
  const due = await payouts.dueStays(ctx, limit);
  // Concurrent runs (several workers) start at different places of the list and pass over a host another
  // run is busy with, instead of queueing behind it: the stay is the next run's.
  const start = Math.floor(Math.random() * due.length);
  for (const stay of [...due.slice(start), ...due.slice(0, start)]) {
    if (payouts.releaseAtOf(ctx, stay).getTime() > ctx.now().getTime()) continue;
    try {
      // Released meanwhile by a concurrent run: one cheap read instead of a transaction (it is checked
      // again under the locks, and the UNIQUE booking_id has the last word).
      if (await payouts.findPayoutOfBooking(ctx.db, stay.id)) {
        report.skipped++;
        continue;
      }
      const released = await releaseStay(ctx, stay, { skipBusyHost: true });
      if (!released) {
        report.skipped++;
        continue;
      }
      report.released++;
      if (released.status === 'netted') report.netted++;
      else count(await attemptTransfer(ctx, released.id));
    } catch (err) {
      // One stay that cannot be released does not hold up the others; the job still reports it.
      failure ??= err;
    }
  }
  if (failure) throw failure;
  return report;
}

// --------------------------------------------------------------------------------------------- webhooks

/** Whether a webhook event is about payouts (handled by `applyPayoutEvent`). */
export function isPayoutEvent(event: ProviderEvent): boolean {
  return event.type === 'payout.paid' || event.type === 'payout.failed' || event.type === 'account.updated';
}

/** The payout a transfer event is about, found before the webhook's transaction (undefined: not ours). */
export function payoutOfEvent(ctx: ServiceContext, provider: string, event: ProviderEvent) {
  if (event.type !== 'payout.paid' && event.type !== 'payout.failed') return Promise.resolve(undefined);
  return payouts.findPayoutByRef(ctx.db, provider, event.objectRef);
}

/**
 * A payout webhook, in the webhook's transaction (which recorded its event id: a replay never gets here):
 * `payout.paid` settles a scheduled or pending payout; `payout.failed` fails one for good (and reverses its
 * ledger posting, once); `account.updated` records the account's status. Anything already final stays.
 */
export async function applyPayoutEvent(
  ctx: ServiceContext,
  trx: Db,
  provider: string,
  event: ProviderEvent,
  payoutId: string | undefined,
): Promise<void> {
  if (event.type === 'account.updated') {
    if (event.accountStatus)
      await payouts.recordAccountStatus(ctx, trx, provider, event.objectRef, event.accountStatus);
    return;
  }
  if (!payoutId) return;
  await settleTransfer(
    ctx,
    trx,
    payoutId,
    event.type === 'payout.paid'
      ? { status: 'paid' }
      : { status: 'failed', failureReason: event.failureReason ?? 'transfer_failed' },
  );
}

/**
 * A transfer's final answer, in the caller's transaction — from a webhook (`applyPayoutEvent`) or from the
 * provider asked directly (`reconcilePendingPayouts`, src/flows/payout-reconcile.ts): `paid` settles a
 * scheduled or pending payout; `failed` fails one for good (its ledger posting reversed, once). Anything
 * already final stays, so any number of answers, in any order and from either source, change nothing more.
 */
export async function settleTransfer(
  ctx: ServiceContext,
  trx: Db,
  payoutId: string,
  answer: { status: 'paid' } | { status: 'failed'; failureReason: string },
): Promise<payouts.PayoutRow> {
  const payout = await payouts.lockPayout(trx, payoutId);
  if (answer.status === 'paid') {
    if (payout.status !== 'scheduled' && payout.status !== 'pending') return payout;
    return payouts.updatePayout(ctx, trx, payout.id, {
      status: 'paid',
      paid_at: ctx.now(),
      last_error: null,
    });
  }
  if (payout.status === 'failed' || payout.status === 'netted') return payout;
  return failForGood(ctx, trx, payout, answer.failureReason, true);
}

// ------------------------------------------------------------------------------------------------ views

/** The host's payouts by status (`upcoming`: paid stays not released yet, with what each earns now). */
export function hostPayouts(
  ctx: ServiceContext,
  actor: Actor,
  q: {
    status?: 'upcoming' | 'processing' | 'paid' | 'failed' | undefined;
    limit: number;
    cursor?: string | undefined;
  },
): Promise<{ items: HostPayoutItem[]; nextCursor: string | null }> {
  const status = q.status ?? 'upcoming';
  if (status !== 'upcoming') return payouts.listReleased(ctx, actor, { ...q, status });
  return payouts.listUpcoming(ctx, actor, q, (ids) => ledger.bookingHostShares(ctx.db, actor.userId, ids));
}

// ------------------------------------------------------------------------------------------------ admin

/**
 * Admin: release a payout that failed for good again — the amount recomputed as at a first release (a
 * refund may have come meanwhile), posted to the ledger anew, audited (`payout.retry`) in the same
 * transaction; the transfer follows the commit. 409 unless the payout is `failed` and the host's payout
 * account is enabled.
 */
export async function retryPayout(
  ctx: ServiceContext,
  actor: Actor,
  payoutId: string,
  reason: string | undefined,
) {
  assertRole(actor, 'admin');
  const released = await inTransaction(ctx.db, async (trx) => {
    const payout = await payouts.lockPayout(trx, payoutId);
    if (payout.status !== 'failed') {
      throw conflict(
        'payout_not_failed',
        `Only a failed payout can be retried; this one is ${payout.status}`,
      );
    }
    const account = await payouts.lockAccount(trx, payout.host_id);
    if (account?.status !== 'enabled') {
      throw conflict('payout_account_not_enabled', "The host's payout account is not enabled");
    }
    await bookings.lockBooking(trx, payout.booking_id);
    const amount = await amountOwed(trx, payout.host_id, payout.booking_id, payout.currency);
    const ledgerRef = newId();
    if (amount > 0) {
      await ledger.postPayout(trx, { ledgerRef, hostId: payout.host_id, amount, currency: payout.currency });
    }
    const after = await payouts.updatePayout(ctx, trx, payout.id, {
      status: amount > 0 ? 'scheduled' : 'netted',
      amount,
      ledger_ref: ledgerRef,
      provider: account.provider,
      attempts: 0,
      last_error: null,
      paid_at: null,
    });
    await recordAdminAction(ctx, trx, actor, {
      action: 'payout.retry',
      objectType: 'payout',
      objectId: payout.id,
      before: {
        status: payout.status,
        amount: payout.amount,
        attempts: payout.attempts,
        currency: payout.currency,
      },
      after: { status: after.status, amount: after.amount, currency: after.currency },
      reason: reason ?? null,
    });
    return after;
  });
  const final = released.status === 'scheduled' ? await attemptTransfer(ctx, released.id) : released;
  return payouts.toAdminPayoutView(final);
}
