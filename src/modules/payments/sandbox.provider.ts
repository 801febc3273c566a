/**
 * The built-in sandbox provider: deterministic, offline, and shaped like a real one.
 * Test cards (the `paymentMethod`):
 *   pm_card_visa  / 4242424242424242  → succeeds at once
 *   pm_card_declined / 4000000000000002 → declined (card_declined)
 *   pm_card_async / 4000000000003220  → processing; settled later by a signed webhook
 * Results derive from the idempotency key, so a retried call answers exactly as the first did.
 * Webhooks are signed like Stripe's: `roost-signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
 *
 * Payouts: a payout account is enabled at once (no onboarding); a transfer is paid at once. Test hooks
 * stand in for the test cards: `queueTransferOutcome('failed' | 'pending' | 'error', times)` makes the next
 * new transfers fail (`account_closed`), stay pending (settled by a `payout.paid` / `payout.failed`
 * webhook), or go unanswered (an error: nothing executed); `setPayoutAccountStatus` restricts an account;
 * `settleTransfer` settles a pending transfer without its webhook (what `retrieveTransfer` then answers).
 * Transfers, like refunds, are executed once per idempotency key (`executedTransfers()`).
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import {
  type ChargeRequest,
  type ChargeResult,
  type PaymentProvider,
  type PayoutAccountRequest,
  type PayoutAccountResult,
  type PayoutAccountStatus,
  type ProviderEvent,
  type RefundRequest,
  type RefundResult,
  type TransferRequest,
  type TransferResult,
  WebhookSignatureError,
} from '../../platform/payment-provider.js';

const SUCCEED = new Set(['pm_card_visa', '4242424242424242']);
const DECLINE = new Set(['pm_card_declined', '4000000000000002']);
const ASYNC = new Set(['pm_card_async', '4000000000003220']);

export const SANDBOX_SIGNATURE_HEADER = 'roost-signature';
const TOLERANCE_SECONDS = 300;

const refOf = (prefix: string, key: string) =>
  `${prefix}_sbx_${createHash('sha256').update(key).digest('hex').slice(0, 24)}`;

export function signSandboxWebhook(
  secret: string,
  body: string,
  timestamp = Math.floor(Date.now() / 1000),
): string {
  const mac = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return `t=${timestamp},v1=${mac}`;
}

export function sandboxEvent(
  id: string,
  type: ProviderEvent['type'],
  objectRef: string,
  failureReason?: string,
  accountStatus?: PayoutAccountStatus,
): string {
  return JSON.stringify({
    id,
    type,
    data: {
      objectRef,
      ...(failureReason ? { failureReason } : {}),
      ...(accountStatus ? { accountStatus } : {}),
    },
  });
}

export type SandboxTransferOutcome = 'failed' | 'pending' | 'error';

interface SandboxTransfer {
  result: TransferResult;
  amount: number;
  currency: string;
  destination: string;
  idempotencyKey: string;
  metadata: TransferRequest['metadata'];
}

export class SandboxProvider implements PaymentProvider {
  readonly name = 'sandbox' as const;
  /** Outcomes by payment-intent ref (for `retrieve`); the outcome itself is a function of the card. */
  private readonly intents = new Map<string, ChargeResult>();
  /** Refunds executed, by ref (a function of the idempotency key). */
  private readonly refunds = new Map<string, { result: RefundResult; amount: number; paymentRef: string }>();
  /** Payout accounts by ref, and transfers by ref (a function of the idempotency key). */
  private readonly accounts = new Map<string, PayoutAccountStatus>();
  private readonly transfers = new Map<string, SandboxTransfer>();
  /** Forced outcomes of the next new transfers (test hook). */
  private readonly transferOutcomes: SandboxTransferOutcome[] = [];
  /** Every transfer call received, in order (replays included). */
  readonly transferCalls: TransferRequest[] = [];

  constructor(
    private readonly webhookSecret: string,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  async charge(request: ChargeRequest): Promise<ChargeResult> {
    const providerRef = refOf('pi', request.idempotencyKey);
    const known = this.intents.get(providerRef);
    if (known) return known;
    let result: ChargeResult;
    if (SUCCEED.has(request.paymentMethod)) result = { providerRef, status: 'succeeded' };
    else if (ASYNC.has(request.paymentMethod)) result = { providerRef, status: 'processing' };
    else if (DECLINE.has(request.paymentMethod))
      result = { providerRef, status: 'failed', failureReason: 'card_declined' };
    else result = { providerRef, status: 'failed', failureReason: 'invalid_payment_method' };
    this.intents.set(providerRef, result);
    return result;
  }

  /** Settle an asynchronous payment at the "bank" without sending its webhook (a lost webhook). */
  settle(providerRef: string, status: 'succeeded' | 'failed') {
    this.intents.set(providerRef, {
      providerRef,
      status,
      ...(status === 'failed' ? { failureReason: 'card_declined' } : {}),
    });
  }

  async retrieve(providerRef: string): Promise<ChargeResult> {
    return this.intents.get(providerRef) ?? { providerRef, status: 'processing' };
  }

  async refund(request: RefundRequest): Promise<RefundResult> {
    if (!request.providerRef.startsWith('pi_sbx_')) {
      return { providerRef: '', status: 'failed', failureReason: 'unknown_payment' };
    }
    const providerRef = refOf('re', request.idempotencyKey);
    // The same key is the same refund: it is executed (and counted) once.
    const known = this.refunds.get(providerRef);
    if (known) return known.result;
    const result: RefundResult = { providerRef, status: 'succeeded' };
    this.refunds.set(providerRef, { result, amount: request.amount, paymentRef: request.providerRef });
    return result;
  }

  async retrieveRefund(providerRef: string): Promise<RefundResult> {
    return (
      this.refunds.get(providerRef)?.result ?? {
        providerRef,
        status: 'failed',
        failureReason: 'unknown_refund',
      }
    );
  }

  /** The refunds this sandbox has executed, once each (for tests and the demo). */
  executedRefunds(): { providerRef: string; amount: number; paymentRef: string }[] {
    return [...this.refunds].map(([providerRef, r]) => ({
      providerRef,
      amount: r.amount,
      paymentRef: r.paymentRef,
    }));
  }

  async createPayoutAccount(request: PayoutAccountRequest): Promise<PayoutAccountResult> {
    const accountRef = refOf('acct', request.idempotencyKey);
    if (!this.accounts.has(accountRef)) this.accounts.set(accountRef, 'enabled');
    return this.accountResult(accountRef);
  }

  async retrievePayoutAccount(accountRef: string): Promise<PayoutAccountResult> {
    return this.accountResult(accountRef);
  }

  private accountResult(accountRef: string): PayoutAccountResult {
    const status = this.accounts.get(accountRef) ?? 'restricted';
    return {
      accountRef,
      status,
      onboardingUrl: status === 'enabled' ? null : `https://sandbox.roost.dev/onboarding/${accountRef}`,
    };
  }

  /** Test hook: an account's status as the provider would report it (e.g. restricted after a review). */
  setPayoutAccountStatus(accountRef: string, status: PayoutAccountStatus) {
    this.accounts.set(accountRef, status);
  }

  /** Test hook: the next `times` new transfers fail, stay pending, or go unanswered (`error`). */
  queueTransferOutcome(outcome: SandboxTransferOutcome, times = 1) {
    for (let i = 0; i < times; i++) this.transferOutcomes.push(outcome);
  }

  async transfer(request: TransferRequest): Promise<TransferResult> {
    this.transferCalls.push(request);
    const providerRef = refOf('tr', request.idempotencyKey);
    // The same key is the same transfer: executed (and counted) once, answered the same every time.
    const known = this.transfers.get(providerRef);
    if (known) return known.result;
    const forced = this.transferOutcomes.shift();
    if (forced === 'error') throw new Error('sandbox: the provider did not answer (test hook)');
    let result: TransferResult;
    if (forced === 'failed') result = { providerRef, status: 'failed', failureReason: 'account_closed' };
    else if ((this.accounts.get(request.destination) ?? 'restricted') !== 'enabled')
      result = { providerRef, status: 'failed', failureReason: 'account_not_enabled' };
    else if (!Number.isSafeInteger(request.amount) || request.amount <= 0)
      result = { providerRef, status: 'failed', failureReason: 'invalid_amount' };
    else result = { providerRef, status: forced === 'pending' ? 'pending' : 'paid' };
    this.transfers.set(providerRef, {
      result,
      amount: request.amount,
      currency: request.currency,
      destination: request.destination,
      idempotencyKey: request.idempotencyKey,
      metadata: request.metadata,
    });
    return result;
  }

  /** An unknown transfer (e.g. made before this process restarted) throws: nothing is known about it. */
  async retrieveTransfer(providerRef: string): Promise<TransferResult> {
    const transfer = this.transfers.get(providerRef);
    if (!transfer) throw new Error(`sandbox: unknown transfer ${providerRef}`);
    return transfer.result;
  }

  /**
   * Test hook: a pending transfer settled at the "bank" without its webhook (a lost webhook): what
   * `retrieveTransfer` (and a replayed `transfer`) answers from now on.
   */
  settleTransfer(providerRef: string, status: 'paid' | 'failed', failureReason = 'account_closed') {
    const transfer = this.transfers.get(providerRef);
    if (transfer?.result.status !== 'pending') throw new Error(`sandbox: no pending transfer ${providerRef}`);
    transfer.result = { providerRef, status, ...(status === 'failed' ? { failureReason } : {}) };
  }

  /** The transfers that moved (or are moving) money, once each (for tests, the demo and the bench). */
  executedTransfers(): (Omit<SandboxTransfer, 'result'> & { providerRef: string; status: string })[] {
    return [...this.transfers]
      .filter(([, t]) => t.result.status !== 'failed')
      .map(([providerRef, { result, ...t }]) => ({ providerRef, status: result.status, ...t }));
  }

  verifyWebhook(rawBody: string, headers: Record<string, string | string[] | undefined>): ProviderEvent {
    const header = headers[SANDBOX_SIGNATURE_HEADER];
    if (typeof header !== 'string')
      throw new WebhookSignatureError(`Missing ${SANDBOX_SIGNATURE_HEADER} header`);
    const parts = Object.fromEntries(header.split(',').map((p) => p.split('=', 2) as [string, string]));
    const t = Number(parts['t']);
    const given = parts['v1'] ?? '';
    if (!Number.isInteger(t) || !/^[0-9a-f]{64}$/.test(given))
      throw new WebhookSignatureError('Malformed signature header');
    if (Math.abs(this.clock().getTime() / 1000 - t) > TOLERANCE_SECONDS) {
      throw new WebhookSignatureError('Signature timestamp is outside the tolerance window');
    }
    const expected = createHmac('sha256', this.webhookSecret).update(`${t}.${rawBody}`).digest();
    if (!timingSafeEqual(expected, Buffer.from(given, 'hex')))
      throw new WebhookSignatureError('Signature does not match');
    const body = JSON.parse(rawBody) as {
      id?: unknown;
      type?: unknown;
      data?: { objectRef?: unknown; failureReason?: unknown; accountStatus?: unknown };
    };
    if (typeof body.id !== 'string' || typeof body.data?.objectRef !== 'string')
      throw new Error('malformed event');
    const known = [
      'payment.succeeded',
      'payment.failed',
      'refund.succeeded',
      'refund.failed',
      'payout.paid',
      'payout.failed',
      'account.updated',
    ];
    const event: ProviderEvent = {
      id: body.id,
      type: known.includes(String(body.type)) ? (body.type as ProviderEvent['type']) : 'other',
      objectRef: body.data.objectRef,
    };
    if (typeof body.data.failureReason === 'string') event.failureReason = body.data.failureReason;
    if (event.type === 'account.updated') {
      const status = body.data.accountStatus;
      if (status === 'pending' || status === 'enabled' || status === 'restricted') {
        event.accountStatus = status;
        this.accounts.set(event.objectRef, status);
      }
    }
    // A pending transfer settled by the "bank": what the webhook says is what a replay answers.
    const transfer = this.transfers.get(event.objectRef);
    if (
      transfer?.result.status === 'pending' &&
      (event.type === 'payout.paid' || event.type === 'payout.failed')
    ) {
      transfer.result = {
        providerRef: event.objectRef,
        status: event.type === 'payout.paid' ? 'paid' : 'failed',
        ...(event.failureReason ? { failureReason: event.failureReason } : {}),
      };
    }
    // Keep what retrieve() reports in step with what the webhook said.
    if (event.type === 'payment.succeeded' || event.type === 'payment.failed') {
      this.intents.set(event.objectRef, {
        providerRef: event.objectRef,
        status: event.type === 'payment.succeeded' ? 'succeeded' : 'failed',
        ...(event.failureReason ? { failureReason: event.failureReason } : {}),
      });
    }
    return event;
  }
}
