import type { Config } from '../../platform/config.js';
import type { PaymentProvider } from './provider.js';
import { SandboxProvider } from './sandbox.provider.js';

/** The configured providers by name: the sandbox always (offline, deterministic). */
export function createPaymentProviders(config: Config): Record<string, PaymentProvider> {
  const providers: Record<string, PaymentProvider> = {
    sandbox: new SandboxProvider(config.SANDBOX_WEBHOOK_SECRET),
  };
  return providers;
}
