/**
 * The emails of every notification in the catalog (src/modules/notifications/catalog.ts): each has a
 * template of its own (no JSON dump of its data), a subject that says what happened, the key facts
 * (dates, amounts in the currency's own minor units, ids) in the text and in the HTML, and every value
 * escaped in the HTML. The data is shaped as src/flows/notify.ts, messages.ts, requests.ts and
 * reminders.ts build it (plus `firstName` and `notificationId`, added by notifyUser).
 */
import { describe, expect, it } from 'vitest';
import { NOTIFICATION_TYPES } from '../modules/notifications/catalog.js';
import { EMAIL_TEMPLATE_NAMES, formatDay, formatInstant, formatMoney, renderEmail } from './mailer.js';

const HOSTILE_TITLE = '<script>alert("x")</script> Loft & Co';
const CHECK_IN = '2026-06-12';
const CHECK_OUT = '2026-06-15';
const DAY_IN = 'Fri, 12 Jun 2026';
const DAY_OUT = 'Mon, 15 Jun 2026';
const BOOKING_ID = '0190a6b2-1111-7000-8000-000000000001';
const CONVERSATION_ID = '0190a6b2-2222-7000-8000-000000000002';

/** bookingFacts (src/flows/notify.ts) of a paid 3-night stay of EUR 1,234.50, for `role`. */
const facts = (role: 'guest' | 'host', extra: Record<string, unknown> = {}) => ({
  firstName: role === 'guest' ? 'Greta' : 'Hugo',
  bookingId: BOOKING_ID,
  propertyId: '0190a6b2-3333-7000-8000-000000000003',
  listingTitle: HOSTILE_TITLE,
  conversationId: CONVERSATION_ID,
  checkIn: CHECK_IN,
  checkOut: CHECK_OUT,
  guests: 2,
  status: 'confirmed',
  total: 123_450,
  refundedAmount: 0,
  currency: 'EUR',
  role,
  notificationId: '0190a6b2-4444-7000-8000-000000000004',
  ...extra,
});

const TOTAL = 'EUR 1,234.50';

interface Case {
  data: Record<string, unknown>;
  /** In the subject (besides not being the fallback). */
  subject: RegExp;
  /** In both the text and the HTML (as text: HTML-escaped before the comparison). */
  facts: string[];
  /** In neither. */
  absent?: string[];
}

/** At least one case per template the catalog names; more for templates whose wording varies. */
const CASES: Record<string, Case[]> = {
  booking_request_received: [
    {
      data: facts('host', { status: 'awaiting_host', respondBy: '2026-05-02T14:05:00.000Z' }),
      subject: /^New request to book .*Fri, 12 Jun 2026.*answer before Sat, 2 May 2026, 14:05 UTC/,
      facts: [
        DAY_IN,
        DAY_OUT,
        TOTAL,
        'Sat, 2 May 2026, 14:05 UTC',
        BOOKING_ID,
        '2 guests',
        'refunded in full',
      ],
    },
  ],
  booking_received: [
    {
      data: facts('host'),
      subject: /^New booking of .*Loft & Co.*Fri, 12 Jun 2026/,
      facts: [DAY_IN, DAY_OUT, TOTAL, BOOKING_ID, CONVERSATION_ID],
    },
  ],
  booking_confirmed: [
    {
      data: facts('guest'),
      subject: /^Your stay at .* is confirmed: Fri, 12 Jun 2026 – Mon, 15 Jun 2026$/,
      facts: [DAY_IN, DAY_OUT, `You paid ${TOTAL}`, BOOKING_ID],
    },
  ],
  request_accepted: [
    {
      data: facts('guest'),
      subject: /^Request accepted: .* is confirmed/,
      facts: [DAY_IN, DAY_OUT, 'accepted your request', BOOKING_ID],
    },
  ],
  booking_declined: [
    {
      data: facts('guest', {
        status: 'declined',
        refundedAmount: 123_450,
        reason: 'Sorry, <b>closed</b> then.',
      }),
      subject: /was declined$/,
      facts: [DAY_IN, DAY_OUT, `refunded in full: ${TOTAL}`, 'The host wrote: “Sorry, <b>closed</b> then.”'],
    },
    {
      // No reason given; the refund not recorded on the booking yet: the total goes back.
      data: facts('guest', { status: 'declined', reason: null }),
      subject: /was declined$/,
      facts: [`refunded in full: ${TOTAL}`],
      absent: ['The host wrote'],
    },
  ],
  request_expired: [
    {
      data: facts('guest', { status: 'expired', refundedAmount: 123_450 }),
      subject: /^Your request to book .* expired: refunded in full$/,
      facts: [DAY_IN, DAY_OUT, `You are refunded in full: ${TOTAL}`, 'did not answer your request'],
      absent: ['You did not answer'],
    },
    {
      data: facts('host', { status: 'expired', refundedAmount: 123_450 }),
      subject: /^A request to book .* expired unanswered$/,
      facts: [DAY_IN, DAY_OUT, 'You did not answer the request', `The guest was refunded in full (${TOTAL})`],
      absent: ['You are refunded'],
    },
  ],
  booking_cancelled: [
    {
      // The guest hears that the host cancelled: refunded in full.
      data: facts('guest', { status: 'cancelled_by_host', refundedAmount: 123_450, by: 'host' }),
      subject: /^Your stay at .* was cancelled by the host$/,
      facts: ['The host cancelled the stay', DAY_IN, `You are refunded in full: ${TOTAL}`],
    },
    {
      // The host hears that the guest cancelled under a policy that kept part of it.
      data: facts('host', { status: 'cancelled_by_guest', refundedAmount: 61_725, by: 'guest' }),
      subject: /^Booking cancelled by the guest: .*Fri, 12 Jun 2026/,
      facts: ['The guest cancelled the stay', 'EUR 617.25 of EUR 1,234.50 went back to the guest', DAY_OUT],
      absent: ['You cancelled'],
    },
    {
      // An admin cancelled on the guest's behalf: the guest is told, with no refund due.
      data: facts('guest', { status: 'cancelled_by_guest', refundedAmount: 0, by: 'guest' }),
      subject: /^Your stay at .* was cancelled$/,
      facts: ['You cancelled the stay', 'No refund is due'],
    },
    {
      // The guest cancelled under a policy that kept part of it.
      data: facts('guest', { status: 'cancelled_by_guest', refundedAmount: 61_725, by: 'guest' }),
      subject: /^Your stay at .* was cancelled$/,
      facts: ['You cancelled the stay', 'You are refunded EUR 617.25 of EUR 1,234.50.'],
    },
  ],
  new_message: [
    {
      data: {
        firstName: 'Hugo',
        conversationId: CONVERSATION_ID,
        propertyId: '0190a6b2-3333-7000-8000-000000000003',
        messageId: '0190a6b2-5555-7000-8000-000000000005',
        fromName: 'Greta <img src=x>',
        preview: 'Call me on [phone number hidden until booking is confirmed] <3',
        count: 1,
        notificationId: '0190a6b2-4444-7000-8000-000000000004',
      },
      subject: /^New message from Greta <img src=x>$/,
      facts: [
        'Greta <img src=x> wrote to you:',
        '“Call me on [phone number hidden until booking is confirmed] <3”',
        CONVERSATION_ID,
      ],
    },
    {
      data: {
        firstName: 'Hugo',
        conversationId: CONVERSATION_ID,
        fromName: 'Greta',
        preview: 'One more thing',
        count: 3,
      },
      subject: /^3 new messages from Greta$/,
      facts: ['Greta wrote to you 3 times', '“One more thing”'],
    },
  ],
  preapproval_received: [
    {
      data: {
        firstName: 'Greta',
        conversationId: CONVERSATION_ID,
        propertyId: '0190a6b2-3333-7000-8000-000000000003',
        preApprovalId: '0190a6b2-6666-7000-8000-000000000006',
        checkIn: CHECK_IN,
        checkOut: CHECK_OUT,
        guests: 2,
        expiresAt: '2026-05-03T09:30:00.000Z',
        messageId: '0190a6b2-5555-7000-8000-000000000005',
        notificationId: '0190a6b2-4444-7000-8000-000000000004',
      },
      subject: /^You are pre-approved for a stay: Fri, 12 Jun 2026 – Mon, 15 Jun 2026$/,
      facts: [
        DAY_IN,
        DAY_OUT,
        'up to 2 guests',
        'Sun, 3 May 2026, 09:30 UTC',
        'confirmed instantly',
        CONVERSATION_ID,
      ],
    },
  ],
  checkin_details: [
    {
      // Even if the data carried the details, they would not be written into the email.
      data: facts('guest', { details: 'Door code 4711, key box left of the door' }),
      subject: /^Check-in details for .* are available$/,
      facts: [DAY_IN, DAY_OUT, 'not sent by email', 'Roost app', BOOKING_ID],
      absent: ['4711', 'key box'],
    },
  ],
  checkin_reminder: [
    {
      data: {
        firstName: 'Greta',
        bookingId: BOOKING_ID,
        propertyId: '0190a6b2-3333-7000-8000-000000000003',
        checkIn: CHECK_IN,
        checkInTime: '15:00',
      },
      subject: /^Your stay starts tomorrow, Fri, 12 Jun 2026$/,
      facts: [DAY_IN, 'check-in from 15:00', BOOKING_ID],
    },
  ],
  review_reminder: [
    {
      data: { firstName: 'Greta', bookingId: BOOKING_ID, propertyId: 'p', checkOut: CHECK_OUT },
      subject: /^How was your stay\? Leave a review$/,
      facts: [`ended on ${DAY_OUT}`, 'review', BOOKING_ID],
    },
  ],
  payout_changed: [
    {
      data: facts('host', { status: 'cancelled_by_guest', refundedAmount: 61_725 }),
      subject: /^Your expected payout for .* changed$/,
      facts: [DAY_IN, DAY_OUT, 'EUR 617.25 of the EUR 1,234.50 paid went back to the guest', BOOKING_ID],
    },
  ],
};

const catalogTemplates = [...new Set(Object.values(NOTIFICATION_TYPES).map((s) => s.template))].sort();
const htmlText = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const render = (template: string, data: Record<string, unknown>) =>
  renderEmail('0190a6b2-9999-7000-8000-000000000009', 'someone@example.com', template, data);

describe('notification emails', () => {
  it('has a template, and a test case, for every template the catalog names', () => {
    expect(catalogTemplates.length).toBeGreaterThanOrEqual(13);
    for (const name of catalogTemplates) {
      expect(EMAIL_TEMPLATE_NAMES, name).toContain(name);
      expect(CASES[name]?.length ?? 0, `a test case for ${name}`).toBeGreaterThan(0);
    }
  });

  describe.each(catalogTemplates)('%s', (template) => {
    it.each((CASES[template] ?? []).map((c, i) => [i, c] as const))('case %i', (_i, c) => {
      const fallback = render('no_such_template', c.data);
      const mail = render(template, c.data);
      // A real email, not the data dumped as JSON.
      expect(mail.subject).not.toBe(template.replaceAll('_', ' '));
      expect(mail.text).not.toContain('{"');
      expect(mail.text).not.toBe(fallback.text);
      expect(mail.subject).toMatch(c.subject);
      expect(mail.subject).not.toMatch(/\n/);
      for (const part of [mail.subject, mail.text, mail.html]) {
        expect(part).not.toMatch(/undefined|null|NaN|\[object Object\]/);
      }
      // Greets the reader by name.
      expect(mail.text.split('\n')[0]).toBe(`Hi ${String(c.data['firstName'])},`);
      for (const fact of c.facts) {
        expect(mail.text, `text: ${fact}`).toContain(fact);
        expect(mail.html, `html: ${fact}`).toContain(htmlText(fact));
      }
      for (const missing of c.absent ?? []) {
        expect(mail.text).not.toContain(missing);
        expect(mail.html).not.toContain(htmlText(missing));
      }
      // Escaped HTML: the only tags are the template's own.
      expect(mail.html).not.toMatch(/<script|<img|<b>/i);
      const tags = new Set([...mail.html.matchAll(/<\/?([a-z]+)/g)].map((m) => m[1]));
      expect([...tags].every((tag) => ['p', 'table', 'tr', 'th', 'td', 'a'].includes(tag!))).toBe(true);
      if (String(c.data['listingTitle'] ?? '').includes('<script>')) {
        expect(mail.text).toContain(HOSTILE_TITLE);
        expect(mail.html).toContain('&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62; Loft &#38; Co');
      }
      // Notification emails carry ids and dates, never a link (the mailer has no base URL to build one).
      expect(mail.text).not.toMatch(/https?:\/\//);
    });
  });
});

describe('formatting', () => {
  it('shows money in the currency’s own minor units', () => {
    expect(formatMoney(123_450, 'EUR')).toBe('EUR 1,234.50');
    expect(formatMoney(5, 'usd')).toBe('USD 0.05');
    expect(formatMoney(12_345, 'JPY')).toBe('JPY 12,345');
    expect(formatMoney(0, 'GBP')).toBe('GBP 0.00');
    expect(formatMoney(1_000, 'X1')).toBe('X1 10.00');
  });

  it('shows days of stay and instants in UTC', () => {
    expect(formatDay('2026-06-12')).toBe('Fri, 12 Jun 2026');
    // A day that went through a Date (JSON) keeps its date.
    expect(formatDay('2026-06-12T00:00:00.000Z')).toBe('Fri, 12 Jun 2026');
    expect(formatInstant('2026-06-12T23:59:00.000Z')).toBe('Fri, 12 Jun 2026, 23:59 UTC');
    expect(formatDay('')).toBe('');
    expect(formatInstant('not a time')).toBe('not a time');
  });

  it('keeps a JPY booking’s amounts whole', () => {
    const mail = render('booking_confirmed', { ...facts('guest'), total: 48_000, currency: 'JPY' });
    expect(mail.text).toContain('You paid JPY 48,000.');
  });

  it('keeps the subject on one line whatever the listing title holds', () => {
    const mail = render(
      'booking_received',
      facts('host', { listingTitle: 'Loft\r\nBcc: victim@example.com' }),
    );
    expect(mail.subject).toBe(`New booking of “Loft Bcc: victim@example.com”: ${DAY_IN} – ${DAY_OUT}`);
  });
});

describe('account emails', () => {
  it('carry the link the caller gave, in the text and the HTML', () => {
    const link = 'https://app.roost.example/verify-email?token=abc';
    const mail = render('verify_email', { firstName: 'Ana', link });
    expect(mail.subject).toBe('Confirm your email');
    expect(mail.text).toContain(`\n${link}\n`);
    expect(mail.html).toContain(`<a href="${link}">${link}</a>`);
  });

  it('renders an unknown template from its data, so an email is never lost', () => {
    const mail = render('some_future_email', { a: 1 });
    expect(mail.subject).toBe('some future email');
    expect(mail.text).toContain('{"a":1}');
  });
});
