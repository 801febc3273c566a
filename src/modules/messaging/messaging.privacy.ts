/**
 * The messaging module's part of the privacy tools (src/flows/privacy.ts): the conversations a person
 * takes part in (every message, theirs and the other side's: the thread is their data too),
 * pre-approvals, and — for an admin — the conversations they opened for support; and erasing the text
 * of the messages they wrote. Messages stay as rows ("[deleted]") so the threads' numbering stays whole.
 */
import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema/index.js';
import { isoOrNull } from '../../platform/instants.js';
import { ERASED_TEXT } from '../../platform/personal-data.js';

export async function exportConversations(db: Kysely<DB>, userId: string) {
  const conversations = await db
    .selectFrom('conversations')
    .selectAll()
    .where((eb) => eb.or([eb('guest_id', '=', userId), eb('host_id', '=', userId)]))
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  const ids = conversations.map((c) => c.id);
  const [messages, preApprovals, supportReads] = await Promise.all([
    ids.length === 0
      ? Promise.resolve([])
      : db
          .selectFrom('messages')
          .selectAll()
          .where('conversation_id', 'in', ids)
          .orderBy('conversation_id')
          .orderBy('seq')
          .execute(),
    db
      .selectFrom('pre_approvals')
      .selectAll()
      .where((eb) => eb.or([eb('guest_id', '=', userId), eb('host_id', '=', userId)]))
      .orderBy('created_at')
      .execute(),
    db
      .selectFrom('conversation_access_log')
      .select(['id', 'conversation_id', 'created_at'])
      .where('admin_id', '=', userId)
      .orderBy('created_at')
      .execute(),
  ]);
  return {
    conversations: conversations.map((c) => ({
      id: c.id,
      propertyId: c.property_id,
      guestId: c.guest_id,
      hostId: c.host_id,
      bookingId: c.booking_id,
      blockedBy: c.blocked_by,
      lastMessageAt: isoOrNull(c.last_message_at),
      createdAt: isoOrNull(c.created_at),
      messages: messages
        .filter((m) => m.conversation_id === c.id)
        .map((m) => ({
          id: m.id,
          seq: m.seq,
          senderId: m.sender_id,
          kind: m.kind,
          body: m.body,
          createdAt: isoOrNull(m.created_at),
        })),
    })),
    preApprovals: preApprovals.map((p) => ({
      ...p,
      expires_at: isoOrNull(p.expires_at),
      withdrawn_at: isoOrNull(p.withdrawn_at),
      created_at: isoOrNull(p.created_at),
    })),
    supportReads: supportReads.map((r) => ({
      id: r.id,
      conversationId: r.conversation_id,
      createdAt: isoOrNull(r.created_at),
    })),
  };
}

/** In the caller's transaction: the messages they wrote say "[deleted]". Returns those messages' ids. */
export async function eraseAuthoredMessages(trx: Kysely<DB>, userId: string): Promise<string[]> {
  const rows = await trx.selectFrom('messages').select('id').where('sender_id', '=', userId).execute();
  if (rows.length > 0) {
    await trx.updateTable('messages').set({ body: ERASED_TEXT }).where('sender_id', '=', userId).execute();
  }
  return rows.map((r) => r.id);
}
