/**
 * The main user story through the typed client (packages/client: openapi-typescript types, openapi-fetch
 * requests) against the real API process (src/server.ts, as `npm start` runs it) on the engine under
 * test and the shared Redis: a host signs up, becomes a host and lists a home; a guest signs up, finds it,
 * gets a quote, books, pays with the sandbox card, sees the trip and cancels it (strict policy: half
 * back). Every step checks the status, the typed data and the money; the bad paths check that problems
 * come back typed (`error.code`), that `unwrap` throws them, and that a session ends on logout.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createRoostClient,
  isProblem,
  type Problem,
  type RoostClient,
  RoostProblemError,
  unwrap,
} from '../packages/client/src/index.js';
import { type ApiProcess, startApiProcess } from './support/api-process.js';

let server: ApiProcess;

beforeAll(async () => {
  server = await startApiProcess({
    name: 'client-story',
    redisDb: 10,
    // Each run signs up and signs in several accounts from 127.0.0.1 within seconds.
    env: { RATE_LIMIT_AUTH_MAX: '50' },
  });
}, 120_000);

afterAll(async () => {
  await server?.close();
});

const password = 'story-pass-2031';
const run = Date.now().toString(36);

/** A new account, signed in: the client keeps its tokens. */
async function signUp(firstName: string): Promise<{ client: RoostClient; email: string; id: string }> {
  const client = createRoostClient({ baseUrl: server.baseUrl });
  const email = `${firstName.toLowerCase()}.${run}@example.com`;
  const reg = await client.POST('/api/v1/auth/register', {
    body: { email, password, firstName, lastName: 'Story' },
  });
  expect(reg.response.status, JSON.stringify(reg.error)).toBe(201);
  expect(reg.data).toMatchObject({ email, firstName, role: 'guest', emailVerified: false });
  const login = await client.login({ email, password });
  expect(login.response.status).toBe(200);
  expect(login.data!.tokenType).toBe('Bearer');
  expect(login.data!.user.id).toBe(reg.data!.id);
  expect(client.accessToken).toBe(login.data!.accessToken);
  expect(client.refreshToken).toBe(login.data!.refreshToken);
  return { client, email, id: reg.data!.id };
}

// Three nights, far enough ahead that the strict policy still refunds half.
const checkIn = '2031-05-10';
const checkOut = '2031-05-13';
const nightlyPrice = 12_345;
const cleaningFee = 2_500;
// nights 3 × 12 345 = 37 035; + cleaning = 39 535; service fee 12 % of that, half up = 4 744; no tax.
const expected = { nightsSubtotal: 37_035, cleaningFee: 2_500, serviceFee: 4_744, taxes: 0, total: 44_279 };

describe('the user story through @roost/client against the real server', () => {
  it('host lists a home; guest finds, quotes, books, pays, sees and cancels the trip', async () => {
    const anonymous = createRoostClient({ baseUrl: `${server.baseUrl}/` });
    const host = await signUp('Hana');
    const guest = await signUp('Gus');

    // The host becomes a host and lists a home (a draft), then publishes it.
    const became = unwrap(await host.client.becomeHost());
    expect(became.user).toMatchObject({ id: host.id, role: 'host' });
    expect(host.client.accessToken).toBe(became.accessToken);
    const created = await host.client.POST('/api/v1/properties', {
      body: {
        title: `Story loft ${run}`,
        description: 'A bright loft over the river, for the client story.',
        propertyType: 'entire_place',
        address: { street: '1 Rua da Prata', city: 'Lisbon', countryCode: 'PT' },
        latitude: 38.7101,
        longitude: -9.1365,
        maxGuests: 4,
        bedrooms: 2,
        beds: 2,
        bathrooms: 1.5,
        nightlyPrice,
        currency: 'EUR',
        cleaningFee,
        cancellationPolicy: 'strict',
        instantBook: true,
        amenities: ['wifi'],
      },
    });
    expect(created.response.status, JSON.stringify(created.error)).toBe(201);
    const listing = created.data!;
    expect(listing).toMatchObject({ hostId: host.id, status: 'draft', nightlyPrice, currency: 'EUR' });
    const published = unwrap(
      await host.client.POST('/api/v1/properties/{id}/publish', { params: { path: { id: listing.id } } }),
    );
    expect(published.status).toBe('listed');

    // Anyone finds it with dates: each result carries the stay's price.
    const search = await anonymous.GET('/api/v1/properties', {
      params: { query: { city: 'Lisbon', checkIn, checkOut, guests: 2, sort: 'price_asc', limit: 10 } },
    });
    expect(search.response.status, JSON.stringify(search.error)).toBe(200);
    const found = search.data!.items.find((p) => p.id === listing.id);
    expect(found, 'the new listing is in the search results').toBeDefined();
    expect(found!.stay).toMatchObject({ nights: 3, ...expected });

    // The quote, then the booking: the same arithmetic.
    const quote = unwrap(
      await guest.client.POST('/api/v1/bookings/quote', {
        body: { propertyId: listing.id, checkIn, checkOut, guests: 2 },
      }),
    );
    expect(quote).toMatchObject({ nights: 3, currency: 'EUR', ...expected });
    expect(quote.nightly.map((n) => n.price)).toEqual([nightlyPrice, nightlyPrice, nightlyPrice]);
    expect(quote.nightsSubtotal + quote.cleaningFee + quote.serviceFee + quote.taxes).toBe(quote.total);

    const booked = await guest.client.POST('/api/v1/bookings', {
      body: { propertyId: listing.id, checkIn, checkOut, guests: 2, message: 'Arriving by train.' },
    });
    expect(booked.response.status, JSON.stringify(booked.error)).toBe(201);
    const booking = booked.data!;
    expect(booking).toMatchObject({
      propertyId: listing.id,
      guestId: guest.id,
      hostId: host.id,
      status: 'pending_payment',
      total: quote.total,
      refundedAmount: 0,
      cancellationPolicy: 'strict',
    });

    // The same nights again: taken (409 dates_unavailable), typed.
    const twice = await guest.client.POST('/api/v1/bookings', {
      body: { propertyId: listing.id, checkIn: '2031-05-12', checkOut: '2031-05-14', guests: 1 },
    });
    expect(twice.response.status).toBe(409);
    expect(twice.error?.code).toBe('dates_unavailable');

    // Pay with the sandbox card: captured in full, the booking confirmed (instant book).
    const paid = unwrap(
      await guest.client.POST('/api/v1/bookings/{id}/pay', {
        params: { path: { id: booking.id } },
        body: { paymentMethod: 'pm_card_visa' },
      }),
    );
    expect(paid).toMatchObject({ bookingId: booking.id, status: 'succeeded', amount: expected.total });
    const confirmed = unwrap(
      await guest.client.GET('/api/v1/bookings/{id}', { params: { path: { id: booking.id } } }),
    );
    expect(confirmed.status).toBe('confirmed');

    // My trips (guest) and the bookings of my listings (host) both list it.
    const trips = unwrap(
      await guest.client.GET('/api/v1/bookings', { params: { query: { as: 'guest', limit: 20 } } }),
    );
    expect(trips.items.map((b) => [b.id, b.status])).toEqual([[booking.id, 'confirmed']]);
    const hosted = unwrap(
      await host.client.GET('/api/v1/bookings', { params: { query: { as: 'host', limit: 20 } } }),
    );
    expect(hosted.items.map((b) => b.id)).toEqual([booking.id]);

    // The guest cancels more than 7 days ahead: the strict policy refunds half of what was paid.
    const cancelled = unwrap(
      await guest.client.POST('/api/v1/bookings/{id}/cancel', {
        params: { path: { id: booking.id } },
        body: { reason: 'Plans changed' },
      }),
    );
    expect(cancelled.status).toBe('cancelled_by_guest');
    expect(cancelled.refundedAmount).toBe(Math.floor(expected.total / 2));
    const money = unwrap(
      await guest.client.GET('/api/v1/bookings/{id}/payments', { params: { path: { id: booking.id } } }),
    );
    expect(money.payments).toMatchObject([{ amount: expected.total, status: 'succeeded' }]);
    expect(money.refunds).toMatchObject([{ amount: 22_139, status: 'succeeded' }]);

    // Cancelled nights are free again: the search finds the listing for them once more.
    const again = unwrap(
      await anonymous.GET('/api/v1/properties', {
        params: { query: { city: 'Lisbon', checkIn, checkOut, sort: 'newest', limit: 10 } },
      }),
    );
    expect(again.items.map((p) => p.id)).toContain(listing.id);
  });

  it('problems come back typed: error.code, status and field errors; unwrap throws them', async () => {
    const { client } = await signUp('Pia');
    const missing = '00000000-0000-4000-8000-000000000000';

    const notFound = await client.GET('/api/v1/bookings/{id}', { params: { path: { id: missing } } });
    expect(notFound.response.status).toBe(404);
    expect(notFound.data).toBeUndefined();
    expect(notFound.response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const problem: Problem | undefined = notFound.error;
    expect(problem).toMatchObject({ status: 404, code: 'not_found' });
    expect(isProblem(problem)).toBe(true);

    // A malformed id: 400 validation_error naming the field.
    const invalid = await client.GET('/api/v1/bookings/{id}', { params: { path: { id: 'not-a-uuid' } } });
    expect(invalid.response.status).toBe(400);
    expect(invalid.error).toMatchObject({ code: 'validation_error' });
    expect(invalid.error!.errors?.map((e) => e.field)).toContain('id');

    // unwrap throws the problem as a RoostProblemError.
    let thrown: unknown;
    try {
      unwrap(await client.GET('/api/v1/bookings/{id}', { params: { path: { id: missing } } }));
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(RoostProblemError);
    expect((thrown as RoostProblemError).problem.code).toBe('not_found');
    expect((thrown as RoostProblemError).response.status).toBe(404);

    // Without a token: 401.
    const anonymous = createRoostClient({ baseUrl: server.baseUrl });
    const me = await anonymous.GET('/api/v1/users/me');
    expect(me.response.status).toBe(401);
    expect(me.error?.status).toBe(401);

    // A guest may not list a home: 403 not_a_host.
    const refused = await client.POST('/api/v1/properties', {
      body: {
        title: 'Not a host yet',
        propertyType: 'private_room',
        address: { street: '2 Rua Augusta', city: 'Lisbon', countryCode: 'PT' },
        latitude: 38.71,
        longitude: -9.137,
        maxGuests: 1,
        bedrooms: 1,
        beds: 1,
        bathrooms: 1,
        nightlyPrice: 5_000,
        currency: 'EUR',
      },
    });
    expect(refused.response.status).toBe(403);
    expect(refused.error).toMatchObject({ status: 403, code: 'not_a_host' });
  });

  it('refresh rotates the kept tokens; logout ends the session on the server', async () => {
    const { client, email } = await signUp('Rex');
    const firstRefresh = client.refreshToken;
    const refreshed = await client.refresh();
    expect(refreshed.response.status).toBe(200);
    expect(client.refreshToken).toBe(refreshed.data!.refreshToken);
    expect(client.refreshToken).not.toBe(firstRefresh);
    expect(unwrap(await client.GET('/api/v1/users/me')).email).toBe(email);

    const stale = client.accessToken!;
    const out = await client.logout();
    expect(out.response.ok).toBe(true);
    expect(client.accessToken).toBeUndefined();
    // The old access token is refused now that its session has ended.
    const after = createRoostClient({ baseUrl: server.baseUrl, token: stale });
    const me = await after.GET('/api/v1/users/me');
    expect(me.response.status).toBe(401);
    expect(me.error?.code).toBe('session_revoked');
    // An explicit header wins over the client's token.
    const override = await after.GET('/api/v1/users/me', { headers: { authorization: 'Bearer nonsense' } });
    expect(override.response.status).toBe(401);
    expect(override.error?.code).not.toBe('session_revoked');
  });

  it('the committed types are what `npm run client` generates from openapi.json', () => {
    // openapi-typescript --check: regenerates in memory, exits 1 when the file differs.
    const check = spawnSync(
      process.execPath,
      [
        'node_modules/openapi-typescript/bin/cli.js',
        'openapi.json',
        '-o',
        'packages/client/src/schema.d.ts',
        '--check',
      ],
      { cwd: fileURLToPath(new URL('..', import.meta.url)), encoding: 'utf8' },
    );
    expect(check.status, `${check.stdout}${check.stderr}\nrun \`npm run client\``).toBe(0);
  }, 60_000);
});
