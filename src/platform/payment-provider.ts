import { Type } from 'typebox';
/**
 * The seam between Roost and a payment service provider. Bookings and the payments service speak only
 * this interface; `sandbox` (built in, deterministic) and `stripe` implement it.
 * Amounts are integer minor units; currencies are ISO 4217 codes in upper case.
 */

export type ProviderName = 'sandbox' | 'stripe';

/** Outcome of asking the provider to charge: settled now, settled later by webhook, or refused. */
export type ChargeStatus = 'succeeded' | 'processing' | 'failed';

export interface ChargeRequest {
  amount: number;
  currency: string;
  /** Provider-specific payment method token (sandbox test cards, Stripe `pm_…`). */
  paymentMethod: string;
  /** Forwarded to the provider so a retried call cannot charge twice. */
  idempotencyKey: string;
  /** Our payment id and booking id, echoed back by the provider in webhooks. */
  metadata: { paymentId: string; bookingId: string };
}

export interface ChargeResult {
  /** The provider's id for the payment intent (e.g. `pi_…`). */
  providerRef: string;
  status: ChargeStatus;
  failureReason?: string;
}

export interface RefundRequest {
  providerRef: string;
  amount: number;
  currency: string;
  idempotencyKey: string;
  metadata: { refundId: string; paymentId: string };
}

export interface RefundResult {
  providerRef: string;
  status: 'succeeded' | 'pending' | 'failed';
  failureReason?: string;
}

export type PayoutAccountStatus = 'pending' | 'enabled' | 'restricted';

export interface PayoutAccountRequest {
  /** Our host's user id (sent as metadata). */
  hostId: string;
  email: string;
  /** ISO 3166-1 alpha-2. */
  country?: string | undefined;
  /** The currency the host is paid in (ISO 4217). */
  currency: string;
  /** Forwarded to the provider so a retried call cannot create two accounts. */
  idempotencyKey: string;
}

export interface PayoutAccountResult {
  /** The provider's id of the connected account (Stripe `acct_…`). */
  accountRef: string;
  status: PayoutAccountStatus;
  /** Where the host completes onboarding at the provider (null when nothing is left to do). */
  onboardingUrl: string | null;
}

export interface TransferRequest {
  amount: number;
  currency: string;
  /** The connected account (`accountRef`) the money goes to. */
  destination: string;
  /** The same key is the same transfer: a retried call pays once. */
  idempotencyKey: string;
  metadata: { payoutId: string; bookingId: string };
}

export interface TransferResult {
  /** The provider's id of the transfer (`tr_…`); empty when it refused before creating one. */
  providerRef: string;
  status: 'paid' | 'pending' | 'failed';
  failureReason?: string;
}

/** A webhook event, verified and normalized. */
/**
 * What a verified webhook must look like before anything is stored: a signature proves who sent it,
 * not that its fields fit (an event with `"id": null`, a 10 kB reference, a NUL byte).
 */
export const ProviderEventSchema = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 255 }),
  type: Type.Enum([
    'payment.succeeded',
    'payment.failed',
    'refund.succeeded',
    'refund.failed',
    'payout.paid',
    'payout.failed',
    'account.updated',
    'other',
  ]),
  objectRef: Type.String({ maxLength: 255 }),
  failureReason: Type.Optional(Type.String({ maxLength: 255 })),
  accountStatus: Type.Optional(Type.Enum(['pending', 'enabled', 'restricted'])),
});

export interface ProviderEvent {
  /** The provider's event id: the replay-protection key. */
  id: string;
  type:
    | 'payment.succeeded'
    | 'payment.failed'
    | 'refund.succeeded'
    | 'refund.failed'
    | 'payout.paid'
    | 'payout.failed'
    | 'account.updated'
    | 'other';
  /** providerRef of the payment intent, refund or transfer the event is about; the account's for `account.updated`. */
  objectRef: string;
  failureReason?: string;
  /** `account.updated`: the payout account's status now. */
  accountStatus?: PayoutAccountStatus;
}

export interface PaymentProvider {
  readonly name: ProviderName;
  /** Create and confirm a payment intent (automatic capture). */
  charge(request: ChargeRequest): Promise<ChargeResult>;
  /** Current status of a payment intent (used by follow-up jobs for `processing` payments). */
  retrieve(providerRef: string): Promise<ChargeResult>;
  /** Refund (part of) a captured payment; the same idempotency key names the same refund. */
  refund(request: RefundRequest): Promise<RefundResult>;
  /** Current status of a refund the provider answered `pending` for (used by the settle-refunds job). */
  retrieveRefund(providerRef: string): Promise<RefundResult>;
  /** Open a payout (connected) account for a host; its status and where the host finishes onboarding. */
  createPayoutAccount(request: PayoutAccountRequest): Promise<PayoutAccountResult>;
  /** A payout account's current status, and a fresh onboarding link while it is not enabled. */
  retrievePayoutAccount(accountRef: string): Promise<PayoutAccountResult>;
  /** Move `amount` from the platform's balance to a payout account; the same key is the same transfer. */
  transfer(request: TransferRequest): Promise<TransferResult>;
  /**
   * Current status of a transfer the provider answered `pending` for (used by the reconcile-payouts job
   * when no webhook settled it): `pending` while it still is, else `paid` or `failed`.
   */
  retrieveTransfer(providerRef: string): Promise<TransferResult>;
  /**
   * Verify a webhook's signature over the raw body and parse it.
   * Throws `WebhookSignatureError` on a missing, bad or too-old signature.
   */
  verifyWebhook(rawBody: string, headers: Record<string, string | string[] | undefined>): ProviderEvent;
}

export class WebhookSignatureError extends Error {
  override name = 'WebhookSignatureError';
}
