/**
 * Cancellation refunds. The cut-off is measured to the check-in instant: the check-in date at the
 * listing's check-in time, in UTC (listings carry no time zone yet).
 */

export type CancellationPolicy = 'flexible' | 'moderate' | 'strict';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Refund rules: cancelling at least `before` ms ahead of check-in refunds `percent`; later, `after`. */
export const POLICIES: Record<CancellationPolicy, { before: number; percent: number; after: number }> = {
  flexible: { before: 24 * HOUR, percent: 100, after: 0 },
  moderate: { before: 5 * DAY, percent: 100, after: 0 },
  strict: { before: 7 * DAY, percent: 50, after: 0 },
};

export function checkInInstant(checkIn: string, checkInTime: string): Date {
  const [h = '15', m = '00'] = checkInTime.split(':');
  return new Date(`${checkIn}T${h.padStart(2, '0')}:${m.padStart(2, '0')}:00Z`);
}

/**
 * Amount (minor units) refunded to a guest who cancels at `now`. Exactly at the cut-off counts as in time.
 * `paid` is what was captured; the refund is a whole-number share of it, rounded down.
 */
export function guestCancellationRefund(
  policy: CancellationPolicy,
  paid: number,
  checkIn: Date,
  now: Date,
): { percent: number; amount: number } {
  const rule = POLICIES[policy];
  const percent = checkIn.getTime() - now.getTime() >= rule.before ? rule.percent : rule.after;
  return { percent, amount: Math.floor((paid * percent) / 100) };
}
