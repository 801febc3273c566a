import { monitorEventLoopDelay } from 'node:perf_hooks';
import { inflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertBooking } from '../../../test/support/factories.js';
import { createListing, setCalendar } from '../../../test/support/fixtures.js';
import {
  createTestApp,
  createUser,
  expectProblem,
  type TestApp,
  type TestUser,
} from '../../../test/support/test-app.js';
import { currencyExponent, formatMoney, toDecimalString } from './format.js';
import { pdfText, receiptPdf } from './pdf.js';
import type { PayoutStatementView, ReceiptView } from './receipts.schemas.js';
import { buildReceipt, formatRate, nightLines } from './receipts.service.js';

// ------------------------------------------------------------------------------------- reading PDFs

/** WinAnsi bytes back to text (the few codes above 0x7f that are not Latin-1, then Latin-1). */
const WIN_ANSI_BACK: Record<number, string> = { 128: '€', 149: '•', 150: '–', 151: '—', 133: '…' };
const decodeWinAnsi = (bytes: Buffer) =>
  [...bytes].map((b) => WIN_ANSI_BACK[b] ?? String.fromCharCode(b)).join('');

/** The text of every `TJ` of every content stream (inflated when compressed), one line per `TJ`. */
function pdfTextOf(pdf: Buffer): string {
  const raw = pdf.toString('latin1');
  const lines: string[] = [];
  for (const m of raw.matchAll(/stream\r?\n([\s\S]*?)\r?\nendstream/g)) {
    const bytes = Buffer.from(m[1]!, 'latin1');
    let content: string;
    try {
      content = inflateSync(bytes).toString('latin1');
    } catch {
      content = m[1]!;
    }
    for (const tj of content.matchAll(/\[([^\]]*)\]\s*TJ/g)) {
      const hex = [...tj[1]!.matchAll(/<([0-9a-fA-F]*)>/g)].map((h) => h[1]).join('');
      lines.push(decodeWinAnsi(Buffer.from(hex, 'hex')));
    }
  }
  return lines.join('\n');
}
const pageCount = (pdf: Buffer) => (pdf.toString('latin1').match(/\/Type \/Page\b/g) ?? []).length;

function expectPdf(res: { statusCode: number; headers: Record<string, unknown>; rawPayload: Buffer }) {
  expect(res.statusCode).toBe(200);
  expect(res.headers['content-type']).toBe('application/pdf');
  expect(String(res.headers['content-disposition'])).toMatch(/^attachment; filename="[RS]-[0-9A-Z-]+\.pdf"$/);
  const pdf = res.rawPayload;
  expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
  expect(pdf.subarray(-10).toString('latin1').trim().endsWith('%%EOF')).toBe(true);
  expect(pdf.length).toBeGreaterThan(1000);
  return pdf;
}

// ----------------------------------------------------------------------------------------- pure parts

describe('money formatting (integer minor units, exact)', () => {
  it('formats with the currency’s exponent, never through a float', () => {
    expect(currencyExponent('EUR')).toBe(2);
    expect(currencyExponent('JPY')).toBe(0);
    expect(currencyExponent('KWD')).toBe(3);
    expect(toDecimalString(12345, 'EUR')).toBe('123.45');
    expect(toDecimalString(5, 'EUR')).toBe('0.05');
    expect(toDecimalString(-5, 'EUR')).toBe('-0.05');
    expect(toDecimalString(1250, 'KWD')).toBe('1.250');
    expect(toDecimalString(12000, 'JPY')).toBe('12000');
    expect(formatMoney(12345, 'EUR')).toBe('€123.45');
    expect(formatMoney(12000, 'JPY')).toBe('¥12,000');
    expect(formatMoney(1999, 'USD')).toBe('$19.99');
    // Beyond 2^53 / 100 a float would lose cents; the decimal string keeps every digit.
    expect(formatMoney(Number.MAX_SAFE_INTEGER, 'EUR')).toBe('€90,071,992,547,409.91');
    expect(formatMoney(12345, 'EUR', 'code').replace(/\s/g, ' ')).toBe('EUR 123.45');
    expect(() => toDecimalString(1.5, 'EUR')).toThrow(RangeError);
  });

  it('writes rates exactly', () => {
    expect(formatRate(700)).toBe('7%');
    expect(formatRate(825)).toBe('8.25%');
    expect(formatRate(850)).toBe('8.5%');
    expect(formatRate(805)).toBe('8.05%');
  });

  it('collapses consecutive nights at one price, and only consecutive ones', () => {
    const lines = nightLines(
      [
        { date: '2031-07-10', price: 100 },
        { date: '2031-07-11', price: 100 },
        { date: '2031-07-12', price: 150 },
        { date: '2031-07-13', price: 100 },
      ],
      'EUR',
    );
    expect(lines.map((l) => [l.quantity, l.unitAmount, l.amount, l.from, l.to])).toEqual([
      [2, 100, 200, '2031-07-10', '2031-07-11'],
      [1, 150, 150, '2031-07-12', '2031-07-12'],
      [1, 100, 100, '2031-07-13', '2031-07-13'],
    ]);
    expect(lines[0]!.description).toBe('2 nights × €1.00 (10 – 11 Jul 2031)');
  });

  it('writes a currency whose symbol the PDF font lacks by its code (INR)', async () => {
    const platform = { name: 'Roost', address: 'Somewhere', taxId: null, supportEmail: 'support@roost.dev' };
    const r = buildReceipt(
      platform,
      {
        booking: {
          id: '0193a5b2-4444-7e2f-8a3b-4c5d6e7f8091',
          status: 'confirmed',
          createdAt: '2026-05-02T10:00:00.000Z',
          checkIn: '2031-01-01',
          checkOut: '2031-01-02',
          guests: 1,
          currency: 'INR',
          nightly: [{ date: '2031-01-01', price: 500_000 }],
          nightsSubtotal: 500_000,
          discountPct: 0,
          discount: 0,
          extraGuestFees: 0,
          cleaningFee: 0,
          serviceFee: 60_000,
          taxLines: [],
          taxes: 0,
          total: 560_000,
        },
        guest: { id: '0193a5b2-5555-7e2f-8a3b-4c5d6e7f8091', firstName: 'Őrs' },
        listing: {
          id: '0193a5b2-6666-7e2f-8a3b-4c5d6e7f8091',
          title: 'Goa',
          city: 'Panaji',
          region: null,
          countryCode: 'IN',
        },
        payments: [
          {
            id: '0193a5b2-7777-7e2f-8a3b-4c5d6e7f8091',
            status: 'succeeded',
            provider: 'sandbox',
            amount: 560_000,
            createdAt: '2026-05-02T10:01:00.000Z',
          },
          {
            id: '0193a5b2-8888-7e2f-8a3b-4c5d6e7f8091',
            status: 'failed',
            provider: 'sandbox',
            amount: 560_000,
            createdAt: '2026-05-02T10:00:30.000Z',
          },
        ],
        refunds: [],
        providerRefs: new Map(),
      },
      new Date('2026-05-03T00:00:00.000Z'),
    );
    expect(r.formattedTotal).toBe('₹5,600.00');
    expect(r.payments).toHaveLength(1); // a failed attempt moved no money
    expect(r.issuedAt).toBe('2026-05-02T10:01:00.000Z');
    const text = pdfTextOf(await receiptPdf(r, { compress: false })).replace(/\u00a0/g, ' ');
    expect(text).toContain('INR 5,600.00');
    expect(text).toContain('Ors'); // Ő is not in WinAnsi: its base letter is
  });

  it('brings text into the PDF font’s encoding, bounded', () => {
    expect(pdfText('Zürich · Gràcia – “loft” €')).toBe('Zürich · Gràcia – “loft” €');
    expect(pdfText('Łódź')).toBe('?ódz');
    expect(pdfText('東京 🏠')).toBe('?? ?');
    expect(pdfText('a\nb\u0007c\u2009d')).toBe('a b c d');
    expect(pdfText('x'.repeat(1000), 50)).toHaveLength(50);
  });
});

// ------------------------------------------------------------------------------------------ over HTTP

let t: TestApp;
let host: TestUser;
let otherHost: TestUser;
let guest: TestUser;
let stranger: TestUser;
let admin: TestUser;

beforeAll(async () => {
  t = await createTestApp({
    env: { SERVICE_FEE_BPS: '1200', TAX_BPS: '700', PLATFORM_TAX_ID: 'PT 509 999 999' },
  });
  [host, otherHost, guest, stranger, admin] = await Promise.all([
    createUser(t, 'host'),
    createUser(t, 'host'),
    createUser(t),
    createUser(t),
    createUser(t, 'admin'),
  ]);
}, 60_000);
afterAll(async () => {
  await t?.close();
});

async function book(propertyId: string, checkIn: string, checkOut: string) {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/bookings',
    headers: guest.auth,
    payload: { propertyId, checkIn, checkOut, guests: 2 },
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as { id: string };
}

async function bookAndPay(propertyId: string, checkIn: string, checkOut: string) {
  const { id } = await book(propertyId, checkIn, checkOut);
  const paid = await t.app.inject({
    method: 'POST',
    url: `/api/v1/bookings/${id}/pay`,
    headers: guest.auth,
    payload: { paymentMethod: 'pm_card_visa' },
  });
  expect(paid.statusCode, paid.body).toBe(200);
  return getBooking(id);
}

async function getBooking(id: string) {
  const res = await t.app.inject({ method: 'GET', url: `/api/v1/bookings/${id}`, headers: guest.auth });
  expect(res.statusCode).toBe(200);
  return res.json() as {
    id: string;
    total: number;
    nights: number;
    nightsSubtotal: number;
    cleaningFee: number;
    serviceFee: number;
    taxes: number;
    currency: string;
    status: string;
  };
}

const receipt = (id: string, who: TestUser, pdf = false) =>
  t.app.inject({
    method: 'GET',
    url: `/api/v1/bookings/${id}/receipt${pdf ? '.pdf' : ''}`,
    headers: who.auth,
  });

describe('GET /api/v1/bookings/:id/receipt', () => {
  let listingId: string;
  let booking: Awaited<ReturnType<typeof getBooking>>;

  beforeAll(async () => {
    ({ id: listingId } = await createListing(t, host, {
      title: 'Sunny loft in Gràcia',
      city: 'Barcelona',
      countryCode: 'ES',
      nightlyPrice: 10_000,
      cleaningFee: 3_000,
      cancellationPolicy: 'strict',
    }));
    // Nights 10 and 11 at the listing's price, 12 at 150.00, 13 and 14 back at 100.00.
    await setCalendar(t, host, listingId, { from: '2031-03-12', to: '2031-03-12', price: 15_000 });
    booking = await bookAndPay(listingId, '2031-03-10', '2031-03-15');
  });

  it('has line items that sum to the booking’s total and match it', async () => {
    const res = await receipt(booking.id, guest);
    expect(res.statusCode, res.body).toBe(200);
    const r = res.json() as ReceiptView;
    expect(r.bookingId).toBe(booking.id);
    expect(r.receiptNumber).toMatch(/^R-20\d\d-[0-9A-F]{12}$/);
    expect(r.platform).toEqual({
      name: 'Roost',
      address: t.ctx.config.PLATFORM_ADDRESS,
      taxId: 'PT 509 999 999',
      supportEmail: 'support@roost.dev',
    });
    expect(r.guest).toEqual({ id: guest.id, firstName: 'Test' });
    expect(r.listing).toMatchObject({
      id: listingId,
      title: 'Sunny loft in Gràcia',
      city: 'Barcelona',
      countryCode: 'ES',
    });
    expect(r.stay).toEqual({ checkIn: '2031-03-10', checkOut: '2031-03-15', nights: 5, guests: 2 });

    const nights = r.lines.filter((l) => l.kind === 'nights');
    expect(nights.map((l) => [l.quantity, l.unitAmount, l.amount])).toEqual([
      [2, 10_000, 20_000],
      [1, 15_000, 15_000],
      [2, 10_000, 20_000],
    ]);
    expect(nights.reduce((s, l) => s + l.amount, 0)).toBe(booking.nightsSubtotal);
    expect(nights.reduce((s, l) => s + l.quantity, 0)).toBe(booking.nights);
    expect(r.lines.find((l) => l.kind === 'cleaning_fee')?.amount).toBe(booking.cleaningFee);
    expect(r.lines.find((l) => l.kind === 'service_fee')?.amount).toBe(booking.serviceFee);
    const tax = r.lines.find((l) => l.kind === 'tax')!;
    expect(tax).toMatchObject({ name: 'Taxes', rateBps: 700, amount: booking.taxes, basis: 58_000 });
    expect(booking.taxes).toBe(4_060);
    expect(r.lines.reduce((s, l) => s + l.amount, 0)).toBe(booking.total);
    expect(r.lines.every((l) => l.amount === l.quantity * l.unitAmount)).toBe(true);
    expect(r.total).toBe(booking.total);
    expect(r.formattedTotal).toBe(formatMoney(booking.total, 'EUR'));
    expect(r.formattedTotal).toMatch(/^€[\d,]+\.\d\d$/);

    expect(r.payments).toHaveLength(1);
    expect(r.payments[0]!.amount).toBe(booking.total);
    expect(r.payments[0]!.provider).toBe('sandbox');
    expect(r.payments[0]!.reference).toMatch(/^••••.{4}$/);
    expect(r.refunds).toEqual([]);
    expect([r.paid, r.refunded, r.netPaid]).toEqual([booking.total, 0, booking.total]);

    // Stable: the same number and issue date every time.
    const again = (await receipt(booking.id, guest)).json() as ReceiptView;
    expect([again.receiptNumber, again.issuedAt]).toEqual([r.receiptNumber, r.issuedAt]);
  });

  it('is for the guest, the host and admins only (404 for anyone else)', async () => {
    expect((await receipt(booking.id, host)).statusCode).toBe(200);
    expect((await receipt(booking.id, admin)).statusCode).toBe(200);
    expectProblem(await receipt(booking.id, stranger), 404, 'not_found');
    expectProblem(await receipt(booking.id, otherHost), 404, 'not_found');
    expectProblem(await receipt(booking.id, stranger, true), 404, 'not_found');
    const anonymous = await t.app.inject({ method: 'GET', url: `/api/v1/bookings/${booking.id}/receipt` });
    expectProblem(anonymous, 401);
    expectProblem(await receipt('not-a-uuid', guest), 400);
  });

  it('is a real PDF with the receipt’s number, lines and total', async () => {
    const r = (await receipt(booking.id, guest)).json() as ReceiptView;
    const res = await receipt(booking.id, guest, true);
    const pdf = expectPdf(res);
    expect(res.headers['content-disposition']).toBe(`attachment; filename="${r.receiptNumber}.pdf"`);
    expect(pageCount(pdf)).toBe(1);
    const text = pdfTextOf(pdf);
    for (const expected of [
      r.receiptNumber,
      'Sunny loft in Gràcia',
      'Barcelona, ES',
      '2 nights × €100.00 (10 – 11 Mar 2031)',
      '1 night × €150.00 (12 Mar 2031)',
      'Taxes (7%)',
      r.formattedTotal,
      'PT 509 999 999',
      'page 1 of 1',
    ]) {
      expect(text, expected).toContain(expected);
    }
  });

  it('lists refunds, and the net paid is paid − refunded', async () => {
    const b = await bookAndPay(listingId, '2031-04-10', '2031-04-14');
    const cancel = await t.app.inject({
      method: 'POST',
      url: `/api/v1/bookings/${b.id}/cancel`,
      headers: guest.auth,
      payload: { reason: 'Plans changed' },
    });
    expect(cancel.statusCode, cancel.body).toBe(200);
    const res = await receipt(b.id, guest);
    expect(res.statusCode).toBe(200);
    const r = res.json() as ReceiptView;
    expect(r.bookingStatus).toBe('cancelled_by_guest');
    expect(r.refunds.length).toBeGreaterThan(0);
    const refunded = r.refunds.filter((x) => x.status === 'succeeded').reduce((s, x) => s + x.amount, 0);
    expect(r.refunded).toBe(refunded);
    expect(r.refunded).toBeGreaterThan(0);
    expect(r.refunded).toBeLessThan(r.paid); // strict: half back
    expect(r.netPaid).toBe(r.paid - r.refunded);
    expect(r.refunds[0]!.reason).toBe('cancelled_by_guest');
    // The booking's own record agrees.
    const payments = (
      await t.app.inject({ method: 'GET', url: `/api/v1/bookings/${b.id}/payments`, headers: guest.auth })
    ).json() as { refunds: { amount: number; status: string }[] };
    expect(payments.refunds.filter((x) => x.status === 'succeeded').reduce((s, x) => s + x.amount, 0)).toBe(
      r.refunded,
    );
    const text = pdfTextOf(expectPdf(await receipt(b.id, guest, true)));
    expect(text).toContain('Refunds');
    expect(text).toContain(r.formattedNetPaid);
  });

  it('is 409 receipt_not_available for a booking never paid (pending or expired)', async () => {
    const pending = await book(listingId, '2031-05-10', '2031-05-12');
    expectProblem(await receipt(pending.id, guest), 409, 'receipt_not_available');
    expectProblem(await receipt(pending.id, guest, true), 409, 'receipt_not_available');
    const expired = await insertBooking(t, {
      guestId: guest.id,
      propertyId: listingId,
      checkIn: '2031-06-10',
      checkOut: '2031-06-12',
      status: 'expired',
    });
    expectProblem(await receipt(expired.id, guest), 409, 'receipt_not_available');
  });

  it('formats a JPY listing without decimals', async () => {
    const { id } = await createListing(t, host, { nightlyPrice: 12_000, currency: 'JPY', cleaningFee: 0 });
    const b = await bookAndPay(id, '2031-03-10', '2031-03-12');
    const r = (await receipt(b.id, guest)).json() as ReceiptView;
    expect(r.currency).toBe('JPY');
    expect(r.currencyExponent).toBe(0);
    // 24 000 + 12 % fee (2 880) + 7 % tax (1 680)
    expect(r.total).toBe(28_560);
    expect(r.formattedTotal).toBe('¥28,560');
    expect(r.lines[0]!.description).toBe('2 nights × ¥12,000 (10 – 11 Mar 2031)');
    expect(r.lines.every((l) => !l.formattedAmount.includes('.'))).toBe(true);
    expect(r.lines.some((l) => l.kind === 'cleaning_fee')).toBe(false);
    expect(pdfTextOf(expectPdf(await receipt(b.id, guest, true)))).toContain('¥28,560');
  });

  it('renders a 90-night stay over several pages, quickly', async () => {
    const { id } = await createListing(t, host, { nightlyPrice: 10_000, maxNights: null });
    // Every other night at another price: 90 lines, none collapsed.
    const nights: { property_id: string; night: string; blocked: boolean; price_override: number }[] = [];
    for (let d = 0; d < 90; d += 2) {
      const night = new Date(Date.UTC(2032, 0, 1 + d)).toISOString().slice(0, 10);
      nights.push({ property_id: id, night, blocked: false, price_override: 12_000 + d });
    }
    await t.ctx.db.insertInto('property_calendar').values(nights).execute();
    const b = await insertBooking(t, {
      guestId: guest.id,
      propertyId: id,
      checkIn: '2032-01-01',
      checkOut: '2032-03-31',
    });
    const r = (await receipt(b.id, guest)).json() as ReceiptView;
    expect(r.stay.nights).toBe(90);
    expect(r.lines.filter((l) => l.kind === 'nights')).toHaveLength(90);
    expect(r.lines.reduce((s, l) => s + l.amount, 0)).toBe(b.total);

    const pdf = expectPdf(await receipt(b.id, guest, true));
    const pages = pageCount(pdf);
    expect(pages).toBeGreaterThan(1);
    const text = pdfTextOf(pdf);
    expect(text).toContain(`page ${pages} of ${pages}`);
    expect(text).toContain(r.formattedTotal);
    // The table's header is repeated on the next page.
    expect(text.match(/Description/g)?.length).toBeGreaterThan(1);

    // Generation time and the longest the event loop was held while generating.
    await receiptPdf(r); // warm (font metrics loaded once)
    const loop = monitorEventLoopDelay({ resolution: 1 });
    loop.enable();
    const runs = 5;
    const started = performance.now();
    for (let i = 0; i < runs; i++) await receiptPdf(r);
    const perPdf = (performance.now() - started) / runs;
    loop.disable();
    const maxBlockMs = loop.max / 1e6;
    console.info(
      `receipt PDF, 90 nights (${pages} pages, ${pdf.length} bytes): ${perPdf.toFixed(1)} ms each; ` +
        `longest event-loop delay ${maxBlockMs.toFixed(1)} ms`,
    );
    expect(perPdf).toBeLessThan(1000);
  });
});

// --------------------------------------------------------------------------- host payout statements

describe('GET /api/v1/host/payouts/statement', () => {
  let month: string;
  let bookingIds: string[];

  const statement = (who: TestUser, query: string, pdf = false) =>
    t.app.inject({
      method: 'GET',
      url: `/api/v1/host/payouts/statement${pdf ? '.pdf' : ''}?${query}`,
      headers: who.auth,
    });

  beforeAll(async () => {
    const rows = await t.ctx.db.selectFrom('bookings').select('id').where('host_id', '=', host.id).execute();
    bookingIds = rows.map((r) => r.id);
    // Ledger entries carry the database's clock: the month they were recorded in.
    const entry = await t.ctx.db
      .selectFrom('ledger_entries')
      .select('created_at')
      .where('account', '=', `host_payable:${host.id}`)
      .orderBy('created_at', 'desc')
      .executeTakeFirstOrThrow();
    month = new Date(entry.created_at).toISOString().slice(0, 7);
  });

  it('matches the ledger payout report, per booking and per currency', async () => {
    const res = await statement(host, `month=${month}`);
    expect(res.statusCode, res.body).toBe(200);
    const s = res.json() as PayoutStatementView;
    expect(s.month).toBe(month);
    expect(s.host).toEqual({ id: host.id, firstName: 'Test' });
    expect(s.statementNumber).toMatch(new RegExp(`^S-${month}-[0-9A-F]{12}$`));
    expect(s.payouts).toEqual([]);
    expect(s.lines.length).toBeGreaterThanOrEqual(4);
    expect(s.lines.every((l) => bookingIds.includes(l.bookingId))).toBe(true);
    expect(s.lines.every((l) => l.net === l.charged - l.refunded)).toBe(true);
    // The cancelled booking: charged, then part refunded.
    expect(s.lines.some((l) => l.refunded > 0 && l.refunded < l.charged)).toBe(true);

    const report = await t.app.inject({
      method: 'GET',
      url: `/api/v1/host/payouts/report?month=${month}`,
      headers: host.auth,
    });
    expect(report.statusCode).toBe(200);
    const rows = (report.json() as { rows: { currency: string; net: number }[] }).rows;
    expect(s.totals.map((x) => [x.currency, x.net]).sort()).toEqual(
      rows.map((x) => [x.currency, x.net]).sort(),
    );
    for (const total of s.totals) {
      const lines = s.lines.filter((l) => l.currency === total.currency);
      expect(lines.reduce((sum, l) => sum + l.net, 0)).toBe(total.earnings);
      expect(total.net).toBe(total.earnings - total.paidOut);
    }
    expect(s.totals.find((x) => x.currency === 'JPY')?.formattedNet).toMatch(/^¥[\d,]+$/);
    // The host's shares: nights + cleaning of each booking (fee and taxes are not theirs).
    const jpy = s.lines.find((l) => l.currency === 'JPY')!;
    expect(jpy.charged).toBe(24_000);
  });

  it('shows a host only their own; an admin any host’s by hostId; a guest none', async () => {
    const own = (await statement(host, `month=${month}`)).json() as PayoutStatementView;
    const byAdmin = await statement(admin, `month=${month}&hostId=${host.id}`);
    expect(byAdmin.statusCode).toBe(200);
    const adminView = byAdmin.json() as PayoutStatementView;
    expect(adminView.totals).toEqual(own.totals);
    expect(adminView.lines).toEqual(own.lines);

    const other = (await statement(otherHost, `month=${month}`)).json() as PayoutStatementView;
    expect(other.host.id).toBe(otherHost.id);
    expect(other.lines).toEqual([]);
    expect(other.totals).toEqual([]);

    expectProblem(await statement(otherHost, `month=${month}&hostId=${host.id}`), 403);
    expectProblem(await statement(guest, `month=${month}`), 403);
    expectProblem(await statement(guest, `month=${month}`, true), 403);
    expectProblem(await statement(admin, `month=${month}`), 400, 'host_id_required');
    expectProblem(await statement(admin, `month=${month}&hostId=${crypto.randomUUID()}`), 404);
    expectProblem(await statement(host, 'month=2026-13'), 400);
    expectProblem(await statement(host, `month=${month}&extra=1`), 400);
  });

  it('is a PDF too, with the totals', async () => {
    const s = (await statement(host, `month=${month}`)).json() as PayoutStatementView;
    const res = await statement(host, `month=${month}`, true);
    const pdf = expectPdf(res);
    expect(res.headers['content-disposition']).toBe(`attachment; filename="${s.statementNumber}.pdf"`);
    const text = pdfTextOf(pdf);
    expect(text).toContain(s.statementNumber);
    expect(text).toContain('No payouts in this month.');
    for (const total of s.totals) expect(text).toContain(total.formattedNet);
    // An empty month renders too.
    expectPdf(await statement(host, 'month=2030-01', true));
  });
});
