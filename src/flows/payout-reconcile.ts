/**
 * The `reconcile-payouts` job: transfers the provider answered `pending` for are settled by a webhook
 * (`payout.paid` / `payout.failed`). When that webhook never comes (lost, or the endpoint was down longer
 * than the provider retries), the payout would stay `pending` for ever. This job asks the provider about
 * every payout still `pending` and untouched for PAYOUT_RECONCILE_MINUTES, and applies its answer with the
 * very function the webhook uses (`settleTransfer`), in one short transaction per payout: whichever comes
 * first settles it, the other (and any replay of either) changes nothing.
 *
 * A transfer still pending at the provider is touched (its `updated_at`), so the next runs ask about the
 * others first; a provider that does not answer (or does not know the transfer) settles nothing: the
 * payout stays pending, asked about again by a later run. No transaction is open during a provider call.
 */
import { inTransaction } from '../db/transaction.js';
import * as payouts from '../modules/payouts/payouts.service.js';
import type { ServiceContext } from '../platform/context.js';
import type { TransferResult } from '../platform/payment-provider.js';
import { TIMED_OUT, within } from '../platform/timeout.js';
import { settleTransfer } from './payouts.js';

export interface ReconcileReport {
  /** Pending payouts asked about. */
  checked: number;
  /** Settled by this run (a webhook or a concurrent run that got there first is not counted). */
  paid: number;
  failed: number;
  /** The provider says the transfer is still pending. */
  pending: number;
  /** The provider did not answer (or did not know the transfer): left for a later run. */
  unanswered: number;
}

const MINUTE = 60_000;

export async function reconcilePendingPayouts(
  ctx: ServiceContext,
  opts: { olderThanMs?: number; batch?: number } = {},
): Promise<ReconcileReport> {
  const olderThanMs = opts.olderThanMs ?? ctx.config.PAYOUT_RECONCILE_MINUTES * MINUTE;
  const report: ReconcileReport = { checked: 0, paid: 0, failed: 0, pending: 0, unanswered: 0 };
  let failure: unknown;
  for (const stale of await payouts.stalePendingPayouts(ctx, olderThanMs, opts.batch ?? 100)) {
    report.checked++;
    const provider = ctx.payments[stale.provider];
    let answer: TransferResult | null = null;
    if (provider && stale.provider_ref) {
      try {
        const result = await within(
          provider.retrieveTransfer(stale.provider_ref),
          ctx.config.PAYMENT_PROVIDER_TIMEOUT_MS,
        );
        answer = result === TIMED_OUT ? null : result;
      } catch {
        answer = null; // unanswered: nothing is known, nothing changes
      }
    }
    try {
      const outcome = await inTransaction(ctx.db, async (trx) => {
        const before = await payouts.lockPayout(trx, stale.id);
        if (before.status !== 'pending') return 'settled-meanwhile' as const; // a webhook came first
        if (!answer || answer.status === 'pending') {
          // Still pending (or unknown): to the back of the queue, asked about again after the delay.
          await payouts.updatePayout(ctx, trx, stale.id, {});
          return answer ? ('pending' as const) : ('unanswered' as const);
        }
        const after = await settleTransfer(
          ctx,
          trx,
          stale.id,
          answer.status === 'paid'
            ? { status: 'paid' }
            : { status: 'failed', failureReason: answer.failureReason ?? 'transfer_failed' },
        );
        return after.status === 'paid' ? ('paid' as const) : ('failed' as const);
      });
      if (outcome !== 'settled-meanwhile') report[outcome]++;
    } catch (err) {
      // One payout that cannot be settled does not hold up the others; the job still reports it.
      failure ??= err;
    }
  }
  if (failure) throw failure;
  return report;
}
