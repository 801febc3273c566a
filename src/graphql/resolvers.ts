/**
 * GraphQL resolvers and loaders. Thin: each calls the service the REST route calls, with the same
 * authorization; nested fields are batched by loaders (one query per field per request).
 */
import type { IResolvers, MercuriusContext, MercuriusLoaders } from 'mercurius';
import * as book from '../flows/book.js';
import * as cancel from '../flows/cancel.js';
import * as pay from '../flows/pay.js';
import * as reviewFlows from '../flows/reviews.js';
import type { AuthLimits } from '../modules/accounts/auth.limits.js';
import { LoginBody, RegisterBody } from '../modules/accounts/auth.schemas.js';
import * as auth from '../modules/accounts/auth.service.js';
import { findUsersByIds } from '../modules/accounts/users.repository.js';
import { getMe } from '../modules/accounts/users.service.js';
import { CreateBookingBody, ReasonBody, StayBody } from '../modules/bookings/bookings.schemas.js';
import * as bookings from '../modules/bookings/bookings.service.js';
import { PayBody } from '../modules/payments/payments.schemas.js';
import { photosOf } from '../modules/properties/photos.repository.js';
import { amenityDetailsOf, findPropertiesByIds } from '../modules/properties/properties.repository.js';
import {
  CreatePropertyBody,
  type PropertyView,
  SearchQuery,
  UpdatePropertyBody,
} from '../modules/properties/properties.schemas.js';
import * as properties from '../modules/properties/properties.service.js';
import { reviewCounts } from '../modules/reviews/reviews.repository.js';
import { CreateReviewBody, ReplyBody, ReviewsQuery } from '../modules/reviews/reviews.schemas.js';
import * as reviews from '../modules/reviews/reviews.service.js';
import { type Actor, requireActor as requireRestActor } from '../platform/auth.js';
import type { ServiceContext } from '../platform/context.js';
import { clientInfo } from '../platform/http.js';
import { parseIdempotencyKey } from '../platform/idempotency.js';
import { encodeCursor } from '../platform/pagination.js';
import { validate } from '../platform/validation.js';
import { messagingMutation, messagingQuery, messagingTypes } from './messaging.resolvers.js';
import { DateScalar, JSONScalar, UUIDScalar } from './scalars.js';

declare module 'mercurius' {
  interface MercuriusContext {
    ctx: ServiceContext;
    /** The sign-in rate limits REST's credential routes use. */
    authLimits: AuthLimits;
  }
}

type Ctx = MercuriusContext;
type Args = Record<string, unknown>;

/** The caller, or the same 401 the REST routes give. */
const actorOf = (c: Ctx): Actor => requireRestActor(c.reply.request);
const optionalActor = (c: Ctx): Actor | null => c.reply.request.actor;

/** A listing as GraphQL sees it, from a search row or a full listing. */
interface PropertyNode {
  id: string;
  hostId: string;
  [key: string]: unknown;
}

function nodeFromView(p: PropertyView): PropertyNode {
  return { ...p, city: p.address.city, countryCode: p.address.countryCode };
}

function connection<T>(items: T[], nextCursor: string | null, cursorOf: (item: T) => string) {
  return {
    edges: items.map((node) => ({ node, cursor: cursorOf(node) })),
    pageInfo: { hasNextPage: nextCursor !== null, endCursor: nextCursor },
  };
}

/** What anyone may see of a user: the `User` type's fields, never the row. */
const publicUser = (u: { id: string; first_name: string; last_name: string; role: string }) => ({
  id: u.id,
  firstName: u.first_name,
  lastName: u.last_name,
  role: u.role,
});

const first = (n: unknown, max = 100) => Math.min(Math.max(1, Number(n ?? 20)), max);

export function createResolvers(): IResolvers {
  return {
    UUID: UUIDScalar,
    Date: DateScalar,
    JSON: JSONScalar,
    Query: {
      ...messagingQuery,
      me: async (_: unknown, __: Args, c: Ctx) => getMe(c.ctx, actorOf(c)),
      user: async (_: unknown, { id }: Args, c: Ctx) => {
        const [u] = await findUsersByIds(c.ctx.db, [String(id)]);
        return u ? publicUser(u) : null;
      },
      property: async (_: unknown, { id }: Args, c: Ctx) =>
        nodeFromView(await properties.getProperty(c.ctx, optionalActor(c), String(id))),
      properties: async (_: unknown, args: Args, c: Ctx) => {
        const filter = (args['filter'] ?? {}) as Record<string, unknown>;
        const query = validate(SearchQuery, {
          ...filter,
          ...(Array.isArray(filter['amenities'])
            ? { amenities: (filter['amenities'] as string[]).join(',') }
            : {}),
          sort: filter['sort'] ?? 'newest',
          limit: first(args['first']),
          ...(args['after'] ? { cursor: args['after'] } : {}),
        });
        const page = await properties.searchProperties(c.ctx, query);
        // Every edge's cursor is the page cursor of the last one; clients page with pageInfo.endCursor.
        return connection(page.items, page.nextCursor, () => page.nextCursor ?? '');
      },
      booking: async (_: unknown, { id }: Args, c: Ctx) => bookings.getBooking(c.ctx, actorOf(c), String(id)),
      bookings: async (_: unknown, args: Args, c: Ctx) => {
        const page = await bookings.listBookings(c.ctx, actorOf(c), {
          as: args['as'] === 'host' ? 'host' : 'guest',
          ...(args['when'] === 'past' || args['when'] === 'upcoming' ? { when: args['when'] } : {}),
          limit: first(args['first']),
          ...(args['after'] ? { cursor: String(args['after']) } : {}),
        });
        return connection(page.items, page.nextCursor, (b) => encodeCursor({ checkIn: b.checkIn, id: b.id }));
      },
    },
    Mutation: {
      ...messagingMutation,
      register: async (_: unknown, args: Args, c: Ctx) => {
        // Counted like REST's attempts: before validation, per IP and per target email.
        await c.authLimits.credentialAttempt(c.reply.request, c.reply, String(args['email'] ?? ''));
        const input = validate(RegisterBody, args);
        return auth.register(c.ctx, input);
      },
      login: async (_: unknown, args: Args, c: Ctx) => {
        // Counted like REST's attempts: before validation, per IP and per target email.
        await c.authLimits.credentialAttempt(c.reply.request, c.reply, String(args['email'] ?? ''));
        const input = validate(LoginBody, args);
        return auth.login(c.ctx, input, clientInfo(c.reply.request));
      },
      createProperty: async (_: unknown, { input }: Args, c: Ctx) =>
        nodeFromView(await properties.createProperty(c.ctx, actorOf(c), validate(CreatePropertyBody, input))),
      updateProperty: async (_: unknown, { id, input }: Args, c: Ctx) =>
        nodeFromView(
          await properties.updateProperty(c.ctx, actorOf(c), String(id), validate(UpdatePropertyBody, input)),
        ),
      publishProperty: async (_: unknown, { id, published }: Args, c: Ctx) =>
        nodeFromView(await properties.setPublished(c.ctx, actorOf(c), String(id), Boolean(published))),
      quote: async (_: unknown, { input }: Args, c: Ctx) => book.quote(c.ctx, validate(StayBody, input)),
      book: async (_: unknown, { input, idempotencyKey }: Args, c: Ctx) =>
        (
          await book.createBooking(
            c.ctx,
            actorOf(c),
            validate(CreateBookingBody, input),
            parseIdempotencyKey(idempotencyKey, false, { field: 'idempotencyKey', in: 'arguments' }),
          )
        ).body,
      cancelBooking: async (_: unknown, { id, reason }: Args, c: Ctx) =>
        cancel.cancelBooking(
          c.ctx,
          actorOf(c),
          String(id),
          validate(ReasonBody, reason == null ? {} : { reason }).reason,
        ),
      payBooking: async (_: unknown, { id, paymentMethod }: Args, c: Ctx) =>
        (await pay.payBooking(c.ctx, actorOf(c), String(id), validate(PayBody, { paymentMethod }))).payment,
      createReview: async (_: unknown, { input }: Args, c: Ctx) =>
        reviewFlows.createReview(c.ctx, actorOf(c), validate(CreateReviewBody, input)),
      replyToReview: async (_: unknown, { id, body }: Args, c: Ctx) =>
        reviewFlows.replyToReview(c.ctx, actorOf(c), String(id), validate(ReplyBody, { body }).body),
    },
    ...messagingTypes,
    Property: {
      calendar: async (p: PropertyNode, { from, to }: Args, c: Ctx) =>
        (await properties.getCalendar(c.ctx, optionalActor(c), p.id, String(from), String(to))).days,
    },
  };
}

type Q<T> = { obj: T; params: Args }[];

export function createLoaders(): MercuriusLoaders {
  const users = async (ids: string[], c: Ctx) => {
    const rows = await findUsersByIds(c.ctx.db, [...new Set(ids)]);
    const byId = new Map(rows.map((u) => [u.id, publicUser(u)]));
    return ids.map((id) => byId.get(id) ?? null);
  };
  return {
    Property: {
      host: async (q: Q<PropertyNode>, c: Ctx) =>
        users(
          q.map(({ obj }) => obj.hostId),
          c,
        ),
      details: async (q: Q<PropertyNode>, c: Ctx) => {
        const rows = await findPropertiesByIds(c.ctx.db, [...new Set(q.map(({ obj }) => obj.id))]);
        const byId = new Map(rows.map((p) => [p.id, properties.toPropertyView(p, [], [])]));
        return q.map(({ obj }) => {
          const v = byId.get(obj.id);
          return v ? { ...v, status: v.status } : null;
        });
      },
      amenities: async (q: Q<PropertyNode>, c: Ctx) => {
        const map = await amenityDetailsOf(c.ctx.db, [...new Set(q.map(({ obj }) => obj.id))]);
        return q.map(({ obj }) => map.get(obj.id) ?? []);
      },
      photos: async (q: Q<PropertyNode>, c: Ctx) => {
        const map = await photosOf(c.ctx.db, [...new Set(q.map(({ obj }) => obj.id))]);
        return q.map(({ obj }) => (map.get(obj.id) ?? []).map(properties.toPhotoView));
      },
      // First pages batch into one query per distinct (sort, first); a page after a cursor is per listing.
      reviews: async (q: Q<PropertyNode>, c: Ctx) => {
        const results = new Array(q.length);
        const groups = new Map<string, number[]>();
        for (const [i, { params }] of q.entries()) {
          const args = validate(ReviewsQuery, {
            sort: params['sort'] ?? 'newest',
            limit: first(params['first'], 50),
            ...(params['after'] ? { cursor: params['after'] } : {}),
          });
          if (args.cursor) {
            const page = await reviews.listPropertyReviews(c.ctx, q[i]!.obj.id, args);
            results[i] = connection(page.items, page.nextCursor, () => page.nextCursor ?? '');
          } else {
            const key = `${args.sort}:${args.limit}`;
            groups.set(key, [...(groups.get(key) ?? []), i]);
          }
        }
        for (const [key, indexes] of groups) {
          const [sort, limit] = key.split(':') as ['newest' | 'highest', string];
          const pages = await reviews.firstReviewPages(
            c.ctx,
            indexes.map((i) => q[i]!.obj.id),
            sort,
            Number(limit),
          );
          for (const i of indexes) {
            const page = pages.get(q[i]!.obj.id) ?? { items: [], nextCursor: null };
            results[i] = connection(page.items, page.nextCursor, () => page.nextCursor ?? '');
          }
        }
        return results;
      },
      reviewCount: async (q: Q<PropertyNode>, c: Ctx) => {
        const map = await reviewCounts(c.ctx.db, [...new Set(q.map(({ obj }) => obj.id))]);
        return q.map(({ obj }) => map.get(obj.id) ?? 0);
      },
    },
    Review: {
      author: async (q: Q<{ guestId: string }>, c: Ctx) =>
        users(
          q.map(({ obj }) => obj.guestId),
          c,
        ),
    },
    Booking: {
      guest: async (q: Q<{ guestId: string }>, c: Ctx) =>
        users(
          q.map(({ obj }) => obj.guestId),
          c,
        ),
      property: async (q: Q<{ propertyId: string }>, c: Ctx) => {
        const rows = await findPropertiesByIds(c.ctx.db, [...new Set(q.map(({ obj }) => obj.propertyId))]);
        const byId = new Map(rows.map((p) => [p.id, nodeFromView(properties.toPropertyView(p, [], []))]));
        return q.map(({ obj }) => byId.get(obj.propertyId) ?? null);
      },
    },
  };
}
