/** The host's own payout report (/api/v1/host/payouts). */
import { Type } from 'typebox';
import { bearerSecurity, requireActor } from '../../platform/auth.js';
import type { ServiceContext } from '../../platform/context.js';
import { described, problemResponses, type RoostApp } from '../../platform/http.js';
import { Month, PayoutReportSchema } from './money.schemas.js';
import { payoutReport } from './money.service.js';

/** Mounted under /api/v1/host/payouts. */
export async function hostPayoutsRoutes(app: RoostApp, { ctx }: { ctx: ServiceContext }) {
  app.get(
    '/report',
    {
      schema: {
        tags: ['payments'],
        security: bearerSecurity,
        operationId: 'hostPayoutReport',
        summary: 'My payout report',
        description:
          'Hosts: what I earned in a month, per currency — credits for paid stays minus refunds, from the ' +
          'ledger. Admins see every host’s. Guests: 403.',
        querystring: Type.Object({ month: Month }, { additionalProperties: false }),
        response: {
          200: described(PayoutReportSchema, 'The report'),
          ...problemResponses(400, 401, 403),
        },
      },
    },
    async (req) => payoutReport(ctx, requireActor(req), { month: req.query.month }),
  );
}
