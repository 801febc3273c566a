/**
 * The admin bookings API (/api/v1/admin/bookings) and the operator dashboard (/api/v1/admin/dashboard).
 * Thin: the flows (src/flows/admin-bookings.ts, src/flows/dashboard.ts) check the role and audit changes;
 * reads get their `view` audit row from the hook.
 */
import * as admin from '../../flows/admin-bookings.js';
import { dashboardStats } from '../../flows/dashboard.js';
import { bearerSecurity, requireActor } from '../../platform/auth.js';
import type { ServiceContext } from '../../platform/context.js';
import { described, idParams, pageResponse, problemResponses, type RoostApp } from '../../platform/http.js';
import type { JobQueue } from '../../platform/queue/registry.js';
import { TIMED_OUT, within } from '../../platform/timeout.js';
import {
  AdminBookingSearchQuery,
  AdminBookingSummarySchema,
  AdminCancelBody,
  AdminRefundSchema,
  BookingTimelineSchema,
  CancellationPreviewQuery,
  CancellationPreviewSchema,
  DashboardQuery,
  DashboardSchema,
  PartialRefundBody,
} from './admin-bookings.schemas.js';
import { BOOKING_EXAMPLE, BookingSchema } from './bookings.schemas.js';

const IdParams = idParams('The booking id', BOOKING_EXAMPLE.id);
const tags = ['admin'];
const security = bearerSecurity;

/** Mounted under /api/v1/admin/bookings. */
export async function adminBookingsRoutes(app: RoostApp, { ctx }: { ctx: ServiceContext }) {
  app.get(
    '/',
    {
      schema: {
        tags,
        security,
        operationId: 'adminSearchBookings',
        summary: 'Search bookings (admin)',
        description:
          'Admin only: bookings matching every filter given — id, guest (id or account email), listing, ' +
          'host, status, stays overlapping [from, to) — newest first, keyset-paged, with the listing title.',
        querystring: AdminBookingSearchQuery,
        response: {
          200: pageResponse(AdminBookingSummarySchema, 'A page of bookings'),
          ...problemResponses(400, 401, 403),
        },
      },
    },
    async (req) => admin.adminSearchBookings(ctx, requireActor(req), req.query),
  );

  app.get(
    '/:id/timeline',
    {
      schema: {
        tags,
        security,
        operationId: 'adminBookingTimeline',
        summary: "A booking's timeline (admin)",
        description:
          'Admin only: status changes, payment attempts, refunds, ledger transactions, its thread’s latest ' +
          'messages (kind, number and sender only — never the text) and the audit rows about it, oldest first.',
        params: IdParams,
        response: {
          200: described(BookingTimelineSchema, 'The booking and its timeline'),
          ...problemResponses(401, 403, 404),
        },
      },
    },
    async (req) => admin.bookingTimeline(ctx, requireActor(req), req.params.id),
  );

  app.get(
    '/:id/cancellation-preview',
    {
      schema: {
        tags,
        security,
        operationId: 'adminPreviewCancellation',
        summary: 'Preview an admin cancellation',
        description:
          'Admin only: what cancelling on the host’s or the guest’s behalf would do now — the new status, ' +
          'what was paid, what goes back and why. Changes nothing. 409 `illegal_transition` when the ' +
          'booking cannot be cancelled that way from its status.',
        params: IdParams,
        querystring: CancellationPreviewQuery,
        response: {
          200: described(CancellationPreviewSchema, 'What the cancellation would do'),
          ...problemResponses(400, 401, 403, 404, 409),
        },
      },
    },
    async (req) =>
      admin.previewAdminCancellation(ctx, requireActor(req), req.params.id, {
        onBehalfOf: req.query.onBehalfOf,
        refund: req.query.refund ?? 'policy',
      }),
  );

  app.post(
    '/:id/cancel',
    {
      schema: {
        tags,
        security,
        operationId: 'adminCancelBooking',
        summary: 'Cancel a booking (admin)',
        description:
          'Admin only: cancels on the host’s or the guest’s behalf, refunding what that side’s rule gives ' +
          '(`policy`) or everything paid (`full`); both parties are told. Recorded in the audit log ' +
          '(`booking.cancel`). The refund is carried out right after (see the timeline for its outcome). ' +
          '409 `illegal_transition` when the booking cannot be cancelled that way.',
        params: IdParams,
        body: AdminCancelBody,
        response: {
          200: described(BookingSchema, 'The cancelled booking'),
          ...problemResponses(400, 401, 403, 404, 409),
        },
      },
    },
    async (req) => admin.adminCancel(ctx, requireActor(req), req.params.id, req.body),
  );

  app.post(
    '/:id/refunds',
    {
      schema: {
        tags,
        security,
        operationId: 'adminRefundBooking',
        summary: 'Refund part of a booking (admin)',
        description:
          'Admin only: gives back `amount` (1 up to what is still paid and not refunded) of a confirmed, ' +
          'completed or cancelled booking. Recorded in the audit log (`booking.refund`); carried out right ' +
          'after like every refund (`pending` while the provider has not answered). 409 ' +
          '`refund_exceeds_paid` for more than remains, `not_refundable` for another status.',
        params: IdParams,
        body: PartialRefundBody,
        response: {
          201: described(AdminRefundSchema, 'The refund'),
          ...problemResponses(400, 401, 403, 404, 409),
        },
      },
    },
    async (req, reply) =>
      reply.code(201).send(await admin.partialRefund(ctx, requireActor(req), req.params.id, req.body)),
  );
}

/** The queue's count of failed jobs, or null when it is absent or not answering (in bounded time). */
async function failedJobCount(queue: JobQueue | undefined): Promise<number | null> {
  if (!queue) return null;
  const counts = await within(queue.counts(), 1_000).catch(() => TIMED_OUT);
  return typeof counts === 'symbol' ? null : counts.failed;
}

/** Mounted under /api/v1/admin/dashboard. */
export async function adminDashboardRoutes(
  app: RoostApp,
  { ctx, queue }: { ctx: ServiceContext; queue?: JobQueue | undefined },
) {
  app.get(
    '/',
    {
      schema: {
        tags,
        security,
        operationId: 'adminDashboard',
        summary: 'Operator dashboard figures',
        description:
          'Admin only: today’s check-ins and check-outs, bookings and revenue per day over the last `days` ' +
          'days (UTC; revenue: totals of bookings created that day and now confirmed or completed, per ' +
          'currency and in the window’s main currency), the backlogs (emails to send, refunds to carry ' +
          'out), whether the ledger balances, and failed jobs (null without a reachable queue).',
        querystring: DashboardQuery,
        response: {
          200: described(DashboardSchema, 'The figures'),
          ...problemResponses(400, 401, 403),
        },
      },
    },
    async (req) => {
      const actor = requireActor(req);
      const failedJobs = actor.role === 'admin' ? await failedJobCount(queue) : null;
      return dashboardStats(ctx, actor, { days: req.query.days, failedJobs });
    },
  );
}
