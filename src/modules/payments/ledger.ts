/**
 * The double-entry ledger. Every movement of money is one transaction whose entries sum to exactly
 * zero (debits positive, credits negative, integer minor units), written with the change it records.
 *
 * Accounts:
 *   provider_clearing       money held for us at the payment provider (asset)
 *   host_payable:<host id>  what we owe a host (liability)
 *   platform_revenue        our service fees (revenue)
 *   taxes_payable           taxes collected for remittance (liability)
 */
import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema/index.js';
import { newId } from '../../platform/crypto.js';
import * as repo from './ledger.repository.js';

export interface Posting {
  account: string;
  amount: number;
}

export class UnbalancedTransactionError extends Error {
  override name = 'UnbalancedTransactionError';
}

export async function postTransaction(
  db: Kysely<DB>,
  tx: {
    kind: 'guest_charge' | 'refund' | 'payout' | 'adjustment';
    reference: { type: string; id: string };
    currency: string;
    entries: Posting[];
    memo?: string;
  },
): Promise<string> {
  const entries = tx.entries.filter((e) => e.amount !== 0);
  if (entries.length < 2)
    throw new UnbalancedTransactionError('A transaction needs at least two non-zero entries');
  if (!entries.every((e) => Number.isSafeInteger(e.amount))) {
    throw new UnbalancedTransactionError('Ledger amounts are whole minor units');
  }
  const sum = entries.reduce((s, e) => s + e.amount, 0);
  if (sum !== 0) throw new UnbalancedTransactionError(`Entries sum to ${sum}, not 0`);
  const id = newId();
  await repo.insertTransaction(db, {
    id,
    kind: tx.kind,
    reference_type: tx.reference.type,
    reference_id: tx.reference.id,
    currency: tx.currency,
    memo: tx.memo ?? null,
    entries: entries.map((e) => ({ id: newId(), account: e.account, amount: e.amount })),
  });
  return id;
}

export const hostAccount = (hostId: string) => `host_payable:${hostId}`;

export interface ChargeComponents {
  total: number;
  hostShare: number;
  serviceFee: number;
  taxes: number;
  hostId: string;
}

/** A guest's payment: cash in at the provider; owed to the host, the platform and the tax office. */
export function guestChargePostings(c: ChargeComponents): Posting[] {
  if (c.hostShare + c.serviceFee + c.taxes !== c.total) {
    throw new UnbalancedTransactionError('hostShare + serviceFee + taxes must equal total');
  }
  return [
    { account: 'provider_clearing', amount: c.total },
    { account: hostAccount(c.hostId), amount: -c.hostShare },
    { account: 'platform_revenue', amount: -c.serviceFee },
    { account: 'taxes_payable', amount: -c.taxes },
  ];
}

/**
 * A refund of `amount` after `alreadyRefunded`: each component gives back its proportional share of
 * the cumulative refund, computed on cumulative totals so rounding never drifts (refunding everything
 * in several parts reverses each component exactly).
 */
export function refundPostings(r: {
  original: ChargeComponents;
  alreadyRefunded: number;
  amount: number;
}): Posting[] {
  const { original: c } = r;
  if (r.amount <= 0 || r.alreadyRefunded < 0 || r.alreadyRefunded + r.amount > c.total) {
    throw new UnbalancedTransactionError('Refund exceeds what was charged');
  }
  const shareAt = (refunded: number) => {
    const fee = Math.floor((c.serviceFee * refunded) / c.total);
    const tax = Math.floor((c.taxes * refunded) / c.total);
    return { fee, tax, host: refunded - fee - tax };
  };
  const before = shareAt(r.alreadyRefunded);
  const after = shareAt(r.alreadyRefunded + r.amount);
  return [
    { account: 'provider_clearing', amount: -r.amount },
    { account: hostAccount(c.hostId), amount: after.host - before.host },
    { account: 'platform_revenue', amount: after.fee - before.fee },
    { account: 'taxes_payable', amount: after.tax - before.tax },
  ];
}

export const ledgerBalance = repo.ledgerBalance;
export const hostPayoutReport = repo.hostPayoutReport;
