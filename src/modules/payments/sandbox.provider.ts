/**
 * The built-in sandbox provider: deterministic, offline, and shaped like a real one.
 * Test cards (the `paymentMethod`):
 *   pm_card_visa  / 4242424242424242  → succeeds at once
 *   pm_card_declined / 4000000000000002 → declined (card_declined)
 *   pm_card_async / 4000000000003220  → processing; settled later by a signed webhook
 * Results derive from the idempotency key, so a retried call answers exactly as the first did.
 * Webhooks are signed like Stripe's: `roost-signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import {
  type ChargeRequest,
  type ChargeResult,
  type PaymentProvider,
  type ProviderEvent,
  type RefundRequest,
  type RefundResult,
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
): string {
  return JSON.stringify({ id, type, data: { objectRef, ...(failureReason ? { failureReason } : {}) } });
}

export class SandboxProvider implements PaymentProvider {
  readonly name = 'sandbox' as const;
  /** Outcomes by payment-intent ref (for `retrieve`); the outcome itself is a function of the card. */
  private readonly intents = new Map<string, ChargeResult>();
  /** Refunds executed, by ref (a function of the idempotency key). */
  private readonly refunds = new Map<string, { result: RefundResult; amount: number; paymentRef: string }>();

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
      data?: { objectRef?: unknown; failureReason?: unknown };
    };
    if (typeof body.id !== 'string' || typeof body.data?.objectRef !== 'string')
      throw new Error('malformed event');
    const known = ['payment.succeeded', 'payment.failed', 'refund.succeeded', 'refund.failed'];
    const event: ProviderEvent = {
      id: body.id,
      type: known.includes(String(body.type)) ? (body.type as ProviderEvent['type']) : 'other',
      objectRef: body.data.objectRef,
    };
    if (typeof body.data.failureReason === 'string') event.failureReason = body.data.failureReason;
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
