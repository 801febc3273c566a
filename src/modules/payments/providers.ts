import type { Config } from '../../platform/config.js';
import type { PaymentProvider } from '../../platform/payment-provider.js';
import { SandboxProvider } from './sandbox.provider.js';
import { StripeProvider } from './stripe.provider.js';

/** The configured providers by name: the sandbox (offline, deterministic; see below) and Stripe when its key is set. */
export function createPaymentProviders(config: Config): Record<string, PaymentProvider> {
  const providers: Record<string, PaymentProvider> = {};
  // In production the sandbox exists only when it is the chosen provider (a staging deployment):
  // otherwise its webhooks could be forged to confirm bookings nobody paid for.
  if (config.NODE_ENV !== 'production' || config.PAYMENT_PROVIDER === 'sandbox') {
    providers['sandbox'] = new SandboxProvider(config.SANDBOX_WEBHOOK_SECRET);
  }
  if (config.STRIPE_SECRET_KEY) {
    providers['stripe'] = new StripeProvider({
      secretKey: config.STRIPE_SECRET_KEY,
      webhookSecret: config.STRIPE_WEBHOOK_SECRET ?? '',
      apiBase: config.STRIPE_API_BASE,
      onboardingUrl: `${config.APP_BASE_URL ?? config.PUBLIC_URL ?? 'http://localhost:3000'}/host/payouts`,
    });
  }
  return providers;
}
