import type { Config } from '../../platform/config.js';
import type { PaymentProvider } from './provider.js';
import { SandboxProvider } from './sandbox.provider.js';
import { StripeProvider } from './stripe.provider.js';

/** The configured providers by name: the sandbox always (offline, deterministic); Stripe when its key is set. */
export function createPaymentProviders(config: Config): Record<string, PaymentProvider> {
  const providers: Record<string, PaymentProvider> = {
    sandbox: new SandboxProvider(config.SANDBOX_WEBHOOK_SECRET),
  };
  if (config.STRIPE_SECRET_KEY) {
    providers['stripe'] = new StripeProvider({
      secretKey: config.STRIPE_SECRET_KEY,
      webhookSecret: config.STRIPE_WEBHOOK_SECRET ?? '',
      apiBase: config.STRIPE_API_BASE,
    });
  }
  return providers;
}
