/** Builds the real application on a fresh test database, plus helpers to act as users. */
import type { LightMyRequestResponse } from 'fastify';
import type { Redis } from 'ioredis';
import { inject } from 'vitest';
import { type AppOptions, buildApp } from '../../src/app.js';
import type { Role } from '../../src/db/schema/index.js';
import { loadConfig } from '../../src/platform/config.js';
import type { ServiceContext } from '../../src/platform/context.js';
import { deliverEmail, outboxSealingKey } from '../../src/platform/email.js';
import type { RoostApp } from '../../src/platform/http.js';
import type { OutgoingEmail } from '../../src/platform/mailer.js';
import type { JobQueue } from '../../src/platform/queue/registry.js';
import { insertUser, startSession, TEST_PASSWORD } from './factories.js';
import {
  createTestDatabase,
  shareTestDatabase,
  type TestDatabase,
  type TestDbKind,
  testDbKind,
} from './test-db.js';

export const TEST_JWT_SECRET = 'test-secret-test-secret-test-secret-0123';

export interface TestApp {
  app: RoostApp;
  ctx: ServiceContext;
  database: TestDatabase;
  close(): Promise<void>;
}

export interface TestAppOptions {
  env?: Record<string, string>;
  now?: () => Date;
  /** Run on another test app's database (with a pool of its own, like a second API process). */
  database?: TestDatabase;
  redis?: Redis;
  queue?: JobQueue;
  /** Force an engine regardless of TEST_DB (for PostgreSQL-only features such as pg_dump backups). */
  engine?: TestDbKind;
  /** The app's logger (default: none). */
  logger?: AppOptions['logger'];
}

export async function createTestApp(opts: TestAppOptions = {}): Promise<TestApp> {
  const database = opts.database
    ? await shareTestDatabase(opts.database)
    : await createTestDatabase(
        opts.engine && opts.engine !== testDbKind() ? undefined : inject('templateDatabase'),
        opts.engine,
      );
  const config = loadConfig({
    NODE_ENV: 'test',
    JWT_SECRET: TEST_JWT_SECRET,
    SANDBOX_WEBHOOK_SECRET: 'test-sandbox-webhook-secret',
    // Most tests sign in many times from one address; the rate-limit test sets its own limit.
    RATE_LIMIT_AUTH_MAX: '100000',
    RATE_LIMIT_MESSAGES_MAX: '100000',
    ...opts.env,
  });
  const { app, ctx } = await buildApp({
    config,
    database,
    logger: opts.logger ?? false,
    now: opts.now,
    redis: opts.redis,
    queue: opts.queue,
  });
  await app.ready();
  return { app, ctx, database, close: () => app.close() };
}

export interface TestUser {
  id: string;
  email: string;
  password: string;
  accessToken: string;
  refreshToken: string;
  auth: { authorization: string };
}

let seq = 0;
const freshEmail = () => `user${process.pid}.${Date.now()}.${seq++}@example.com`;

/**
 * A signed-in user with a role, made directly in the database (see factories.ts): the same rows as
 * registering through the API, then setting the role and logging in, without the two argon2 operations.
 * `auth` carries a working bearer token; `refreshToken` works with `/auth/refresh`.
 */
export async function createUser(
  t: TestApp,
  role: Role = 'guest',
  overrides: { email?: string } = {},
): Promise<TestUser> {
  const email = overrides.email ?? freshEmail();
  const { id } = await insertUser(t, { email, role, firstName: 'Test', lastName: role });
  const session = await startSession(t, id);
  return {
    id,
    email,
    password: TEST_PASSWORD,
    accessToken: session.accessToken,
    refreshToken: session.refreshToken,
    auth: { authorization: `Bearer ${session.accessToken}` },
  };
}

/** Like `createUser`, but through the API: registers, sets the role directly, then logs in. */
export async function createUserViaApi(
  t: TestApp,
  role: Role = 'guest',
  overrides: { email?: string } = {},
): Promise<TestUser> {
  const email = overrides.email ?? freshEmail();
  const password = TEST_PASSWORD;
  const reg = await t.app.inject({
    method: 'POST',
    url: '/api/v1/auth/register',
    payload: { email, password, firstName: 'Test', lastName: role },
  });
  if (reg.statusCode !== 201) throw new Error(`register failed: ${reg.statusCode} ${reg.body}`);
  const id = reg.json().id as string;
  if (role !== 'guest') await t.ctx.db.updateTable('users').set({ role }).where('id', '=', id).execute();
  const login = await t.app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { email, password },
  });
  if (login.statusCode !== 200) throw new Error(`login failed: ${login.statusCode} ${login.body}`);
  const body = login.json();
  return {
    id,
    email,
    password,
    accessToken: body.accessToken,
    refreshToken: body.refreshToken,
    auth: { authorization: `Bearer ${body.accessToken}` },
  };
}

/**
 * The newest email of a template to a recipient, as they receive it: its outbox row is sent (through
 * `deliverEmail` with the app's outbox key, into an in-memory inbox; the row is then marked sent), and
 * `link` and its `token` are read from the delivered text. The outbox itself holds no token in clear.
 */
export async function lastEmail(t: TestApp, to: string, template: string) {
  // Like an inbox, it waits a moment: some emails are written just after the response (password reset).
  const deadline = Date.now() + 5_000;
  let row: { id: string } | undefined;
  for (;;) {
    row = await t.ctx.db
      .selectFrom('email_outbox')
      .select('id')
      .where('recipient', '=', to)
      .where('template', '=', template)
      .orderBy('id', 'desc')
      .executeTakeFirst();
    if (row || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  if (!row) throw new Error(`no ${template} email to ${to}`);
  const inbox: OutgoingEmail[] = [];
  const mailer = { send: async (email: OutgoingEmail) => void inbox.push(email) };
  await deliverEmail(t.ctx.db, mailer, row.id, { key: outboxSealingKey(t.ctx.config) });
  const email = inbox[0];
  if (!email) throw new Error(`the newest ${template} email to ${to} was already sent`);
  const link = /https?:\/\/\S+/.exec(email.text)?.[0];
  const token = link ? (new URL(link).searchParams.get('token') ?? undefined) : undefined;
  return { ...email, link, token };
}

export function expectProblem(res: LightMyRequestResponse, status: number, code?: string) {
  const body = res.json();
  if (res.statusCode !== status || (code && body.code !== code)) {
    throw new Error(`expected ${status}${code ? ` ${code}` : ''}, got ${res.statusCode} ${res.body}`);
  }
  if (!String(res.headers['content-type']).startsWith('application/problem+json')) {
    throw new Error(`expected application/problem+json, got ${res.headers['content-type']}`);
  }
  return body as {
    status: number;
    code: string;
    detail: string;
    errors?: { field: string; message: string }[];
  };
}
