import { describe, expect, it } from 'vitest';
import { EMAIL_TEMPLATE_NAMES } from '../../platform/mailer.js';
import { NOTIFICATION_CATEGORIES, NOTIFICATION_TYPE_NAMES, specOf } from './catalog.js';

const facts = {
  bookingId: 'b1',
  listingTitle: 'Loft',
  checkIn: '2031-04-10',
  checkOut: '2031-04-13',
  respondBy: '2031-03-02T10:00:00.000Z',
  reason: 'Renovation',
  fromName: 'Ana',
  count: 2,
  total: 48_000,
  refundedAmount: 24_000,
  currency: 'JPY',
  role: 'guest',
};

describe('the notification catalog', () => {
  it('gives every type a category, a real email template and a title without gaps', () => {
    for (const type of NOTIFICATION_TYPE_NAMES) {
      const spec = specOf(type);
      expect(NOTIFICATION_CATEGORIES).toContain(spec.category);
      expect(EMAIL_TEMPLATE_NAMES).toContain(spec.template);
      expect(spec.title(facts)).not.toMatch(/undefined|null|NaN/);
    }
  });

  it('writes money in the currency’s own minor units (yen has none)', () => {
    const title = specOf('payout.changed').title(facts);
    expect(title).toContain('24,000');
    expect(title).toContain('48,000');
  });
});
