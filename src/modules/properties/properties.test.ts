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
let host: TestUser;
beforeAll(async () => {
  t = await createTestApp({ now: () => new Date('2030-01-01T00:00:00Z') });
  host = await createUser(t, 'host');
});
afterAll(() => t.close());

const valid = {
  title: 'Sunny loft by the river',
  description: 'Two rooms, big windows.',
  propertyType: 'entire_place',
  address: { street: '1 Rua Augusta', city: 'Lisbon', countryCode: 'PT', postalCode: '1100-048' },
  latitude: 38.71,
  longitude: -9.137,
  maxGuests: 3,
  bedrooms: 1,
  beds: 2,
  bathrooms: 1.5,
  nightlyPrice: 9_900,
  currency: 'EUR',
  cleaningFee: 2_000,
  amenities: ['wifi', 'kitchen'],
};

describe('host API', () => {
  it('creates, edits and publishes a listing; lists it among mine', async () => {
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/properties',
      headers: host.auth,
      payload: valid,
    });
    expect(created.statusCode).toBe(201);
    const p = created.json();
    expect(p).toMatchObject({
      status: 'draft',
      hostId: host.id,
      nightlyPrice: 9_900,
      amenities: ['kitchen', 'wifi'],
      bathrooms: 1.5,
    });

    // A draft is invisible to others.
    expectProblem(await t.app.inject({ method: 'GET', url: `/api/v1/properties/${p.id}` }), 404);
    expect(
      (await t.app.inject({ method: 'GET', url: `/api/v1/properties/${p.id}`, headers: host.auth }))
        .statusCode,
    ).toBe(200);

    const edited = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/properties/${p.id}`,
      headers: host.auth,
      payload: { nightlyPrice: 11_000, amenities: ['wifi', 'pool'], instantBook: true },
    });
    expect(edited.statusCode).toBe(200);
    expect(edited.json()).toMatchObject({
      nightlyPrice: 11_000,
      amenities: ['pool', 'wifi'],
      instantBook: true,
      title: valid.title,
    });

    const published = await t.app.inject({
      method: 'POST',
      url: `/api/v1/properties/${p.id}/publish`,
      headers: host.auth,
    });
    expect(published.json().status).toBe('listed');
    const pub = await t.app.inject({ method: 'GET', url: `/api/v1/properties/${p.id}` });
    expect(pub.statusCode).toBe(200);

    const mine = (
      await t.app.inject({ method: 'GET', url: '/api/v1/properties/mine', headers: host.auth })
    ).json();
    expect(mine.items.map((x: { id: string }) => x.id)).toContain(p.id);

    const row = await t.ctx.db
      .selectFrom('properties')
      .selectAll()
      .where('id', '=', p.id)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ nightly_price: 11_000, status: 'listed', city_key: 'lisbon' });
  });

  it('lets only the owning host (or an admin) change a listing, and only hosts create one', async () => {
    const { id } = await createListing(t, host);
    const otherHost = await createUser(t, 'host');
    const guest = await createUser(t);
    const admin = await createUser(t, 'admin');
    expectProblem(
      await t.app.inject({
        method: 'PATCH',
        url: `/api/v1/properties/${id}`,
        headers: otherHost.auth,
        payload: { title: 'Mine now' },
      }),
      403,
    );
    expectProblem(
      await t.app.inject({
        method: 'POST',
        url: `/api/v1/properties/${id}/unpublish`,
        headers: otherHost.auth,
      }),
      403,
    );
    expectProblem(
      await t.app.inject({ method: 'DELETE', url: `/api/v1/properties/${id}`, headers: otherHost.auth }),
      403,
    );
    expectProblem(
      await t.app.inject({
        method: 'PUT',
        url: `/api/v1/properties/${id}/calendar`,
        headers: otherHost.auth,
        payload: { from: '2030-02-01', to: '2030-02-02', blocked: true },
      }),
      403,
    );
    expectProblem(
      await t.app.inject({ method: 'POST', url: '/api/v1/properties', headers: guest.auth, payload: valid }),
      403,
      'not_a_host',
    );
    expectProblem(await t.app.inject({ method: 'POST', url: '/api/v1/properties', payload: valid }), 401);
    const byAdmin = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/properties/${id}`,
      headers: admin.auth,
      payload: { title: 'Checked by admin' },
    });
    expect(byAdmin.statusCode).toBe(200);
    const row = await t.ctx.db
      .selectFrom('properties')
      .select(['title', 'host_id'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ title: 'Checked by admin', host_id: host.id });
  });

  it('rejects invalid fields with their paths', async () => {
    const cases: [object, string][] = [
      [{ nightlyPrice: -5 }, 'nightlyPrice'],
      [{ maxGuests: 0 }, 'maxGuests'],
      [{ latitude: 91 }, 'latitude'],
      [{ amenities: ['wifi', 'moat'] }, 'amenities.1'],
      [{ address: { ...valid.address, countryCode: 'Portugal' } }, 'address.countryCode'],
      [{ currency: 'euro' }, 'currency'],
      [{ minNights: 5, maxNights: 2 }, 'maxNights'],
    ];
    for (const [patch, field] of cases) {
      const body = expectProblem(
        await t.app.inject({
          method: 'POST',
          url: '/api/v1/properties',
          headers: host.auth,
          payload: { ...valid, ...patch },
        }),
        400,
      );
      expect(body.errors?.map((e) => e.field)).toContain(field);
    }
    const count = await t.ctx.db
      .selectFrom('properties')
      .select('id')
      .where('title', '=', valid.title)
      .where('host_id', '=', host.id)
      .execute();
    expect(count.length).toBe(1);
  });

  it('refuses to publish an incomplete listing', async () => {
    const { id } = await createListing(t, host, { description: '', publish: false });
    const body = expectProblem(
      await t.app.inject({ method: 'POST', url: `/api/v1/properties/${id}/publish`, headers: host.auth }),
      409,
      'listing_incomplete',
    );
    expect(body.errors?.map((e) => e.field)).toEqual(['description']);
  });

  it('soft-deletes, but not while a stay is booked', async () => {
    const { id } = await createListing(t, host);
    const guest = await createUser(t);
    const booked = await t.app.inject({
      method: 'POST',
      url: '/api/v1/bookings',
      headers: guest.auth,
      payload: { propertyId: id, checkIn: '2030-03-01', checkOut: '2030-03-03', guests: 1 },
    });
    expect(booked.statusCode).toBe(201);
    expectProblem(
      await t.app.inject({ method: 'DELETE', url: `/api/v1/properties/${id}`, headers: host.auth }),
      409,
      'has_future_bookings',
    );
    await t.app.inject({
      method: 'POST',
      url: `/api/v1/bookings/${booked.json().id}/cancel`,
      headers: guest.auth,
    });
    expect(
      (await t.app.inject({ method: 'DELETE', url: `/api/v1/properties/${id}`, headers: host.auth }))
        .statusCode,
    ).toBe(204);
    expectProblem(
      await t.app.inject({ method: 'GET', url: `/api/v1/properties/${id}`, headers: host.auth }),
      404,
    );
    const row = await t.ctx.db
      .selectFrom('properties')
      .select(['deleted_at', 'status'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(row.deleted_at).not.toBeNull();
    expect(row.status).toBe('unlisted');
  });
});

describe('calendar', () => {
  it('shows each night as available, booked or blocked with its price', async () => {
    const { id } = await createListing(t, host, { nightlyPrice: 8_000 });
    await setCalendar(t, host, id, { from: '2030-05-02', to: '2030-05-02', blocked: true });
    await setCalendar(t, host, id, { from: '2030-05-04', to: '2030-05-05', price: 12_000 });
    const guest = await createUser(t);
    await t.app.inject({
      method: 'POST',
      url: '/api/v1/bookings',
      headers: guest.auth,
      payload: { propertyId: id, checkIn: '2030-05-05', checkOut: '2030-05-07', guests: 1 },
    });
    const cal = await t.app.inject({
      method: 'GET',
      url: `/api/v1/properties/${id}/calendar?from=2030-05-01&to=2030-05-08`,
    });
    expect(cal.statusCode).toBe(200);
    expect(cal.json().days).toEqual([
      { date: '2030-05-01', state: 'available', price: 8_000 },
      { date: '2030-05-02', state: 'blocked', price: 8_000 },
      { date: '2030-05-03', state: 'available', price: 8_000 },
      { date: '2030-05-04', state: 'available', price: 12_000 },
      { date: '2030-05-05', state: 'booked', price: 12_000 },
      { date: '2030-05-06', state: 'booked', price: 8_000 },
      { date: '2030-05-07', state: 'available', price: 8_000 },
    ]);
    // Unblocking and clearing the price restore the defaults.
    await setCalendar(t, host, id, { from: '2030-05-01', to: '2030-05-04', blocked: false, price: null });
    const after = (
      await t.app.inject({
        method: 'GET',
        url: `/api/v1/properties/${id}/calendar?from=2030-05-01&to=2030-05-05`,
      })
    ).json();
    expect(after.days.map((d: { state: string; price: number }) => `${d.state}:${d.price}`)).toEqual([
      'available:8000',
      'available:8000',
      'available:8000',
      'available:8000',
    ]);
    expectProblem(
      await t.app.inject({
        method: 'GET',
        url: `/api/v1/properties/${id}/calendar?from=2030-05-08&to=2030-05-01`,
      }),
      400,
    );
  });
});
