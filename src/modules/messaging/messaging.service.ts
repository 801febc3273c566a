/**
 * Conversations between a guest and a listing's host: one thread per (listing, guest), an inquiry before
 * booking, joined to the booking made from it. Participants read and write; an admin may read (support),
 * and each such read is recorded. Anyone else gets 404: a thread's existence is not leaked.
 *
 * Contact details (emails, phone numbers, links) in messages are masked until a booking of the thread is
 * confirmed (./masking.ts); the text is stored as written. Pushes go out after the commit.
 */
import { afterCommit } from '../../db/transaction.js';
import type { Actor } from '../../platform/auth.js';
import type { ServiceContext } from '../../platform/context.js';
import { newId } from '../../platform/crypto.js';
import { conflict, forbidden, invalidField, notFound } from '../../platform/errors.js';
import { decodeCursor, encodeCursor, toPage } from '../../platform/pagination.js';
import { maskContactDetails } from './masking.js';
import * as repo from './messaging.repository.js';
import {
  ConversationCursor,
  type ConversationView,
  MessageCursor,
  type MessageView,
  type PreApprovalView,
} from './messaging.schemas.js';

type Db = ServiceContext['db'];

export type { ConversationRow, MessageRow } from './messaging.repository.js';

export type Side = 'guest' | 'host';

/** The actor's side in a thread, or null when they take no part in it. */
export function sideOf(actor: Pick<Actor, 'userId'>, c: repo.ConversationRow): Side | null {
  if (c.guest_id === actor.userId) return 'guest';
  if (c.host_id === actor.userId) return 'host';
  return null;
}

/** The other participant's user id. */
export function otherParticipant(c: repo.ConversationRow, userId: string): string {
  return c.guest_id === userId ? c.host_id : c.guest_id;
}

const iso = (d: Date | string) => new Date(d).toISOString();

export function toConversationView(c: repo.ConversationRow, viewerId: string): ConversationView {
  const side = c.guest_id === viewerId ? 'guest' : c.host_id === viewerId ? 'host' : null;
  const readSeq = side === 'guest' ? c.guest_read_seq : side === 'host' ? c.host_read_seq : c.last_seq;
  return {
    id: c.id,
    propertyId: c.property_id,
    guestId: c.guest_id,
    hostId: c.host_id,
    bookingId: c.booking_id,
    lastSeq: c.last_seq,
    lastMessageAt: iso(c.last_message_at),
    unread: Math.max(0, c.last_seq - readSeq),
    readSeq: { guest: c.guest_read_seq, host: c.host_read_seq },
    blocked: c.blocked_by !== null,
    blockedByMe: c.blocked_by !== null && c.blocked_by === viewerId,
    contactDetailsVisible: c.contact_revealed_at !== null,
    createdAt: iso(c.created_at),
  };
}

/** A message as shown in this thread: masked until the thread's contact details are revealed. */
export function toMessageView(
  m: repo.MessageRow,
  c: Pick<repo.ConversationRow, 'contact_revealed_at'>,
): MessageView {
  const shown =
    c.contact_revealed_at || m.kind === 'system'
      ? { text: m.body, masked: false }
      : maskContactDetails(m.body);
  return {
    id: m.id,
    conversationId: m.conversation_id,
    seq: m.seq,
    senderId: m.sender_id,
    kind: m.kind,
    body: shown.text,
    masked: shown.masked,
    createdAt: iso(m.created_at),
  };
}

/**
 * The thread if the actor takes part in it, or is an admin (whose read is recorded with the request id);
 * 404 for anyone else.
 */
export async function readableConversation(
  ctx: ServiceContext,
  actor: Actor,
  id: string,
  requestId?: string,
): Promise<repo.ConversationRow> {
  const c = await repo.findConversation(ctx.db, id);
  if (!c) throw notFound('Conversation');
  if (sideOf(actor, c)) return c;
  if (actor.role !== 'admin') throw notFound('Conversation');
  await repo.logAdminRead(ctx.db, {
    id: newId(),
    conversation_id: c.id,
    admin_id: actor.userId,
    request_id: requestId ?? null,
    created_at: ctx.now(),
  });
  return c;
}

/** Lock a thread the actor takes part in, for a change; 404 for anyone else (admins only read). */
async function lockOwnConversation(trx: Db, actor: Actor, id: string) {
  const c = await repo.lockConversation(trx, id);
  const side = c ? sideOf(actor, c) : null;
  if (!c || !side) throw notFound('Conversation');
  return { c, side };
}

/**
 * The (listing, guest) thread, made if there is none yet, locked, in the caller's transaction. Safe
 * under concurrency: two first messages at once make one thread.
 */
export async function openThread(
  ctx: ServiceContext,
  trx: Db,
  t: { propertyId: string; hostId: string; guestId: string },
): Promise<repo.ConversationRow> {
  if (t.hostId === t.guestId) throw forbidden('You cannot message your own listing', 'own_listing');
  const existing = await repo.lockConversationOf(trx, t.propertyId, t.guestId);
  if (existing) return existing;
  await repo.insertConversation(trx, {
    id: newId(),
    property_id: t.propertyId,
    guest_id: t.guestId,
    host_id: t.hostId,
    at: ctx.now(),
  });
  const made = await repo.lockConversationOf(trx, t.propertyId, t.guestId);
  if (!made) throw new Error('conversation vanished after insert');
  return made;
}

export interface Posted {
  conversation: repo.ConversationRow;
  message: MessageView;
  /** Who should hear of it (the other participant; both for a system notice). */
  recipients: string[];
}

const MAX_BODY = 4000;

/** Append a message to a locked thread; the sender (if any) has read up to it. Pushed after commit. */
async function append(
  ctx: ServiceContext,
  trx: Db,
  c: repo.ConversationRow,
  m: { senderId: string | null; side: Side | null; kind: 'text' | 'system' | 'pre_approval'; body: string },
): Promise<Posted> {
  const seq = c.last_seq + 1;
  const at = ctx.now();
  const row = await repo.insertMessage(trx, {
    id: newId(),
    conversation_id: c.id,
    seq,
    sender_id: m.senderId,
    kind: m.kind,
    body: m.body,
    created_at: at,
  });
  await repo.advanceConversation(trx, c, seq, at, m.side);
  const conversation: repo.ConversationRow = {
    ...c,
    last_seq: seq,
    last_message_at: at,
    updated_at: at,
    ...(m.side === 'guest' ? { guest_read_seq: seq } : {}),
    ...(m.side === 'host' ? { host_read_seq: seq } : {}),
  };
  const message = toMessageView(row, conversation);
  const recipients = m.senderId ? [otherParticipant(c, m.senderId)] : [c.guest_id, c.host_id];
  afterCommit(trx, () =>
    ctx.events.publish([c.guest_id, c.host_id], { type: 'message.created', data: message }),
  );
  return { conversation, message, recipients };
}

function cleanBody(body: string): string {
  const text = body.trim();
  if (text.length === 0) throw invalidField('body', 'must not be empty');
  if (text.length > MAX_BODY) throw invalidField('body', `must be at most ${MAX_BODY} characters`);
  return text;
}

/** A participant writes to a thread (409 `conversation_blocked` while either side has blocked it). */
export async function postMessage(
  ctx: ServiceContext,
  trx: Db,
  actor: Actor,
  conversationId: string,
  body: string,
): Promise<Posted> {
  const { c, side } = await lockOwnConversation(trx, actor, conversationId);
  return postInLockedThread(ctx, trx, c, side, actor.userId, body);
}

/** The guest's (or host's) message in a thread the caller has locked (e.g. just opened). */
export async function postInLockedThread(
  ctx: ServiceContext,
  trx: Db,
  c: repo.ConversationRow,
  side: Side,
  senderId: string,
  body: string,
): Promise<Posted> {
  if (c.blocked_by) {
    throw conflict(
      'conversation_blocked',
      c.blocked_by === senderId
        ? 'You blocked this conversation; unblock it to write'
        : 'This conversation is closed to new messages',
    );
  }
  return append(ctx, trx, c, { senderId, side, kind: 'text', body: cleanBody(body) });
}

/** A notice written by Roost into a thread (booking confirmed, request expired …); not blocked. */
export async function postNotice(ctx: ServiceContext, trx: Db, conversationId: string, body: string) {
  const c = await repo.lockConversation(trx, conversationId);
  if (!c) return null;
  return append(ctx, trx, c, { senderId: null, side: null, kind: 'system', body });
}

/**
 * A booking was made from (listing, guest): the thread is made or found and joined to it, and the
 * guest's message to the host (if any) is posted in it. Returns the thread and the posted message.
 */
export async function joinBooking(
  ctx: ServiceContext,
  trx: Db,
  b: { bookingId: string; propertyId: string; hostId: string; guestId: string; message?: string | null },
): Promise<{ conversation: repo.ConversationRow; posted: Posted | null }> {
  const c = await openThread(ctx, trx, b);
  await repo.setConversationFields(trx, c.id, { booking_id: b.bookingId, updated_at: ctx.now() });
  const joined = { ...c, booking_id: b.bookingId };
  // A blocked thread still gets the booking; the message waits for an unblock (the booking carries it).
  const text = b.message?.trim().slice(0, MAX_BODY);
  const posted =
    text && !c.blocked_by
      ? await append(ctx, trx, joined, { senderId: b.guestId, side: 'guest', kind: 'text', body: text })
      : null;
  return { conversation: posted?.conversation ?? joined, posted };
}

/** A booking of the thread was confirmed: its contact details are shown from now on. */
export async function revealContacts(ctx: ServiceContext, trx: Db, bookingId: string) {
  const c = await repo.conversationOfBooking(trx, bookingId);
  if (!c || c.contact_revealed_at) return;
  await repo.setConversationFields(trx, c.id, { contact_revealed_at: ctx.now(), updated_at: ctx.now() });
}

/** The thread of a booking, if any. */
export function conversationOfBooking(ctx: ServiceContext, bookingId: string) {
  return repo.conversationOfBooking(ctx.db, bookingId);
}

/** The actor's threads, most recent activity first, in keyset pages (rows: the caller names them). */
export async function listConversations(
  ctx: ServiceContext,
  actor: Actor,
  q: { limit: number; cursor?: string | undefined },
): Promise<{ rows: repo.ConversationRow[]; nextCursor: string | null }> {
  const after = q.cursor ? decodeCursor<{ at: string; id: string }>(q.cursor, ConversationCursor) : undefined;
  const rows = await repo.listConversations(ctx.db, { userId: actor.userId, after, limit: q.limit + 1 });
  const page = toPage(
    rows,
    q.limit,
    (c) => c,
    (c) => ({ at: iso(c.last_message_at), id: c.id }),
  );
  return { rows: page.items, nextCursor: page.nextCursor };
}

/**
 * A thread's history in keyset pages: the newest `limit` messages (before `cursor`, an older page), in
 * the order they were written (newest last); `nextCursor` fetches the page before.
 */
export async function listMessages(
  ctx: ServiceContext,
  c: repo.ConversationRow,
  q: { limit: number; cursor?: string | undefined },
): Promise<{ items: MessageView[]; nextCursor: string | null }> {
  const before = q.cursor ? decodeCursor<{ seq: number }>(q.cursor, MessageCursor).seq : undefined;
  const rows = await repo.listMessages(ctx.db, c.id, { beforeSeq: before, limit: q.limit + 1 });
  const page = rows.slice(0, q.limit);
  const oldest = page.at(-1);
  return {
    items: page.reverse().map((m) => toMessageView(m, c)),
    nextCursor: rows.length > q.limit && oldest ? encodeCursor({ seq: oldest.seq }) : null,
  };
}

/** The participant has read up to `upTo` (default: everything). The other side hears of it. */
export async function markRead(
  ctx: ServiceContext,
  trx: Db,
  actor: Actor,
  id: string,
  upTo?: number,
): Promise<repo.ConversationRow> {
  const { c, side } = await lockOwnConversation(trx, actor, id);
  const seq = Math.min(upTo ?? c.last_seq, c.last_seq);
  const current = side === 'guest' ? c.guest_read_seq : c.host_read_seq;
  if (seq <= current) return c;
  await repo.setReadSeq(trx, c.id, side, seq);
  const updated = { ...c, ...(side === 'guest' ? { guest_read_seq: seq } : { host_read_seq: seq }) };
  afterCommit(trx, () =>
    ctx.events.publish([c.guest_id, c.host_id], {
      type: 'conversation.read',
      data: { conversationId: c.id, userId: actor.userId, side, readSeq: seq },
    }),
  );
  return updated;
}

/** Block (no new messages either way) or unblock; only the participant who blocked can unblock. */
export async function setBlocked(
  ctx: ServiceContext,
  trx: Db,
  actor: Actor,
  id: string,
  blocked: boolean,
): Promise<repo.ConversationRow> {
  const { c } = await lockOwnConversation(trx, actor, id);
  if (blocked) {
    if (c.blocked_by) return c;
    await repo.setConversationFields(trx, c.id, { blocked_by: actor.userId, updated_at: ctx.now() });
    return { ...c, blocked_by: actor.userId };
  }
  if (!c.blocked_by) return c;
  if (c.blocked_by !== actor.userId) {
    throw forbidden('Only the participant who blocked this conversation can unblock it', 'not_blocker');
  }
  await repo.setConversationFields(trx, c.id, { blocked_by: null, updated_at: ctx.now() });
  return { ...c, blocked_by: null };
}

export async function unreadTotals(ctx: ServiceContext, actor: Actor) {
  return repo.unreadTotals(ctx.db, actor.userId);
}

export function toPreApprovalView(p: repo.PreApprovalRow): PreApprovalView {
  return {
    id: p.id,
    conversationId: p.conversation_id,
    propertyId: p.property_id,
    guestId: p.guest_id,
    checkIn: p.check_in,
    checkOut: p.check_out,
    guests: p.guests,
    expiresAt: iso(p.expires_at),
    bookingId: p.booking_id,
    withdrawn: p.withdrawn_at !== null,
  };
}

/**
 * The host pre-approves the thread's guest for a stay (priced and checked by the caller first): the guest
 * may book exactly these dates, up to this many guests, instantly until it expires. Posted in the thread.
 */
export async function preApprove(
  ctx: ServiceContext,
  trx: Db,
  actor: Actor,
  id: string,
  stay: { checkIn: string; checkOut: string; guests: number },
): Promise<{ preApproval: PreApprovalView; posted: Posted }> {
  const { c, side } = await lockOwnConversation(trx, actor, id);
  if (side !== 'host') throw forbidden('Only the host can pre-approve a stay', 'not_host');
  if (c.blocked_by) throw conflict('conversation_blocked', 'This conversation is blocked');
  const row = await repo.insertPreApproval(trx, {
    id: newId(),
    conversation_id: c.id,
    property_id: c.property_id,
    guest_id: c.guest_id,
    host_id: c.host_id,
    check_in: stay.checkIn,
    check_out: stay.checkOut,
    guests: stay.guests,
    expires_at: new Date(ctx.now().getTime() + ctx.config.BOOKING_REQUEST_HOURS * 3_600_000),
    created_at: ctx.now(),
  });
  const posted = await append(ctx, trx, c, {
    senderId: actor.userId,
    side: 'host',
    kind: 'pre_approval',
    body: `Pre-approved: ${stay.checkIn} to ${stay.checkOut}, up to ${stay.guests} guest(s). Book these dates to confirm instantly.`,
  });
  return { preApproval: toPreApprovalView(row), posted };
}

/** A pre-approval that makes this stay instant for this guest, used by the booking made now (locked). */
export async function takePreApproval(
  ctx: ServiceContext,
  trx: Db,
  q: { propertyId: string; guestId: string; checkIn: string; checkOut: string; guests: number },
): Promise<repo.PreApprovalRow | undefined> {
  return repo.lockUsablePreApproval(trx, { ...q, now: ctx.now() });
}

export function markPreApprovalUsed(trx: Db, id: string, bookingId: string) {
  return repo.markPreApprovalUsed(trx, id, bookingId);
}

/**
 * The host takes back a pre-approval not used yet (a used one is a booking now: 409
 * `pre_approval_used`); withdrawing twice changes nothing. 404 unless it is of this thread.
 */
export async function withdrawPreApproval(
  ctx: ServiceContext,
  trx: Db,
  actor: Actor,
  conversationId: string,
  preApprovalId: string,
): Promise<PreApprovalView> {
  const { c, side } = await lockOwnConversation(trx, actor, conversationId);
  const p = await repo.lockPreApproval(trx, preApprovalId);
  if (!p || p.conversation_id !== c.id) throw notFound('Pre-approval');
  if (side !== 'host') throw forbidden('Only the host can withdraw a pre-approval', 'not_host');
  if (p.booking_id) throw conflict('pre_approval_used', 'This pre-approval was used for a booking already');
  if (p.withdrawn_at) return toPreApprovalView(p);
  const at = ctx.now();
  await repo.withdrawPreApproval(trx, p.id, at);
  return toPreApprovalView({ ...p, withdrawn_at: at });
}

/** A conversation's pre-approvals, newest first (the 20 latest). */
export async function preApprovalsOf(ctx: ServiceContext, c: repo.ConversationRow) {
  return (await repo.preApprovalsOf(ctx.db, c.id)).map(toPreApprovalView);
}
