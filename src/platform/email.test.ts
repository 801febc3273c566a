/**
 * Outbox delivery: the mailer talks to the SMTP server with no transaction open (the row is not locked
 * while it sends), and two senders of one email send it once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../test/support/test-app.js';
import { deliverEmail, EmailClaimedError, enqueueEmail } from './email.js';
import type { OutgoingEmail } from './mailer.js';
import { type TIMED_OUT, within } from './timeout.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const enqueue = async (to: string) => {
  const id = await enqueueEmail(t.ctx.db, { to, template: 'booking_confirmed', data: { firstName: 'Ana' } });
  if (!id) throw new Error('not enqueued');
  return id;
};

describe('deliverEmail', () => {
  it('sends with no transaction open: the row can be written while the mailer is at work', async () => {
    const id = await enqueue('no-lock@example.com');
    const probes: (string | typeof TIMED_OUT)[] = [];
    const mailer = {
      send: async (_email: OutgoingEmail) => {
        // Under a transaction holding the row, this write would wait for the commit that comes after send.
        const write = t.ctx.db
          .updateTable('email_outbox')
          .set({ last_error: 'probe' })
          .where('id', '=', id)
          .execute()
          .then(() => 'written');
        probes.push(await within(write, 2_000));
      },
    };
    expect(await deliverEmail(t.ctx.db, mailer, id)).toBe('sent');
    expect(probes).toEqual(['written']);
    const row = await t.ctx.db
      .selectFrom('email_outbox')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ status: 'sent', attempts: 1, last_error: null, claimed_at: null });
  });

  it('sends an email once when two senders deliver it at the same time', async () => {
    const id = await enqueue('twice@example.com');
    const sent: string[] = [];
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const slow = {
      send: async (email: OutgoingEmail) => {
        sent.push(email.to);
        await gate;
      },
    };
    const first = deliverEmail(t.ctx.db, slow, id);
    // The first sender has claimed the row and is sending: the second is told to come back later.
    for (let i = 0; i < 100 && sent.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    await expect(deliverEmail(t.ctx.db, slow, id)).rejects.toBeInstanceOf(EmailClaimedError);
    release();
    expect(await first).toBe('sent');
    // Once sent, any later delivery is skipped.
    expect(await deliverEmail(t.ctx.db, slow, id)).toBe('skipped');
    expect(sent).toEqual(['twice@example.com']);
  });

  it('releases the claim when sending fails, so the retry sends it', async () => {
    const id = await enqueue('retry@example.com');
    const failing = {
      send: async () => {
        throw new Error('SMTP 451 try again later');
      },
    };
    await expect(deliverEmail(t.ctx.db, failing, id)).rejects.toThrow('451');
    const pending = await t.ctx.db
      .selectFrom('email_outbox')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(pending).toMatchObject({ status: 'pending', attempts: 1, claimed_at: null });
    expect(pending.last_error).toContain('451');
    const inbox: OutgoingEmail[] = [];
    expect(await deliverEmail(t.ctx.db, { send: async (e) => void inbox.push(e) }, id)).toBe('sent');
    expect(inbox.map((e) => e.to)).toEqual(['retry@example.com']);
  });
});
