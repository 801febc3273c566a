/**
 * Receipts (a guest's, per booking) and payout statements (a host's, per month): what they say, built
 * from plain inputs a flow gathers (src/flows/receipts.ts), and their PDFs (pdf.ts). Nothing is stored: a
 * document is made on request from the booking, its payments and the ledger, so it always agrees with
 * them. All sums are integer minor units; amounts are formatted only in the `formatted*` fields.
 */
import type { Config } from '../../platform/config.js';
import type { ServiceContext } from '../../platform/context.js';
import { conflict } from '../../platform/errors.js';
import { currencyExponent, formatMoney } from './format.js';
import * as repo from './receipts.repository.js';
import type { PayoutStatementView, PlatformView, ReceiptLineView, ReceiptView } from './receipts.schemas.js';

export { MAX_STATEMENT_ENTRIES } from './receipts.repository.js';

/** Who issues documents, from PLATFORM_* configuration. */
export function platformOf(config: Config): PlatformView {
  return {
    name: config.PLATFORM_NAME,
    address: config.PLATFORM_ADDRESS,
    taxId: config.PLATFORM_TAX_ID ?? null,
    supportEmail: config.PLATFORM_SUPPORT_EMAIL,
  };
}

/** The last 12 hex digits of a UUID (its random part for UUIDv7 ids), upper case. */
const shortId = (id: string) => id.replace(/-/g, '').slice(-12).toUpperCase();

/** Stable per booking: the year it was made and the random tail of its id. */
export function receiptNumber(bookingId: string, bookingCreatedAt: string): string {
  return `R-${bookingCreatedAt.slice(0, 4)}-${shortId(bookingId)}`;
}

export function statementNumber(hostId: string, month: string): string {
  return `S-${month}-${shortId(hostId)}`;
}

/** A provider reference shown on a document: only its last 4 characters. */
export function maskReference(ref: string | null | undefined, fallback: string): string {
  const source = ref && ref.length > 0 ? ref : fallback;
  return `••••${source.slice(-4)}`;
}

const dayFormat = new Intl.DateTimeFormat('en-GB', {
  day: 'numeric',
  month: 'short',
  year: 'numeric',
  timeZone: 'UTC',
});
const utcDay = (date: string) => new Date(`${date}T00:00:00Z`);

/** "10 Jul 2026", or a range "10 – 12 Jul 2026" (plain spaces: Intl puts thin ones around the dash). */
export function formatDays(from: string, to: string): string {
  const text = from === to ? dayFormat.format(utcDay(from)) : dayFormat.formatRange(utcDay(from), utcDay(to));
  return text.replace(/[\u2000-\u200a\u202f\u205f]/g, ' ');
}

/** What a receipt is made of (a booking as priced and paid, who and where). */
export interface ReceiptInput {
  booking: {
    id: string;
    status: string;
    createdAt: string;
    checkIn: string;
    checkOut: string;
    guests: number;
    currency: string;
    nightly: { date: string; price: number }[];
    nightsSubtotal: number;
    discountPct: number;
    discount: number;
    extraGuestFees: number;
    cleaningFee: number;
    serviceFee: number;
    taxLines: { name: string; kind: 'percent' | 'per_night'; rateBps: number | null; amount: number }[];
    taxes: number;
    total: number;
  };
  guest: { id: string; firstName: string };
  listing: {
    id: string;
    title: string;
    city: string | null;
    region: string | null;
    countryCode: string | null;
  };
  payments: { id: string; status: string; provider: string; amount: number; createdAt: string }[];
  refunds: { id: string; status: string; amount: number; reason: string; createdAt: string }[];
  /** Provider references by payment id. */
  providerRefs: Map<string, string | null>;
}

/** The receipt is only for a booking that was paid. */
export function receiptNotAvailable() {
  return conflict(
    'receipt_not_available',
    'This booking has no receipt: it was never paid (a receipt exists once a payment succeeded)',
  );
}

/** Consecutive nights at one price, as receipt lines. */
export function nightLines(nightly: { date: string; price: number }[], currency: string): ReceiptLineView[] {
  const lines: ReceiptLineView[] = [];
  let run: { from: string; to: string; price: number; count: number } | null = null;
  const flush = () => {
    if (!run) return;
    const amount = run.price * run.count;
    lines.push({
      kind: 'nights',
      description: `${run.count} ${run.count === 1 ? 'night' : 'nights'} × ${formatMoney(run.price, currency)} (${formatDays(run.from, run.to)})`,
      quantity: run.count,
      unitAmount: run.price,
      amount,
      formattedAmount: formatMoney(amount, currency),
      from: run.from,
      to: run.to,
      name: null,
      rateBps: null,
      basis: null,
    });
  };
  for (const night of nightly) {
    if (run && run.price === night.price) {
      run.to = night.date;
      run.count++;
    } else {
      flush();
      run = { from: night.date, to: night.date, price: night.price, count: 1 };
    }
  }
  flush();
  return lines;
}

function feeLine(
  kind: 'discount' | 'cleaning_fee' | 'service_fee' | 'extra_guests',
  description: string,
  amount: number,
  currency: string,
) {
  return {
    kind,
    description,
    quantity: 1,
    unitAmount: amount,
    amount,
    formattedAmount: formatMoney(amount, currency),
    from: null,
    to: null,
    name: null,
    rateBps: null,
    basis: null,
  } satisfies ReceiptLineView;
}

/**
 * A guest's receipt. Lines: the nights (consecutive equal prices collapsed), the cleaning fee (when
 * there is one), the guest service fee, and each tax by name and rate; they sum to the booking's total
 * (checked: a receipt that would not add up is an error, never sent). `now` is when this copy was made.
 */
export function buildReceipt(platform: PlatformView, input: ReceiptInput, now: Date): ReceiptView {
  const { booking: b } = input;
  const currency = b.currency;
  const paidPayments = input.payments.filter((p) => p.status === 'succeeded');
  const first = paidPayments[0];
  if (!first) throw receiptNotAvailable();
  const lines: ReceiptLineView[] = nightLines(b.nightly, currency);
  if (b.discount > 0) {
    const which = b.nightly.length >= 28 ? 'Monthly' : 'Weekly';
    lines.push(feeLine('discount', `${which} stay discount (${b.discountPct} %)`, -b.discount, currency));
  }
  if (b.extraGuestFees > 0) {
    lines.push(feeLine('extra_guests', 'Extra guests', b.extraGuestFees, currency));
  }
  if (b.cleaningFee > 0) lines.push(feeLine('cleaning_fee', 'Cleaning fee', b.cleaningFee, currency));
  lines.push(feeLine('service_fee', `${platform.name} service fee`, b.serviceFee, currency));
  // Percentage taxes are on the accommodation (nights − discount + extra guests + cleaning).
  const accommodation = b.nightsSubtotal - b.discount + b.extraGuestFees + b.cleaningFee;
  for (const tax of b.taxLines) {
    if (tax.amount <= 0) continue;
    const nights = b.nightly.length;
    lines.push({
      kind: 'tax',
      description:
        tax.rateBps !== null
          ? `${tax.name} (${formatRate(tax.rateBps)})`
          : tax.kind === 'per_night'
            ? `${tax.name} (${nights} ${nights === 1 ? 'night' : 'nights'})`
            : tax.name,
      quantity: 1,
      unitAmount: tax.amount,
      amount: tax.amount,
      formattedAmount: formatMoney(tax.amount, currency),
      from: null,
      to: null,
      name: tax.name,
      rateBps: tax.rateBps,
      basis: tax.kind === 'percent' ? accommodation : null,
    });
  }
  const sum = lines.reduce((s, l) => s + l.amount, 0);
  if (sum !== b.total) throw new Error(`receipt lines of booking ${b.id} sum to ${sum}, not ${b.total}`);

  const refunds = input.refunds.filter((r) => r.status === 'succeeded' || r.status === 'pending');
  const paid = paidPayments.reduce((s, p) => s + p.amount, 0);
  const refunded = refunds.filter((r) => r.status === 'succeeded').reduce((s, r) => s + r.amount, 0);
  const refundPending = refunds.filter((r) => r.status === 'pending').reduce((s, r) => s + r.amount, 0);
  const netPaid = paid - refunded;
  return {
    receiptNumber: receiptNumber(b.id, b.createdAt),
    bookingId: b.id,
    bookingStatus: b.status,
    issuedAt: first.createdAt,
    generatedAt: now.toISOString(),
    platform,
    guest: input.guest,
    listing: input.listing,
    stay: { checkIn: b.checkIn, checkOut: b.checkOut, nights: b.nightly.length, guests: b.guests },
    currency,
    currencyExponent: currencyExponent(currency),
    lines,
    total: b.total,
    formattedTotal: formatMoney(b.total, currency),
    payments: paidPayments.map((p) => ({
      id: p.id,
      date: p.createdAt,
      provider: p.provider,
      reference: maskReference(input.providerRefs.get(p.id), p.id),
      amount: p.amount,
      formattedAmount: formatMoney(p.amount, currency),
    })),
    refunds: refunds.map((r) => ({
      id: r.id,
      date: r.createdAt,
      amount: r.amount,
      formattedAmount: formatMoney(r.amount, currency),
      reason: r.reason,
      status: r.status as 'pending' | 'succeeded',
    })),
    paid,
    refunded,
    refundPending,
    netPaid,
    formattedPaid: formatMoney(paid, currency),
    formattedRefunded: formatMoney(refunded, currency),
    formattedNetPaid: formatMoney(netPaid, currency),
  };
}

/** 700 → "7%", 825 → "8.25%" (exact: basis points are integers). */
export function formatRate(bps: number): string {
  const whole = Math.floor(bps / 100);
  const cents = bps % 100;
  return cents === 0 ? `${whole}%` : `${whole}.${String(cents).padStart(2, '0').replace(/0$/, '')}%`;
}

/** The provider references of a booking's payments (masked on the receipt). */
export function providerRefsOf(ctx: ServiceContext, bookingId: string) {
  return repo.providerRefsOf(ctx.db, bookingId);
}

/** A host's payable-account movements in a month, each with the booking it is about. */
export async function hostLedgerEntries(ctx: ServiceContext, hostId: string, month: string) {
  const entries = await repo.hostLedgerEntries(ctx.db, hostId, month);
  if (entries.length > repo.MAX_STATEMENT_ENTRIES) {
    throw conflict(
      'statement_too_large',
      `More than ${repo.MAX_STATEMENT_ENTRIES} ledger entries in this month: ask support for an export`,
    );
  }
  return entries;
}

export type HostLedgerEntry = repo.HostLedgerEntry;

/**
 * A host's payout statement for a month, from their payable account's entries in that month: one line per
 * booking and currency (the host's share of charges, minus refunds), payouts (ledger `payout`
 * transactions), and totals per currency whose `net` is the month's net of the ledger payout report.
 */
export function buildStatement(
  platform: PlatformView,
  input: {
    host: { id: string; firstName: string };
    month: string;
    entries: HostLedgerEntry[];
    guestNames: Map<string, string>;
    listingTitles: Map<string, string>;
  },
  now: Date,
): PayoutStatementView {
  const lines = new Map<string, PayoutStatementView['lines'][number]>();
  const payouts: PayoutStatementView['payouts'] = [];
  const totals = new Map<
    string,
    { charged: number; refunded: number; adjustments: number; paidOut: number }
  >();
  const totalOf = (currency: string) => {
    let t = totals.get(currency);
    if (!t) {
      t = { charged: 0, refunded: 0, adjustments: 0, paidOut: 0 };
      totals.set(currency, t);
    }
    return t;
  };
  for (const e of input.entries) {
    const total = totalOf(e.currency);
    const aboutBooking = (e.kind === 'guest_charge' || e.kind === 'refund') && e.bookingId !== null;
    if (aboutBooking) {
      const key = `${e.bookingId}:${e.currency}`;
      let line = lines.get(key);
      if (!line) {
        line = {
          bookingId: e.bookingId!,
          guestFirstName: input.guestNames.get(e.guestId ?? '') ?? 'Guest',
          listingTitle: input.listingTitles.get(e.propertyId ?? '') ?? 'Listing',
          checkIn: e.checkIn ?? '',
          checkOut: e.checkOut ?? '',
          currency: e.currency,
          charged: 0,
          refunded: 0,
          net: 0,
          formattedNet: '',
        };
        lines.set(key, line);
      }
      // A credit to the host is negative in the ledger.
      if (e.kind === 'guest_charge') {
        line.charged -= e.amount;
        total.charged -= e.amount;
      } else {
        line.refunded += e.amount;
        total.refunded += e.amount;
      }
    } else if (e.kind === 'payout') {
      payouts.push({
        transactionId: e.transactionId,
        date: e.createdAt.toISOString(),
        currency: e.currency,
        amount: e.amount,
        formattedAmount: formatMoney(e.amount, e.currency),
      });
      total.paidOut += e.amount;
    } else {
      total.adjustments -= e.amount;
    }
  }
  const lineList = [...lines.values()].map((l) => {
    const net = l.charged - l.refunded;
    return { ...l, net, formattedNet: formatMoney(net, l.currency) };
  });
  lineList.sort((a, b) => a.checkIn.localeCompare(b.checkIn) || a.bookingId.localeCompare(b.bookingId));
  return {
    statementNumber: statementNumber(input.host.id, input.month),
    month: input.month,
    generatedAt: now.toISOString(),
    platform,
    host: input.host,
    lines: lineList,
    payouts,
    totals: [...totals.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([currency, t]) => {
        const earnings = t.charged - t.refunded + t.adjustments;
        const net = earnings - t.paidOut;
        return {
          currency,
          ...t,
          earnings,
          net,
          formattedEarnings: formatMoney(earnings, currency),
          formattedPaidOut: formatMoney(t.paidOut, currency),
          formattedNet: formatMoney(net, currency),
        };
      }),
  };
}
