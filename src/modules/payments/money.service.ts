/**
 * The money side of the operator console: ledger transactions, account balances, host payout reports
 * (read-only). Admins see everything; a host sees their own payout report; guests see none of it.
 */
import { Type } from 'typebox';
import { type Actor, assertRole } from '../../platform/auth.js';
import type { ServiceContext } from '../../platform/context.js';
import { forbidden } from '../../platform/errors.js';
import { decodeCursor, toPage } from '../../platform/pagination.js';
import { hostPayoutReport } from './ledger.repository.js';
import * as repo from './money.repository.js';

export interface LedgerTransactionView {
  id: string;
  kind: string;
  /** The booking whose payment or refund this records (null for other references). */
  bookingId: string | null;
  referenceType: string;
  referenceId: string;
  currency: string;
  memo: string | null;
  createdAt: string;
  entries: { account: string; amount: number; currency: string }[];
}

export interface PayoutReportRow {
  hostId: string;
  month: string;
  currency: string;
  /** Net owed to the host for the month: credits for charges minus refunds (minor units). */
  net: number;
}

const TransactionCursor = Type.Object({ id: Type.String({ format: 'uuid' }) });

/** Admin: ledger transactions with their entries, newest first, optionally one booking's or one kind's. */
export async function ledgerTransactions(
  ctx: ServiceContext,
  actor: Actor,
  q: {
    bookingId?: string | undefined;
    kind?: string | undefined;
    limit: number;
    cursor?: string | undefined;
  },
): Promise<{ items: LedgerTransactionView[]; nextCursor: string | null }> {
  assertRole(actor, 'admin');
  const after = q.cursor ? decodeCursor<{ id: string }>(q.cursor, TransactionCursor) : undefined;
  const references = q.bookingId ? await repo.referencesOfBooking(ctx.db, q.bookingId) : undefined;
  if (references && references.length === 0) return { items: [], nextCursor: null };
  const rows = await repo.listTransactions(ctx.db, {
    kind: q.kind,
    references,
    beforeId: after?.id,
    limit: q.limit + 1,
  });
  const page = rows.slice(0, q.limit);
  const [entries, bookingOf] = await Promise.all([
    repo.entriesOf(
      ctx.db,
      page.map((t) => t.id),
    ),
    repo.bookingsOfReferences(
      ctx.db,
      page.map((t) => t.reference_id),
    ),
  ]);
  const byTx = new Map<string, LedgerTransactionView['entries']>();
  for (const e of entries) {
    const list = byTx.get(e.transaction_id) ?? [];
    list.push({ account: e.account, amount: Number(e.amount), currency: e.currency });
    byTx.set(e.transaction_id, list);
  }
  return toPage(
    rows,
    q.limit,
    (t) => ({
      id: t.id,
      kind: t.kind,
      bookingId: bookingOf.get(t.reference_id) ?? null,
      referenceType: t.reference_type,
      referenceId: t.reference_id,
      currency: t.currency,
      memo: t.memo,
      createdAt: new Date(t.created_at).toISOString(),
      entries: byTx.get(t.id) ?? [],
    }),
    (t) => ({ id: t.id }),
  );
}

/**
 * Admin: every account's balance per currency, and the sum of all entries (`total`: 0 when the books
 * balance; `balanced` also requires every currency to sum to zero on its own).
 */
export async function accountBalances(
  ctx: ServiceContext,
  actor: Actor,
): Promise<{
  accounts: { account: string; currency: string; balance: number }[];
  total: number;
  balanced: boolean;
}> {
  assertRole(actor, 'admin');
  return balancesOf(ctx);
}

/** The ledger's balances without an access check (the dashboard flow checks its actor). */
export async function balancesOf(ctx: ServiceContext) {
  const accounts = (await repo.accountBalances(ctx.db)).filter((a) => a.balance !== 0);
  const perCurrency = new Map<string, number>();
  for (const a of accounts) perCurrency.set(a.currency, (perCurrency.get(a.currency) ?? 0) + a.balance);
  const total = accounts.reduce((s, a) => s + a.balance, 0);
  return { accounts, total, balanced: [...perCurrency.values()].every((v) => v === 0) };
}

/**
 * A month's payout report (what each host earned, per currency): a host sees only their own (asking for
 * another host's is 403); an admin any host's or all; a guest none (403).
 */
export async function payoutReport(
  ctx: ServiceContext,
  actor: Actor,
  q: { month: string; hostId?: string | undefined },
): Promise<{ month: string; rows: PayoutReportRow[] }> {
  if (actor.role === 'guest') throw forbidden('Only hosts and admins have payout reports');
  let hostId = q.hostId;
  if (actor.role === 'host') {
    if (hostId && hostId !== actor.userId) throw forbidden('You can only see your own payout report');
    hostId = actor.userId;
  }
  const rows = await hostPayoutReport(ctx.db, { month: q.month, ...(hostId ? { hostId } : {}) });
  return { month: q.month, rows };
}

/** Refunds promised and not yet carried out (the dashboard's backlog). */
export function pendingRefundCount(ctx: ServiceContext): Promise<number> {
  return repo.countPendingRefunds(ctx.db);
}
