/**
 * Every background job and schedule, in one registry. Adding one: `defineJob` it here (name, payload
 * schema, handler calling a service), and add a line to SCHEDULES if it repeats.
 */
import { Type } from 'typebox';
import { purgeExpiredTokens } from './modules/auth/auth.service.js';
import {
  completeFinishedStays,
  expireUnpaidHolds,
  queueCheckinReminders,
} from './modules/bookings/bookings.service.js';
import { reconcileProcessingPayments } from './modules/payments/payments.service.js';
import type { ServiceContext } from './platform/context.js';
import { deliverEmail, pendingEmailIds } from './platform/email.js';
import type { Mailer } from './platform/mailer.js';
import { bumpJobCounter } from './platform/metrics.js';
import { defineJob, type JobQueue, type JobRegistry, type Schedule } from './platform/queue/registry.js';

const Empty = Type.Object({}, { additionalProperties: false });

export function createJobRegistry(ctx: ServiceContext, mailer: Mailer, queue: () => JobQueue): JobRegistry {
  const jobs = [
    defineJob({
      name: 'send-email',
      schema: Type.Object({ outboxId: Type.String({ format: 'uuid' }) }),
      attempts: 8,
      backoffMs: 2_000,
      handler: async ({ outboxId }) => {
        bumpJobCounter('send-email', await deliverEmail(ctx.db, mailer, outboxId));
      },
    }),
    defineJob({
      name: 'relay-outbox',
      schema: Empty,
      handler: async () => {
        for (const id of await pendingEmailIds(ctx.db))
          await queue().enqueue('send-email', { outboxId: id }, { jobId: `email-${id}` });
      },
    }),
    defineJob({
      name: 'expire-unpaid-holds',
      schema: Empty,
      handler: async () => void (await expireUnpaidHolds(ctx)),
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
      name: 'purge-expired-tokens',
      schema: Empty,
      handler: async () => void (await purgeExpiredTokens(ctx)),
    }),
  ];
  return Object.fromEntries(jobs.map((j) => [j.name, j])) as JobRegistry;
}

export const SCHEDULES: Schedule[] = [
  { job: 'relay-outbox', everyMs: 5_000 },
  { job: 'expire-unpaid-holds', everyMs: 60_000 },
  { job: 'complete-finished-stays', everyMs: 15 * 60_000 },
  { job: 'checkin-reminders', everyMs: 60 * 60_000 },
  { job: 'review-reminders', everyMs: 60 * 60_000 },
  { job: 'reconcile-payments', everyMs: 5 * 60_000 },
  { job: 'purge-expired-tokens', everyMs: 6 * 60 * 60_000 },
];
