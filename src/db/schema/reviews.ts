import type { ColumnType } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;

export interface ReviewsTable {
  id: string;
  booking_id: string;
  property_id: string;
  guest_id: string;
  host_id: string;
  rating: number;
  cleanliness: number;
  accuracy: number;
  communication: number;
  location: number;
  check_in: number;
  value: number;
  body: string;
  host_reply: string | null;
  host_replied_at: Date | null;
  hidden_at: Date | null;
  hidden_reason: string | null;
  hidden_by: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** Hosts rate their guests (visible to other hosts). */
export interface GuestRatingsTable {
  id: string;
  booking_id: string;
  host_id: string;
  guest_id: string;
  rating: number;
  body: string | null;
  created_at: Timestamp;
}
