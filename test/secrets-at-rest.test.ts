/**
 * No secret at rest in clear: verification and reset tokens reach the user's mailbox and nowhere else.
 * A user registers, asks for a new verification link and for a password reset; the emails are
 * delivered (the file transport, as in development) and the tokens read from them are used. Before
 * delivery (sealed) and after it (erased), no column of any table of the database holds a token.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  deliverEmail,
  enqueueEmail,
  outboxSealingKey,
  SEALED_FIELD,
  SealedEmailError,
} from '../src/platform/email.js';
import { FileMailer } from '../src/platform/mailer.js';
import { createTestApp, createUser, type TestApp } from './support/test-app.js';

let t: TestApp;
const mailDir = mkdtempSync(join(tmpdir(), 'roost-mail-'));
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
  rmSync(mailDir, { recursive: true, force: true });
});

const post = (url: string, payload: object, headers: Record<string, string> = {}) =>
  t.app.inject({ method: 'POST', url: `/api/v1${url}`, payload, headers });

/**
 * Every value of every column of every table of the current database, as text (a superset of its
 * text and JSON columns), listed from information_schema: the same query shape on PostgreSQL, PGlite
 * and MySQL/MariaDB.
 */
async function everyStoredValue(): Promise<{ where: string; value: string }[]> {
  const mysql = t.ctx.dbKind === 'mysql';
  const { rows: columns } = await sql<{ table_name: string; column_name: string; data_type: string }>`
    select c.table_name as table_name, c.column_name as column_name, c.data_type as data_type
    from information_schema.columns c
    join information_schema.tables tb on tb.table_schema = c.table_schema and tb.table_name = c.table_name
    where tb.table_type = 'BASE TABLE'
      and ${mysql ? sql`c.table_schema = database()` : sql`c.table_schema = current_schema()`}
    order by c.table_name, c.ordinal_position`.execute(t.ctx.db);
  const byTable = new Map<string, { name: string; spatial: boolean }[]>();
  for (const c of columns) {
    // MySQL/MariaDB cannot cast a spatial value to text: it is read as its WKT instead.
    const column = { name: c.column_name, spatial: mysql && /^(point|geometry)$/i.test(c.data_type) };
    byTable.set(c.table_name, [...(byTable.get(c.table_name) ?? []), column]);
  }
  expect(byTable.has('email_outbox')).toBe(true);
  expect(byTable.has('user_tokens')).toBe(true);
  const values: { where: string; value: string }[] = [];
  for (const [table, cols] of byTable) {
    const asText = cols.map(({ name, spatial }) =>
      spatial
        ? sql`ST_AsText(${sql.ref(name)}) as ${sql.ref(name)}`
        : sql`cast(${sql.ref(name)} as ${sql.raw(mysql ? 'char' : 'text')}) as ${sql.ref(name)}`,
    );
    const { rows } = await sql<
      Record<string, string | null>
    >`select ${sql.join(asText)} from ${sql.table(table)}`.execute(t.ctx.db);
    for (const row of rows) {
      for (const [column, value] of Object.entries(row)) {
        if (value !== null) values.push({ where: `${table}.${column}`, value: String(value) });
      }
    }
  }
  return values;
}

const holding = (values: { where: string; value: string }[], needle: string) =>
  values.filter((v) => v.value.includes(needle)).map((v) => v.where);

/** The delivered email files, by outbox id. */
function mailbox(): Map<string, { to: string; subject: string; text: string; html: string }> {
  const files = readdirSync(mailDir).filter((f) => f.endsWith('.json'));
  for (const f of files) expect(statSync(join(mailDir, f)).mode & 0o077).toBe(0);
  return new Map(
    files.map((f) => [f.replace(/\.json$/, ''), JSON.parse(readFileSync(join(mailDir, f), 'utf8'))]),
  );
}

const tokenOf = (text: string) => {
  const link = /https?:\/\/\S+/.exec(text)?.[0];
  const token = link && new URL(link).searchParams.get('token');
  if (!link || !token) throw new Error(`no link with a token in: ${text}`);
  return { link, token };
};

describe('secrets at rest', () => {
  it('keeps verification and reset tokens out of every table, before and after sending', async () => {
    const user = await createUser(t); // registration: the first verification email
    expect((await post('/auth/verify-email/resend', {}, user.auth)).statusCode).toBe(202);
    expect((await post('/auth/password-reset/request', { email: user.email })).statusCode).toBe(202);

    // The reset email is written just after the response (so its timing tells nothing): wait for it.
    const emails = () =>
      t.ctx.db
        .selectFrom('email_outbox')
        .selectAll()
        .where('recipient', '=', user.email)
        .orderBy('id')
        .execute();
    let outbox = await emails();
    for (const deadline = Date.now() + 5_000; outbox.length < 3 && Date.now() < deadline; ) {
      await new Promise((r) => setTimeout(r, 20));
      outbox = await emails();
    }
    expect(outbox.map((r) => r.template)).toEqual(['verify_email', 'verify_email', 'password_reset']);
    for (const row of outbox) {
      const payload = row.payload as Record<string, unknown>;
      expect(row.status).toBe('pending');
      expect(payload).not.toHaveProperty('token');
      expect(payload).not.toHaveProperty('link');
      expect(payload[SEALED_FIELD]).toMatch(/^v1\.[\w-]+\.[\w-]+\.[\w-]+\.[\w-]+$/);
    }
    const beforeSending = await everyStoredValue();

    const key = outboxSealingKey(t.ctx.config);
    const mailer = new FileMailer(mailDir);
    for (const row of outbox) expect(await deliverEmail(t.ctx.db, mailer, row.id, { key })).toBe('sent');
    const delivered = mailbox();
    const [firstVerify, verify, reset] = outbox.map((row) => {
      const mail = delivered.get(row.id);
      if (!mail) throw new Error(`email ${row.id} was not delivered`);
      expect(mail.to).toBe(user.email);
      const { link, token } = tokenOf(mail.text);
      expect(mail.html).toContain(link);
      return { link, token };
    }) as [{ link: string; token: string }, { link: string; token: string }, { link: string; token: string }];
    expect(new Set([firstVerify.token, verify.token, reset.token]).size).toBe(3);
    expect(verify.link).toContain('/verify-email?token=');
    expect(reset.link).toContain('/api/v1/auth/password-reset?token=');

    // The tokens work, as a user uses them: the newest verification link (the resend voided the first)…
    expect((await post('/auth/verify-email', { token: firstVerify.token })).statusCode).toBe(400);
    const verified = await post('/auth/verify-email', { token: verify.token });
    expect(verified.statusCode).toBe(200);
    expect(verified.json().emailVerified).toBe(true);
    // …and the reset link.
    const newPassword = 'after-the-reset-9';
    expect(
      (await post('/auth/password-reset/confirm', { token: reset.token, password: newPassword })).statusCode,
    ).toBe(204);
    expect((await post('/auth/login', { email: user.email, password: newPassword })).statusCode).toBe(200);

    // Send what is left (the "password changed" notice), then look everywhere again.
    for (const { id } of await t.ctx.db
      .selectFrom('email_outbox')
      .select('id')
      .where('status', '=', 'pending')
      .execute()) {
      await deliverEmail(t.ctx.db, mailer, id, { key });
    }
    const afterSending = await everyStoredValue();

    // The scan sees the data (the address is stored; each token's SHA-256 is, the token never is).
    expect(holding(beforeSending, user.email)).toContain('users.email');
    expect(holding(beforeSending, SEALED_FIELD)).toEqual([
      'email_outbox.payload',
      'email_outbox.payload',
      'email_outbox.payload',
    ]);
    for (const { token } of [firstVerify, verify, reset]) {
      expect(holding(afterSending, createHash('sha256').update(token).digest('hex'))).toEqual([
        'user_tokens.token_hash',
      ]);
    }
    for (const { link, token } of [firstVerify, verify, reset]) {
      for (const [moment, values] of [
        ['before sending', beforeSending],
        ['after sending', afterSending],
      ] as const) {
        expect({ moment, token: holding(values, token), link: holding(values, link) }).toEqual({
          moment,
          token: [],
          link: [],
        });
      }
    }
    // Once sent, not even the ciphertext stays.
    expect(holding(afterSending, SEALED_FIELD)).toEqual([]);
    const rows = await t.ctx.db.selectFrom('email_outbox').select(['status', 'payload']).execute();
    expect(rows.every((r) => r.status === 'sent')).toBe(true);
    expect(rows.filter((r) => r.payload && SEALED_FIELD in r.payload)).toEqual([]);
  });

  it('fails clearly, without leaking, when the sealed part cannot be opened', async () => {
    const canary = 'canary-token-0123456789abcdefghijklmnopqrstuvwx';
    const key = outboxSealingKey(t.ctx.config);
    const sealedUnder = async (k: typeof key, to: string) =>
      (await enqueueEmail(
        t.ctx.db,
        {
          to,
          template: 'password_reset',
          data: { firstName: 'Eve', expiresInMinutes: 60 },
          sealed: { token: canary, link: `http://localhost:3000/reset-password?token=${canary}` },
        },
        { key: k },
      ))!;
    const logged: Record<string, unknown>[] = [];
    const log = (entry: Record<string, unknown>) => void logged.push(entry);
    const mailer = new FileMailer(mailDir);
    const before = readdirSync(mailDir).length;

    // Written under a JWT_SECRET that has since changed (or one the worker does not share).
    const oldKey = outboxSealingKey({ JWT_SECRET: 'the-previous-secret-the-previous-secret' });
    const stale = await sealedUnder(oldKey, 'stale@example.com');
    // Moved to another recipient in the database: the sealed part belongs to its row.
    const moved = await sealedUnder(key, 'victim@example.com');
    await t.ctx.db
      .updateTable('email_outbox')
      .set({ recipient: 'attacker@example.com' })
      .where('id', '=', moved)
      .execute();
    // No key at all.
    const keyless = await sealedUnder(key, 'keyless@example.com');

    const attempts: [string, Parameters<typeof deliverEmail>[3], string][] = [
      [stale, { key, log }, 'other_key'],
      [moved, { key, log }, 'corrupt'],
      [keyless, { log }, 'no_key'],
    ];
    for (const [id, opts, reason] of attempts) {
      const error = await deliverEmail(t.ctx.db, mailer, id, opts).catch((err: unknown) => err);
      expect(error).toBeInstanceOf(SealedEmailError);
      expect((error as Error).message).toMatch(/cannot be sent: its sealed fields cannot be opened/);
      expect((error as Error).message).toMatch(/JWT_SECRET/);
      expect(logged.at(-1)).toMatchObject({
        level: 'error',
        outboxId: id,
        template: 'password_reset',
        reason,
      });
      const row = await t.ctx.db
        .selectFrom('email_outbox')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      expect(row).toMatchObject({ status: 'pending', attempts: 1, last_error: (error as Error).message });
    }
    expect(readdirSync(mailDir).length).toBe(before); // nothing was sent
    expect(JSON.stringify(logged)).not.toContain(canary);
    expect(holding(await everyStoredValue(), canary)).toEqual([]);
  });
});
