/** Bookings: search, the full timeline and payments, cancel on either side's behalf (preview first), partial refund. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import {
  adminCancel,
  adminSearchBookings,
  bookingTimeline,
  partialRefund,
  previewAdminCancellation,
  REFUNDABLE,
} from '../../flows/admin-bookings.js';
import { listBookingPayments } from '../../flows/pay.js';
import { adminUserRow } from '../../modules/accounts/users.service.js';
import { BOOKING_STATUSES, canTransition } from '../../modules/bookings/state.js';
import { AppError } from '../../platform/errors.js';
import type { RoostApp } from '../../platform/http.js';
import {
  adminRoute,
  blank,
  type ConsoleDeps,
  type Flash,
  form,
  idParams,
  optCursor,
  optDate,
  optEnum,
  optId,
  optText,
  PAGE_SIZE,
  query,
  reason,
  runAction,
  sendPage,
} from '../http.js';

const BookingsQuery = query({
  id: optId(),
  guestId: optId(),
  guestEmail: optText(254),
  propertyId: optId(),
  hostId: optId(),
  status: optEnum(BOOKING_STATUSES),
  from: optDate(),
  to: optDate(),
  cursor: optCursor(),
});

const Side = Type.Union([Type.Literal('host'), Type.Literal('guest')]);
const RefundChoice = Type.Union([Type.Literal('policy'), Type.Literal('full')]);

export function bookingPages(app: RoostApp, { ctx, secure }: ConsoleDeps) {
  app.get('/bookings', adminRoute({ querystring: BookingsQuery }), async (req, reply) => {
    const q = req.query;
    const page = await adminSearchBookings(ctx, req.actor!, {
      id: blank(q.id),
      guestId: blank(q.guestId),
      guestEmail: blank(q.guestEmail),
      propertyId: blank(q.propertyId),
      hostId: blank(q.hostId),
      status: blank(q.status),
      from: blank(q.from),
      to: blank(q.to),
      limit: PAGE_SIZE,
      cursor: blank(q.cursor),
    });
    return sendPage(
      req,
      reply,
      'bookings',
      { q, page, statuses: BOOKING_STATUSES },
      { title: 'Bookings', section: 'Bookings' },
    );
  });

  async function showBooking(
    req: FastifyRequest,
    reply: FastifyReply,
    id: string,
    flash?: Flash,
    status?: number,
  ) {
    const [timeline, payments] = await Promise.all([
      bookingTimeline(ctx, req.actor!, id),
      listBookingPayments(ctx, req.actor!, id),
    ]);
    const b = timeline.booking;
    // Who the guest and host are (names and emails next to the ids), and which actions apply now.
    const [guest, host] = await Promise.all([
      adminUserRow(ctx, req.actor!, b.guestId),
      adminUserRow(ctx, req.actor!, b.hostId),
    ]);
    const cancellable =
      canTransition(b.status, 'cancelled_by_guest') || canTransition(b.status, 'cancelled_by_host');
    const refundable = REFUNDABLE.includes(b.status) && b.total - b.refundedAmount > 0;
    return sendPage(
      req,
      reply,
      'booking',
      { timeline, payments, guest, host, cancellable, refundable },
      {
        title: `Booking ${id}`,
        section: 'Bookings',
        flash: flash ?? null,
        ...(status ? { status } : {}),
      },
    );
  }

  app.get('/bookings/:id', adminRoute({ params: idParams }), (req, reply) =>
    showBooking(req, reply, req.params.id),
  );

  // Step 1 of cancelling: what it would do (who, how much is refunded), with the confirm form.
  app.get(
    '/bookings/:id/cancel',
    adminRoute({ params: idParams, querystring: query({ onBehalfOf: Side, refund: RefundChoice }) }),
    async (req, reply) => {
      const opts = { onBehalfOf: req.query.onBehalfOf, refund: req.query.refund };
      let preview: Awaited<ReturnType<typeof previewAdminCancellation>>;
      try {
        preview = await previewAdminCancellation(ctx, req.actor!, req.params.id, opts);
      } catch (err) {
        if (err instanceof AppError)
          return showBooking(req, reply, req.params.id, { kind: 'error', text: err.message }, err.status);
        throw err;
      }
      return sendPage(
        req,
        reply,
        'booking-cancel',
        { id: req.params.id, opts, preview },
        {
          title: 'Cancel booking',
          section: 'Bookings',
        },
      );
    },
  );

  app.post(
    '/bookings/:id/cancel',
    adminRoute({
      params: idParams,
      body: form({ onBehalfOf: Side, refund: RefundChoice, reason: reason() }),
    }),
    (req, reply) =>
      runAction(reply, {
        secure,
        to: `/admin/bookings/${req.params.id}`,
        ok: 'Booking cancelled.',
        run: () =>
          adminCancel(ctx, req.actor!, req.params.id, {
            onBehalfOf: req.body.onBehalfOf,
            refund: req.body.refund,
            reason: req.body.reason,
          }),
        rerender: (flash, status) => showBooking(req, reply, req.params.id, flash, status),
      }),
  );

  app.post(
    '/bookings/:id/refund',
    adminRoute({
      params: idParams,
      body: form({
        amount: Type.Integer({ minimum: 1, maximum: 100_000_000 }),
        reason: reason(),
        confirm: Type.Literal('yes'),
      }),
    }),
    (req, reply) =>
      runAction(reply, {
        secure,
        to: `/admin/bookings/${req.params.id}`,
        ok: 'Refund issued.',
        run: () =>
          partialRefund(ctx, req.actor!, req.params.id, { amount: req.body.amount, reason: req.body.reason }),
        rerender: (flash, status) => showBooking(req, reply, req.params.id, flash, status),
      }),
  );
}
