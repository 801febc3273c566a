import type { ColumnType } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Json<T> = ColumnType<T, string, string>;

/**
 * requested: the guest asked, the host has not answered; awaiting_payment: accepted, dearer, waiting for
 * the guest's payment of the new total (the nights are not taken yet); applied: the booking has the new
 * stay; declined (host), withdrawn (guest); failed: paid, but the nights were taken or the booking ended
 * meanwhile (the charge refunded in full).
 */
export type BookingChangeStatus =
  | 'requested'
  | 'awaiting_payment'
  | 'applied'
  | 'declined'
  | 'withdrawn'
  | 'failed';

/** How an amount splits between the host, the platform and taxes (the ledger's ChargeComponents). */
export interface SplitSnapshot {
  total: number;
  hostShare: number;
  serviceFee: number;
  taxes: number;
  hostId: string;
}

export interface BookingChangesTable {
  id: string;
  booking_id: string;
  requested_by: string;
  status: BookingChangeStatus;
  from_check_in: string;
  from_check_out: string;
  from_guests: number;
  to_check_in: string;
  to_check_out: string;
  to_guests: number;
  currency: string;
  from_total: number;
  /** The new stay's PriceBreakdown (whatever fields the pricing engine returns). */
  price: Json<Record<string, unknown>>;
  to_total: number;
  /** to_total − from_total (signed minor units). */
  difference: number;
  payment_id: string | null;
  refund_id: string | null;
  refund_split: ColumnType<SplitSnapshot | null, string | null | undefined, string | null>;
  decided_by: string | null;
  decided_at: Date | null;
  applied_at: Date | null;
  reason: string | null;
  /** Generated: 1 while the change is open, else null (unique with booking_id: one open change). */
  open_slot: ColumnType<number | null, never, never>;
  created_at: Timestamp;
  updated_at: Timestamp;
}
