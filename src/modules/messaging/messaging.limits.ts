/**
 * How many messages one user may post per window (RATE_LIMIT_MESSAGES_MAX per
 * RATE_LIMIT_MESSAGES_WINDOW_MS), counted per user id whichever API the message comes through: REST and
 * GraphQL share the counter (in Redis when set, so every API process does too). Over the limit: 429.
 */
import type { Config } from '../../platform/config.js';
import type { RoostApp } from '../../platform/http.js';
import { type RateLimitGuard, rateLimitGuard } from '../../platform/rate-limit.js';

export function createMessageLimit(app: RoostApp, config: Config): RateLimitGuard {
  return rateLimitGuard(app, {
    name: 'messages',
    max: config.RATE_LIMIT_MESSAGES_MAX,
    windowMs: config.RATE_LIMIT_MESSAGES_WINDOW_MS,
    // Routes run it after authentication; an anonymous request never gets this far (401 first).
    key: (r) => r.actor?.userId ?? r.ip,
  });
}
