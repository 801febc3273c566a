/**
 * Sending email. `Mailer.send` is idempotent per message id where the transport allows: the file
 * transport writes `<id>.json` (a second delivery of the same outbox row overwrites, never duplicates);
 * SMTP sends the outbox id as the Message-ID so receivers can de-duplicate.
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import type { Config } from './config.js';

export interface OutgoingEmail {
  /** The outbox row id: the message's identity across retries. */
  id: string;
  to: string;
  subject: string;
  text: string;
  html: string;
}

export interface Mailer {
  send(email: OutgoingEmail): Promise<void>;
  close?(): void;
}

export class FileMailer implements Mailer {
  constructor(private readonly dir: string) {}
  async send(email: OutgoingEmail): Promise<void> {
    // A written email may carry a live token (it is the recipient's inbox): readable by this user only.
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    // Written aside, then renamed into place: whoever watches the folder never reads half an email.
    const path = join(this.dir, `${email.id}.json`);
    const partial = `${path}.${process.pid}.partial`;
    await writeFile(partial, JSON.stringify({ ...email, writtenAt: new Date().toISOString() }, null, 2), {
      mode: 0o600,
    });
    await rename(partial, path);
  }
}

export class SmtpMailer implements Mailer {
  private readonly transport: nodemailer.Transporter;
  constructor(
    url: string,
    private readonly from: string,
  ) {
    this.transport = nodemailer.createTransport(url);
  }
  async send(email: OutgoingEmail): Promise<void> {
    await this.transport.sendMail({
      from: this.from,
      to: email.to,
      subject: email.subject,
      text: email.text,
      html: email.html,
      messageId: `<${email.id}@roost>`,
    });
  }
  close() {
    this.transport.close();
  }
}

export function createMailer(config: Config): Mailer {
  return config.SMTP_URL
    ? new SmtpMailer(config.SMTP_URL, config.MAIL_FROM)
    : new FileMailer(config.MAIL_DIR);
}

// ---------------------------------------------------------------------------------------------------
// Rendering. A template gets only the outbox row's data (no config): notification emails name the
// booking, listing and dates and send the reader to the app; links appear only where the caller put
// one in the data (verify_email, password_reset). Every value is escaped in the HTML part.

const esc = (s: unknown) => String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

type Data = Record<string, unknown>;

/** A value as text, or '' when it is missing (never "undefined" or "null" in an email). */
const str = (v: unknown): string => (v === undefined || v === null ? '' : String(v)).trim();

const DAY_FORMAT = new Intl.DateTimeFormat('en-GB', {
  weekday: 'short',
  day: 'numeric',
  month: 'short',
  year: 'numeric',
  timeZone: 'UTC',
});
const INSTANT_FORMAT = new Intl.DateTimeFormat('en-GB', {
  weekday: 'short',
  day: 'numeric',
  month: 'short',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  hour12: false,
  timeZone: 'UTC',
});

/** A day of stay (`2026-06-12`, or a timestamp whose date is meant) as `Fri, 12 Jun 2026`. */
export function formatDay(v: unknown): string {
  const text = str(v);
  const day = /^\d{4}-\d{2}-\d{2}/.exec(text)?.[0];
  const at = day ? Date.parse(`${day}T00:00:00Z`) : Number.NaN;
  return Number.isFinite(at) ? DAY_FORMAT.format(at) : text;
}

/** An instant (ISO timestamp) as `Fri, 12 Jun 2026, 14:05 UTC`. */
export function formatInstant(v: unknown): string {
  const text = str(v);
  const at = text ? Date.parse(text) : Number.NaN;
  return Number.isFinite(at) ? `${INSTANT_FORMAT.format(at)} UTC` : text;
}

/**
 * Integer minor units of an ISO currency as `EUR 1,234.50` (JPY has no minor unit: `JPY 12,345`).
 * An unknown currency code is shown with two decimals.
 */
export function formatMoney(minor: unknown, currency: unknown): string {
  const amount = Number(minor ?? 0);
  const code = str(currency).toUpperCase();
  try {
    const f = new Intl.NumberFormat('en-GB', { style: 'currency', currency: code, currencyDisplay: 'code' });
    const digits = f.resolvedOptions().maximumFractionDigits ?? 2;
    return f.format(amount / 10 ** digits).replace(/\s/g, ' ');
  } catch {
    return `${code} ${(amount / 100).toFixed(2)}`.trim();
  }
}

interface Rendered {
  subject: string;
  /** Paragraphs. */
  lines: string[];
  /** Label and value pairs (a booking's id, dates, amounts): a list in the text, a table in the HTML. */
  facts?: [string, string][];
  /** A link the caller put in the data (verification, reset). */
  link?: string;
}

type Template = (d: Data) => Rendered;

const hi = (d: Data) => (str(d['firstName']) ? `Hi ${str(d['firstName'])},` : 'Hi,');
/** The listing as named in a sentence: “Sunny loft”, or a plain fallback. */
const listingOf = (d: Data, fallback = 'your listing') =>
  str(d['listingTitle']) ? `“${str(d['listingTitle'])}”` : fallback;
const stayOf = (d: Data) => `${formatDay(d['checkIn'])} to ${formatDay(d['checkOut'])}`;
const shortStay = (d: Data) => `${formatDay(d['checkIn'])} – ${formatDay(d['checkOut'])}`;
const guestsOf = (d: Data) => {
  const n = Number(d['guests']);
  return Number.isFinite(n) && n > 0 ? `${n} guest${n === 1 ? '' : 's'}` : '';
};
const has = (d: Data, key: string) => str(d[key]) !== '';
const totalOf = (d: Data) => formatMoney(d['total'], d['currency']);
/** What went back for a full refund: the refunded amount once recorded, else the total. */
const refundedInFull = (d: Data) =>
  formatMoney(Number(d['refundedAmount'] ?? 0) > 0 ? d['refundedAmount'] : d['total'], d['currency']);

/** The facts of a booking that the reader may need to find it in the app. */
function bookingFacts(d: Data, extra: [string, string][] = []): [string, string][] {
  const facts: [string, string][] = [];
  if (has(d, 'listingTitle')) facts.push(['Listing', str(d['listingTitle'])]);
  if (has(d, 'checkIn')) facts.push(['Check-in', formatDay(d['checkIn'])]);
  if (has(d, 'checkOut')) facts.push(['Check-out', formatDay(d['checkOut'])]);
  if (guestsOf(d)) facts.push(['Guests', String(Number(d['guests']))]);
  if (has(d, 'total') && has(d, 'currency')) facts.push(['Total', totalOf(d)]);
  facts.push(...extra);
  if (has(d, 'bookingId')) facts.push(['Booking', str(d['bookingId'])]);
  return facts;
}

const conversationFact = (d: Data): [string, string][] =>
  has(d, 'conversationId') ? [['Conversation', str(d['conversationId'])]] : [];

const TEMPLATES: Record<string, Template> = {
  verify_email: (d) => ({
    subject: 'Confirm your email',
    lines: [hi(d), 'Please confirm your email address for Roost.'],
    link: str(d['link']),
  }),
  password_reset: (d) => ({
    subject: 'Reset your password',
    lines: [
      hi(d),
      `Use this link within ${str(d['expiresInMinutes'])} minutes to choose a new password.`,
      "If you didn't ask for it, ignore this email.",
    ],
    link: str(d['link']),
  }),
  password_changed: (d) => ({
    subject: 'Your password was changed',
    lines: [hi(d), 'Your Roost password was just changed. If this was not you, reset it now.'],
  }),

  // A host: a paid request to book waits for an answer.
  booking_request_received: (d) => ({
    subject: `New request to book ${listingOf(d)} for ${shortStay(d)}: answer before ${formatInstant(d['respondBy'])}`,
    lines: [
      hi(d),
      `You have a new request to book ${listingOf(d)} from ${stayOf(d)}${guestsOf(d) ? ` for ${guestsOf(d)}` : ''}.`,
      `The guest has paid ${totalOf(d)}; the stay is booked only once you accept.`,
      `Please accept or decline before ${formatInstant(d['respondBy'])}. A request left unanswered expires and the guest is refunded in full.`,
      'Answer it in the Roost app, under your bookings; anything the guest wrote is in the booking’s conversation.',
    ],
    facts: bookingFacts(d, [['Answer before', formatInstant(d['respondBy'])], ...conversationFact(d)]),
  }),
  // A host: an instant booking.
  booking_received: (d) => ({
    subject: `New booking of ${listingOf(d)}: ${shortStay(d)}`,
    lines: [
      hi(d),
      `${listingOf(d, 'Your listing')} was booked from ${stayOf(d)}${guestsOf(d) ? ` for ${guestsOf(d)}` : ''}.`,
      `The guest paid ${totalOf(d)}. The check-in details you keep for this listing are shown to the guest in the app.`,
    ],
    facts: bookingFacts(d, conversationFact(d)),
  }),
  // A guest: an instant booking, paid.
  booking_confirmed: (d) => ({
    subject: `Your stay${has(d, 'listingTitle') ? ` at ${listingOf(d)}` : ''} is confirmed: ${shortStay(d)}`,
    lines: [
      hi(d),
      `Your stay at ${listingOf(d, 'the listing')} from ${stayOf(d)} is confirmed.`,
      ...(has(d, 'total') ? [`You paid ${totalOf(d)}.`] : []),
      'The address and the host’s check-in details are in the Roost app, with your booking.',
    ],
    facts: bookingFacts(d, conversationFact(d)),
  }),
  // A guest: the host accepted a request to book.
  request_accepted: (d) => ({
    subject: `Request accepted: your stay at ${listingOf(d, 'the listing')} is confirmed (${shortStay(d)})`,
    lines: [
      hi(d),
      `Good news: the host accepted your request to book ${listingOf(d, 'the listing')} from ${stayOf(d)}. Your stay is confirmed.`,
      'The address and the host’s check-in details are in the Roost app, with your booking.',
    ],
    facts: bookingFacts(d, conversationFact(d)),
  }),
  // A guest: the host declined (with their reason, if they gave one).
  booking_declined: (d) => ({
    subject: `Your request to book ${listingOf(d, 'the listing')} was declined`,
    lines: [
      hi(d),
      `The host declined your request to book ${listingOf(d, 'the listing')} from ${stayOf(d)}.`,
      ...(has(d, 'reason') ? [`The host wrote: “${str(d['reason'])}”`] : []),
      `You are refunded in full: ${refundedInFull(d)}.`,
    ],
    facts: bookingFacts(d, [['Refunded', refundedInFull(d)]]),
  }),
  // Both sides: a paid request nobody answered in time.
  request_expired: (d) =>
    d['role'] === 'host'
      ? {
          subject: `A request to book ${listingOf(d)} expired unanswered`,
          lines: [
            hi(d),
            `You did not answer the request to book ${listingOf(d)} for ${stayOf(d)} in time, so it expired.`,
            `The guest was refunded in full (${refundedInFull(d)}) and the nights are free again.`,
          ],
          facts: bookingFacts(d, [['Refunded to the guest', refundedInFull(d)]]),
        }
      : {
          subject: `Your request to book ${listingOf(d, 'the listing')} expired: refunded in full`,
          lines: [
            hi(d),
            `The host did not answer your request to book ${listingOf(d, 'the listing')} for ${stayOf(d)} in time, so it expired.`,
            `You are refunded in full: ${refundedInFull(d)}.`,
          ],
          facts: bookingFacts(d, [['Refunded', refundedInFull(d)]]),
        },
  // Either side: `role` is the reader's side, `by` who cancelled.
  booking_cancelled: (d) => {
    const byGuest = d['by'] === 'guest';
    const host = d['role'] === 'host';
    const refunded = Number(d['refundedAmount'] ?? 0);
    const who = host ? (byGuest ? 'The guest' : 'You') : byGuest ? 'You' : 'The host';
    const money = refunded > 0 ? formatMoney(refunded, d['currency']) : '';
    const refundLine = host
      ? money
        ? `${money} of ${totalOf(d)} went back to the guest.`
        : 'Nothing went back to the guest under the cancellation policy.'
      : !money
        ? 'No refund is due under the cancellation policy.'
        : refunded >= Number(d['total'] ?? 0)
          ? `You are refunded in full: ${money}.`
          : `You are refunded ${money} of ${totalOf(d)}.`;
    return {
      subject: host
        ? `Booking cancelled${byGuest ? ' by the guest' : ''}: ${listingOf(d)}, ${shortStay(d)}`
        : `Your stay at ${listingOf(d, 'the listing')} was cancelled${byGuest ? '' : ' by the host'}`,
      lines: [
        hi(d),
        `${who} cancelled the stay at ${listingOf(d, host ? 'your listing' : 'the listing')} from ${stayOf(d)}.`,
        refundLine,
        ...(host && byGuest ? ['Those nights are open for booking again.'] : []),
      ],
      facts: bookingFacts(d, [['Refunded', formatMoney(refunded, d['currency'])]]),
    };
  },
  // Either side: one or more new messages in a thread (the preview masked as the reader sees it).
  new_message: (d) => {
    const from = str(d['fromName']) || 'someone';
    const count = Number(d['count'] ?? 1);
    const several = Number.isFinite(count) && count > 1;
    return {
      subject: several ? `${count} new messages from ${from}` : `New message from ${from}`,
      lines: [
        hi(d),
        several ? `${from} wrote to you ${count} times. The latest:` : `${from} wrote to you:`,
        `“${str(d['preview'])}”`,
        'Read and answer it in the Roost app, under your messages.',
      ],
      facts: conversationFact(d),
    };
  },
  // A guest: the host pre-approved dates, bookable instantly until it expires.
  preapproval_received: (d) => ({
    subject: `You are pre-approved for ${listingOf(d, 'a stay')}: ${shortStay(d)}`,
    lines: [
      hi(d),
      `The host pre-approved you for ${listingOf(d, 'a stay')} from ${stayOf(d)}${guestsOf(d) ? `, up to ${guestsOf(d)}` : ''}.`,
      `Book exactly these dates before ${formatInstant(d['expiresAt'])} and your booking is confirmed instantly, without waiting for the host.`,
      'The offer is in your conversation with the host in the Roost app.',
    ],
    facts: [...bookingFacts(d), ['Book before', formatInstant(d['expiresAt'])], ...conversationFact(d)],
  }),
  // A guest: check-in details exist. The details themselves never go into an email.
  checkin_details: (d) => ({
    subject: `Check-in details for ${listingOf(d, 'your stay')} are available`,
    lines: [
      hi(d),
      `The host’s check-in details for your stay at ${listingOf(d, 'the listing')} from ${stayOf(d)} are available.`,
      'For your safety they are not sent by email: open your booking in the Roost app to see them.',
    ],
    facts: bookingFacts(d),
  }),
  checkin_reminder: (d) => ({
    subject: `Your stay starts tomorrow, ${formatDay(d['checkIn'])}`,
    lines: [
      hi(d),
      `Your stay${has(d, 'listingTitle') ? ` at ${listingOf(d)}` : ''} starts tomorrow, ${formatDay(d['checkIn'])}${has(d, 'checkInTime') ? `, with check-in from ${str(d['checkInTime'])}` : ''}.`,
      'The address and the host’s check-in details are in the Roost app, with your booking.',
    ],
    facts: [
      ...bookingFacts(d),
      ...(has(d, 'checkInTime') ? ([['Check-in from', str(d['checkInTime'])]] as [string, string][]) : []),
    ],
  }),
  review_reminder: (d) => ({
    subject: `How was your stay${has(d, 'listingTitle') ? ` at ${listingOf(d)}` : ''}? Leave a review`,
    lines: [
      hi(d),
      `Your stay${has(d, 'listingTitle') ? ` at ${listingOf(d)}` : ''} ended on ${formatDay(d['checkOut'])}. Tell other guests how it was: write a review of it in the Roost app.`,
    ],
    facts: bookingFacts(d),
  }),
  // A host: a cancellation or refund changed what they will be paid.
  payout_changed: (d) => ({
    subject: `Your expected payout for ${listingOf(d)} changed`,
    lines: [
      hi(d),
      `The stay at ${listingOf(d)} from ${stayOf(d)} was cancelled: ${formatMoney(d['refundedAmount'], d['currency'])} of the ${totalOf(d)} paid went back to the guest.`,
      'Your expected payout for this booking is lowered accordingly; the payouts page of the Roost app shows the new amount.',
    ],
    facts: bookingFacts(d, [['Refunded to the guest', formatMoney(d['refundedAmount'], d['currency'])]]),
  }),
};

/** The templates that render a real email (any other name falls back to its data as text). */
export const EMAIL_TEMPLATE_NAMES: readonly string[] = Object.freeze(Object.keys(TEMPLATES));

/** Subjects are one line, whatever the data (a title with a line break cannot add a header). */
const oneLine = (s: string) => s.replace(/\s+/g, ' ').trim().slice(0, 250);

/** Subject, text and HTML for an outbox row. Unknown templates still render (their data as text). */
export function renderEmail(
  id: string,
  to: string,
  template: string,
  data: Record<string, unknown>,
): OutgoingEmail {
  const t: Rendered = (Object.hasOwn(TEMPLATES, template) ? TEMPLATES[template]?.(data) : undefined) ?? {
    subject: template.replaceAll('_', ' '),
    lines: [JSON.stringify(data)],
  };
  const facts = t.facts ?? [];
  const text = [
    ...t.lines.flatMap((l, i) => (i === 0 ? [l] : ['', l])),
    ...(facts.length ? ['', ...facts.map(([k, v]) => `${k}: ${v}`)] : []),
    ...(t.link ? ['', t.link] : []),
    '',
    '— Roost',
  ].join('\n');
  const table = facts.length
    ? `<table role="presentation" cellpadding="4" style="border-collapse:collapse">${facts
        .map(([k, v]) => `<tr><th align="left" style="color:#555">${esc(k)}</th><td>${esc(v)}</td></tr>`)
        .join('')}</table>`
    : '';
  const html = `${t.lines.map((l) => `<p>${esc(l)}</p>`).join('')}${table}${t.link ? `<p><a href="${esc(t.link)}">${esc(t.link)}</a></p>` : ''}<p>— Roost</p>`;
  return { id, to, subject: oneLine(t.subject), text, html };
}
