import { type Kysely, sql } from 'kysely';
import { yearMonth } from '../../db/dialect.js';
import type { DB } from '../../db/schema/index.js';
import type { LedgerTransactionsTable } from '../../db/schema/ledger.js';

export async function insertTransaction(
  db: Kysely<DB>,
  tx: Omit<LedgerTransactionsTable, 'created_at'> & {
    entries: { id: string; account: string; amount: number }[];
  },
) {
  const { entries, ...header } = tx;
  await db.insertInto('ledger_transactions').values(header).execute();
  await db
    .insertInto('ledger_entries')
    .values(entries.map((e) => ({ ...e, transaction_id: tx.id, currency: tx.currency })))
    .execute();
}

/** Sum of every entry per currency: all zero when the books balance. */
export async function ledgerBalance(db: Kysely<DB>): Promise<Record<string, number>> {
  const rows = await db
    .selectFrom('ledger_entries')
    .select(['currency', sql<number>`coalesce(sum(amount), 0)`.as('total')])
    .groupBy('currency')
    .execute();
  return Object.fromEntries(rows.map((r) => [r.currency, Number(r.total)]));
}

/**
 * What each host earned per month and currency: the net credit to their payable account
 * (charges minus refunds; payouts and their reversals are not earnings), positive = owed to the host.
 */
export async function hostPayoutReport(db: Kysely<DB>, q: { hostId?: string; month?: string } = {}) {
  const month = yearMonth(db, sql.ref('e.created_at'));
  let query = db
    .selectFrom('ledger_entries as e')
    .innerJoin('ledger_transactions as t', 't.id', 'e.transaction_id')
    .select([
      sql<string>`substr(e.account, 14)`.as('hostId'),
      month.as('month'),
      'e.currency',
      sql<number>`-sum(e.amount)`.as('net'),
    ])
    .where('e.account', 'like', 'host_payable:%')
    .where('t.kind', 'in', ['guest_charge', 'refund'])
    .groupBy([sql`substr(e.account, 14)`, month, 'e.currency'])
    .orderBy('month')
    .orderBy('hostId');
  if (q.hostId) query = query.where('e.account', '=', `host_payable:${q.hostId}`);
  if (q.month) {
    // The month's instants bound the scan (the account index's second column); the month key stays exact.
    const [y, m] = q.month.split('-').map(Number) as [number, number];
    query = query
      .where('e.created_at', '>=', new Date(Date.UTC(y, m - 1, 1)))
      .where('e.created_at', '<', new Date(Date.UTC(y, m, 1)))
      .where(month, '=', q.month);
  }
  const rows = await query.execute();
  return rows.map((r) => ({ ...r, net: Number(r.net) }));
}

/** Whether a ledger transaction already records this reference (of any kind). */
export async function hasLedgerPosting(db: Kysely<DB>, referenceType: string, referenceId: string) {
  const row = await db
    .selectFrom('ledger_transactions')
    .select('id')
    .where('reference_type', '=', referenceType)
    .where('reference_id', '=', referenceId)
    .executeTakeFirst();
  return row !== undefined;
}
