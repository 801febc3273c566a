import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;

export type PayoutAccountStatus = 'pending' | 'enabled' | 'restricted';

/** A host's account at the payment provider that payouts are transferred to (one per host). */
export interface PayoutAccountsTable {
  host_id: string;
  provider: string;
  /** The provider's id of the account (Stripe `acct_…`, sandbox `acct_sbx_…`). */
  provider_account_ref: string;
  status: PayoutAccountStatus;
  /** The currency the host is paid in (ISO 4217). */
  currency: string;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/**
 * scheduled: released (host_payable debited), the transfer not yet answered (retried by the job);
 * pending: the provider accepted the transfer, a webhook settles it; paid; failed: failed for good, its
 * ledger transaction reversed; netted: nothing to transfer (a host debt took it all), amount 0.
 */
export type PayoutStatus = 'scheduled' | 'pending' | 'paid' | 'failed' | 'netted';

export interface PayoutsTable {
  id: string;
  /** UNIQUE: at most one payout per booking. */
  booking_id: string;
  host_id: string;
  amount: number;
  currency: string;
  status: PayoutStatus;
  provider: string;
  provider_ref: string | null;
  /** Idempotency key of the current transfer at the provider. */
  transfer_key: string;
  /** Reference id of the ledger transaction (kind `payout`, reference type `payout`) of this release. */
  ledger_ref: string;
  attempts: Generated<number>;
  last_error: string | null;
  /** When the stay's payout became due (check-in + PAYOUT_DELAY_HOURS). */
  release_at: Timestamp;
  paid_at: Date | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}
