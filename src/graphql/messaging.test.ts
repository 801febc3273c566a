/**
 * Messaging and notifications through GraphQL, on the engine under test: the same flows as REST (one
 * thread per listing and guest, masking until confirmed, read state, blocks, pre-approvals, the feed and
 * email preferences), the same authorization (a thread that is not yours is `not_found`), the same
 * bounds and codes, one message rate limit shared with REST, and page sizes counted in the cost limit.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createListing } from '../../test/support/fixtures.js';
import { createTestApp, createUser, type TestApp, type TestUser } from '../../test/support/test-app.js';
import { MASKS } from '../modules/messaging/masking.js';

const MESSAGES_MAX = 3;
const clock = new Date('2034-01-01T12:00:00Z');
let t: TestApp;
let host: TestUser;

beforeAll(async () => {
  t = await createTestApp({ now: () => clock, env: { RATE_LIMIT_MESSAGES_MAX: String(MESSAGES_MAX) } });
});
// A host of one's own per test: the rate limit counts each user's messages.
beforeEach(async () => {
  host = await createUser(t, 'host');
});
afterAll(() => t.close());

interface GqlResult {
  status: number;
  data: Record<string, any> | null;
  errors?: { message: string; extensions: { code: string; status: number; errors?: { field: string }[] } }[];
  raw: string;
}

async function gql(
  query: string,
  variables: Record<string, unknown> = {},
  user?: TestUser,
  headers: Record<string, string> = {},
): Promise<GqlResult> {
  const res = await t.app.inject({
    method: 'POST',
    url: '/graphql',
    headers: { ...(user?.auth ?? {}), ...headers },
    payload: { query, variables },
  });
  return { status: res.statusCode, ...(res.json() as Omit<GqlResult, 'status' | 'raw'>), raw: res.body };
}

/** The data of a successful operation (fails the test with the response otherwise). */
async function ok(query: string, variables: Record<string, unknown>, user?: TestUser) {
  const r = await gql(query, variables, user);
  expect(r.errors, r.raw).toBeUndefined();
  return r.data as Record<string, any>;
}
const codeOf = (r: GqlResult) => r.errors?.[0]?.extensions.code;

const CONTACT = 'Call me on +34 612 345 678 or write to ana.guest@example.com';
const MASKED = `Call me on ${MASKS.phone} or write to ${MASKS.email}`;

const START = `mutation($p: UUID!, $b: String!) {
  startConversation(propertyId: $p, body: $b) {
    conversation { id guestId hostId unread lastSeq listing { id title } otherParty { id firstName } }
    message { id seq senderId kind body masked }
  }
}`;
const SEND = `mutation($id: UUID!, $b: String!) {
  sendMessage(conversationId: $id, body: $b) { conversation { id lastSeq } message { seq body masked } }
}`;
const CONVERSATION = `query($id: UUID!) {
  conversation(id: $id) {
    id unread lastSeq readSeq { guest host } blocked blockedByMe contactDetailsVisible
    otherParty { id }
    messages { items { seq senderId kind body masked } nextCursor }
  }
}`;
const LIST = '{ conversations { items { id unread listing { id } } nextCursor } }';
const UNREAD = '{ unreadMessages { messages conversations } unreadNotifications }';
const FEED = '{ notifications { items { id type category title data readAt } nextCursor } }';

/** A guest's thread about a fresh listing of `host`, started through GraphQL. */
async function startThread(guest: TestUser, body = 'Is the terrace shaded?', title = 'Loft by the sea') {
  const listing = await createListing(t, host, { title });
  const started = await ok(START, { p: listing.id, b: body }, guest);
  return { listing, ...(started['startConversation'] as { conversation: any; message: any }) };
}

describe('GraphQL conversations', () => {
  it('a guest asks, the host reads it masked, marks it read; the feed and counts follow', async () => {
    const guest = await createUser(t);
    const { listing, conversation, message } = await startThread(guest, CONTACT);
    expect(conversation).toMatchObject({
      guestId: guest.id,
      hostId: host.id,
      unread: 0,
      lastSeq: 1,
      listing: { id: listing.id, title: 'Loft by the sea' },
      otherParty: { id: host.id, firstName: 'Test' },
    });
    expect(message).toMatchObject({ seq: 1, senderId: guest.id, kind: 'text', body: MASKED, masked: true });

    // The host sees it in the list, unread, and counted.
    const inbox = (await ok(LIST, {}, host))['conversations'].items as { id: string; unread: number }[];
    expect(inbox.find((c) => c.id === conversation.id)).toMatchObject({
      unread: 1,
      listing: { id: listing.id },
    });
    expect(await ok(UNREAD, {}, host)).toEqual({
      unreadMessages: { messages: 1, conversations: 1 },
      unreadNotifications: 1,
    });

    // Reading the conversation: the body masked as in REST, the contact details hidden.
    const read = (await ok(CONVERSATION, { id: conversation.id }, host))['conversation'];
    expect(read).toMatchObject({
      unread: 1,
      readSeq: { guest: 1, host: 0 },
      contactDetailsVisible: false,
      otherParty: { id: guest.id },
      messages: {
        items: [{ seq: 1, senderId: guest.id, kind: 'text', body: MASKED, masked: true }],
        nextCursor: null,
      },
    });
    expect(JSON.stringify(read)).not.toMatch(/612 345|ana\.guest/);
    const rest = await t.app.inject({
      method: 'GET',
      url: `/api/v1/conversations/${conversation.id}/messages`,
      headers: host.auth,
    });
    expect(rest.json().items[0].body).toBe(read.messages.items[0].body);

    // The feed has the host's message.new for this thread, with its data as JSON.
    const feed = (await ok(FEED, {}, host))['notifications'].items as any[];
    const notice = feed.find((n) => n.type === 'message.new' && n.data.conversationId === conversation.id);
    expect(notice).toMatchObject({
      category: 'messages',
      title: 'New message from Test',
      readAt: null,
      data: {
        conversationId: conversation.id,
        propertyId: listing.id,
        fromName: 'Test',
        preview: MASKED,
        count: 1,
      },
    });

    // Marked read: unread 1 → 0, the thread's notification with it.
    const marked = await ok(
      'mutation($id: UUID!) { markConversationRead(id: $id) { id unread readSeq { host } } }',
      { id: conversation.id },
      host,
    );
    expect(marked['markConversationRead']).toEqual({ id: conversation.id, unread: 0, readSeq: { host: 1 } });
    expect((await ok(CONVERSATION, { id: conversation.id }, host))['conversation'].unread).toBe(0);
    expect(await ok(UNREAD, {}, host)).toEqual({
      unreadMessages: { messages: 0, conversations: 0 },
      unreadNotifications: 0,
    });
    const unreadFeed = (await ok('{ notifications(unread: true, limit: 100) { items { id } } }', {}, host))[
      'notifications'
    ].items as { id: string }[];
    expect(unreadFeed.map((n) => n.id)).not.toContain(notice.id);

    // The host answers; the guest has one unread, then pages the history newest last.
    const answer = (await ok(SEND, { id: conversation.id, b: 'Yes, after 3 pm.' }, host))['sendMessage'];
    expect(answer).toMatchObject({ conversation: { id: conversation.id, lastSeq: 2 }, message: { seq: 2 } });
    expect((await ok(UNREAD, {}, guest))['unreadMessages']).toEqual({ messages: 1, conversations: 1 });
    const page = await ok(
      'query($id: UUID!) { conversation(id: $id) { messages(limit: 1) { items { seq } nextCursor } } }',
      { id: conversation.id },
      guest,
    );
    const newest = page['conversation'].messages;
    expect(newest.items).toEqual([{ seq: 2 }]);
    const older = await ok(
      'query($id: UUID!, $c: String) { conversation(id: $id) { messages(limit: 1, cursor: $c) { items { seq } nextCursor } } }',
      { id: conversation.id, c: newest.nextCursor },
      guest,
    );
    expect(older['conversation'].messages).toEqual({ items: [{ seq: 1 }], nextCursor: null });
  });

  it('a third user gets not_found for the thread and sees it nowhere; an admin’s read is recorded', async () => {
    const guest = await createUser(t);
    const stranger = await createUser(t);
    const admin = await createUser(t, 'admin');
    const { conversation } = await startThread(guest);
    const id = conversation.id;

    expect(codeOf(await gql(CONVERSATION, { id }, stranger))).toBe('not_found');
    const send = await gql(SEND, { id, b: 'hello?' }, stranger);
    expect(send.errors?.[0]?.extensions).toMatchObject({ code: 'not_found', status: 404 });
    expect(send.data).toBeNull();
    for (const [query, variables] of [
      ['mutation($id: UUID!) { markConversationRead(id: $id) { id } }', { id }],
      ['mutation($id: UUID!) { blockConversation(id: $id) { id } }', { id }],
      [
        'mutation($id: UUID!) { preApproveStay(conversationId: $id, checkIn: "2034-03-01", checkOut: "2034-03-03", guests: 1) { id } }',
        { id },
      ],
    ] as const) {
      expect(codeOf(await gql(query, variables, stranger)), query).toBe('not_found');
    }
    expect((await ok(LIST, {}, stranger))['conversations'].items).toEqual([]);
    expect(JSON.stringify(await ok(FEED, {}, stranger))).not.toContain(id);
    // Nothing was written by the refused attempts.
    expect((await ok(CONVERSATION, { id }, guest))['conversation'].lastSeq).toBe(1);

    // An admin may read it for support (no other party); each read is recorded with the request id.
    const read = await t.app.inject({
      method: 'POST',
      url: '/graphql',
      headers: { ...admin.auth, 'x-request-id': 'support-ticket-88' },
      payload: {
        query: 'query($id: UUID!) { conversation(id: $id) { id otherParty { id } } }',
        variables: { id },
      },
    });
    expect(read.json().data.conversation).toEqual({ id, otherParty: null });
    const log = await t.ctx.db
      .selectFrom('conversation_access_log')
      .selectAll()
      .where('conversation_id', '=', id)
      .execute();
    expect(log).toMatchObject([{ admin_id: admin.id, request_id: 'support-ticket-88' }]);
    expect(codeOf(await gql(SEND, { id, b: 'hi' }, admin))).toBe('not_found');
    expect(codeOf(await gql(CONVERSATION, { id }))).toBe('unauthorized');
  });

  it('bounds inputs like REST, with field paths, and refuses one’s own listing', async () => {
    const guest = await createUser(t);
    const listing = await createListing(t, host);
    for (const body of ['', '   ', 'x'.repeat(4001)]) {
      const r = await gql(START, { p: listing.id, b: body }, guest);
      expect(r.errors?.[0]?.extensions, r.raw).toMatchObject({ code: 'validation_error', status: 400 });
      expect(r.errors?.[0]?.extensions.errors?.[0]?.field).toBe('body');
    }
    const nul = await gql(START, { p: listing.id, b: 'nul \u0000 byte' }, guest);
    expect(codeOf(nul)).toBe('validation_error');
    expect(codeOf(await gql(START, { p: 'not-a-uuid', b: 'hi' }, guest))).toBe('validation_error');
    expect(codeOf(await gql('{ conversations(limit: 101) { items { id } } }', {}, guest))).toBe(
      'validation_error',
    );
    expect(codeOf(await gql('{ conversations(limit: 0) { items { id } } }', {}, guest))).toBe(
      'validation_error',
    );
    expect(codeOf(await gql('{ notifications(cursor: "bogus") { items { id } } }', {}, guest))).toBe(
      'invalid_cursor',
    );
    expect(
      codeOf(
        await gql(
          'mutation($ids: [UUID!]) { markNotificationsRead(ids: $ids) { marked } }',
          {
            ids: Array.from({ length: 101 }, () => listing.id),
          },
          guest,
        ),
      ),
    ).toBe('validation_error');
    const own = await gql(START, { p: listing.id, b: 'Hello me' }, host);
    expect(own.errors?.[0]?.extensions).toMatchObject({ code: 'own_listing', status: 403 });
    expect(codeOf(await gql(START, { p: listing.id, b: 'hi' }))).toBe('unauthorized');
  });

  it('blocks and unblocks like REST', async () => {
    const guest = await createUser(t);
    const { conversation } = await startThread(guest);
    const id = conversation.id;
    const blocked = await ok(
      'mutation($id: UUID!) { blockConversation(id: $id) { blocked blockedByMe } }',
      { id },
      guest,
    );
    expect(blocked['blockConversation']).toEqual({ blocked: true, blockedByMe: true });
    const refused = await gql(SEND, { id, b: 'Still there?' }, host);
    expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'conversation_blocked', status: 409 });
    expect(
      codeOf(await gql('mutation($id: UUID!) { unblockConversation(id: $id) { id } }', { id }, host)),
    ).toBe('not_blocker');
    const unblocked = await ok(
      'mutation($id: UUID!) { unblockConversation(id: $id) { blocked } }',
      { id },
      guest,
    );
    expect(unblocked['unblockConversation']).toEqual({ blocked: false });
    await ok(SEND, { id, b: 'Back again' }, host);
  });

  it('the host pre-approves the guest, who is notified; the guest cannot', async () => {
    const guest = await createUser(t);
    const stranger = await createUser(t);
    const { listing, conversation } = await startThread(guest);
    const PRE = `mutation($id: UUID!, $in: Date!, $out: Date!, $g: Int!) {
      preApproveStay(conversationId: $id, checkIn: $in, checkOut: $out, guests: $g) {
        id conversationId propertyId guestId checkIn checkOut guests expiresAt bookingId withdrawn
      }
    }`;
    const stay = { id: conversation.id, in: '2034-02-10', out: '2034-02-13', g: 2 };
    const pre = (await ok(PRE, stay, host))['preApproveStay'];
    expect(pre).toMatchObject({
      conversationId: conversation.id,
      propertyId: listing.id,
      guestId: guest.id,
      checkIn: '2034-02-10',
      checkOut: '2034-02-13',
      guests: 2,
      bookingId: null,
      withdrawn: false,
    });
    expect(codeOf(await gql(PRE, stay, guest))).toBe('not_host');
    expect(codeOf(await gql(PRE, { ...stay, g: 0 }, host))).toBe('validation_error');
    const feed = (await ok(FEED, {}, guest))['notifications'].items as any[];
    expect(feed.find((n) => n.type === 'preapproval.received')?.data).toMatchObject({
      preApprovalId: pre.id,
      conversationId: conversation.id,
    });
    const history = (await ok(CONVERSATION, { id: conversation.id }, guest))['conversation'].messages.items;
    expect(history.at(-1)).toMatchObject({ kind: 'pre_approval', senderId: host.id });

    // The host withdraws it; both sides see it withdrawn, a stranger nothing.
    const WITHDRAW = `mutation($c: UUID!, $p: UUID!) { withdrawPreApproval(conversationId: $c, preApprovalId: $p) { id withdrawn } }`;
    const ids = { c: conversation.id, p: pre.id };
    expect(codeOf(await gql(WITHDRAW, ids, guest))).toBe('not_host');
    expect(codeOf(await gql(WITHDRAW, ids, stranger))).toBe('not_found');
    expect((await ok(WITHDRAW, ids, host))['withdrawPreApproval']).toEqual({ id: pre.id, withdrawn: true });
    const LISTED = 'query($id: UUID!) { conversation(id: $id) { preApprovals { id withdrawn bookingId } } }';
    expect((await ok(LISTED, { id: conversation.id }, guest))['conversation'].preApprovals).toEqual([
      { id: pre.id, withdrawn: true, bookingId: null },
    ]);
  });

  it('gives a booking’s conversation to its guest, not_found to others', async () => {
    const guest = await createUser(t);
    const stranger = await createUser(t);
    const listing = await createListing(t, host);
    const booked = await ok(
      'mutation($s: StayInput!) { book(input: $s) { id } }',
      { s: { propertyId: listing.id, checkIn: '2034-04-01', checkOut: '2034-04-03', guests: 1 } },
      guest,
    );
    const Q = 'query($b: UUID!) { bookingConversation(bookingId: $b) { id bookingId guestId hostId } }';
    const thread = (await ok(Q, { b: booked['book'].id }, guest))['bookingConversation'];
    expect(thread).toMatchObject({ bookingId: booked['book'].id, guestId: guest.id, hostId: host.id });
    expect((await ok(Q, { b: booked['book'].id }, host))['bookingConversation'].id).toBe(thread.id);
    expect(codeOf(await gql(Q, { b: booked['book'].id }, stranger))).toBe('not_found');
  });
});

describe('GraphQL notifications', () => {
  it('preferences round-trip, and the feed is marked read by id', async () => {
    const user = await createUser(t);
    const PREFS = '{ notificationPreferences { categories { category email inApp description } } }';
    const initial = (await ok(PREFS, {}, user))['notificationPreferences'].categories as any[];
    expect(initial.map((c) => c.category)).toEqual(['messages', 'requests', 'bookings', 'stays', 'payouts']);
    expect(initial.every((c) => c.email && c.inApp && c.description)).toBe(true);

    const UPDATE = `mutation($e: NotificationEmailInput!) {
      updateNotificationPreferences(email: $e) { categories { category email } }
    }`;
    const updated = await ok(UPDATE, { e: { messages: false, payouts: false, stays: null } }, user);
    const expected = [
      { category: 'messages', email: false },
      { category: 'requests', email: true },
      { category: 'bookings', email: true },
      { category: 'stays', email: true },
      { category: 'payouts', email: false },
    ];
    expect(updated['updateNotificationPreferences'].categories).toEqual(expected);
    const again = (await ok(PREFS, {}, user))['notificationPreferences'].categories as any[];
    expect(again.map(({ category, email }) => ({ category, email }))).toEqual(expected);
    const rest = await t.app.inject({
      method: 'GET',
      url: '/api/v1/notifications/preferences',
      headers: user.auth,
    });
    expect(rest.json().categories.map(({ category, email }: any) => ({ category, email }))).toEqual(expected);
    await ok(UPDATE, { e: { messages: true } }, user);
    expect((await ok(PREFS, {}, user))['notificationPreferences'].categories[0].email).toBe(true);

    // The user is told of two threads; one notification is marked read by id, then the rest.
    const other = await createUser(t, 'host');
    const a = await createListing(t, other);
    await ok(START, { p: a.id, b: 'One' }, user);
    const b = await createListing(t, other);
    await ok(START, { p: b.id, b: 'Two' }, user);
    const feed = (await ok(FEED, {}, other))['notifications'].items as {
      id: string;
      readAt: string | null;
    }[];
    expect(feed).toHaveLength(2);
    const MARK = 'mutation($ids: [UUID!]) { markNotificationsRead(ids: $ids) { marked unread } }';
    expect((await ok(MARK, { ids: [feed[0]!.id] }, other))['markNotificationsRead']).toEqual({
      marked: 1,
      unread: 1,
    });
    // Someone else's ids are ignored.
    expect((await ok(MARK, { ids: [feed[1]!.id] }, user))['markNotificationsRead'].marked).toBe(0);
    expect((await ok(MARK, {}, other))['markNotificationsRead']).toEqual({ marked: 1, unread: 0 });
    expect((await ok('{ unreadNotifications }', {}, other))['unreadNotifications']).toBe(0);
  });
});

describe('message rate limit shared with REST', () => {
  it('answers rate_limited past RATE_LIMIT_MESSAGES_MAX, counting REST and GraphQL posts together', async () => {
    const guest = await createUser(t);
    const other = await createUser(t);
    const listing = await createListing(t, host);
    const restPost = () =>
      t.app.inject({
        method: 'POST',
        url: '/api/v1/conversations',
        headers: guest.auth,
        payload: { propertyId: listing.id, body: 'via REST' },
      });
    expect((await restPost()).statusCode).toBe(201); // 1
    const started = await ok(START, { p: listing.id, b: 'via GraphQL' }, guest); // 2
    const id = started['startConversation'].conversation.id;
    await ok(SEND, { id, b: 'via GraphQL again' }, guest); // 3 = MESSAGES_MAX
    expect(MESSAGES_MAX).toBe(3);

    const refused = await gql(SEND, { id, b: 'one too many' }, guest);
    expect(refused.errors?.[0]?.extensions, refused.raw).toMatchObject({ code: 'rate_limited', status: 429 });
    expect(refused.data).toBeNull();
    const viaStart = await gql(START, { p: listing.id, b: 'one too many' }, guest);
    expect(codeOf(viaStart)).toBe('rate_limited');
    const rest = await restPost();
    expect(rest.statusCode).toBe(429);
    expect(rest.json().code).toBe('rate_limited');
    // Nothing refused was posted: three messages in the thread.
    expect((await ok(CONVERSATION, { id }, guest))['conversation'].lastSeq).toBe(3);
    // Another user has a count of their own.
    await ok(START, { p: listing.id, b: 'me too' }, other);
  });
});

describe('GraphQL cost of message pages', () => {
  it('counts limit like first: big nested pages and their aliases are refused before running', async () => {
    const user = await createUser(t);
    const nested =
      '{ conversations(limit: 100) { items { id messages(limit: 100) { items { id body } } } } }';
    const r = await gql(nested, {}, user);
    expect(r.status).toBe(400);
    expect(codeOf(r)).toBe('query_too_costly');
    // A limit given by a variable counts as the largest page.
    const byVariable = await gql(
      'query($n: Int) { conversations(limit: 100) { items { id messages(limit: $n) { items { id } } } } }',
      { n: 1 },
      user,
    );
    expect(codeOf(byVariable)).toBe('query_too_costly');
    const aliases = Array.from(
      { length: 60 },
      (_, i) => `n${i}: notifications(limit: 100) { items { id title } }`,
    );
    expect(codeOf(await gql(`{ ${aliases.join(' ')} }`, {}, user))).toBe('query_too_costly');
    // The default pages, with messages, fit.
    const fits = await gql(
      '{ conversations { items { id listing { title } messages { items { id body } } } } notifications { items { id data } } }',
      {},
      user,
    );
    expect(fits.errors, fits.raw).toBeUndefined();
  });
});
