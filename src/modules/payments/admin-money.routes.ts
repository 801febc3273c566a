/**
 * The admin money API (/api/v1/admin/money): ledger transactions, account balances and host payout
 * reports. Read-only; thin over money.service (reads get their `view` audit row from the hook).
 */
import { Type } from 'typebox';
import { assertRole, bearerSecurity, requireActor } from '../../platform/auth.js';
import type { ServiceContext } from '../../platform/context.js';
import { described, pageResponse, problemResponses, type RoostApp } from '../../platform/http.js';
import {
  BalancesSchema,
  LedgerQuery,
  LedgerTransactionSchema,
  Month,
  PayoutReportSchema,
} from './money.schemas.js';
import { accountBalances, ledgerTransactions, payoutReport } from './money.service.js';

/** Mounted under /api/v1/admin/money. */
export async function adminMoneyRoutes(app: RoostApp, { ctx }: { ctx: ServiceContext }) {
  const tags = ['admin'];
  const security = bearerSecurity;

  app.get(
    '/ledger/transactions',
    {
      schema: {
        tags,
        security,
        operationId: 'adminLedgerTransactions',
        summary: 'List ledger transactions (admin)',
        description:
          'Admin only: double-entry ledger transactions with their entries, newest first, keyset-paged; ' +
          "optionally one booking's (its payments and refunds) or one kind.",
        querystring: LedgerQuery,
        response: {
          200: pageResponse(LedgerTransactionSchema, 'A page of transactions'),
          ...problemResponses(400, 401, 403),
        },
      },
    },
    async (req) => ledgerTransactions(ctx, requireActor(req), req.query),
  );

  app.get(
    '/ledger/balances',
    {
      schema: {
        tags,
        security,
        operationId: 'adminLedgerBalances',
        summary: 'Ledger account balances (admin)',
        description:
          'Admin only: every account’s balance per currency, and whether the books balance (total 0).',
        response: {
          200: described(BalancesSchema, 'The balances'),
          ...problemResponses(401, 403),
        },
      },
    },
    async (req) => accountBalances(ctx, requireActor(req)),
  );

  app.get(
    '/payouts/report',
    {
      schema: {
        tags,
        security,
        operationId: 'adminPayoutReport',
        summary: 'Host payout report (admin)',
        description:
          'Admin only: what each host (or one host) earned in a month, per currency, from the ledger.',
        querystring: Type.Object(
          {
            month: Month,
            hostId: Type.Optional(Type.String({ format: 'uuid', description: 'Only this host' })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: described(PayoutReportSchema, 'The report'),
          ...problemResponses(400, 401, 403),
        },
      },
    },
    async (req) => {
      const actor = requireActor(req);
      assertRole(actor, 'admin');
      return payoutReport(ctx, actor, req.query);
    },
  );
}
