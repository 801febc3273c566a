/** Money: ledger transactions (per booking or kind), account balances, the monthly host payout report. */
import { Type } from 'typebox';
import { accountBalances, ledgerTransactions, payoutReport } from '../../modules/payments/money.service.js';
import type { RoostApp } from '../../platform/http.js';
import {
  adminRoute,
  blank,
  type ConsoleDeps,
  optCursor,
  optId,
  PAGE_SIZE,
  query,
  sendPage,
} from '../http.js';

const MoneyQuery = query({
  bookingId: optId(),
  kind: Type.Optional(Type.String({ maxLength: 64, pattern: '^[a-z_]*$' })),
  cursor: optCursor(),
});

export function moneyPages(app: RoostApp, { ctx }: ConsoleDeps) {
  app.get('/money', adminRoute({ querystring: MoneyQuery }), async (req, reply) => {
    const q = req.query;
    const [transactions, balances] = await Promise.all([
      ledgerTransactions(ctx, req.actor!, {
        bookingId: blank(q.bookingId),
        kind: blank(q.kind),
        limit: PAGE_SIZE,
        cursor: blank(q.cursor),
      }),
      accountBalances(ctx, req.actor!),
    ]);
    return sendPage(req, reply, 'money', { q, transactions, balances }, { title: 'Money', section: 'Money' });
  });

  app.get(
    '/money/payouts',
    adminRoute({
      querystring: query({
        month: Type.Optional(Type.String({ maxLength: 7, pattern: '^(\\d{4}-(0[1-9]|1[0-2]))?$' })),
        hostId: optId(),
      }),
    }),
    async (req, reply) => {
      const month = blank(req.query.month) ?? ctx.now().toISOString().slice(0, 7);
      const report = await payoutReport(ctx, req.actor!, { month, hostId: blank(req.query.hostId) });
      return sendPage(
        req,
        reply,
        'payouts',
        { q: { ...req.query, month }, report },
        {
          title: `Payouts ${month}`,
          section: 'Money',
        },
      );
    },
  );
}
