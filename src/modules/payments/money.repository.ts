import { type Kysely, type Selectable, sql } from 'kysely';
import type { DB } from '../../db/schema/index.js';
import type { LedgerTransactionsTable } from '../../db/schema/ledger.js';

export type LedgerTransactionRow = Selectable<LedgerTransactionsTable>;

/** Ledger transactions newest first (ids are UUIDv7), keyset-paged on the primary key. */
export function listTransactions(
  db: Kysely<DB>,
  q: {
    kind?: string | undefined;
    /** Only transactions recording these payments or refunds (a booking's). */
    references?: string[] | undefined;
    beforeId?: string | undefined;
    limit: number;
  },
): Promise<LedgerTransactionRow[]> {
  let query = db.selectFrom('ledger_transactions').selectAll();
  if (q.kind) query = query.where('kind', '=', q.kind as LedgerTransactionRow['kind']);
  if (q.references) query = query.where('reference_id', 'in', q.references);
  if (q.beforeId) query = query.where('id', '<', q.beforeId);
  return query.orderBy('id', 'desc').limit(q.limit).execute();
}

export function entriesOf(db: Kysely<DB>, transactionIds: string[]) {
  if (transactionIds.length === 0) return Promise.resolve([]);
  return db
    .selectFrom('ledger_entries')
    .select(['transaction_id', 'account', 'amount', 'currency'])
    .where('transaction_id', 'in', transactionIds)
    .orderBy('transaction_id')
    .orderBy('id')
    .execute();
}

/** The booking each payment or refund among `ids` belongs to. */
export async function bookingsOfReferences(db: Kysely<DB>, ids: string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const [payments, refunds] = await Promise.all([
    db.selectFrom('payments').select(['id', 'booking_id']).where('id', 'in', ids).execute(),
    db.selectFrom('refunds').select(['id', 'booking_id']).where('id', 'in', ids).execute(),
  ]);
  return new Map([...payments, ...refunds].map((r) => [r.id, r.booking_id]));
}

/** The ids of a booking's payments and refunds (what its ledger transactions reference). */
export async function referencesOfBooking(db: Kysely<DB>, bookingId: string): Promise<string[]> {
  const [payments, refunds] = await Promise.all([
    db.selectFrom('payments').select('id').where('booking_id', '=', bookingId).execute(),
    db.selectFrom('refunds').select('id').where('booking_id', '=', bookingId).execute(),
  ]);
  return [...payments, ...refunds].map((r) => r.id);
}

/** Every account's balance per currency (sum of its entries). */
export async function accountBalances(db: Kysely<DB>) {
  const rows = await db
    .selectFrom('ledger_entries')
    .select(['account', 'currency', sql<number | string>`coalesce(sum(amount), 0)`.as('balance')])
    .groupBy(['account', 'currency'])
    .orderBy('account')
    .orderBy('currency')
    .execute();
  return rows.map((r) => ({ account: r.account, currency: r.currency, balance: Number(r.balance) }));
}

/** Refunds promised and not yet carried out. */
export async function countPendingRefunds(db: Kysely<DB>): Promise<number> {
  const row = await db
    .selectFrom('refunds')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('status', '=', 'pending')
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}
