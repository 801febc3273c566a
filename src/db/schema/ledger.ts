import type { ColumnType } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;

export interface LedgerTransactionsTable {
  id: string;
  kind: 'guest_charge' | 'refund' | 'payout' | 'adjustment';
  reference_type: string;
  reference_id: string;
  currency: string;
  memo: string | null;
  created_at: Timestamp;
}

export interface LedgerEntriesTable {
  id: string;
  transaction_id: string;
  /** e.g. provider_clearing, platform_revenue, taxes_payable, host_payable:<host id> */
  account: string;
  /** Signed minor units: debits positive, credits negative; every transaction sums to zero. */
  amount: number;
  currency: string;
  created_at: Timestamp;
}
