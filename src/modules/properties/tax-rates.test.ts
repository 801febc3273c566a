/**
 * Taxes by jurisdiction: the admin API over `tax_rates` (who may call it, the rules of each kind, the
 * unique jurisdiction and name, one audit row per change) and what a rate does to a price — a quote and
 * the search price a stay with the rates of the listing's country and region, in its currency.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertListing } from '../../../test/support/factories.js';
import {
  createTestApp,
  createUser,
  expectProblem,
  type TestApp,
  type TestUser,
} from '../../../test/support/test-app.js';

const DEFAULT_TAX_BPS = 700;
const SERVICE_FEE_BPS = 1200;

let t: TestApp;
let admin: TestUser;
let host: TestUser;
beforeAll(async () => {
  t = await createTestApp({
    now: () => new Date('2030-01-01T00:00:00Z'),
    env: { TAX_BPS: String(DEFAULT_TAX_BPS), SERVICE_FEE_BPS: String(SERVICE_FEE_BPS) },
  });
  admin = await createUser(t, 'admin');
  host = await createUser(t, 'host');
});
afterAll(() => t?.close());

const MISSING = '0193a5b2-0000-7000-8000-000000000000';
const URL = '/api/v1/admin/tax-rates';

type Body = Record<string, unknown>;
const call = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, user?: TestUser, payload?: Body) =>
  t.app.inject({
    method,
    url,
    ...(user ? { headers: user.auth } : {}),
    ...(payload ? { payload } : {}),
  });

async function create(payload: Body) {
  const res = await call('POST', URL, admin, payload);
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as { id: string } & Body;
}

const auditRowsOf = (res: { headers: Record<string, unknown> }) =>
  t.ctx.db
    .selectFrom('audit_log')
    .selectAll()
    .where('request_id', '=', String(res.headers['x-request-id']))
    .execute();

const json = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v);

async function countRows(table: 'tax_rates' | 'audit_log') {
  const r = await t.ctx.db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

describe('the admin API over tax rates', () => {
  it('is for admins only', async () => {
    const guest = await createUser(t);
    const { id } = await create({ countryCode: 'GR', name: 'VAT', kind: 'percent', rateBps: 1300 });
    const body = { countryCode: 'GR', name: 'Stay tax', kind: 'percent', rateBps: 100 };
    for (const user of [host, guest, undefined]) {
      const status = user ? 403 : 401;
      expectProblem(await call('GET', URL, user), status);
      expectProblem(await call('GET', `${URL}?country=GR`, user), status);
      expectProblem(await call('POST', URL, user, body), status);
      expectProblem(await call('PUT', `${URL}/${id}`, user, body), status);
      expectProblem(await call('DELETE', `${URL}/${id}`, user), status);
    }
    // Nothing changed.
    const list = await call('GET', `${URL}?country=GR`, admin);
    expect(list.json().items).toEqual([expect.objectContaining({ id, name: 'VAT', rateBps: 1300 })]);
  });

  it('creates, lists, replaces and deletes rates, one audit row per change', async () => {
    const created = await call('POST', URL, admin, {
      countryCode: 'IT',
      region: '  Lazio ',
      name: ' Contributo di soggiorno ',
      kind: 'per_night',
      amount: 600,
      currency: 'EUR',
      perGuest: true,
    });
    expect(created.statusCode, created.body).toBe(201);
    const lazio = created.json();
    expect(lazio).toEqual({
      id: expect.any(String),
      countryCode: 'IT',
      region: 'Lazio',
      name: 'Contributo di soggiorno',
      kind: 'per_night',
      rateBps: null,
      amount: 600,
      currency: 'EUR',
      perGuest: true,
      createdAt: '2030-01-01T00:00:00.000Z',
      updatedAt: '2030-01-01T00:00:00.000Z',
    });
    const [createRow, ...moreCreateRows] = await auditRowsOf(created);
    expect(moreCreateRows).toEqual([]);
    expect(createRow).toMatchObject({
      actor_id: admin.id,
      action: 'tax_rate.create',
      object_type: 'tax_rate',
      object_id: lazio.id,
    });
    expect(createRow!.before).toBeNull();
    expect(json(createRow!.after)).toMatchObject({ countryCode: 'IT', region: 'Lazio', amount: 600 });

    // Country-wide (region absent or empty): region null; a percentage has no amount, currency or per-guest.
    const iva = await create({ countryCode: 'IT', name: 'IVA', kind: 'percent', rateBps: 1000 });
    expect(iva).toMatchObject({ region: null, kind: 'percent', rateBps: 1000, amount: null, currency: null });
    expect(iva['perGuest']).toBe(false);
    const extra = await create({
      countryCode: 'IT',
      region: '',
      name: 'Bollo',
      kind: 'per_night',
      amount: 1,
      currency: 'EUR',
    });
    expect(extra).toMatchObject({ region: null, perGuest: false });
    const greece = await call('GET', `${URL}?country=GR`, admin);

    // By country, then region (country-wide first), then name; the filter keeps one country.
    const italy = await call('GET', `${URL}?country=IT`, admin);
    expect(italy.statusCode, italy.body).toBe(200);
    expect(italy.json().items.map((r: Body) => [r['region'], r['name']])).toEqual([
      [null, 'Bollo'],
      [null, 'IVA'],
      ['Lazio', 'Contributo di soggiorno'],
    ]);
    expect(italy.json().items[2]).toEqual(lazio);
    const all = (await call('GET', URL, admin)).json().items as Body[];
    expect(all.map((r) => r['countryCode'])).toEqual([
      ...greece.json().items.map(() => 'GR'),
      'IT',
      'IT',
      'IT',
    ]);

    // Replace: the whole rate (here another kind: the per-night fields are cleared).
    const replaced = await call('PUT', `${URL}/${lazio.id}`, admin, {
      countryCode: 'IT',
      region: 'Lazio',
      name: 'Contributo di soggiorno',
      kind: 'percent',
      rateBps: 350,
    });
    expect(replaced.statusCode, replaced.body).toBe(200);
    expect(replaced.json()).toEqual({
      ...lazio,
      kind: 'percent',
      rateBps: 350,
      amount: null,
      currency: null,
      perGuest: false,
    });
    const updateRows = await auditRowsOf(replaced);
    expect(updateRows.map((r) => [r.action, r.object_id])).toEqual([['tax_rate.update', lazio.id]]);
    expect(json(updateRows[0]!.before)).toMatchObject({ kind: 'per_night', amount: 600, rateBps: null });
    expect(json(updateRows[0]!.after)).toMatchObject({ kind: 'percent', amount: null, rateBps: 350 });
    const stored = await t.ctx.db
      .selectFrom('tax_rates')
      .selectAll()
      .where('id', '=', lazio.id)
      .executeTakeFirstOrThrow();
    expect(stored).toMatchObject({
      region: 'Lazio',
      kind: 'percent',
      rate_bps: 350,
      amount: null,
      currency: null,
    });

    // Keeping its own name is no conflict with itself.
    const again = await call('PUT', `${URL}/${iva.id}`, admin, {
      countryCode: 'IT',
      name: 'IVA',
      kind: 'percent',
      rateBps: 2200,
    });
    expect(again.statusCode, again.body).toBe(200);
    expect(again.json()).toMatchObject({ id: iva.id, rateBps: 2200 });

    const deleted = await call('DELETE', `${URL}/${extra.id}`, admin);
    expect(deleted.statusCode, deleted.body).toBe(204);
    const deleteRows = await auditRowsOf(deleted);
    expect(deleteRows.map((r) => [r.action, r.object_type, r.object_id])).toEqual([
      ['tax_rate.delete', 'tax_rate', extra.id],
    ]);
    expect(json(deleteRows[0]!.before)).toMatchObject({ name: 'Bollo', amount: 1, currency: 'EUR' });
    expect(deleteRows[0]!.after).toBeNull();
    const after = (await call('GET', `${URL}?country=IT`, admin)).json().items as Body[];
    expect(after.map((r) => r['name'])).toEqual(['IVA', 'Contributo di soggiorno']);
  });

  it('refuses a rate that breaks the rules of its kind, naming each field (nothing written)', async () => {
    const rates = await countRows('tax_rates');
    const audits = await countRows('audit_log');
    const percent = { countryCode: 'PT', name: 'IVA', kind: 'percent' };
    const perNight = { countryCode: 'PT', name: 'Taxa turística', kind: 'per_night' };
    const cases: [Body, string[]][] = [
      [percent, ['rateBps']],
      [{ ...percent, rateBps: 600, amount: 100 }, ['amount']],
      [{ ...percent, rateBps: 600, currency: 'EUR' }, ['currency']],
      [{ ...percent, rateBps: 600, perGuest: false }, ['perGuest']],
      [{ ...percent, amount: 100, currency: 'EUR' }, ['rateBps', 'amount', 'currency']],
      [perNight, ['amount', 'currency']],
      [{ ...perNight, amount: 200 }, ['currency']],
      [{ ...perNight, currency: 'EUR' }, ['amount']],
      [{ ...perNight, amount: 200, currency: 'EUR', rateBps: 100 }, ['rateBps']],
      // The schema's bounds.
      [{ ...percent, rateBps: 0 }, ['rateBps']],
      [{ ...percent, rateBps: 5001 }, ['rateBps']],
      [{ ...percent, rateBps: 12.5 }, ['rateBps']],
      [{ ...perNight, amount: 0, currency: 'EUR' }, ['amount']],
      [{ ...perNight, amount: 100_000_001, currency: 'EUR' }, ['amount']],
      [{ ...perNight, amount: 200, currency: 'eur' }, ['currency']],
      [{ ...percent, rateBps: 600, countryCode: 'pt' }, ['countryCode']],
      [{ ...percent, rateBps: 600, countryCode: 'PRT' }, ['countryCode']],
      [{ ...percent, rateBps: 600, countryCode: undefined }, ['countryCode']],
      [{ ...percent, rateBps: 600, name: '   ' }, ['name']],
      [{ ...percent, rateBps: 600, name: '' }, ['name']],
      [{ ...percent, rateBps: 600, name: 'x'.repeat(65) }, ['name']],
      [{ ...percent, rateBps: 600, region: 'r'.repeat(101) }, ['region']],
      [{ ...percent, rateBps: 600, kind: 'flat' }, ['kind']],
      [{ ...percent, rateBps: 600, note: 'hi' }, ['note']],
    ];
    for (const [body, fields] of cases) {
      const res = await call('POST', URL, admin, body);
      const p = expectProblem(res, 400, 'validation_error');
      expect(
        p.errors?.map((e) => e.field),
        JSON.stringify(body),
      ).toEqual(fields);
    }
    // The same rules when replacing.
    const { id } = await create({ ...percent, rateBps: 600 });
    const res = await call('PUT', `${URL}/${id}`, admin, { ...perNight, rateBps: 600 });
    expect(expectProblem(res, 400, 'validation_error').errors?.map((e) => e.field)).toEqual([
      'rateBps',
      'amount',
      'currency',
    ]);
    const bad = expectProblem(await call('GET', `${URL}?country=pt`, admin), 400, 'validation_error');
    expect(bad.errors).toEqual([expect.objectContaining({ field: 'country', in: 'querystring' })]);
    expectProblem(await call('PUT', `${URL}/not-a-uuid`, admin, { ...percent, rateBps: 600 }), 400);

    expect(await countRows('tax_rates')).toBe(rates + 1);
    expect(await countRows('audit_log')).toBe(audits + 1); // the one create
  });

  it('refuses a second rate of the same name in a jurisdiction (409), case-insensitively', async () => {
    const vat = await create({ countryCode: 'NL', name: 'BTW', kind: 'percent', rateBps: 900 });
    const city = await create({
      countryCode: 'NL',
      region: 'Noord-Holland',
      name: 'Toeristenbelasting',
      kind: 'percent',
      rateBps: 1250,
    });
    const rates = await countRows('tax_rates');
    const audits = await countRows('audit_log');
    for (const body of [
      { countryCode: 'NL', name: 'BTW', kind: 'percent', rateBps: 2100 },
      { countryCode: 'NL', region: '', name: 'btw ', kind: 'per_night', amount: 100, currency: 'EUR' },
      {
        countryCode: 'NL',
        region: ' noord-holland ',
        name: 'TOERISTENBELASTING',
        kind: 'percent',
        rateBps: 700,
      },
    ]) {
      expectProblem(await call('POST', URL, admin, body), 409, 'tax_rate_exists');
    }
    // Renaming one onto another; moving one into the other's jurisdiction.
    expectProblem(
      await call('PUT', `${URL}/${city.id}`, admin, {
        countryCode: 'NL',
        name: 'BTW',
        kind: 'percent',
        rateBps: 1,
      }),
      409,
      'tax_rate_exists',
    );
    expectProblem(
      await call('PUT', `${URL}/${vat.id}`, admin, {
        countryCode: 'NL',
        region: 'NOORD-HOLLAND',
        name: 'toeristenbelasting',
        kind: 'percent',
        rateBps: 1,
      }),
      409,
      'tax_rate_exists',
    );
    expect(await countRows('tax_rates')).toBe(rates);
    expect(await countRows('audit_log')).toBe(audits);

    // The same name elsewhere (another region, another country) is another tax.
    await create({
      countryCode: 'NL',
      region: 'Utrecht',
      name: 'Toeristenbelasting',
      kind: 'percent',
      rateBps: 600,
    });
    await create({ countryCode: 'BE', name: 'BTW', kind: 'percent', rateBps: 600 });
  });

  it('404s an unknown rate', async () => {
    const body = { countryCode: 'FI', name: 'ALV', kind: 'percent', rateBps: 1400 };
    expectProblem(await call('PUT', `${URL}/${MISSING}`, admin, body), 404, 'not_found');
    expectProblem(await call('DELETE', `${URL}/${MISSING}`, admin), 404, 'not_found');
    const { id } = await create(body);
    expect((await call('DELETE', `${URL}/${id}`, admin)).statusCode).toBe(204);
    expectProblem(await call('DELETE', `${URL}/${id}`, admin), 404, 'not_found');
    expectProblem(await call('PUT', `${URL}/${id}`, admin, body), 404, 'not_found');
  });
});

describe('what the rates do to a price', () => {
  // Mon 10 – Thu 13 June 2030: three week nights (no weekend price), no length-of-stay discount.
  const stay = { checkIn: '2030-06-10', checkOut: '2030-06-13', guests: 2 };
  const NIGHTLY = 12_345;
  const CLEANING = 3_000;
  // 3 × 12 345 + 3 000 cleaning (2 guests: none extra).
  const ACCOMMODATION = 40_035;
  // 12% of 40 035 = 4 804.2 → 4 804.
  const SERVICE_FEE = 4_804;

  let barcelona: string;
  let paris: string;

  async function quote(propertyId: string) {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/bookings/quote',
      payload: { propertyId, ...stay },
    });
    expect(res.statusCode, res.body).toBe(200);
    return res.json();
  }

  async function searched(propertyId: string, city: string) {
    const res = await t.app.inject({
      method: 'GET',
      url: '/api/v1/properties',
      query: { city, checkIn: stay.checkIn, checkOut: stay.checkOut, guests: String(stay.guests) },
    });
    expect(res.statusCode, res.body).toBe(200);
    const item = res.json().items.find((i: { id: string }) => i.id === propertyId);
    expect(item, `${city} listing in search`).toBeDefined();
    return item.stay;
  }

  beforeAll(async () => {
    const listing = { nightlyPrice: NIGHTLY, cleaningFee: CLEANING, currency: 'EUR', maxGuests: 4 };
    barcelona = (
      await insertListing(t, host.id, {
        ...listing,
        city: 'Barcelona',
        countryCode: 'ES',
        latitude: 41.39,
        longitude: 2.17,
      })
    ).id;
    paris = (
      await insertListing(t, host.id, {
        ...listing,
        city: 'Paris',
        countryCode: 'FR',
        latitude: 48.86,
        longitude: 2.35,
      })
    ).id;
    // The factory leaves the region empty: the address's region, as a host would spell it.
    await t.ctx.db
      .updateTable('properties')
      .set({ region: 'Catalonia' })
      .where('id', '=', barcelona)
      .execute();
    await t.ctx.cache.bump('search');
  });

  it('applies the rates of the country and of the region, in the listing’s currency', async () => {
    // Before any Spanish rate: the default TAX_BPS, as one line (and search caches this page).
    // 7% of 40 035 = 2 802.45 → 2 802.
    const defaultLine = { name: 'Taxes', kind: 'percent', rateBps: DEFAULT_TAX_BPS, amount: 2_802 };
    expect((await quote(barcelona)).taxLines).toEqual([defaultLine]);
    expect((await searched(barcelona, 'Barcelona')).taxLines).toEqual([defaultLine]);

    await create({
      countryCode: 'ES',
      region: 'catalonia',
      name: 'Tourist tax',
      kind: 'per_night',
      amount: 250,
      currency: 'EUR',
      perGuest: true,
    });
    await create({ countryCode: 'ES', name: 'IVA', kind: 'percent', rateBps: 1000 });
    // Not for a listing priced in euros, nor for one outside Madrid.
    await create({
      countryCode: 'ES',
      region: 'Catalonia',
      name: 'Tourist tax (USD)',
      kind: 'per_night',
      amount: 300,
      currency: 'USD',
    });
    await create({ countryCode: 'ES', region: 'Madrid', name: 'Madrid levy', kind: 'percent', rateBps: 500 });
    await create({
      countryCode: 'ES',
      region: 'Madrid',
      name: 'Madrid night',
      kind: 'per_night',
      amount: 100,
      currency: 'EUR',
    });

    const taxLines = [
      // 10% of 40 035 = 4 003.5 → 4 004 (half up); country-wide first, then the region's.
      { name: 'IVA', kind: 'percent', rateBps: 1000, amount: 4_004 },
      // 250 × 3 nights × 2 guests.
      { name: 'Tourist tax', kind: 'per_night', rateBps: null, amount: 1_500 },
    ];
    const taxes = 4_004 + 1_500;
    const q = await quote(barcelona);
    expect(q).toMatchObject({
      currency: 'EUR',
      nights: 3,
      nightsSubtotal: 3 * NIGHTLY,
      cleaningFee: CLEANING,
      serviceFee: SERVICE_FEE,
      taxLines,
      taxes,
      total: ACCOMMODATION + SERVICE_FEE + taxes,
    });
    expect(q.total).toBe(50_343);

    // Search prices the stay with the same rates (its cached page was dropped by the change).
    const s = await searched(barcelona, 'Barcelona');
    expect(s).toMatchObject({
      nights: 3,
      guests: 2,
      serviceFee: SERVICE_FEE,
      taxLines,
      taxes,
      total: q.total,
    });

    // A country without a rate keeps the default: 7% of 40 035 → 2 802.
    const fr = await quote(paris);
    expect(fr.taxLines).toEqual([defaultLine]);
    expect(fr.total).toBe(ACCOMMODATION + SERVICE_FEE + 2_802);
    expect((await searched(paris, 'Paris')).taxLines).toEqual([defaultLine]);
  });

  it('prices with a rate as replaced or deleted, in quotes and search alike', async () => {
    const items = (await call('GET', `${URL}?country=ES`, admin)).json().items as {
      id: string;
      name: string;
    }[];
    const idOf = (name: string) => items.find((r) => r.name === name)!.id;

    // The tourist tax per stay-night, no longer per guest: 400 × 3.
    const put = await call('PUT', `${URL}/${idOf('Tourist tax')}`, admin, {
      countryCode: 'ES',
      region: 'Catalonia',
      name: 'Tourist tax',
      kind: 'per_night',
      amount: 400,
      currency: 'EUR',
    });
    expect(put.statusCode, put.body).toBe(200);
    const del = await call('DELETE', `${URL}/${idOf('IVA')}`, admin);
    expect(del.statusCode, del.body).toBe(204);

    const taxLines = [{ name: 'Tourist tax', kind: 'per_night', rateBps: null, amount: 1_200 }];
    const q = await quote(barcelona);
    expect(q.taxLines).toEqual(taxLines);
    expect(q.total).toBe(ACCOMMODATION + SERVICE_FEE + 1_200);
    const s = await searched(barcelona, 'Barcelona');
    expect(s).toMatchObject({ taxLines, taxes: 1_200, total: q.total });

    // Spain keeps rates (of other regions): no default for Catalonia, no taxes at all.
    await call('DELETE', `${URL}/${idOf('Tourist tax')}`, admin);
    expect((await quote(barcelona)).taxLines).toEqual([]);
    expect((await searched(barcelona, 'Barcelona')).total).toBe(ACCOMMODATION + SERVICE_FEE);

    // No Spanish rate left at all: the default again.
    for (const name of ['Tourist tax (USD)', 'Madrid levy', 'Madrid night']) {
      expect((await call('DELETE', `${URL}/${idOf(name)}`, admin)).statusCode).toBe(204);
    }
    expect((await quote(barcelona)).taxLines).toEqual([
      { name: 'Taxes', kind: 'percent', rateBps: DEFAULT_TAX_BPS, amount: 2_802 },
    ]);
  });
});
