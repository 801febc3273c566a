/**
 * The ledger side of host payouts (src/flows/payouts.ts): what a booking earned its host so far, what the
 * host is owed now, and the postings of a payout and of its reversal.
 *
 *   payout     host_payable:<host> +amount, provider_clearing −amount   (reference: payout, ledger_ref)
 *   reversal   host_payable:<host> −amount, provider_clearing +amount   (kind `adjustment`, same reference)
 *
 * host_payable is a liability: credits are negative, so what a host is owed is minus the account's sum.
 * A refund after a payout debits host_payable past zero: the negative balance is the host's debt.
 */
import { type Kysely, sql } from 'kysely';
import type { DB } from '../../db/schema/index.js';
import { hostAccount, postTransaction } from './ledger.js';

type Db = Kysely<DB>;

/**
 * What each booking (of `hostId`) has earned its host so far: the host's share of the captured charge
 * minus the host's part of every refund posted (succeeded). By booking id; 0 for a booking never charged.
 */
export async function bookingHostShares(
  db: Db,
  hostId: string,
  bookingIds: string[],
): Promise<Map<string, number>> {
  const out = new Map(bookingIds.map((id) => [id, 0]));
  if (bookingIds.length === 0) return out;
  const [payments, refunds] = await Promise.all([
    db.selectFrom('payments').select(['id', 'booking_id']).where('booking_id', 'in', bookingIds).execute(),
    db.selectFrom('refunds').select(['id', 'booking_id']).where('booking_id', 'in', bookingIds).execute(),
  ]);
  const bookingOf = new Map([...payments, ...refunds].map((r) => [r.id, r.booking_id]));
  if (bookingOf.size === 0) return out;
  const rows = await db
    .selectFrom('ledger_transactions as t')
    .innerJoin('ledger_entries as e', 'e.transaction_id', 't.id')
    .select(['t.reference_id', sql<number | string>`sum(e.amount)`.as('total')])
    .where('t.reference_type', 'in', ['payment', 'refund'])
    .where('t.reference_id', 'in', [...bookingOf.keys()])
    .where('e.account', '=', hostAccount(hostId))
    .groupBy('t.reference_id')
    .execute();
  for (const r of rows) {
    const booking = bookingOf.get(r.reference_id);
    if (booking) out.set(booking, (out.get(booking) ?? 0) - Number(r.total));
  }
  return out;
}

/** What the platform owes a host now in one currency (negative: the host owes it, after refunds). */
export async function hostPayableBalance(db: Db, hostId: string, currency: string): Promise<number> {
  const row = await db
    .selectFrom('ledger_entries')
    .select(sql<number | string | null>`sum(amount)`.as('total'))
    .where('account', '=', hostAccount(hostId))
    .where('currency', '=', currency)
    .executeTakeFirst();
  return 0 - Number(row?.total ?? 0);
}

/** Whether a booking has a refund promised and not yet carried out (its amount is not settled yet). */
export async function hasPendingRefund(db: Db, bookingId: string): Promise<boolean> {
  const row = await db
    .selectFrom('refunds')
    .select('id')
    .where('booking_id', '=', bookingId)
    .where('status', '=', 'pending')
    .executeTakeFirst();
  return row !== undefined;
}

/** Post a payout of `amount` (> 0) to a host, in the caller's transaction. */
export function postPayout(
  db: Db,
  p: { ledgerRef: string; hostId: string; amount: number; currency: string },
): Promise<string> {
  return postTransaction(db, {
    kind: 'payout',
    reference: { type: 'payout', id: p.ledgerRef },
    currency: p.currency,
    entries: [
      { account: hostAccount(p.hostId), amount: p.amount },
      { account: 'provider_clearing', amount: -p.amount },
    ],
  });
}

/**
 * Reverse a payout that failed for good, in the caller's transaction: the amount is owed to the host again.
 * Once per posting (a second call finds the reversal and does nothing). Returns whether it posted.
 */
export async function reversePayout(
  db: Db,
  p: { ledgerRef: string; hostId: string; amount: number; currency: string; reason: string },
): Promise<boolean> {
  if (p.amount <= 0) return false;
  const posted = await db
    .selectFrom('ledger_transactions')
    .select(['kind'])
    .where('reference_type', '=', 'payout')
    .where('reference_id', '=', p.ledgerRef)
    .execute();
  if (!posted.some((t) => t.kind === 'payout') || posted.some((t) => t.kind === 'adjustment')) return false;
  await postTransaction(db, {
    kind: 'adjustment',
    reference: { type: 'payout', id: p.ledgerRef },
    currency: p.currency,
    memo: `payout failed: ${p.reason}`.slice(0, 255),
    entries: [
      { account: hostAccount(p.hostId), amount: -p.amount },
      { account: 'provider_clearing', amount: p.amount },
    ],
  });
  return true;
}
