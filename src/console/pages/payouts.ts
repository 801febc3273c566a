/**
 * Payouts: every host payout (by status, by host), newest first, and a Retry form on the ones that failed
 * for good. The same services as the admin REST routes (adminListPayouts, the retryPayout flow, which
 * writes the `payout.retry` audit row in its own transaction: the route's hook then writes none).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { retryPayout } from '../../flows/payouts.js';
import { adminListPayouts } from '../../modules/payouts/payouts.service.js';
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
  optEnum,
  optId,
  optText,
  PAGE_SIZE,
  problemText,
  query,
  redirectWith,
  sendPage,
} from '../http.js';

export const PAYOUT_STATUSES = ['scheduled', 'pending', 'paid', 'failed', 'netted'] as const;

const PayoutsQuery = query({
  status: optEnum(PAYOUT_STATUSES),
  hostId: optId(),
  cursor: optCursor(),
});

type PayoutsFilter = { status?: (typeof PAYOUT_STATUSES)[number] | ''; hostId?: string; cursor?: string };

export function payoutPages(app: RoostApp, { ctx, secure }: ConsoleDeps) {
  async function showPayouts(
    req: FastifyRequest,
    reply: FastifyReply,
    q: PayoutsFilter,
    flash?: Flash,
    status?: number,
  ) {
    const page = await adminListPayouts(ctx, req.actor!, {
      status: blank(q.status),
      hostId: blank(q.hostId),
      limit: PAGE_SIZE,
      cursor: blank(q.cursor),
    });
    return sendPage(
      req,
      reply,
      'payouts-list',
      { q, page, statuses: PAYOUT_STATUSES },
      {
        title: 'Payouts',
        section: 'Payouts',
        ...(flash ? { flash } : {}),
        ...(status ? { status } : {}),
      },
    );
  }

  app.get('/payouts', adminRoute({ querystring: PayoutsQuery }), (req, reply) =>
    showPayouts(req, reply, req.query),
  );

  app.post(
    '/payouts/:id/retry',
    adminRoute({ params: idParams, body: form({ reason: optText(500) }) }),
    async (req, reply) => {
      let after: Awaited<ReturnType<typeof retryPayout>>;
      try {
        after = await retryPayout(ctx, req.actor!, req.params.id, blank(req.body.reason?.trim()));
      } catch (err) {
        // Refused (not failed, the host's account not enabled, no such payout): the list again, with why.
        if (!(err instanceof AppError)) throw err;
        return showPayouts(
          req,
          reply,
          { status: 'failed' },
          { kind: 'error', text: problemText(err) },
          err.status,
        );
      }
      const outcome = {
        paid: 'paid',
        netted: 'netted (nothing left to transfer)',
        pending: 'pending at the provider',
        scheduled: `not transferred yet (${after.lastError ?? 'no answer'}; the release-payouts job tries again)`,
        failed: `failed again (${after.lastError ?? 'transfer_failed'})`,
      }[after.status];
      return redirectWith(
        reply,
        `/admin/payouts?hostId=${after.hostId}`,
        {
          kind: after.status === 'failed' ? 'error' : 'ok',
          text: `Payout ${after.id} released again: ${outcome}.`,
        },
        secure,
      );
    },
  );
}
