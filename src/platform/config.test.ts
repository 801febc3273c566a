import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

describe('configuration', () => {
  it('applies defaults and converts types', () => {
    const c = loadConfig({ PORT: '8080', TRUST_PROXY: 'true' });
    expect(c.PORT).toBe(8080);
    expect(c.TRUST_PROXY).toBe(true);
    expect(c.DATABASE_URL).toBeUndefined();
    expect(c.ACCESS_TOKEN_TTL_SECONDS).toBe(900);
    expect(c.REFRESH_TOKEN_TTL_DAYS).toBe(30);
    expect(c.JWT_SECRET.length).toBeGreaterThanOrEqual(32);
  });

  it('names every bad variable without echoing secrets', () => {
    let error: unknown;
    try {
      loadConfig({
        PORT: 'eighty',
        DATABASE_URL: 'oracle://root:hunter2@db/x',
        LOG_LEVEL: 'loud',
        JWT_SECRET: 'hunter2',
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toContain('PORT');
    expect(message).toContain('DATABASE_URL');
    expect(message).toContain('LOG_LEVEL');
    expect(message).toContain('JWT_SECRET');
    expect(message).not.toContain('hunter2');
  });

  it('refuses the public sandbox webhook secret in production', () => {
    const prod = { NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32) };
    expect(() => loadConfig(prod)).toThrow(/SANDBOX_WEBHOOK_SECRET/);
    expect(loadConfig({ ...prod, SANDBOX_WEBHOOK_SECRET: 'a-private-secret-123' }).PAYMENT_PROVIDER).toBe(
      'sandbox',
    );
    expect(() => loadConfig({ ...prod, PAYMENT_PROVIDER: 'stripe' })).toThrow(/STRIPE_SECRET_KEY/);
  });

  it('requires a real JWT secret in production', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/JWT_SECRET: required in production/);
    const ok = {
      NODE_ENV: 'production',
      JWT_SECRET: 'x'.repeat(32),
      SANDBOX_WEBHOOK_SECRET: 'a-private-secret-123',
    };
    expect(loadConfig(ok).JWT_SECRET).toBe('x'.repeat(32));
  });
});
