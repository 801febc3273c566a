import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Json<T> = ColumnType<T, string, string>;

export type BookingStatusColumn =
  | 'pending_payment'
  | 'awaiting_host'
  | 'confirmed'
  | 'declined'
  | 'cancelled_by_guest'
  | 'cancelled_by_host'
  | 'expired'
  | 'completed';

export interface BookingsTable {
  id: string;
  property_id: string;
  guest_id: string;
  host_id: string;
  /** Half-open stay [check_in, check_out): 'YYYY-MM-DD'. */
  check_in: string;
  check_out: string;
  guests: number;
  status: BookingStatusColumn;
  currency: string;
  nights_subtotal: number;
  cleaning_fee: number;
  service_fee: number;
  taxes: number;
  total: number;
  host_payout: number;
  /** The length-of-stay discount (percent) and amount taken off the nights. */
  discount_pct: Generated<number>;
  discount: Generated<number>;
  extra_guest_fees: Generated<number>;
  /** The host service fee, deducted from host_payout. */
  host_fee: Generated<number>;
  /** Each tax of the price by name (null on bookings made before taxes had lines). */
  tax_lines: ColumnType<
    { name: string; kind: 'percent' | 'per_night'; rateBps: number | null; amount: number }[] | null,
    string | null | undefined,
    string | null
  >;
  /** Per-night prices at booking time. */
  nightly: Json<{ date: string; price: number }[]>;
  cancellation_policy: 'flexible' | 'moderate' | 'strict';
  check_in_time: string;
  /** Snapshot of the listing's instant-book flag: paid bookings confirm at once, or await the host. */
  instant_book: boolean;
  hold_expires_at: Date | null;
  /** A paid request to book (awaiting_host) expires, fully refunded, at this instant. */
  request_expires_at: Generated<Date | null>;
  refunded_amount: Generated<number>;
  guest_message: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface BookingEventsTable {
  id: string;
  booking_id: string;
  from_status: BookingStatusColumn | null;
  to_status: BookingStatusColumn;
  /** Null when the system acted (expiry, completion). */
  actor_id: string | null;
  reason: string | null;
  created_at: Timestamp;
}

export interface IdempotencyKeysTable {
  user_id: string;
  scope: string;
  key: string;
  request_hash: string;
  response_status: number | null;
  response_body: ColumnType<unknown, string | undefined, string>;
  created_at: Generated<Date>;
}

export type PaymentStatus = 'requires_payment' | 'processing' | 'succeeded' | 'failed';

export interface PaymentsTable {
  id: string;
  booking_id: string;
  provider: string;
  provider_ref: string | null;
  amount: number;
  currency: string;
  status: PaymentStatus;
  failure_reason: string | null;
  /** Total refunded so far (never more than `amount`). */
  refunded_amount: Generated<number>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface RefundsTable {
  id: string;
  payment_id: string;
  booking_id: string;
  amount: number;
  currency: string;
  status: 'pending' | 'succeeded' | 'failed';
  provider_ref: string | null;
  reason: string;
  /** Provider calls made for it so far (a timeout or an outage leaves it pending for the job). */
  attempts: Generated<number>;
  last_error: string | null;
  /** The provider's reason when it refused the refund. */
  failure_reason: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface WebhookEventsTable {
  provider: string;
  event_id: string;
  type: string;
  received_at: Generated<Date>;
}
