/** Conversations, messages, pre-approvals and the admin access log. */
import { type Kysely, type Selectable, sql } from 'kysely';
import { insertUnlessExists } from '../../db/dialect.js';
import type { DB } from '../../db/schema/index.js';

export type ConversationRow = Selectable<DB['conversations']>;
export type MessageRow = Selectable<DB['messages']>;
export type PreApprovalRow = Selectable<DB['pre_approvals']>;

export function findConversation(db: Kysely<DB>, id: string) {
  return db.selectFrom('conversations').selectAll().where('id', '=', id).executeTakeFirst();
}

export function lockConversation(db: Kysely<DB>, id: string) {
  return db.selectFrom('conversations').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
}

export function lockConversationOf(db: Kysely<DB>, propertyId: string, guestId: string) {
  return db
    .selectFrom('conversations')
    .selectAll()
    .where('property_id', '=', propertyId)
    .where('guest_id', '=', guestId)
    .forUpdate()
    .executeTakeFirst();
}

export function conversationOfBooking(db: Kysely<DB>, bookingId: string) {
  return db.selectFrom('conversations').selectAll().where('booking_id', '=', bookingId).executeTakeFirst();
}

/** Insert the thread unless one exists for (listing, guest) already; true when this call made it. */
export function insertConversation(
  db: Kysely<DB>,
  row: { id: string; property_id: string; guest_id: string; host_id: string; at: Date },
) {
  return insertUnlessExists(db, 'conversations', {
    id: row.id,
    property_id: row.property_id,
    guest_id: row.guest_id,
    host_id: row.host_id,
    booking_id: null,
    last_message_at: row.at,
    created_at: row.at,
    updated_at: row.at,
  });
}

export async function insertMessage(
  db: Kysely<DB>,
  row: {
    id: string;
    conversation_id: string;
    seq: number;
    sender_id: string | null;
    kind: 'text' | 'system' | 'pre_approval';
    body: string;
    created_at: Date;
  },
): Promise<MessageRow> {
  await db.insertInto('messages').values(row).execute();
  return row;
}

/** After a message: the thread's newest seq and time, and the sender's read marker (they saw it). */
export async function advanceConversation(
  db: Kysely<DB>,
  c: ConversationRow,
  seq: number,
  at: Date,
  senderSide: 'guest' | 'host' | null,
) {
  await db
    .updateTable('conversations')
    .set({
      last_seq: seq,
      last_message_at: at,
      updated_at: at,
      ...(senderSide === 'guest' ? { guest_read_seq: seq } : {}),
      ...(senderSide === 'host' ? { host_read_seq: seq } : {}),
    })
    .where('id', '=', c.id)
    .execute();
}

export async function setReadSeq(db: Kysely<DB>, id: string, side: 'guest' | 'host', seq: number) {
  const column = side === 'guest' ? 'guest_read_seq' : 'host_read_seq';
  await db
    .updateTable('conversations')
    .set({ [column]: seq })
    .where('id', '=', id)
    .where(column, '<', seq)
    .execute();
}

export async function setConversationFields(
  db: Kysely<DB>,
  id: string,
  fields: Partial<{
    booking_id: string | null;
    blocked_by: string | null;
    contact_revealed_at: Date | null;
    updated_at: Date;
  }>,
) {
  await db.updateTable('conversations').set(fields).where('id', '=', id).execute();
}

/** The user's threads (as guest or host), most recent activity first, keyset on (last_message_at, id). */
export function listConversations(
  db: Kysely<DB>,
  q: { userId: string; after?: { at: string; id: string } | undefined; limit: number },
) {
  let query = db
    .selectFrom('conversations')
    .selectAll()
    .where((eb) => eb.or([eb('guest_id', '=', q.userId), eb('host_id', '=', q.userId)]))
    .orderBy('last_message_at', 'desc')
    .orderBy('id', 'desc')
    .limit(q.limit);
  if (q.after) {
    const at = new Date(q.after.at);
    const id = q.after.id;
    query = query.where((eb) =>
      eb.or([eb('last_message_at', '<', at), eb.and([eb('last_message_at', '=', at), eb('id', '<', id)])]),
    );
  }
  return query.execute();
}

/** Messages before `beforeSeq` (all when absent), the newest `limit` of them, newest first. */
export function listMessages(
  db: Kysely<DB>,
  conversationId: string,
  q: { beforeSeq?: number | undefined; limit: number },
) {
  let query = db
    .selectFrom('messages')
    .selectAll()
    .where('conversation_id', '=', conversationId)
    .orderBy('seq', 'desc')
    .limit(q.limit);
  if (q.beforeSeq !== undefined) query = query.where('seq', '<', q.beforeSeq);
  return query.execute();
}

/** Unread messages and threads with any, over the user's threads on both sides. */
export async function unreadTotals(db: Kysely<DB>, userId: string) {
  const row = await db
    .selectFrom('conversations')
    .select([
      sql<
        string | number
      >`coalesce(sum(case when guest_id = ${userId} then last_seq - guest_read_seq else last_seq - host_read_seq end), 0)`.as(
        'messages',
      ),
      sql<
        string | number
      >`coalesce(sum(case when (guest_id = ${userId} and last_seq > guest_read_seq) or (host_id = ${userId} and last_seq > host_read_seq) then 1 else 0 end), 0)`.as(
        'conversations',
      ),
    ])
    .where((eb) => eb.or([eb('guest_id', '=', userId), eb('host_id', '=', userId)]))
    .executeTakeFirstOrThrow();
  return { messages: Number(row.messages), conversations: Number(row.conversations) };
}

export async function logAdminRead(
  db: Kysely<DB>,
  row: { id: string; conversation_id: string; admin_id: string; request_id: string | null; created_at: Date },
) {
  await db.insertInto('conversation_access_log').values(row).execute();
}

export async function insertPreApproval(
  db: Kysely<DB>,
  row: Omit<PreApprovalRow, 'booking_id' | 'withdrawn_at'>,
) {
  await db.insertInto('pre_approvals').values(row).execute();
  return { ...row, booking_id: null, withdrawn_at: null } as PreApprovalRow;
}

/** A live pre-approval covering exactly this stay for this guest (locked: it is used once). */
export function lockUsablePreApproval(
  db: Kysely<DB>,
  q: { propertyId: string; guestId: string; checkIn: string; checkOut: string; guests: number; now: Date },
) {
  return db
    .selectFrom('pre_approvals')
    .selectAll()
    .where('property_id', '=', q.propertyId)
    .where('guest_id', '=', q.guestId)
    .where('check_in', '=', q.checkIn)
    .where('check_out', '=', q.checkOut)
    .where('guests', '>=', q.guests)
    .where('expires_at', '>', q.now)
    .where('booking_id', 'is', null)
    .where('withdrawn_at', 'is', null)
    .orderBy('created_at', 'desc')
    .limit(1)
    .forUpdate()
    .executeTakeFirst();
}

export async function markPreApprovalUsed(db: Kysely<DB>, id: string, bookingId: string) {
  await db.updateTable('pre_approvals').set({ booking_id: bookingId }).where('id', '=', id).execute();
}

export function lockPreApproval(db: Kysely<DB>, id: string) {
  return db.selectFrom('pre_approvals').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
}

export async function withdrawPreApproval(db: Kysely<DB>, id: string, at: Date) {
  await db.updateTable('pre_approvals').set({ withdrawn_at: at }).where('id', '=', id).execute();
}

/** A conversation's pre-approvals, newest first (the 20 latest). */
export function preApprovalsOf(db: Kysely<DB>, conversationId: string) {
  return db
    .selectFrom('pre_approvals')
    .selectAll()
    .where('conversation_id', '=', conversationId)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(20)
    .execute();
}
