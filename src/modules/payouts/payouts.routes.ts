/**
 * Payouts: the host's payout account and earnings (/api/v1/host/payout-account, /api/v1/host/payouts,
 * /api/v1/host/payouts.csv) and the admin's view and retry (/api/v1/admin/payouts). Thin: the service and
 * src/flows/payouts.ts check roles; the retry is audited in its transaction, reads get the hook's `view` row.
 */
import { hostPayouts, retryPayout } from '../../flows/payouts.js';
import { bearerSecurity, requireActor } from '../../platform/auth.js';
import type { ServiceContext } from '../../platform/context.js';
import { described, idParams, pageResponse, problemResponses, type RoostApp } from '../../platform/http.js';
import {
  AdminPayoutSchema,
  AdminPayoutsQuery,
  HostPayoutItemSchema,
  HostPayoutsCsvQuery,
  HostPayoutsQuery,
  PayoutAccountBody,
  PayoutAccountSchema,
  RetryBody,
} from './payouts.schemas.js';
import { adminListPayouts, getPayoutAccount, openPayoutAccount, payoutsCsv } from './payouts.service.js';

const security = bearerSecurity;
const tags = ['payouts'];

/** Mounted under /api/v1/host. */
export async function hostPayoutRoutes(app: RoostApp, { ctx }: { ctx: ServiceContext }) {
  app.post(
    '/payout-account',
    {
      schema: {
        tags,
        security,
        operationId: 'openPayoutAccount',
        summary: 'Open (or refresh) my payout account',
        description:
          'Hosts: opens the payout account at the payment provider (201; sandbox: enabled at once; Stripe: a ' +
          'Connect Express account), or refreshes its status from the provider when it exists (200). While ' +
          'it is not enabled, `onboardingUrl` is where to finish onboarding (single use: call again for a new ' +
          'one). Payouts are released only to an enabled account. Guests and admins: 403. 502 ' +
          '`provider_unavailable` when the provider does not answer.',
        body: PayoutAccountBody,
        response: {
          200: described(PayoutAccountSchema, 'The existing account, refreshed'),
          201: described(PayoutAccountSchema, 'The account opened'),
          ...problemResponses(400, 401, 403, 502),
        },
      },
    },
    async (req, reply) => {
      const { created, account } = await openPayoutAccount(ctx, requireActor(req), req.body ?? {});
      return reply.code(created ? 201 : 200).send(account);
    },
  );

  app.get(
    '/payout-account',
    {
      schema: {
        tags,
        security,
        operationId: 'getPayoutAccount',
        summary: 'My payout account',
        description:
          'Hosts: the payout account and its status as last known. 404 before onboarding; guests 403.',
        response: {
          200: described(PayoutAccountSchema, 'The account'),
          ...problemResponses(401, 403, 404),
        },
      },
    },
    async (req) => getPayoutAccount(ctx, requireActor(req)),
  );

  app.get(
    '/payouts',
    {
      schema: {
        tags,
        security,
        operationId: 'listHostPayouts',
        summary: 'My payouts',
        description:
          'Hosts: `upcoming` (default) — paid stays whose payout is not released yet, soonest first, with the ' +
          'release instant (check-in + PAYOUT_DELAY_HOURS) and what the stay earns now (its share minus ' +
          'refunds); `processing`, `paid` (netted ones included: a debt from refunds took them) and `failed` ' +
          'payouts, newest release first. Keyset-paged. Guests: 403.',
        querystring: HostPayoutsQuery,
        response: {
          200: pageResponse(HostPayoutItemSchema, 'A page of payouts'),
          ...problemResponses(400, 401, 403),
        },
      },
    },
    async (req) => hostPayouts(ctx, requireActor(req), req.query),
  );

  app.get(
    '/payouts.csv',
    {
      schema: {
        tags,
        security,
        operationId: 'exportHostPayouts',
        summary: 'My payouts as CSV',
        description:
          'Hosts: payouts released in `month` (UTC), or the latest `limit` (at most 5000), newest first, as ' +
          'RFC 4180 CSV: payout_id, booking_id, listing, check_in, check_out, status, currency, amount_minor ' +
          '(integer minor units), release_at, paid_at, failure_reason. Text that a spreadsheet would run as ' +
          "a formula is prefixed with '. Guests: 403.",
        querystring: HostPayoutsCsvQuery,
        response: {
          200: {
            description: 'The CSV file',
            content: {
              'text/csv': {
                schema: { type: 'string' },
                example:
                  'payout_id,booking_id,listing,check_in,check_out,status,currency,amount_minor,release_at,paid_at,failure_reason\r\n' +
                  '0193a5b2-7777-7e2f-8a3b-4c5d6e7f8091,e4a7c2d9-1b3f-4e5a-8c6d-0f2b4a6c8e1d,"Loft, river view",' +
                  '2026-05-10,2026-05-14,paid,EUR,44500,2026-05-11T15:00:00.000Z,2026-05-11T15:05:00.000Z,\r\n',
              },
            },
          },
          ...problemResponses(400, 401, 403),
        },
      },
    },
    async (req, reply) => {
      const csv = await payoutsCsv(ctx, requireActor(req), req.query);
      const name = `payouts-${req.query.month ?? 'latest'}.csv`;
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${name}"`)
        .send(csv);
    },
  );
}

const IdParams = idParams('The payout id', '0193a5b2-7777-7e2f-8a3b-4c5d6e7f8091');

/** Mounted under /api/v1/admin/payouts. */
export async function adminPayoutsRoutes(app: RoostApp, { ctx }: { ctx: ServiceContext }) {
  app.get(
    '/',
    {
      schema: {
        tags: ['admin'],
        security,
        operationId: 'adminListPayouts',
        summary: 'Payouts (admin)',
        description:
          'Admin only: payouts newest first, keyset-paged, optionally of one status (`failed`: transfers that ' +
          'failed for good, their amount owed to the host again) or one host.',
        querystring: AdminPayoutsQuery,
        response: {
          200: pageResponse(AdminPayoutSchema, 'A page of payouts'),
          ...problemResponses(400, 401, 403),
        },
      },
    },
    async (req) => adminListPayouts(ctx, requireActor(req), req.query),
  );

  app.post(
    '/:id/retry',
    {
      schema: {
        tags: ['admin'],
        security,
        operationId: 'adminRetryPayout',
        summary: 'Release a failed payout again (admin)',
        description:
          'Admin only: a `failed` payout is released again — its amount recomputed (what the stay earns the ' +
          'host now, netted against what the host is owed), posted to the ledger, and transferred right after. ' +
          'Recorded in the audit log (`payout.retry`). 409 `payout_not_failed` for another status, ' +
          '`payout_account_not_enabled` when the host cannot be paid.',
        params: IdParams,
        body: RetryBody,
        response: {
          200: described(AdminPayoutSchema, 'The payout after the new attempt'),
          ...problemResponses(400, 401, 403, 404, 409),
        },
      },
    },
    async (req) => retryPayout(ctx, requireActor(req), req.params.id, req.body?.reason),
  );
}
