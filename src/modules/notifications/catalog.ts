/**
 * Every notification Roost sends: its category (what a user switches email on or off for), who gets it,
 * the email template it is sent with, and the line the in-app feed shows. Pure: no I/O.
 */
import { formatMoney } from '../../platform/mailer.js';

export const NOTIFICATION_CATEGORIES = ['messages', 'requests', 'bookings', 'stays', 'payouts'] as const;
export type NotificationCategory = (typeof NOTIFICATION_CATEGORIES)[number];

export const CATEGORY_DESCRIPTIONS: Record<NotificationCategory, string> = {
  messages: 'New messages in your conversations (at most one email per conversation per few minutes)',
  requests:
    'Requests to book: a new request (hosts); accepted, declined, expired, pre-approved (guests); expired (both)',
  bookings: 'Bookings confirmed, new bookings (hosts) and cancellations',
  stays: 'Check-in details available, check-in and review reminders',
  payouts: "Changes to a host's expected payout (a cancellation or a refund)",
};

interface TypeSpec {
  category: NotificationCategory;
  /** Who receives it. */
  to: 'guest' | 'host' | 'both';
  /** Email template (src/platform/mailer.ts). */
  template: string;
  /** The feed's one line, from the notification's data. */
  title: (d: Record<string, unknown>) => string;
}

const stay = (d: Record<string, unknown>) => `${d['checkIn']} – ${d['checkOut']}`;
const listing = (d: Record<string, unknown>) =>
  d['listingTitle'] ? `“${d['listingTitle']}”` : 'your listing';

export const NOTIFICATION_TYPES = {
  'booking.requested': {
    category: 'requests',
    to: 'host',
    template: 'booking_request_received',
    title: (d) => `New request to book ${listing(d)} for ${stay(d)}: answer before ${d['respondBy']}`,
  },
  'booking.new': {
    category: 'bookings',
    to: 'host',
    template: 'booking_received',
    title: (d) => `New booking of ${listing(d)} for ${stay(d)}`,
  },
  'booking.confirmed': {
    category: 'bookings',
    to: 'guest',
    template: 'booking_confirmed',
    title: (d) => `Your stay ${stay(d)} is confirmed`,
  },
  'request.accepted': {
    category: 'requests',
    to: 'guest',
    template: 'request_accepted',
    title: (d) => `The host accepted your request for ${stay(d)}`,
  },
  'request.declined': {
    category: 'requests',
    to: 'guest',
    template: 'booking_declined',
    title: (d) => `The host declined your request for ${stay(d)}${d['reason'] ? `: ${d['reason']}` : ''}`,
  },
  'request.expired': {
    category: 'requests',
    to: 'both',
    template: 'request_expired',
    title: (d) =>
      d['role'] === 'host'
        ? `A request for ${stay(d)} expired unanswered; the guest was refunded`
        : `Your request for ${stay(d)} expired unanswered; you were refunded in full`,
  },
  'booking.cancelled': {
    category: 'bookings',
    to: 'both',
    template: 'booking_cancelled',
    title: (d) => `The stay ${stay(d)} was cancelled`,
  },
  'message.new': {
    category: 'messages',
    to: 'both',
    template: 'new_message',
    title: (d) =>
      Number(d['count'] ?? 1) > 1
        ? `${d['count']} new messages from ${d['fromName']}`
        : `New message from ${d['fromName']}`,
  },
  'preapproval.received': {
    category: 'requests',
    to: 'guest',
    template: 'preapproval_received',
    title: (d) => `You are pre-approved for ${stay(d)}: book it instantly`,
  },
  'checkin.details': {
    category: 'stays',
    to: 'guest',
    template: 'checkin_details',
    title: (d) => `Check-in details for ${stay(d)} are available`,
  },
  'checkin.reminder': {
    category: 'stays',
    to: 'guest',
    template: 'checkin_reminder',
    title: (d) => `Your stay starts tomorrow (${d['checkIn']})`,
  },
  'review.reminder': {
    category: 'stays',
    to: 'guest',
    template: 'review_reminder',
    title: (d) => `How was your stay that ended on ${d['checkOut']}? Leave a review`,
  },
  'payout.changed': {
    category: 'payouts',
    to: 'host',
    template: 'payout_changed',
    title: (d) =>
      `Your expected payout for ${stay(d)} changed: ${money(d['refundedAmount'], d['currency'])} of ${money(d['total'], d['currency'])} went back to the guest`,
  },
} satisfies Record<string, TypeSpec>;

export type NotificationType = keyof typeof NOTIFICATION_TYPES;
export const NOTIFICATION_TYPE_NAMES = Object.keys(NOTIFICATION_TYPES) as NotificationType[];

/** Minor units in the currency's own exponent (JPY has none), as the emails show it. */
function money(minor: unknown, currency: unknown) {
  return formatMoney(minor, currency);
}

export function specOf(type: NotificationType): TypeSpec {
  return NOTIFICATION_TYPES[type];
}
