/** The admin API over listings: search, detail, unlist and relist, with their audit rows. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createListing, setCalendar } from '../../../test/support/fixtures.js';
import {
  createTestApp,
  createUser,
  expectProblem,
  type TestApp,
  type TestUser,
} from '../../../test/support/test-app.js';

let t: TestApp;
let admin: TestUser;
let host: TestUser;
beforeAll(async () => {
  t = await createTestApp({ now: () => new Date('2030-01-01T00:00:00Z') });
  admin = await createUser(t, 'admin');
  host = await createUser(t, 'host');
});
afterAll(() => t.close());

const MISSING = '0193a5b2-0000-7000-8000-000000000000';
const json = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v);

const get = (url: string, user?: TestUser) =>
  t.app.inject({ method: 'GET', url, ...(user ? { headers: user.auth } : {}) });
const post = (url: string, user: TestUser | undefined, payload?: object) =>
  t.app.inject({
    method: 'POST',
    url,
    ...(user ? { headers: user.auth } : {}),
    ...(payload ? { payload } : {}),
  });

function auditRows(objectId: string) {
  return t.ctx.db
    .selectFrom('audit_log')
    .selectAll()
    .where('object_id', '=', objectId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}

async function publicSearchIds(city: string): Promise<string[]> {
  const res = await t.app.inject({ method: 'GET', url: '/api/v1/properties', query: { city } });
  expect(res.statusCode, res.body).toBe(200);
  return res.json().items.map((i: { id: string }) => i.id);
}

describe('admin listings', () => {
  it('is for admins only', async () => {
    const guest = await createUser(t);
    const { id } = await createListing(t, host);
    for (const url of ['/api/v1/admin/listings', `/api/v1/admin/listings/${id}`]) {
      expectProblem(await get(url, guest), 403);
      expectProblem(await get(url, host), 403);
      expectProblem(await get(url), 401);
    }
    for (const action of ['unlist', 'relist']) {
      const url = `/api/v1/admin/listings/${id}/${action}`;
      expectProblem(await post(url, guest, { reason: 'x' }), 403);
      expectProblem(await post(url, host, { reason: 'x' }), 403);
      expectProblem(await post(url, undefined, { reason: 'x' }), 401);
    }
    expect(await auditRows(id)).toHaveLength(0);
  });

  it('searches every listing by title or city, status and host, newest first, in pages', async () => {
    const tag = `Zq${Date.now().toString(36)}`;
    const other = await createUser(t, 'host');
    const a = await createListing(t, host, { title: `${tag} cabin`, city: 'Porto' });
    const b = await createListing(t, host, { title: 'Plain flat', city: `${tag}ville`, publish: false });
    const c = await createListing(t, other, { title: `Loft ${tag.toLowerCase()}`, nightlyPrice: 12_345 });
    const pct = await createListing(t, other, { title: `${tag} 100%_off` });

    const all = await get(`/api/v1/admin/listings?q=${tag.toUpperCase()}`, admin);
    expect(all.statusCode).toBe(200);
    expect(all.json().items.map((l: { id: string }) => l.id)).toEqual([pct.id, c.id, b.id, a.id]);
    expect(all.json().items[1]).toEqual({
      id: c.id,
      title: `Loft ${tag.toLowerCase()}`,
      city: 'Lisbon',
      countryCode: 'PT',
      hostId: other.id,
      status: 'listed',
      unlistedReason: null,
      nightlyPrice: 12_345,
      currency: 'EUR',
      createdAt: expect.any(String),
    });
    const drafts = await get(`/api/v1/admin/listings?q=${tag}&status=draft`, admin);
    expect(drafts.json().items.map((l: { id: string }) => l.id)).toEqual([b.id]);
    const byHost = await get(`/api/v1/admin/listings?q=${tag}&hostId=${other.id}`, admin);
    expect(byHost.json().items.map((l: { id: string }) => l.id)).toEqual([pct.id, c.id]);
    const literal = await get(`/api/v1/admin/listings?q=${encodeURIComponent('100%_off')}`, admin);
    expect(literal.json().items.map((l: { id: string }) => l.id)).toEqual([pct.id]);
    expect(
      (await get(`/api/v1/admin/listings?q=${encodeURIComponent(`${tag}%off`)}`, admin)).json().items,
    ).toEqual([]);

    const p1 = await get(`/api/v1/admin/listings?q=${tag}&limit=3`, admin);
    expect(p1.json().items).toHaveLength(3);
    const p2 = await get(`/api/v1/admin/listings?q=${tag}&limit=3&cursor=${p1.json().nextCursor}`, admin);
    expect(p2.json()).toEqual({ items: [expect.objectContaining({ id: a.id })], nextCursor: null });

    expectProblem(await get('/api/v1/admin/listings?status=deleted', admin), 400, 'validation_error');
    expectProblem(await get(`/api/v1/admin/listings?q=${'x'.repeat(201)}`, admin), 400, 'validation_error');
    expectProblem(await get('/api/v1/admin/listings?hostId=nope', admin), 400, 'validation_error');
  });

  it('shows one listing whatever its status, with photos and the next 60 nights; 404 otherwise', async () => {
    const { id } = await createListing(t, host, { publish: false, nightlyPrice: 8_000 });
    await setCalendar(t, host, id, { from: '2030-01-05', to: '2030-01-06', blocked: true });
    const res = await get(`/api/v1/admin/listings/${id}`, admin);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.listing).toMatchObject({ id, status: 'draft', nightlyPrice: 8_000 });
    expect(body.unlistedReason).toBeNull();
    expect(body.photos).toEqual([]);
    expect(body.calendar).toMatchObject({ propertyId: id, from: '2030-01-01', to: '2030-03-02' });
    expect(body.calendar.days).toHaveLength(60);
    expect(body.calendar.days[4]).toMatchObject({ date: '2030-01-05', state: 'blocked' });
    expect(body.calendar.days[0]).toMatchObject({ date: '2030-01-01', state: 'available', price: 8_000 });
    const rows = await auditRows(id);
    expect(rows.map((r) => r.action)).toEqual(['view']);
    expect(rows[0]?.request_id).toBe(res.headers['x-request-id']);

    expectProblem(await get(`/api/v1/admin/listings/${MISSING}`, admin), 404, 'not_found');
  });

  it('unlist hides a listing from search and its page at once; relist restores it; one row each', async () => {
    const city = `Unl${Date.now().toString(36)}`;
    const { id } = await createListing(t, host, { city });
    // Warm the caches: public detail and search page.
    expect((await get(`/api/v1/properties/${id}`)).statusCode).toBe(200);
    expect(await publicSearchIds(city)).toEqual([id]);

    expectProblem(await post(`/api/v1/admin/listings/${id}/unlist`, admin, {}), 400, 'validation_error');
    expectProblem(
      await post(`/api/v1/admin/listings/${id}/unlist`, admin, { reason: '' }),
      400,
      'validation_error',
    );
    expectProblem(
      await post(`/api/v1/admin/listings/${id}/unlist`, admin, { reason: 'x'.repeat(1001) }),
      400,
      'validation_error',
    );
    const reason = 'Photos show a different property';
    const res = await post(`/api/v1/admin/listings/${id}/unlist`, admin, { reason });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id, status: 'unlisted', unlistedReason: reason });

    expectProblem(await get(`/api/v1/properties/${id}`), 404);
    expect(await publicSearchIds(city)).toEqual([]);
    // Its host cannot put it back themselves.
    expectProblem(await post(`/api/v1/properties/${id}/publish`, host), 409, 'unlisted_by_admin');

    let rows = await auditRows(id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      actor_id: admin.id,
      action: 'listing.unlist',
      object_type: 'listing',
      reason,
      request_id: res.headers['x-request-id'],
    });
    expect(json(rows[0]?.before)).toEqual({ status: 'listed' });
    expect(json(rows[0]?.after)).toEqual({ status: 'unlisted' });

    expectProblem(
      await post(`/api/v1/admin/listings/${id}/unlist`, admin, { reason }),
      409,
      'already_unlisted',
    );
    const detail = (await get(`/api/v1/admin/listings/${id}`, admin)).json();
    expect(detail.unlistedReason).toBe(reason);

    // Relist (bodiless: the reason is optional).
    const back = await post(`/api/v1/admin/listings/${id}/relist`, admin);
    expect(back.statusCode).toBe(200);
    expect(back.json()).toMatchObject({ id, status: 'listed', unlistedReason: null });
    expect((await get(`/api/v1/properties/${id}`)).statusCode).toBe(200);
    expect(await publicSearchIds(city)).toEqual([id]);
    expectProblem(await post(`/api/v1/admin/listings/${id}/relist`, admin), 409, 'already_listed');

    rows = await auditRows(id);
    expect(rows.filter((r) => r.action !== 'view').map((r) => r.action)).toEqual([
      'listing.unlist',
      'listing.relist',
    ]);
    const relist = rows.find((r) => r.action === 'listing.relist');
    expect(relist).toMatchObject({ reason: null, request_id: back.headers['x-request-id'] });
    expect(json(relist?.before)).toEqual({ status: 'unlisted' });
    expect(json(relist?.after)).toEqual({ status: 'listed' });
  });

  it('refuses drafts, listings their host unlisted, and unknown ids, writing nothing', async () => {
    const draft = await createListing(t, host, { publish: false });
    expectProblem(
      await post(`/api/v1/admin/listings/${draft.id}/unlist`, admin, { reason: 'spam' }),
      409,
      'listing_draft',
    );
    expectProblem(await post(`/api/v1/admin/listings/${draft.id}/relist`, admin, {}), 409, 'listing_draft');

    const hostUnlisted = await createListing(t, host);
    expect((await post(`/api/v1/properties/${hostUnlisted.id}/unpublish`, host)).statusCode).toBe(200);
    expectProblem(
      await post(`/api/v1/admin/listings/${hostUnlisted.id}/relist`, admin, { reason: 'x' }),
      409,
      'unlisted_by_host',
    );
    expectProblem(await post(`/api/v1/admin/listings/${MISSING}/unlist`, admin, { reason: 'x' }), 404);
    expectProblem(await post(`/api/v1/admin/listings/${MISSING}/relist`, admin), 404);
    for (const id of [draft.id, hostUnlisted.id, MISSING]) expect(await auditRows(id)).toHaveLength(0);

    // A listing its host unlisted can still be taken down by an admin (the host then cannot publish it).
    const res = await post(`/api/v1/admin/listings/${hostUnlisted.id}/unlist`, admin, { reason: 'Fraud' });
    expect(res.statusCode).toBe(200);
    expectProblem(
      await post(`/api/v1/properties/${hostUnlisted.id}/publish`, host),
      409,
      'unlisted_by_admin',
    );
    expect((await auditRows(hostUnlisted.id)).map((r) => r.action)).toEqual(['listing.unlist']);
  });
});
