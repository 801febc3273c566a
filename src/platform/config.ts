/**
 * Configuration from environment variables, validated once at start-up.
 * Every variable is documented in the README's configuration table.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { type Static, Type } from 'typebox';
import { Value } from 'typebox/value';
import { loadGeneratedSecrets, SECRETS_FILE, SecretsFileError } from './secrets.js';

const LogLevel = Type.Enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
  default: 'info',
});

export const ConfigSchema = Type.Object({
  NODE_ENV: Type.Enum(['development', 'production', 'test'], { default: 'development' }),
  HOST: Type.String({ default: '0.0.0.0', minLength: 1 }),
  PORT: Type.Integer({ default: 3000, minimum: 0, maximum: 65535 }),
  LOG_LEVEL: LogLevel,
  /** postgres://… selects PostgreSQL; unset selects embedded PGlite. */
  DATABASE_URL: Type.Optional(Type.String({ pattern: '^(postgres|postgresql|mysql|mariadb)://' })),
  DATABASE_POOL_MAX: Type.Integer({ default: 10, minimum: 1, maximum: 500 }),
  /** Statements of the API and the worker running longer than this are cancelled (0: no limit). */
  DATABASE_STATEMENT_TIMEOUT_MS: Type.Integer({ default: 15_000, minimum: 0, maximum: 3_600_000 }),
  /** Comma-separated postgres:// URLs of streaming replicas that take public reads. */
  DATABASE_READ_URL: Type.Optional(Type.String({ minLength: 1 })),
  /** After a change, the user's reads go to the primary for this long (read-your-writes; 0: off). */
  DATABASE_READ_STICKY_MS: Type.Integer({ default: 5_000, minimum: 0, maximum: 600_000 }),
  /** A replica further behind the primary than this takes no reads until it catches up. */
  DATABASE_READ_MAX_LAG_MS: Type.Integer({ default: 2_000, minimum: 100, maximum: 600_000 }),
  /** How often each replica's lag is measured. */
  DATABASE_READ_CHECK_MS: Type.Integer({ default: 1_000, minimum: 50, maximum: 60_000 }),
  /** Directory for embedded PGlite data; the literal `memory` keeps it in memory. */
  PGLITE_DATA_DIR: Type.String({ default: './data/pglite', minLength: 1 }),
  /** Where secrets left unset outside production are generated once and kept (`secrets.json`). */
  DATA_DIR: Type.String({ default: './data', minLength: 1 }),
  REDIS_URL: Type.Optional(Type.String({ pattern: '^rediss?://' })),
  JWT_SECRET: Type.Optional(Type.String({ minLength: 32 })),
  JWT_ISSUER: Type.String({ default: 'roost' }),
  ACCESS_TOKEN_TTL_SECONDS: Type.Integer({ default: 900, minimum: 30, maximum: 86_400 }),
  /** How long the per-request session check may answer from its cache (0: ask the database every time). */
  SESSION_CACHE_SECONDS: Type.Integer({ default: 30, minimum: 0, maximum: 300 }),
  REFRESH_TOKEN_TTL_DAYS: Type.Integer({ default: 30, minimum: 1, maximum: 365 }),
  /** How long an operator console (/admin) sign-in lasts, in hours. */
  ADMIN_SESSION_HOURS: Type.Integer({ default: 8, minimum: 1, maximum: 168 }),
  EMAIL_TOKEN_TTL_HOURS: Type.Integer({ default: 24, minimum: 1, maximum: 720 }),
  PASSWORD_RESET_TTL_MINUTES: Type.Integer({ default: 60, minimum: 5, maximum: 1440 }),
  /** The API's own address as clients reach it (default `http://localhost:PORT`): links in emails. */
  PUBLIC_URL: Type.Optional(Type.String({ pattern: '^https?://[^\\s{}]+$', maxLength: 2000 })),
  /**
   * The web app's address (no default). When set and the link templates below are not, email links
   * go to `APP_BASE_URL/verify-email?token=…` and `APP_BASE_URL/reset-password?token=…`.
   */
  APP_BASE_URL: Type.Optional(Type.String({ pattern: '^https?://[^\\s{}]+$', maxLength: 2000 })),
  /** Link in the verification email; `{token}` is replaced (default: the API's own GET link). */
  VERIFY_EMAIL_URL: Type.Optional(Type.String({ pattern: '^https?://[^\\s]*\\{token\\}', maxLength: 2000 })),
  /** Link in the password-reset email; `{token}` is replaced (default: the API's instructions page). */
  RESET_PASSWORD_URL: Type.Optional(
    Type.String({ pattern: '^https?://[^\\s]*\\{token\\}', maxLength: 2000 }),
  ),
  /** Comma-separated allowed origins, or `*`. Empty disables CORS. */
  CORS_ORIGINS: Type.String({ default: '' }),
  BODY_LIMIT_BYTES: Type.Integer({ default: 1_048_576, minimum: 1024 }),
  RATE_LIMIT_AUTH_MAX: Type.Integer({ default: 10, minimum: 1 }),
  RATE_LIMIT_AUTH_WINDOW_MS: Type.Integer({ default: 60_000, minimum: 1000 }),
  TRUST_PROXY: Type.Boolean({ default: false }),
  /** Guest service fee, in basis points of the accommodation (nights after discount, extra guests, cleaning; 1200 = 12%). */
  SERVICE_FEE_BPS: Type.Integer({ default: 1200, minimum: 0, maximum: 5000 }),
  /** Host service fee, in basis points of the accommodation, deducted from the host's payout (300 = 3%). */
  HOST_SERVICE_FEE_BPS: Type.Integer({ default: 0, minimum: 0, maximum: 5000 }),
  /** The default tax, in basis points of the accommodation, for listings in a country with no row in `tax_rates`. */
  TAX_BPS: Type.Integer({ default: 0, minimum: 0, maximum: 5000 }),
  /** The platform's name on receipts and payout statements. */
  PLATFORM_NAME: Type.String({ default: 'Roost', minLength: 1, maxLength: 100 }),
  /** The platform's legal name and postal address on receipts (the default is a development placeholder). */
  PLATFORM_ADDRESS: Type.String({
    default: 'Roost Marketplace Ltd, 1 Example Street, Lisbon, Portugal',
    minLength: 1,
    maxLength: 300,
  }),
  /** The platform's tax (VAT) number on receipts; unset: not shown. */
  PLATFORM_TAX_ID: Type.Optional(Type.String({ minLength: 1, maxLength: 50 })),
  /** Where receipts tell guests and hosts to write with questions. */
  PLATFORM_SUPPORT_EMAIL: Type.String({
    default: 'support@roost.dev',
    pattern: '^[^\\s@]+@[^\\s@]+$',
    maxLength: 254,
  }),
  /** How long an unpaid booking holds its nights. */
  BOOKING_HOLD_MINUTES: Type.Integer({ default: 15, minimum: 1, maximum: 1440 }),
  /**
   * Hours a host has to answer a paid request to book before it expires, refunded in full; also how long a
   * host's pre-approval stays usable. Fractions allowed (0.5 = 30 minutes).
   */
  BOOKING_REQUEST_HOURS: Type.Number({ default: 24, minimum: 0.01, maximum: 720 }),
  /** At most one "new message" email per conversation and recipient within this many minutes. */
  MESSAGE_EMAIL_BATCH_MINUTES: Type.Integer({ default: 15, minimum: 0, maximum: 1440 }),
  /** Messages one user may post per window (both APIs count together). */
  RATE_LIMIT_MESSAGES_MAX: Type.Integer({ default: 30, minimum: 1 }),
  RATE_LIMIT_MESSAGES_WINDOW_MS: Type.Integer({ default: 60_000, minimum: 1000 }),
  /** Days after check-out during which a guest may review a stay. */
  REVIEW_WINDOW_DAYS: Type.Integer({ default: 14, minimum: 1, maximum: 365 }),
  /** Hours after writing during which a review may be edited. */
  REVIEW_EDIT_HOURS: Type.Integer({ default: 48, minimum: 0, maximum: 720 }),
  /** GraphQL introspection (default: on outside production). */
  GRAPHQL_INTROSPECTION: Type.Optional(Type.Boolean()),
  /** Deepest GraphQL query accepted. */
  GRAPHQL_MAX_DEPTH: Type.Integer({ default: 8, minimum: 2, maximum: 30 }),
  /** Costliest GraphQL query accepted: fields × the page sizes they are selected under, aliases included. */
  GRAPHQL_MAX_COST: Type.Integer({ default: 5000, minimum: 10, maximum: 1_000_000 }),
  /** Longest GraphQL document accepted, in characters. */
  GRAPHQL_MAX_QUERY_CHARS: Type.Integer({ default: 20_000, minimum: 100, maximum: 1_000_000 }),
  /** SMTP connection (smtp://user:pass@host:587); unset writes emails as files under MAIL_DIR. */
  SMTP_URL: Type.Optional(Type.String({ pattern: '^smtps?://' })),
  MAIL_FROM: Type.String({ default: 'Roost <no-reply@roost.dev>' }),
  MAIL_DIR: Type.String({ default: './data/mail', minLength: 1 }),
  /** Redis key prefix of the job queue. */
  QUEUE_PREFIX: Type.String({ default: 'roost', pattern: '^[A-Za-z0-9:_-]+$' }),
  /** Run the job worker inside the API process (always on when REDIS_URL is unset). */
  RUN_WORKER_IN_API: Type.Boolean({ default: false }),
  /** Port of the worker's Prometheus endpoint (GET /metrics); 0 turns it off. */
  WORKER_METRICS_PORT: Type.Integer({ default: 9465, minimum: 0, maximum: 65535 }),
  /** Interface the worker's metrics endpoint listens on (default: HOST). */
  WORKER_METRICS_HOST: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
  /** Open real-time streams (SSE streams and GraphQL subscription sockets) per user, per API process. */
  EVENTS_MAX_STREAMS_PER_USER: Type.Integer({ default: 5, minimum: 1, maximum: 100 }),
  /** How often an open real-time stream re-checks that its session is still signed in. */
  EVENTS_SESSION_CHECK_SECONDS: Type.Integer({ default: 30, minimum: 1, maximum: 3600 }),
  /** Cache TTL of listing detail and search pages (0 disables the cache). */
  CACHE_TTL_SECONDS: Type.Integer({ default: 60, minimum: 0, maximum: 86_400 }),
  /** Where the local-disk file store keeps uploaded photos. */
  UPLOADS_DIR: Type.String({ default: './data/uploads', minLength: 1 }),
  /** Largest accepted photo upload. */
  PHOTO_MAX_BYTES: Type.Integer({ default: 10_485_760, minimum: 1024 }),
  /** Provider used for new payments: `sandbox` (built in) or `stripe`. */
  PAYMENT_PROVIDER: Type.Enum(['sandbox', 'stripe'], { default: 'sandbox' }),
  /** HMAC secret of sandbox webhooks (unset outside production: generated, see GENERATED_SECRETS). */
  SANDBOX_WEBHOOK_SECRET: Type.Optional(Type.String({ minLength: 16 })),
  STRIPE_SECRET_KEY: Type.Optional(Type.String({ pattern: '^(sk|rk)_' })),
  STRIPE_WEBHOOK_SECRET: Type.Optional(Type.String({ pattern: '^whsec_' })),
  /**
   * How long a payment-provider call may take before its outcome counts as unknown: a charge stays
   * processing, a refund stays pending, and the reconcile jobs finish them (same idempotency key).
   */
  PAYMENT_PROVIDER_TIMEOUT_MS: Type.Integer({ default: 10_000, minimum: 100, maximum: 120_000 }),
  /** A confirmed stay's payout is released this long after its check-in instant (the release-payouts job). */
  PAYOUT_DELAY_HOURS: Type.Number({ default: 24, minimum: 0, maximum: 2160 }),
  /** Transfer attempts of a payout before it is failed for good (its ledger posting reversed, shown to admins). */
  PAYOUT_MAX_ATTEMPTS: Type.Integer({ default: 5, minimum: 1, maximum: 100 }),
  /**
   * A payout the provider answered `pending` for and that no webhook settled within this many minutes is
   * asked about directly and settled like the webhook would (the reconcile-payouts job).
   */
  PAYOUT_RECONCILE_MINUTES: Type.Integer({ default: 30, minimum: 1, maximum: 10_080 }),
  /** Only for tests against a local stub of the Stripe API. */
  STRIPE_API_BASE: Type.Optional(Type.String({ pattern: '^https?://' })),
  /** Run pending migrations at start-up (always on in embedded mode). */
  MIGRATE_ON_START: Type.Boolean({ default: false }),
  /**
   * Demo content at start-up (src/flows/demo-world.ts): `auto` makes it into an empty embedded (PGlite)
   * database in development; `on` into any database that does not have it yet; `off` never.
   */
  DEMO_DATA: Type.Enum(['auto', 'on', 'off'], { default: 'auto' }),
});

export type Config = Static<typeof ConfigSchema> & {
  JWT_SECRET: string;
  SANDBOX_WEBHOOK_SECRET: string;
  /** Resolved: as set, or `http://localhost:PORT`. */
  PUBLIC_URL: string;
  /** Resolved link templates, each with a `{token}` placeholder. */
  VERIFY_EMAIL_URL: string;
  RESET_PASSWORD_URL: string;
};

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Secrets that, left unset outside production, are generated once and kept in DATA_DIR/secrets.json. */
export const GENERATED_SECRETS = ['JWT_SECRET', 'SANDBOX_WEBHOOK_SECRET'] as const;

/**
 * Parse and validate configuration. Unknown variables are ignored; a bad value
 * throws a ConfigError naming the variable and what was expected.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(ConfigSchema.properties)) {
    const value = env[key];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  const withDefaults = Value.Default(ConfigSchema, raw);
  const converted = Value.Convert(ConfigSchema, withDefaults);
  if (!Value.Check(ConfigSchema, converted)) {
    const problems = Value.Errors(ConfigSchema, converted).map((e) => {
      const name =
        e.instancePath.replace(/^\//, '') ||
        String((e.params as { requiredProperties?: string[] }).requiredProperties ?? '');
      return `${name}: ${e.message} (got ${shown(name, raw[name])})`;
    });
    throw new ConfigError(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  const config = converted as Static<typeof ConfigSchema>;
  if (config.NODE_ENV === 'production' && !config.JWT_SECRET) {
    // Replicas must share it, so it is never generated in production.
    throw new ConfigError(
      'Invalid configuration:\n  JWT_SECRET: required in production (at least 32 characters)',
    );
  }
  if (
    config.NODE_ENV === 'production' &&
    config.PAYMENT_PROVIDER === 'sandbox' &&
    !config.SANDBOX_WEBHOOK_SECRET
  ) {
    throw new ConfigError(
      'Invalid configuration:\n  SANDBOX_WEBHOOK_SECRET: set your own secret to use the sandbox provider in production',
    );
  }
  if (config.NODE_ENV === 'production' && config.DEMO_DATA === 'on') {
    throw new ConfigError(
      'Invalid configuration:\n  DEMO_DATA: demo content is never made in production (on)',
    );
  }
  if (config.DATABASE_READ_URL !== undefined) checkReadReplicas(config);
  if (config.PAYMENT_PROVIDER === 'stripe' && (!config.STRIPE_SECRET_KEY || !config.STRIPE_WEBHOOK_SECRET)) {
    throw new ConfigError(
      'Invalid configuration:\n  PAYMENT_PROVIDER: stripe needs STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET',
    );
  }
  return { ...config, ...secretsOf(config), ...emailLinks(config) };
}

/**
 * Where the links in emails point. Without a web app, at the API itself: `GET /api/v1/auth/verify-email`
 * verifies and says so, `GET /api/v1/auth/password-reset` explains the reset call. With APP_BASE_URL,
 * at the web app's pages; each template can also be set outright.
 */
function emailLinks(config: Static<typeof ConfigSchema>) {
  const api = (config.PUBLIC_URL ?? `http://localhost:${config.PORT}`).replace(/\/+$/, '');
  const app = config.APP_BASE_URL?.replace(/\/+$/, '');
  return {
    PUBLIC_URL: api,
    VERIFY_EMAIL_URL:
      config.VERIFY_EMAIL_URL ??
      (app ? `${app}/verify-email?token={token}` : `${api}/api/v1/auth/verify-email?token={token}`),
    RESET_PASSWORD_URL:
      config.RESET_PASSWORD_URL ??
      (app ? `${app}/reset-password?token={token}` : `${api}/api/v1/auth/password-reset?token={token}`),
  };
}

/** DATABASE_READ_URL: PostgreSQL replicas of a PostgreSQL primary, and a sticky window that covers their lag. */
function checkReadReplicas(config: Static<typeof ConfigSchema>) {
  const fail = (problem: string) => {
    throw new ConfigError(`Invalid configuration:\n  ${problem}`);
  };
  const urls = (config.DATABASE_READ_URL ?? '')
    .split(',')
    .map((u) => u.trim())
    .filter(Boolean);
  if (urls.length === 0 || urls.some((u) => !/^postgres(ql)?:\/\/[^\s]+$/.test(u))) {
    fail('DATABASE_READ_URL: must be one or more postgres:// URLs, separated by commas');
  }
  if (!config.DATABASE_URL) {
    fail(
      'DATABASE_READ_URL: read replicas need DATABASE_URL to be PostgreSQL (embedded PGlite has no replicas)',
    );
  }
  if (!/^postgres(ql)?:\/\//.test(config.DATABASE_URL ?? '')) {
    fail('DATABASE_READ_URL: read replicas are supported on PostgreSQL only, not on MySQL/MariaDB');
  }
  const covered = config.DATABASE_READ_MAX_LAG_MS + config.DATABASE_READ_CHECK_MS;
  if (config.DATABASE_READ_STICKY_MS > 0 && config.DATABASE_READ_STICKY_MS < covered) {
    fail(
      `DATABASE_READ_STICKY_MS: must be at least DATABASE_READ_MAX_LAG_MS + DATABASE_READ_CHECK_MS (${covered}): ` +
        'a replica may be that far behind before it is set aside (0 turns read-your-writes off)',
    );
  }
}

/**
 * JWT_SECRET and SANDBOX_WEBHOOK_SECRET as set, or else (outside production) generated once and kept in
 * DATA_DIR/secrets.json. In production nothing is written: JWT_SECRET is required (checked above), and an
 * unset sandbox secret means the sandbox is not registered at all, so a throwaway random value fills it.
 */
function secretsOf(config: Static<typeof ConfigSchema>): Pick<Config, (typeof GENERATED_SECRETS)[number]> {
  const { JWT_SECRET, SANDBOX_WEBHOOK_SECRET } = config;
  if (JWT_SECRET && SANDBOX_WEBHOOK_SECRET) return { JWT_SECRET, SANDBOX_WEBHOOK_SECRET };
  if (config.NODE_ENV === 'production') {
    return { JWT_SECRET: JWT_SECRET!, SANDBOX_WEBHOOK_SECRET: randomBytes(32).toString('base64url') };
  }
  let kept: Record<(typeof GENERATED_SECRETS)[number], string>;
  try {
    kept = loadGeneratedSecrets(config.DATA_DIR, GENERATED_SECRETS);
  } catch (err) {
    const problem =
      err instanceof SecretsFileError
        ? err.message
        : `cannot keep generated secrets in ${join(config.DATA_DIR, SECRETS_FILE)} (${(err as NodeJS.ErrnoException).code ?? 'error'}): make it writable`;
    throw new ConfigError(
      `Invalid configuration:\n  DATA_DIR: ${problem}; or set JWT_SECRET and SANDBOX_WEBHOOK_SECRET`,
    );
  }
  return {
    JWT_SECRET: JWT_SECRET ?? kept.JWT_SECRET,
    SANDBOX_WEBHOOK_SECRET: SANDBOX_WEBHOOK_SECRET ?? kept.SANDBOX_WEBHOOK_SECRET,
  };
}

/** Values of secrets and connection strings (which may embed passwords) are never echoed. */
function shown(name: string, value: unknown): string {
  if (/SECRET|URL|PASSWORD|KEY/.test(name)) return '(hidden)';
  return JSON.stringify(value ?? null);
}
