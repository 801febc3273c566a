/**
 * Stripe adapter over the official `stripe` package. Keys come only from the environment
 * (STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET); STRIPE_API_BASE points it at a local stub in tests.
 */
import Stripe from 'stripe';
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

export interface StripeOptions {
  secretKey: string;
  webhookSecret: string;
  /** e.g. http://127.0.0.1:12111 — only for tests against a stub. */
  apiBase?: string | undefined;
  /**
   * Where Stripe sends a host after onboarding (`…?onboarding=return`) or when the link expired
   * (`…?onboarding=refresh`, to ask for a new one).
   */
  onboardingUrl?: string | undefined;
}

/**
 * A Connect account's payout status: `enabled` once Stripe lets it receive transfers and pay out; `pending`
 * while the host has not finished onboarding (details not submitted); otherwise `restricted` (Stripe
 * disabled it, or requirements are past due).
 */
export function accountStatusOf(
  account: Pick<
    Stripe.Account,
    'charges_enabled' | 'payouts_enabled' | 'details_submitted' | 'requirements' | 'capabilities'
  >,
): PayoutAccountStatus {
  const transfers = account.capabilities?.transfers;
  if (account.payouts_enabled && (account.charges_enabled || transfers === 'active')) return 'enabled';
  if (!account.details_submitted && !account.requirements?.past_due?.length) return 'pending';
  return 'restricted';
}

function mapIntent(pi: Stripe.PaymentIntent): ChargeResult {
  switch (pi.status) {
    case 'succeeded':
      return { providerRef: pi.id, status: 'succeeded' };
    case 'processing':
    case 'requires_action':
    case 'requires_capture':
    case 'requires_confirmation':
      return { providerRef: pi.id, status: 'processing' };
    default:
      return {
        providerRef: pi.id,
        status: 'failed',
        failureReason: pi.last_payment_error?.code ?? pi.last_payment_error?.decline_code ?? pi.status,
      };
  }
}

export class StripeProvider implements PaymentProvider {
  readonly name = 'stripe' as const;
  private readonly stripe: Stripe;

  constructor(private readonly options: StripeOptions) {
    const base = options.apiBase ? new URL(options.apiBase) : undefined;
    this.stripe = new Stripe(options.secretKey, {
      maxNetworkRetries: 2,
      timeout: 20_000,
      telemetry: false,
      ...(base
        ? {
            host: base.hostname,
            port: Number(base.port || (base.protocol === 'http:' ? 80 : 443)),
            protocol: base.protocol === 'http:' ? 'http' : 'https',
          }
        : {}),
    });
  }

  async charge(request: ChargeRequest): Promise<ChargeResult> {
    try {
      const pi = await this.stripe.paymentIntents.create(
        {
          amount: request.amount,
          currency: request.currency.toLowerCase(),
          payment_method: request.paymentMethod,
          confirm: true,
          automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
          metadata: request.metadata,
        },
        { idempotencyKey: request.idempotencyKey },
      );
      return mapIntent(pi);
    } catch (err) {
      // A declined card is an answer, not an outage.
      if (err instanceof Stripe.errors.StripeCardError) {
        const pi = (err.raw as { payment_intent?: { id?: string } }).payment_intent;
        return {
          providerRef: pi?.id ?? `declined_${request.idempotencyKey}`,
          status: 'failed',
          failureReason: err.code ?? 'card_declined',
        };
      }
      throw err;
    }
  }

  async retrieve(providerRef: string): Promise<ChargeResult> {
    return mapIntent(await this.stripe.paymentIntents.retrieve(providerRef));
  }

  async refund(request: RefundRequest): Promise<RefundResult> {
    return mapRefund(
      await this.stripe.refunds.create(
        { payment_intent: request.providerRef, amount: request.amount, metadata: request.metadata },
        { idempotencyKey: request.idempotencyKey },
      ),
    );
  }

  async retrieveRefund(providerRef: string): Promise<RefundResult> {
    return mapRefund(await this.stripe.refunds.retrieve(providerRef));
  }

  async createPayoutAccount(request: PayoutAccountRequest): Promise<PayoutAccountResult> {
    const account = await this.stripe.accounts.create(
      {
        type: 'express',
        email: request.email,
        ...(request.country ? { country: request.country } : {}),
        default_currency: request.currency.toLowerCase(),
        capabilities: { transfers: { requested: true } },
        metadata: { hostId: request.hostId },
      },
      { idempotencyKey: request.idempotencyKey },
    );
    return this.withOnboarding(account);
  }

  async retrievePayoutAccount(accountRef: string): Promise<PayoutAccountResult> {
    return this.withOnboarding(await this.stripe.accounts.retrieve(accountRef));
  }

  /** The account's status, and (while not enabled) a fresh single-use onboarding link. */
  private async withOnboarding(account: Stripe.Account): Promise<PayoutAccountResult> {
    const status = accountStatusOf(account);
    if (status === 'enabled') return { accountRef: account.id, status, onboardingUrl: null };
    const base = this.options.onboardingUrl ?? 'http://localhost:3000/host/payouts';
    const sep = base.includes('?') ? '&' : '?';
    const link = await this.stripe.accountLinks.create({
      account: account.id,
      type: 'account_onboarding',
      refresh_url: `${base}${sep}onboarding=refresh`,
      return_url: `${base}${sep}onboarding=return`,
    });
    return { accountRef: account.id, status, onboardingUrl: link.url };
  }

  async transfer(request: TransferRequest): Promise<TransferResult> {
    try {
      const transfer = await this.stripe.transfers.create(
        {
          amount: request.amount,
          currency: request.currency.toLowerCase(),
          destination: request.destination,
          metadata: request.metadata,
          transfer_group: `booking_${request.metadata.bookingId}`,
        },
        { idempotencyKey: request.idempotencyKey },
      );
      // A transfer lands in the connected account's balance when created; a reversed one came back.
      if (transfer.reversed) return { providerRef: transfer.id, status: 'failed', failureReason: 'reversed' };
      return { providerRef: transfer.id, status: 'paid' };
    } catch (err) {
      // Refused (a restricted account, an insufficient platform balance): an answer, not an outage.
      if (
        err instanceof Stripe.errors.StripeInvalidRequestError ||
        err instanceof Stripe.errors.StripePermissionError
      ) {
        return { providerRef: '', status: 'failed', failureReason: err.code ?? 'transfer_refused' };
      }
      throw err;
    }
  }

  /**
   * A transfer's state now: a Stripe transfer is settled once it exists (it lands in the connected
   * account's balance when created), so `paid` unless it was reversed (`failed`). An unknown transfer is
   * an error (nothing is known about it), not a failure.
   */
  async retrieveTransfer(providerRef: string): Promise<TransferResult> {
    const transfer = await this.stripe.transfers.retrieve(providerRef);
    if (transfer.reversed) return { providerRef: transfer.id, status: 'failed', failureReason: 'reversed' };
    return { providerRef: transfer.id, status: 'paid' };
  }

  verifyWebhook(rawBody: string, headers: Record<string, string | string[] | undefined>): ProviderEvent {
    const signature = headers['stripe-signature'];
    if (typeof signature !== 'string') throw new WebhookSignatureError('Missing stripe-signature header');
    let event: Stripe.Event;
    try {
      event = this.stripe.webhooks.constructEvent(rawBody, signature, this.options.webhookSecret);
    } catch (err) {
      throw new WebhookSignatureError((err as Error).message);
    }
    const object = event.data.object as {
      id: string;
      last_payment_error?: { code?: string } | null;
      payment_intent?: string;
    };
    switch (event.type) {
      case 'payment_intent.succeeded':
        return { id: event.id, type: 'payment.succeeded', objectRef: object.id };
      case 'payment_intent.payment_failed':
        return {
          id: event.id,
          type: 'payment.failed',
          objectRef: object.id,
          failureReason: object.last_payment_error?.code ?? 'payment_failed',
        };
      case 'refund.created':
      case 'refund.updated':
      case 'refund.failed': {
        // The refund's own status decides; an update that is still pending settles nothing.
        const status = (object as { status?: string }).status;
        if (status === 'succeeded') return { id: event.id, type: 'refund.succeeded', objectRef: object.id };
        if (status === 'failed' || status === 'canceled')
          return { id: event.id, type: 'refund.failed', objectRef: object.id };
        return { id: event.id, type: 'other', objectRef: object.id };
      }
      case 'transfer.created':
        return { id: event.id, type: 'payout.paid', objectRef: object.id };
      case 'transfer.reversed':
        return { id: event.id, type: 'payout.failed', objectRef: object.id, failureReason: 'reversed' };
      case 'account.updated':
        return {
          id: event.id,
          type: 'account.updated',
          objectRef: object.id,
          accountStatus: accountStatusOf(event.data.object as Stripe.Account),
        };
      default:
        return { id: event.id, type: 'other', objectRef: object.id };
    }
  }

  /** For tests: a signature header Stripe would send for this body. */
  signForTest(rawBody: string): string {
    return this.stripe.webhooks.generateTestHeaderString({
      payload: rawBody,
      secret: this.options.webhookSecret,
    });
  }
}

function mapRefund(refund: Stripe.Refund): RefundResult {
  const status =
    refund.status === 'succeeded'
      ? 'succeeded'
      : refund.status === 'failed' || refund.status === 'canceled'
        ? 'failed'
        : 'pending';
  return {
    providerRef: refund.id,
    status,
    ...(refund.failure_reason ? { failureReason: refund.failure_reason } : {}),
  };
}
