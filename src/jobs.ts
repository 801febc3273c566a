/**
 * Every background job and schedule, in one registry. Adding one: `defineJob` it in `definitions`
 * (name, payload schema, handler calling a service), and add a line to SCHEDULES if it repeats. A
 * schedule (or an `enqueue`) naming a job that is not defined here does not compile.
 */
import { Type } from 'typebox';
import { reconcileProcessingPayments } from './flows/pay.js';
import { reconcilePendingPayouts } from './flows/payout-reconcile.js';
import { releaseDuePayouts } from './flows/payouts.js';
import { settlePendingRefunds } from './flows/refunds.js';
import { queueCheckinReminders, queueReviewReminders } from './flows/reminders.js';
import { expireUnansweredRequests } from './flows/requests.js';
import { purgeExpiredTokens } from './modules/accounts/auth.service.js';
import { completeFinishedStays, expireUnpaidHolds } from './modules/bookings/bookings.service.js';
import type { ServiceContext } from './platform/context.js';
import { deliverEmail, outboxSealingKey, pendingEmails } from './platform/email.js';
import type { Mailer } from './platform/mailer.js';
import { countEmailDelivery } from './platform/metrics.js';
import {
  defineJob,
  type JobNameOf,
  type JobQueue,
  type JobRegistry,
  registryOf,
  type Schedule,
} from './platform/queue/registry.js';
import { continueTrace } from './platform/tracing.js';

const Empty = Type.Object({}, { additionalProperties: false });

/**
 * The definitions, as a literal list: their names make up `JobName`. (Handlers that enqueue other jobs
 * name them in the queue's type here, since `JobName` is derived from this very list.)
 */
function definitions(ctx: ServiceContext, mailer: Mailer, queue: () => JobQueue<'send-email'>) {
  // Opens the sealed part (tokens, links) of outbox rows; derived from JWT_SECRET like the API's.
  const key = outboxSealingKey(ctx.config);
  return [
    defineJob({
      name: 'send-email',
      schema: Type.Object({ outboxId: Type.String({ format: 'uuid' }) }),
      attempts: 8,
      backoffMs: 2_000,
      handler: async ({ outboxId }) => {
        countEmailDelivery(await deliverEmail(ctx.db, mailer, outboxId, { key }));
      },
    }),
    defineJob({
      name: 'relay-outbox',
      schema: Empty,
      handler: async () => {
        // Each send job joins the trace of the request that wrote its email (tracing on).
        for (const { id, trace } of await pendingEmails(ctx.db))
          await continueTrace(trace, () =>
            queue().enqueue('send-email', { outboxId: id }, { jobId: `email-${id}` }),
          );
      },
    }),
    defineJob({
      name: 'expire-unpaid-holds',
      schema: Empty,
      handler: async () => void (await expireUnpaidHolds(ctx)),
    }),
    defineJob({
      name: 'expire-requests',
      schema: Empty,
      // Paid requests unanswered past BOOKING_REQUEST_HOURS: expired, refunded in full, both sides told.
      handler: async () => void (await expireUnansweredRequests(ctx)),
    }),
    defineJob({
      name: 'complete-finished-stays',
      schema: Empty,
      handler: async () => void (await completeFinishedStays(ctx)),
    }),
    defineJob({
      name: 'checkin-reminders',
      schema: Empty,
      handler: async () => void (await queueCheckinReminders(ctx)),
    }),
    defineJob({
      name: 'review-reminders',
      schema: Empty,
      handler: async () => void (await queueReviewReminders(ctx)),
    }),
    defineJob({
      name: 'reconcile-payments',
      schema: Empty,
      // Settling a payment writes its emails to the outbox; the relay sends them.
      handler: async () => void (await reconcileProcessingPayments(ctx)),
    }),
    defineJob({
      name: 'settle-refunds',
      schema: Empty,
      // Refunds still pending after their request's own attempt (a crash, an outage, a slow provider).
      handler: async () => void (await settlePendingRefunds(ctx)),
    }),
    defineJob({
      name: 'release-payouts',
      schema: Empty,
      // Stays PAYOUT_DELAY_HOURS past check-in: payout released (idempotent per booking), transferred;
      // transfers not answered yet tried again, up to PAYOUT_MAX_ATTEMPTS.
      handler: async () => void (await releaseDuePayouts(ctx)),
    }),
    defineJob({
      name: 'reconcile-payouts',
      schema: Empty,
      // Transfers still pending PAYOUT_RECONCILE_MINUTES after their last answer (no webhook came): the
      // provider is asked, and its answer applied like the webhook's (same function, idempotent).
      handler: async () => void (await reconcilePendingPayouts(ctx)),
    }),
    defineJob({
      name: 'purge-expired-tokens',
      schema: Empty,
      handler: async () => void (await purgeExpiredTokens(ctx)),
    }),
  ] as const;
}

/** The name of every job this service defines. */
export type JobName = JobNameOf<ReturnType<typeof definitions>>;

export function createJobRegistry(
  ctx: ServiceContext,
  mailer: Mailer,
  queue: () => JobQueue<JobName>,
): JobRegistry<JobName> {
  return registryOf(definitions(ctx, mailer, queue));
}

export const SCHEDULES: readonly Schedule<JobName>[] = [
  { job: 'relay-outbox', everyMs: 5_000 },
  { job: 'expire-unpaid-holds', everyMs: 60_000 },
  { job: 'expire-requests', everyMs: 60_000 },
  { job: 'complete-finished-stays', everyMs: 15 * 60_000 },
  { job: 'checkin-reminders', everyMs: 60 * 60_000 },
  { job: 'review-reminders', everyMs: 60 * 60_000 },
  { job: 'reconcile-payments', everyMs: 5 * 60_000 },
  { job: 'settle-refunds', everyMs: 60_000 },
  { job: 'release-payouts', everyMs: 5 * 60_000 },
  { job: 'reconcile-payouts', everyMs: 5 * 60_000 },
  { job: 'purge-expired-tokens', everyMs: 6 * 60 * 60_000 },
];
