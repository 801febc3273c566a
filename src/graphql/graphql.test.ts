import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createListing } from '../../test/support/fixtures.js';
import { completedStay } from '../../test/support/stays.js';
import { createTestApp, createUser, type TestApp, type TestUser } from '../../test/support/test-app.js';

let clock = new Date('2034-01-01T12:00:00Z');
let t: TestApp;
let host: TestUser;
beforeAll(async () => {
  t = await createTestApp({ now: () => clock });
  host = await createUser(t, 'host');
});
afterAll(() => t.close());

async function gql(query: string, variables: Record<string, unknown> = {}, user?: TestUser) {
  const res = await t.app.inject({
    method: 'POST',
    url: '/graphql',
    headers: user?.auth ?? {},
    payload: { query, variables },
  });
  return {
    status: res.statusCode,
    ...(res.json() as {
      data: Record<string, any> | null;
      errors?: {
        message: string;
        extensions: { code: string; status: number; errors?: { field: string }[] };
      }[];
    }),
  };
}
const codeOf = (r: Awaited<ReturnType<typeof gql>>) => r.errors?.[0]?.extensions.code;

describe('GraphQL', () => {
  it('logs in, searches, quotes, books and pays through the same services as REST', async () => {
    const guest = await createUser(t);
    const { id } = await createListing(t, host, { nightlyPrice: 10_000, city: 'Graphville' });
    const login = await gql(
      'mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken user { email role } } }',
      { e: guest.email, p: guest.password },
    );
    expect(login.data?.login.user).toEqual({ email: guest.email, role: 'guest' });

    const search = await gql(
      '{ properties(filter: { city: "graphville" }, first: 5) { edges { node { id title nightlyPrice host { id } } } pageInfo { hasNextPage } } }',
    );
    expect(search.data?.properties.edges.map((e: any) => e.node.id)).toEqual([id]);
    expect(search.data?.properties.edges[0].node.host.id).toBe(host.id);

    const stay = { propertyId: id, checkIn: '2034-02-01', checkOut: '2034-02-03', guests: 1 };
    const quote = await gql('mutation($s: StayInput!) { quote(input: $s) { nights total } }', { s: stay });
    const booked = await gql(
      'mutation($s: StayInput!) { book(input: $s) { id status total } }',
      { s: stay },
      guest,
    );
    expect(booked.data?.book).toMatchObject({ status: 'pending_payment', total: quote.data?.quote.total });
    const paid = await gql(
      'mutation($id: UUID!) { payBooking(id: $id, paymentMethod: "pm_card_visa") { status amount } }',
      { id: booked.data?.book.id },
      guest,
    );
    expect(paid.data?.payBooking).toEqual({ status: 'succeeded', amount: quote.data?.quote.total });
    const again = await gql('mutation($s: StayInput!) { book(input: $s) { id } }', { s: stay }, guest);
    expect(codeOf(again)).toBe('dates_unavailable');
  });

  it('applies the same authorization and validation as REST, with the same codes', async () => {
    const guest = await createUser(t);
    const stranger = await createUser(t);
    const { id } = await createListing(t, host);
    const b = await t.app.inject({
      method: 'POST',
      url: '/api/v1/bookings',
      headers: guest.auth,
      payload: { propertyId: id, checkIn: '2034-03-01', checkOut: '2034-03-02', guests: 1 },
    });
    const bookingId = b.json().id;

    // Someone else's booking: 404 in REST, not_found in GraphQL.
    expect(
      (await t.app.inject({ method: 'GET', url: `/api/v1/bookings/${bookingId}`, headers: stranger.auth }))
        .statusCode,
    ).toBe(404);
    expect(
      codeOf(await gql('query($id: UUID!) { booking(id: $id) { id } }', { id: bookingId }, stranger)),
    ).toBe('not_found');
    expect(
      codeOf(
        await gql('mutation($id: UUID!) { cancelBooking(id: $id) { id } }', { id: bookingId }, stranger),
      ),
    ).toBe('not_found');
    expect(codeOf(await gql('{ me { id } }'))).toBe('unauthorized');

    // A guest cannot list a home; invalid fields come back with their paths.
    const input = {
      title: 'Nope',
      propertyType: 'entire_place',
      address: { street: 'x', city: 'y', countryCode: 'PT' },
      latitude: 1,
      longitude: 1,
      maxGuests: 1,
      bedrooms: 1,
      beds: 1,
      bathrooms: 1,
      nightlyPrice: 100,
      currency: 'EUR',
    };
    expect(
      codeOf(
        await gql('mutation($i: PropertyInput!) { createProperty(input: $i) { id } }', { i: input }, guest),
      ),
    ).toBe('not_a_host');
    const invalid = await gql(
      'mutation($i: PropertyInput!) { createProperty(input: $i) { id } }',
      { i: { ...input, latitude: 91, maxGuests: 0 } },
      host,
    );
    expect(codeOf(invalid)).toBe('validation_error');
    expect(invalid.errors?.[0]?.extensions.errors?.map((e) => e.field).sort()).toEqual([
      'latitude',
      'maxGuests',
    ]);
  });

  it('refuses reviews of unfinished, repeated or foreign stays in both APIs', async () => {
    const guest = await createUser(t);
    const other = await createUser(t);
    const { id } = await createListing(t, host);
    clock = new Date('2034-04-01T12:00:00Z');
    const open = await t.app.inject({
      method: 'POST',
      url: '/api/v1/bookings',
      headers: guest.auth,
      payload: { propertyId: id, checkIn: '2034-05-01', checkOut: '2034-05-03', guests: 1 },
    });
    const done = await completedStay(t, guest, id, '2034-04-10', '2034-04-12', (to) => {
      clock = to;
    });
    const input = (bookingId: string) => ({
      bookingId,
      rating: 5,
      cleanliness: 5,
      accuracy: 5,
      communication: 5,
      location: 5,
      checkIn: 5,
      value: 5,
      body: 'Spotless, quiet and exactly as described.',
    });
    const viaGraphql = (bookingId: string, u: TestUser) =>
      gql(
        'mutation($i: ReviewInput!) { createReview(input: $i) { id rating author { id } } }',
        { i: input(bookingId) },
        u,
      );
    const viaRest = (bookingId: string, u: TestUser) =>
      t.app.inject({ method: 'POST', url: '/api/v1/reviews', headers: u.auth, payload: input(bookingId) });

    expect(codeOf(await viaGraphql(open.json().id, guest))).toBe('stay_not_completed');
    expect((await viaRest(open.json().id, guest)).json().code).toBe('stay_not_completed');
    expect(codeOf(await viaGraphql(done, other))).toBe('not_found');
    expect((await viaRest(done, other)).json().code).toBe('not_found');
    const created = await viaGraphql(done, guest);
    expect(created.data?.createReview).toMatchObject({ rating: 5, author: { id: guest.id } });
    expect(codeOf(await viaGraphql(done, guest))).toBe('already_reviewed');
    expect((await viaRest(done, guest)).json().code).toBe('already_reviewed');
  });

  it('resolves a page of 20 listings with hosts, amenities and review counts in at most 6 statements, and deeper pages in a constant number', async () => {
    const hosts = await Promise.all(Array.from({ length: 4 }, () => createUser(t, 'host')));
    for (let i = 0; i < 20; i++)
      await createListing(t, hosts[i % 4]!, {
        city: 'Batchtown',
        amenities: ['wifi', i % 2 ? 'pool' : 'kitchen'],
      });
    const count = async (query: string) => {
      await t.ctx.cache.bump('search'); // measure the search itself, not a cached page
      const before = t.database.stats.queries;
      const res = await gql(query);
      expect(res.errors).toBeUndefined();
      return { used: t.database.stats.queries - before, edges: res.data?.properties.edges as any[] };
    };
    // The page the acceptance names: hosts, amenities and review counts.
    const page = await count(`{ properties(filter: { city: "batchtown" }, first: 20) {
      edges { node { id title host { id firstName } amenities { code name } reviewCount } } } }`);
    expect(page.edges).toHaveLength(20);
    expect(page.edges.every((e) => e.node.amenities.length === 2 && e.node.host.id)).toBe(true);
    expect(page.used).toBeLessThanOrEqual(6);

    // Deeper nesting adds one statement per nested field, never one per listing.
    const deep = (n: number) => `{ properties(filter: { city: "batchtown" }, first: ${n}) {
      edges { node { id host { id } amenities { code } photos { url } reviewCount details { description }
        reviews(first: 3) { edges { node { rating author { id } } } } } } } }`;
    const five = await count(deep(5));
    const twenty = await count(deep(20));
    expect(twenty.edges).toHaveLength(20);
    expect(twenty.used).toBe(five.used);
    expect(twenty.used).toBeLessThanOrEqual(8);
  });

  it('refuses a query nested past the depth limit before touching the database', async () => {
    // bookings > edges > node > property > reviews > edges > node > author > id: deeper than 8.
    const deep =
      '{ bookings { edges { node { property { reviews { edges { node { author { id } } } } } } } } }';
    const before = t.database.stats.queries;
    const res = await gql(deep, {}, host);
    expect(res.status).toBe(400);
    expect(res.errors?.[0]?.message).toMatch(/depth/i);
    expect(t.database.stats.queries).toBe(before);
    // One level less is fine.
    const ok = await gql(
      '{ bookings { edges { node { property { reviews { edges { node { id } } } } } } } }',
      {},
      host,
    );
    expect(ok.errors).toBeUndefined();
  });
});

describe('GraphQL configuration', () => {
  it('turns introspection off when configured', async () => {
    const closed = await createTestApp({ env: { GRAPHQL_INTROSPECTION: 'false' } });
    try {
      const res = await closed.app.inject({
        method: 'POST',
        url: '/graphql',
        payload: { query: '{ __schema { types { name } } }' },
      });
      expect(res.json().errors[0].message).toMatch(/introspection/i);
      const open = await t.app.inject({
        method: 'POST',
        url: '/graphql',
        payload: { query: '{ __schema { queryType { name } } }' },
      });
      expect(open.json().data.__schema.queryType.name).toBe('Query');
    } finally {
      await closed.close();
    }
  });
});
