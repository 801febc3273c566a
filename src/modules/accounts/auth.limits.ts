/**
 * One rate-limit policy for sign-in attempts, whichever API they come through: REST's credential routes
 * and GraphQL's `login` / `register` count against the same limits, with the same keys (per client IP,
 * and per target email so a botnet spread over many addresses still cannot hammer one account).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../../platform/config.js';
import type { RoostApp } from '../../platform/http.js';
import { type RateLimitGuard, rateLimitGuard } from '../../platform/rate-limit.js';
import { normalizeEmail } from './auth.service.js';

export interface AuthLimits {
  /** Per client IP (route hook). */
  perIp: RateLimitGuard;
  /** Per target email, read from the JSON body's `email` (route hook). */
  perEmail: RateLimitGuard;
  /** Both limits for one credential attempt on `email` (for GraphQL mutations). */
  credentialAttempt(request: FastifyRequest, reply: FastifyReply, email: string): Promise<void>;
}

export function createAuthLimits(app: RoostApp, config: Config): AuthLimits {
  const window = config.RATE_LIMIT_AUTH_WINDOW_MS;
  const max = config.RATE_LIMIT_AUTH_MAX;
  const perIp = rateLimitGuard(app, { name: 'auth-ip', max, windowMs: window, key: (r) => r.ip });
  const perEmail = rateLimitGuard(app, {
    name: 'auth-email',
    max,
    windowMs: window,
    key: (r) => normalizeEmail(String((r.body as { email?: unknown } | undefined)?.email ?? '')),
  });
  return {
    perIp,
    perEmail,
    async credentialAttempt(request, reply, email) {
      await perIp(request, reply);
      await perEmail.forKey(request, reply, normalizeEmail(email));
    },
  };
}
