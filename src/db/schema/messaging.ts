import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Json<T> = ColumnType<T, string, string>;

/** One thread per (listing, guest): an inquiry before booking, joined to the booking made from it. */
export interface ConversationsTable {
  id: string;
  property_id: string;
  guest_id: string;
  host_id: string;
  /** The latest booking made from this thread (null while it is an inquiry). */
  booking_id: string | null;
  /** The seq of the newest message (0: none yet). */
  last_seq: Generated<number>;
  /** Each participant has read up to this seq. */
  guest_read_seq: Generated<number>;
  host_read_seq: Generated<number>;
  last_message_at: Timestamp;
  /** The participant who blocked the other (no new messages while set). */
  blocked_by: Generated<string | null>;
  /** Contact details in messages are shown from this instant (a booking of this thread was confirmed). */
  contact_revealed_at: Generated<Date | null>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export type MessageKind = 'text' | 'system' | 'pre_approval';

export interface MessagesTable {
  id: string;
  conversation_id: string;
  /** 1, 2, 3… within the conversation. */
  seq: number;
  /** null for a notice written by Roost itself (kind `system`). */
  sender_id: string | null;
  kind: Generated<MessageKind>;
  body: string;
  created_at: Timestamp;
}

/** Each time an admin read a conversation they take no part in (support), recorded. */
export interface ConversationAccessLogTable {
  id: string;
  conversation_id: string;
  admin_id: string;
  request_id: string | null;
  created_at: Timestamp;
}

/** A host's offer: this guest may book these dates instantly, until `expires_at`. */
export interface PreApprovalsTable {
  id: string;
  conversation_id: string;
  property_id: string;
  guest_id: string;
  host_id: string;
  check_in: string;
  check_out: string;
  guests: number;
  expires_at: Date;
  /** The booking made with it (used once). */
  booking_id: string | null;
  withdrawn_at: Date | null;
  created_at: Timestamp;
}

export interface NotificationsTable {
  id: string;
  user_id: string;
  category: string;
  type: string;
  data: Json<Record<string, unknown>>;
  group_key: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  read_at: Date | null;
}

export interface NotificationPreferencesTable {
  user_id: string;
  category: string;
  email: boolean;
  updated_at: Timestamp;
}
