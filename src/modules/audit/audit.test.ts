/**
 * The audit log itself: the database refuses to change or remove a row (whoever asks, with raw SQL),
 * a retried transaction leaves exactly one row, the admin API reads it with filters and keyset pages,
 * and reading it is itself recorded.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestApp,
  createUser,
  expectProblem,
  type TestApp,
  type TestUser,
} from '../../../test/support/test-app.js';
import { inTransaction } from '../../db/transaction.js';
import { hasAuditRow, recordAdminAction } from '../../platform/audit.js';
import type { Actor } from '../../platform/auth.js';

let t: TestApp;
let admin: TestUser;
let guest: TestUser;

beforeAll(async () => {
  t = await createTestApp();
  admin = await createUser(t, 'admin');
  guest = await createUser(t);
});
afterAll(() => t?.close());

const actorOf = (u: TestUser, requestId: string): Actor => ({
  userId: u.id,
  role: 'admin',
  sessionId: u.id,
  origin: { requestId, ip: '203.0.113.9' },
});

async function rowsFor(requestId: string) {
  return t.ctx.db.selectFrom('audit_log').selectAll().where('request_id', '=', requestId).execute();
}

describe('the audit log', () => {
  it('is append-only in the database: UPDATE, DELETE (and TRUNCATE) are refused, the row is unchanged', async () => {
    const actor = actorOf(admin, 'append-only-1');
    await recordAdminAction(t.ctx, t.ctx.db, actor, {
      action: 'user.suspend',
      objectType: 'user',
      objectId: guest.id,
      before: { suspended: false },
      after: { suspended: true },
      reason: 'fraud',
    });
    const [row] = await rowsFor('append-only-1');
    expect(row).toMatchObject({
      action: 'user.suspend',
      actor_id: admin.id,
      ip: '203.0.113.9',
      reason: 'fraud',
    });

    await expect(
      sql`update audit_log set reason = ${'edited'} where id = ${row!.id}`.execute(t.ctx.db),
    ).rejects.toThrow(/append-only/);
    await expect(sql`delete from audit_log where id = ${row!.id}`.execute(t.ctx.db)).rejects.toThrow(
      /append-only/,
    );
    await expect(sql`delete from audit_log`.execute(t.ctx.db)).rejects.toThrow(/append-only/);
    if (t.ctx.dbKind !== 'mysql') {
      await expect(sql`truncate audit_log`.execute(t.ctx.db)).rejects.toThrow(/append-only/);
    }
    const after = await rowsFor('append-only-1');
    expect(after).toHaveLength(1);
    expect(after[0]!.reason).toBe('fraud');
    expect(
      await t.ctx.db
        .selectFrom('audit_log')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow(),
    ).not.toEqual({ n: 0 });
  });

  it('writes one row per request: a retried transaction rewrites it once, a second call in the request adds none', async () => {
    const actor = actorOf(admin, 'retry-1');
    let attempt = 0;
    await inTransaction(t.ctx.db, async (trx) => {
      attempt++;
      await recordAdminAction(t.ctx, trx, actor, {
        action: 'listing.unlist',
        objectType: 'listing',
        objectId: 'l-1',
      });
      await recordAdminAction(t.ctx, trx, actor, {
        action: 'listing.unlist',
        objectType: 'listing',
        objectId: 'l-1',
      });
      // The first attempt is aborted as if the database had broken a deadlock: the row goes with it.
      if (attempt === 1) throw Object.assign(new Error('deadlock detected'), { code: '40P01', errno: 1213 });
    });
    expect(attempt).toBe(2);
    expect(hasAuditRow(actor)).toBe(true);
    // Later in the same request (another audited service): no second row.
    await recordAdminAction(t.ctx, t.ctx.db, actor, {
      action: 'listing.relist',
      objectType: 'listing',
      objectId: 'l-1',
    });
    const rows = await rowsFor('retry-1');
    expect(rows.map((r) => r.action)).toEqual(['listing.unlist']);

    // A transaction that fails for good leaves no row and no mark.
    const failed = actorOf(admin, 'failed-1');
    await expect(
      inTransaction(t.ctx.db, async (trx) => {
        await recordAdminAction(t.ctx, trx, failed, {
          action: 'user.role',
          objectType: 'user',
          objectId: guest.id,
        });
        throw new Error('validation failed after the row');
      }),
    ).rejects.toThrow(/validation failed/);
    expect(hasAuditRow(failed)).toBe(false);
    expect(await rowsFor('failed-1')).toHaveLength(0);
  });

  it('is read by admins only, filtered and keyset-paged, and the read is itself a row', async () => {
    for (const [i, action] of ['review.hide', 'review.unhide', 'review.hide'].entries()) {
      await recordAdminAction(t.ctx, t.ctx.db, actorOf(admin, `page-${i}`), {
        action,
        objectType: 'review',
        objectId: 'rev-page-test',
        reason: `r${i}`,
      });
    }
    expectProblem(
      await t.app.inject({ method: 'GET', url: '/api/v1/admin/audit', headers: guest.auth }),
      403,
    );
    expectProblem(await t.app.inject({ method: 'GET', url: '/api/v1/admin/audit' }), 401);
    expectProblem(
      await t.app.inject({
        method: 'GET',
        url: '/api/v1/admin/audit?action=DROP%20TABLE',
        headers: admin.auth,
      }),
      400,
    );

    const first = await t.app.inject({
      method: 'GET',
      url: '/api/v1/admin/audit?objectType=review&objectId=rev-page-test&limit=2',
      headers: admin.auth,
    });
    expect(first.statusCode).toBe(200);
    const page1 = first.json();
    expect(page1.items.map((r: { reason: string }) => r.reason)).toEqual(['r2', 'r1']);
    expect(page1.nextCursor).toEqual(expect.any(String));
    const second = await t.app.inject({
      method: 'GET',
      url: `/api/v1/admin/audit?objectType=review&objectId=rev-page-test&limit=2&cursor=${page1.nextCursor}`,
      headers: admin.auth,
    });
    expect(second.json()).toMatchObject({
      items: [{ reason: 'r0', action: 'review.hide' }],
      nextCursor: null,
    });

    const hides = await t.app.inject({
      method: 'GET',
      url: '/api/v1/admin/audit?objectId=rev-page-test&action=review.hide',
      headers: admin.auth,
    });
    expect(hides.json().items).toHaveLength(2);

    // Each of those reads wrote one `view` row under its own request id, with the admin and the route.
    const reads = await rowsFor(String(first.headers['x-request-id']));
    expect(reads).toHaveLength(1);
    expect(reads[0]).toMatchObject({ action: 'view', actor_id: admin.id, object_type: 'route' });
    const changes = await t.app.inject({
      method: 'GET',
      url: `/api/v1/admin/audit?actorId=${admin.id}&changesOnly=true&limit=100`,
      headers: admin.auth,
    });
    expect(changes.json().items.some((r: { action: string }) => r.action === 'view')).toBe(false);
    // A refused read (403, 400) writes nothing.
    const refused = await t.app.inject({ method: 'GET', url: '/api/v1/admin/audit', headers: guest.auth });
    expect(await rowsFor(String(refused.headers['x-request-id']))).toHaveLength(0);
  });
});
