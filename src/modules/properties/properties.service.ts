/** Listings: hosts create and manage them; anyone searches the listed ones. */

import { createHash } from 'node:crypto';
import { Type } from 'typebox';
import type { PropertyStatus } from '../../db/schema/index.js';
import { afterCommit, inTransaction } from '../../db/transaction.js';
import { recordAdminAction } from '../../platform/audit.js';
import { type Actor, assertRole } from '../../platform/auth.js';
import { cached } from '../../platform/cache.js';
import type { ServiceContext } from '../../platform/context.js';
import { newId } from '../../platform/crypto.js';
import { AppError, conflict, forbidden, invalidField, notFound } from '../../platform/errors.js';
import { decodeCursor, toPage } from '../../platform/pagination.js';
import { coverPhotosOf, type PhotoRow, photosOf } from './photos.repository.js';
import {
  MAX_STAY_NIGHTS,
  nightCount,
  nightPrice,
  nightsOf,
  priceFromSubtotal,
  pricingRulesOf,
  type TaxRule,
  todayOf,
  weekendNightsIn,
} from './pricing.js';
import * as repo from './properties.repository.js';
import type {
  CreatePropertyInput,
  PropertyView,
  SearchQueryInput,
  SearchResultView,
  UpdatePropertyInput,
} from './properties.schemas.js';
import { feeRates } from './stays.service.js';
import { taxRulesOfPlaces } from './tax-rates.service.js';

export function toPhotoView(p: PhotoRow) {
  return {
    id: p.id,
    url: `/media/${p.storage_key}`,
    contentType: p.content_type,
    position: p.position,
    isCover: p.is_cover,
    caption: p.caption,
  };
}

function addressOf(p: repo.PropertyRow) {
  return {
    street: p.street,
    city: p.city,
    region: p.region,
    countryCode: p.country_code,
    postalCode: p.postal_code,
  };
}

export function toPropertyView(p: repo.PropertyRow, amenities: string[], photos: PhotoRow[]): PropertyView {
  return {
    id: p.id,
    hostId: p.host_id,
    title: p.title,
    description: p.description,
    propertyType: p.property_type,
    address: addressOf(p),
    latitude: p.latitude,
    longitude: p.longitude,
    maxGuests: p.max_guests,
    bedrooms: p.bedrooms,
    beds: p.beds,
    bathrooms: p.bathrooms,
    nightlyPrice: p.nightly_price,
    currency: p.currency,
    cleaningFee: p.cleaning_fee,
    weekendPrice: p.weekend_price,
    weeklyDiscountPct: p.weekly_discount_pct,
    monthlyDiscountPct: p.monthly_discount_pct,
    guestsIncluded: p.guests_included,
    extraGuestFee: p.extra_guest_fee,
    minNights: p.min_nights,
    maxNights: p.max_nights,
    checkInTime: p.check_in_time,
    checkOutTime: p.check_out_time,
    cancellationPolicy: p.cancellation_policy,
    instantBook: p.instant_book,
    status: p.status,
    amenities,
    houseRules: p.house_rules,
    ratingAvg: p.rating_avg,
    ratingCount: p.rating_count,
    photos: photos.map(toPhotoView),
    createdAt: new Date(p.created_at).toISOString(),
    updatedAt: new Date(p.updated_at).toISOString(),
  };
}

async function view(ctx: ServiceContext, p: repo.PropertyRow, db = ctx.db): Promise<PropertyView> {
  const [amenities, photos] = await Promise.all([repo.amenitiesOf(db, [p.id]), photosOf(db, [p.id])]);
  return toPropertyView(p, amenities.get(p.id) ?? [], photos.get(p.id) ?? []);
}

async function assertAmenities(ctx: ServiceContext, codes: string[], db = ctx.db) {
  const known = await repo.knownAmenities(db, codes);
  const index = codes.findIndex((c) => !known.has(c));
  if (index >= 0) throw invalidField(`amenities.${index}`, `"${codes[index]}" is not a known amenity`);
}

function assertNights(min: number, max: number | null) {
  if (max !== null && max < min) throw invalidField('maxNights', 'must be at least minNights');
}

/** Listing titles by id, for views that name a listing (conversations, notifications). */
export function listingTitles(
  db: ServiceContext['db'],
  ids: readonly string[],
): Promise<Map<string, string>> {
  return repo.titlesOf(db, [...new Set(ids)]);
}

/** Most check-in details a host may keep private (address line, door code, Wi-Fi …). */
export const MAX_CHECKIN_DETAILS = 2000;

/** The host's private check-in details of a listing (host or admin; 404/403 otherwise). */
export async function getCheckInDetails(ctx: ServiceContext, actor: Actor, id: string) {
  const p = await ownedProperty(ctx, actor, id);
  return { propertyId: p.id, details: p.checkin_details };
}

export async function setCheckInDetails(
  ctx: ServiceContext,
  actor: Actor,
  id: string,
  details: string | null,
) {
  await ownedProperty(ctx, actor, id);
  const text = details?.trim() ? details.trim() : null;
  const row = await repo.updateProperty(ctx.db, id, { checkin_details: text, updated_at: ctx.now() });
  return { propertyId: row.id, details: row.checkin_details };
}

/**
 * Where and when a stay begins, with the private details: only for a flow that has checked the caller
 * may see them (the host, or the guest of a confirmed stay).
 */
export async function arrivalInfo(ctx: ServiceContext, propertyId: string) {
  const p = await repo.findProperty(ctx.db, propertyId);
  if (!p) throw notFound('Property');
  return {
    propertyId: p.id,
    title: p.title,
    address: addressOf(p),
    latitude: p.latitude,
    longitude: p.longitude,
    checkInTime: p.check_in_time,
    checkOutTime: p.check_out_time,
    houseRules: p.house_rules,
    details: p.checkin_details,
  };
}

/** The listing, if the actor may change it: its host or an admin. 404 if missing, 403 if someone else's. */
export async function ownedProperty(
  ctx: ServiceContext,
  actor: Actor,
  id: string,
  db = ctx.db,
): Promise<repo.PropertyRow> {
  const p = await repo.findProperty(db, id);
  if (!p) throw notFound('Property');
  if (p.host_id !== actor.userId && actor.role !== 'admin')
    throw forbidden('Only the host of this listing can change it');
  return p;
}

export async function createProperty(
  ctx: ServiceContext,
  actor: Actor,
  input: CreatePropertyInput,
): Promise<PropertyView> {
  if (actor.role !== 'host' && actor.role !== 'admin') {
    throw forbidden('Only hosts can create listings; become a host first', 'not_a_host');
  }
  const amenities = input.amenities ?? [];
  await assertAmenities(ctx, amenities);
  const minNights = input.minNights ?? 1;
  const maxNights = input.maxNights ?? null;
  assertNights(minNights, maxNights);
  return inTransaction(ctx.db, async (trx) => {
    const row = await repo.insertProperty(trx, {
      id: newId(),
      host_id: actor.userId,
      title: input.title.trim(),
      description: input.description ?? '',
      property_type: input.propertyType,
      street: input.address.street,
      city: input.address.city.trim(),
      region: input.address.region ?? null,
      country_code: input.address.countryCode,
      postal_code: input.address.postalCode ?? null,
      latitude: input.latitude,
      longitude: input.longitude,
      max_guests: input.maxGuests,
      bedrooms: input.bedrooms,
      beds: input.beds,
      bathrooms: input.bathrooms,
      nightly_price: input.nightlyPrice,
      currency: input.currency,
      cleaning_fee: input.cleaningFee ?? 0,
      weekend_price: input.weekendPrice ?? null,
      weekly_discount_pct: input.weeklyDiscountPct ?? 0,
      monthly_discount_pct: input.monthlyDiscountPct ?? 0,
      guests_included: input.guestsIncluded ?? 1,
      extra_guest_fee: input.extraGuestFee ?? 0,
      min_nights: minNights,
      max_nights: maxNights,
      check_in_time: input.checkInTime ?? '15:00',
      check_out_time: input.checkOutTime ?? '11:00',
      cancellation_policy: input.cancellationPolicy ?? 'moderate',
      instant_book: input.instantBook ?? false,
      status: 'draft',
      house_rules: input.houseRules ?? null,
      published_at: null,
      deleted_at: null,
    });
    await repo.replaceAmenities(trx, row.id, amenities);
    return toPropertyView(row, [...amenities].sort(), []);
  });
}

export async function updateProperty(
  ctx: ServiceContext,
  actor: Actor,
  id: string,
  input: UpdatePropertyInput,
): Promise<PropertyView> {
  const current = await ownedProperty(ctx, actor, id);
  if (input.amenities) await assertAmenities(ctx, input.amenities);
  const minNights = input.minNights ?? current.min_nights;
  const maxNights = input.maxNights !== undefined ? input.maxNights : current.max_nights;
  assertNights(minNights, maxNights);
  const patch: Parameters<typeof repo.updateProperty>[2] = { updated_at: ctx.now() };
  const set = <K extends keyof typeof patch>(k: K, v: (typeof patch)[K] | undefined) => {
    if (v !== undefined) patch[k] = v;
  };
  set('title', input.title?.trim());
  set('description', input.description);
  set('property_type', input.propertyType);
  if (input.address) {
    patch.street = input.address.street;
    patch.city = input.address.city.trim();
    patch.region = input.address.region ?? null;
    patch.country_code = input.address.countryCode;
    patch.postal_code = input.address.postalCode ?? null;
  }
  set('latitude', input.latitude);
  set('longitude', input.longitude);
  set('max_guests', input.maxGuests);
  set('bedrooms', input.bedrooms);
  set('beds', input.beds);
  set('bathrooms', input.bathrooms);
  set('nightly_price', input.nightlyPrice);
  set('currency', input.currency);
  set('cleaning_fee', input.cleaningFee);
  set('weekend_price', input.weekendPrice);
  set('weekly_discount_pct', input.weeklyDiscountPct);
  set('monthly_discount_pct', input.monthlyDiscountPct);
  set('guests_included', input.guestsIncluded);
  set('extra_guest_fee', input.extraGuestFee);
  set('min_nights', input.minNights);
  set('max_nights', input.maxNights);
  set('check_in_time', input.checkInTime);
  set('check_out_time', input.checkOutTime);
  set('cancellation_policy', input.cancellationPolicy);
  set('instant_book', input.instantBook);
  set('house_rules', input.houseRules);
  const row = await inTransaction(ctx.db, async (trx) => {
    const updated = await repo.updateProperty(trx, id, patch);
    if (input.amenities) await repo.replaceAmenities(trx, id, input.amenities);
    return updated;
  });
  await invalidateProperty(ctx, id);
  return view(ctx, row);
}

/** Listed ↔ unlisted. Publishing needs a complete listing. */
export async function setPublished(
  ctx: ServiceContext,
  actor: Actor,
  id: string,
  published: boolean,
): Promise<PropertyView> {
  const p = await ownedProperty(ctx, actor, id);
  if (published && p.unlisted_reason !== null && actor.role !== 'admin') {
    throw conflict('unlisted_by_admin', 'This listing was taken down by Roost; contact support to relist it');
  }
  if (published) {
    const missing = [
      p.title.trim().length < 3 && 'title',
      p.description.trim().length === 0 && 'description',
      p.street.trim().length === 0 && 'address.street',
    ].filter(Boolean) as string[];
    if (missing.length > 0) {
      throw new AppError(
        409,
        'listing_incomplete',
        `Complete the listing before publishing: ${missing.join(', ')}`,
        missing.map((field) => ({ field, message: 'is required to publish', in: 'body' })),
      );
    }
  }
  const now = ctx.now();
  const row = await repo.updateProperty(ctx.db, id, {
    status: published ? 'listed' : 'unlisted',
    updated_at: now,
    ...(published && !p.published_at ? { published_at: now } : {}),
  });
  await invalidateProperty(ctx, id);
  return view(ctx, row);
}

/** Soft delete; refused while a stay is booked or under way. */
export async function deleteProperty(ctx: ServiceContext, actor: Actor, id: string): Promise<void> {
  await inTransaction(ctx.db, async (trx) => {
    await ownedProperty(ctx, actor, id, trx);
    await repo.lockProperty(trx, id);
    if (await repo.hasFutureBookings(trx, id, todayOf(ctx.now()))) {
      throw conflict(
        'has_future_bookings',
        'This listing has upcoming bookings; cancel them before deleting it',
      );
    }
    await repo.updateProperty(trx, id, { deleted_at: ctx.now(), status: 'unlisted', updated_at: ctx.now() });
  });
  await invalidateProperty(ctx, id);
}

/** Public detail: listed ones for everybody; drafts and unlisted ones only for their host or an admin. */
export async function getProperty(
  ctx: ServiceContext,
  actor: Actor | null,
  id: string,
): Promise<PropertyView> {
  const load = async () => {
    const db = await ctx.reads(actor);
    const p = await repo.findProperty(db, id);
    const mayPeek = actor && p && (p.host_id === actor.userId || actor.role === 'admin');
    if (!p || (p.status !== 'listed' && !mayPeek)) throw notFound('Property');
    return view(ctx, p, db);
  };
  // Hosts and admins always read fresh (they may be editing); everyone else shares the cached public view.
  if (actor && (actor.role === 'admin' || actor.role === 'host')) return load();
  return cached(ctx.cache, `property:${id}`, ctx.config.CACHE_TTL_SECONDS, load);
}

/** 404 unless the listing is public (listed): for what hangs off a listing, such as its reviews. */
export async function assertListed(ctx: ServiceContext, id: string): Promise<void> {
  const p = await repo.findProperty(await ctx.reads(), id);
  if (p?.status !== 'listed') throw notFound('Property');
}

/** After any change to a listing: its cached detail and every cached search page are stale. */
export async function invalidateProperty(ctx: ServiceContext, id: string): Promise<void> {
  await ctx.cache.del(`property:${id}`);
  await ctx.cache.bump('search');
}

const IdCursor = Type.Object({ id: Type.String({ format: 'uuid' }) });

export async function listMyProperties(
  ctx: ServiceContext,
  actor: Actor,
  q: { status?: string | undefined; limit: number; cursor?: string | undefined },
) {
  const afterId = q.cursor ? decodeCursor<{ id: string }>(q.cursor, IdCursor).id : undefined;
  const db = await ctx.reads(actor);
  const rows = await repo.listHostProperties(db, {
    hostId: actor.userId,
    status: q.status,
    afterId,
    limit: q.limit + 1,
  });
  const ids = rows.slice(0, q.limit).map((p) => p.id);
  const [amenities, photos] = await Promise.all([repo.amenitiesOf(db, ids), photosOf(db, ids)]);
  return toPage(
    rows,
    q.limit,
    (p) => toPropertyView(p, amenities.get(p.id) ?? [], photos.get(p.id) ?? []),
    (p) => ({ id: p.id }),
  );
}

const MAX_CALENDAR_DAYS = 366;

/** Validates a half-open range [from, end) of nights. */
function checkRange(from: string, end: string) {
  if (end <= from) throw invalidField('to', 'must be after from');
  if (nightCount(from, end) > MAX_CALENDAR_DAYS) {
    throw invalidField('to', `a range may span at most ${MAX_CALENDAR_DAYS} days`);
  }
}

const addDay = (d: string) => new Date(Date.parse(`${d}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);

/** The nights in [from, to) with their state and price (override, else weekend or nightly price). */
async function pricedCalendar(db: ServiceContext['db'], id: string, from: string, to: string) {
  const [p, days] = await Promise.all([repo.findProperty(db, id), repo.nightlyCalendar(db, id, from, to)]);
  if (!p) throw notFound('Property');
  const rules = pricingRulesOf(p);
  return days.map((d) => ({ date: d.date, state: d.state, price: nightPrice(rules, d.date, d.override) }));
}

/** Each night in [from, to) with its state and price. Listed listings are public; others only for their host. */
export async function getCalendar(
  ctx: ServiceContext,
  actor: Actor | null,
  id: string,
  from: string,
  to: string,
) {
  await getProperty(ctx, actor, id);
  checkRange(from, to);
  return { propertyId: id, from, to, days: await pricedCalendar(await ctx.reads(actor), id, from, to) };
}

/** Block/unblock nights and set/clear price overrides over [from, to] (inclusive of `to`). */
export async function updateCalendar(
  ctx: ServiceContext,
  actor: Actor,
  id: string,
  input: { from: string; to: string; blocked?: boolean | undefined; price?: number | null | undefined },
) {
  await ownedProperty(ctx, actor, id);
  const end = addDay(input.to);
  checkRange(input.from, end);
  if (input.blocked === undefined && input.price === undefined) {
    throw invalidField('blocked', 'give blocked and/or price');
  }
  await repo.upsertCalendar(ctx.db, id, nightsOf(input.from, end), {
    blocked: input.blocked,
    price: input.price,
  });
  await invalidateProperty(ctx, id);
  return {
    propertyId: id,
    from: input.from,
    to: end,
    days: await pricedCalendar(ctx.db, id, input.from, end),
  };
}

const SearchCursor = Type.Object({
  s: Type.String(),
  v: Type.Union([Type.Number(), Type.String()]),
  id: Type.String({ format: 'uuid' }),
});

type SearchPage = { items: SearchResultView[]; nextCursor: string | null };

/** Search, with pages cached under the current search version (bumped by listing and booking changes). */
export async function searchProperties(ctx: ServiceContext, q: SearchQueryInput): Promise<SearchPage> {
  // Caching off: no round trip to the cache for a version nobody uses.
  if (ctx.config.CACHE_TTL_SECONDS <= 0) return runSearch(ctx, q);
  const version = await ctx.cache.version('search');
  const key = `search:${version}:${createHash('sha256').update(JSON.stringify(q)).digest('base64url')}`;
  return cached(ctx.cache, key, ctx.config.CACHE_TTL_SECONDS, () => runSearch(ctx, q));
}

async function runSearch(ctx: ServiceContext, q: SearchQueryInput): Promise<SearchPage> {
  const db = await ctx.reads();
  const filters: repo.SearchFilters = {
    cityKey: q.city?.trim().toLowerCase(),
    country: q.country?.toUpperCase(),
    guests: q.guests,
    minPrice: q.minPrice,
    maxPrice: q.maxPrice,
    type: q.type,
    instantBook: q.instantBook,
    text: q.q?.trim() || undefined,
  };
  if (q.minPrice !== undefined && q.maxPrice !== undefined && q.maxPrice < q.minPrice) {
    throw invalidField('maxPrice', 'must not be below minPrice');
  }
  if (q.bbox) {
    const [minLng, minLat, maxLng, maxLat] = q.bbox.split(',').map(Number) as [
      number,
      number,
      number,
      number,
    ];
    if (
      minLat > maxLat ||
      minLng > maxLng ||
      Math.abs(minLat) > 90 ||
      Math.abs(maxLat) > 90 ||
      Math.abs(minLng) > 180 ||
      Math.abs(maxLng) > 180
    ) {
      throw invalidField('bbox', 'must be minLng,minLat,maxLng,maxLat with min ≤ max within ±90/±180');
    }
    filters.bbox = { minLat, maxLat, minLng, maxLng };
  }
  if ((q.lat === undefined) !== (q.lng === undefined))
    throw invalidField(q.lat === undefined ? 'lat' : 'lng', 'lat and lng go together');
  if (q.radiusKm !== undefined && q.lat === undefined)
    throw invalidField('lat', 'a radius needs a centre (lat, lng)');
  if (q.lat !== undefined && q.lng !== undefined) {
    filters.centre = { lat: q.lat, lng: q.lng, radiusKm: q.radiusKm };
    if (q.radiusKm !== undefined) {
      // Bounding-box prefilter (served by the lat/lng index), then the exact great-circle distance.
      const dLat = q.radiusKm / 111.045;
      const dLng = q.radiusKm / (111.045 * Math.max(Math.cos((q.lat * Math.PI) / 180), 0.01));
      filters.bbox ??= {
        minLat: q.lat - dLat,
        maxLat: q.lat + dLat,
        minLng: q.lng - dLng,
        maxLng: q.lng + dLng,
      };
    }
  }
  if (q.sort === 'distance' && !filters.centre)
    throw invalidField('sort', 'sorting by distance needs lat and lng');
  if (q.sort === 'relevance' && !filters.text) throw invalidField('sort', 'sorting by relevance needs q');
  if ((q.checkIn === undefined) !== (q.checkOut === undefined)) {
    throw invalidField(q.checkIn === undefined ? 'checkIn' : 'checkOut', 'checkIn and checkOut go together');
  }
  if (q.checkIn && q.checkOut) {
    if (q.checkOut <= q.checkIn) throw invalidField('checkOut', 'must be after checkIn');
    const nights = nightCount(q.checkIn, q.checkOut);
    if (nights > MAX_STAY_NIGHTS) {
      throw invalidField('checkOut', `a stay may last at most ${MAX_STAY_NIGHTS} nights`);
    }
    filters.stay = {
      checkIn: q.checkIn,
      checkOut: q.checkOut,
      nights,
      weekendNights: weekendNightsIn(q.checkIn, q.checkOut),
    };
  }
  if (q.amenities) {
    filters.amenities = [
      ...new Set(
        q.amenities
          .split(',')
          .map((a) => a.trim())
          .filter(Boolean),
      ),
    ];
    await assertAmenities(ctx, filters.amenities, db);
  }
  let after: { v: number | string; id: string } | undefined;
  if (q.cursor) {
    const c = decodeCursor<{ s: string; v: number | string; id: string }>(q.cursor, SearchCursor);
    if (c.s !== q.sort) throw invalidField('cursor', 'belongs to a different sort order', 'invalid_cursor');
    after = { v: c.v, id: c.id };
  }
  const stay = filters.stay;
  const guests = q.guests ?? 1;
  const byTotal = stay !== undefined && (q.sort === 'price_asc' || q.sort === 'price_desc');
  const rows = byTotal
    ? await rankByStayTotal(
        ctx,
        db,
        filters,
        stay,
        guests,
        q.sort === 'price_asc' ? 'asc' : 'desc',
        q.limit + 1,
        after,
      )
    : await repo.searchProperties(db, filters, q.sort, q.limit + 1, after);
  const page = rows.slice(0, q.limit);
  // The page's cover photos and taxes: one lookup each for the page, after the search (which stays as indexed).
  const [covers, taxesOf] = await Promise.all([
    coverPhotosOf(
      db,
      page.map((r) => r.id),
    ),
    stay ? taxRulesOfPlaces(ctx, db) : undefined,
  ]);
  return toPage(
    rows,
    q.limit,
    (r) =>
      toSearchResult(
        ctx,
        r,
        stay && taxesOf ? { ...stay, guests, taxes: taxesOf(placeOf(r)) } : undefined,
        covers.get(r.id),
      ),
    (r) => ({ s: q.sort, v: r.sort_value, id: r.id }),
  );
}

/**
 * Sorting by price for the dates asked ranks by the stay's total as the pricing engine computes it
 * (discounts, extra guests, fees, each listing's taxes), not by the nightly price: the available
 * listings matching the filters are priced in TS and ordered by (total, id). At most
 * PRICE_RANK_CANDIDATES listings are ranked (the newest); filters such as a city or a map box keep a
 * search far below that.
 */
export const PRICE_RANK_CANDIDATES = 2000;

async function rankByStayTotal(
  ctx: ServiceContext,
  db: ServiceContext['db'],
  filters: repo.SearchFilters,
  stay: NonNullable<repo.SearchFilters['stay']>,
  guests: number,
  dir: 'asc' | 'desc',
  limit: number,
  after: { v: number | string; id: string } | undefined,
): Promise<repo.SearchRow[]> {
  const candidates = await repo.searchProperties(db, filters, 'newest', PRICE_RANK_CANDIDATES);
  const taxesOf = await taxRulesOfPlaces(ctx, db);
  const sign = dir === 'asc' ? 1 : -1;
  const ranked = candidates
    .map((r) => ({
      ...r,
      sort_value: stayPriceOf(ctx, r, { ...stay, guests, taxes: taxesOf(placeOf(r)) }).total,
    }))
    .sort((a, b) => sign * (a.sort_value - b.sort_value || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)));
  const past = after
    ? (r: { sort_value: number; id: string }) => {
        const v = Number(after.v);
        return dir === 'asc'
          ? r.sort_value > v || (r.sort_value === v && r.id > after.id)
          : r.sort_value < v || (r.sort_value === v && r.id < after.id);
      }
    : () => true;
  return ranked.filter(past).slice(0, limit);
}

const placeOf = (r: repo.SearchRow) => ({
  countryCode: r.country_code,
  region: r.region,
  currency: r.currency,
});

/** A search row's stay, priced by the engine from the nights' subtotal the search summed. */
function stayPriceOf(
  ctx: ServiceContext,
  r: repo.SearchRow,
  stay: { nights: number; guests: number; taxes: TaxRule[] },
) {
  return priceFromSubtotal({
    rules: pricingRulesOf(r),
    nightsSubtotal: r.nights_subtotal ?? 0,
    nightCount: stay.nights,
    guests: stay.guests,
    fees: feeRates(ctx.config),
    taxes: stay.taxes,
  });
}

/** A search result's cover photo: enough to draw the card. */
export function toCoverPhoto(p: PhotoRow | undefined) {
  return p
    ? { id: p.id, url: `/media/${p.storage_key}`, contentType: p.content_type, caption: p.caption }
    : null;
}

function toSearchResult(
  ctx: ServiceContext,
  r: repo.SearchRow,
  stay: (NonNullable<repo.SearchFilters['stay']> & { guests: number; taxes: TaxRule[] }) | undefined,
  cover: PhotoRow | undefined,
): SearchResultView {
  const out: SearchResultView = {
    id: r.id,
    hostId: r.host_id,
    title: r.title,
    propertyType: r.property_type,
    city: r.city,
    countryCode: r.country_code,
    latitude: r.latitude,
    longitude: r.longitude,
    maxGuests: r.max_guests,
    bedrooms: r.bedrooms,
    nightlyPrice: r.nightly_price,
    currency: r.currency,
    cleaningFee: r.cleaning_fee,
    instantBook: r.instant_book,
    ratingAvg: r.rating_avg,
    ratingCount: r.rating_count,
    coverPhoto: toCoverPhoto(cover),
  };
  if (r.distance_km !== null) out.distanceKm = Math.round(r.distance_km * 1000) / 1000;
  if (stay && r.nights_subtotal !== null) {
    // The same engine as a booking quote.
    const price = stayPriceOf(ctx, r, stay);
    out.stay = {
      checkIn: stay.checkIn,
      checkOut: stay.checkOut,
      nights: stay.nights,
      guests: stay.guests,
      nightsSubtotal: price.nightsSubtotal,
      discountPct: price.discountPct,
      discount: price.discount,
      extraGuestFees: price.extraGuestFees,
      cleaningFee: price.cleaningFee,
      serviceFee: price.serviceFee,
      taxLines: price.taxLines,
      taxes: price.taxes,
      total: price.total,
    };
  }
  return out;
}

// ---- Admin (operator console and admin API) ----

/** A listing as the admin search lists it. */
export interface AdminListingSummary {
  id: string;
  title: string;
  city: string;
  countryCode: string;
  hostId: string;
  status: PropertyStatus;
  /** Why an admin took it down (null unless an admin unlisted it). */
  unlistedReason: string | null;
  nightlyPrice: number;
  currency: string;
  createdAt: string;
}

export function toAdminListingSummary(p: repo.PropertyRow): AdminListingSummary {
  return {
    id: p.id,
    title: p.title,
    city: p.city,
    countryCode: p.country_code,
    hostId: p.host_id,
    status: p.status,
    unlistedReason: p.unlisted_reason,
    nightlyPrice: p.nightly_price,
    currency: p.currency,
    createdAt: new Date(p.created_at).toISOString(),
  };
}

export interface AdminListingSearch {
  /** Part of the title or city. */
  q?: string | undefined;
  status?: PropertyStatus | undefined;
  hostId?: string | undefined;
  limit: number;
  cursor?: string | undefined;
}

/** Every listing (drafts and unlisted ones too; not deleted ones), newest first, keyset-paged (admin). */
export async function adminSearchListings(
  ctx: ServiceContext,
  actor: Actor,
  q: AdminListingSearch,
): Promise<{ items: AdminListingSummary[]; nextCursor: string | null }> {
  assertRole(actor, 'admin');
  const limit = Math.min(Math.max(q.limit, 1), 100);
  const before = q.cursor ? decodeCursor<{ id: string }>(q.cursor, IdCursor).id : undefined;
  const text = q.q?.trim().slice(0, 200);
  const rows = await repo.adminSearchProperties(ctx.db, {
    text: text || undefined,
    status: q.status,
    hostId: q.hostId,
    before,
    limit: limit + 1,
  });
  return toPage(rows, limit, toAdminListingSummary, (p) => ({ id: p.id }));
}

/**
 * An admin takes a listing down (`listed: false`: unlisted, with the reason kept on the listing; its
 * host cannot publish it again) or puts it back (`listed: true`: only a listing an admin took down, and
 * only if it is complete). Audited `listing.unlist` / `listing.relist`. 404 for an unknown or deleted
 * listing; 409 for a draft, a listing already in that state, or one its host unlisted.
 */
export async function setListedByAdmin(
  ctx: ServiceContext,
  actor: Actor,
  id: string,
  listed: boolean,
  reason: string | null | undefined,
): Promise<AdminListingSummary> {
  assertRole(actor, 'admin');
  const row = await inTransaction(ctx.db, async (trx) => {
    const p = await repo.lockProperty(trx, id);
    if (!p) throw notFound('Property');
    if (p.status === 'draft') {
      throw conflict('listing_draft', 'This listing is a draft: it was never published');
    }
    if (listed) {
      if (p.status === 'listed') throw conflict('already_listed', 'This listing is already listed');
      if (p.unlisted_reason === null) {
        throw conflict('unlisted_by_host', 'Its host unlisted this listing; only they can publish it again');
      }
      assertComplete(p);
    } else if (p.status === 'unlisted' && p.unlisted_reason !== null) {
      throw conflict('already_unlisted', 'This listing is already unlisted by an admin');
    }
    const now = ctx.now();
    const updated = await repo.updateProperty(trx, id, {
      status: listed ? 'listed' : 'unlisted',
      unlisted_reason: listed ? null : (reason ?? '').slice(0, 1000),
      updated_at: now,
    });
    await recordAdminAction(ctx, trx, actor, {
      action: listed ? 'listing.relist' : 'listing.unlist',
      objectType: 'listing',
      objectId: id,
      before: { status: p.status },
      after: { status: updated.status },
      reason: reason ?? null,
    });
    afterCommit(trx, () => invalidateProperty(ctx, id));
    return updated;
  });
  return toAdminListingSummary(row);
}

/** Publishing needs a complete listing: 409 `listing_incomplete` naming what is missing. */
function assertComplete(p: repo.PropertyRow): void {
  const missing = [
    p.title.trim().length < 3 && 'title',
    p.description.trim().length === 0 && 'description',
    p.street.trim().length === 0 && 'address.street',
  ].filter(Boolean) as string[];
  if (missing.length > 0) {
    throw new AppError(
      409,
      'listing_incomplete',
      `Complete the listing before publishing: ${missing.join(', ')}`,
      missing.map((field) => ({ field, message: 'is required to publish', in: 'body' })),
    );
  }
}

export const ADMIN_CALENDAR_DAYS = 60;

/** One listing for an admin, whatever its status: the listing, its photos, the next 60 nights. */
export async function adminListingDetail(ctx: ServiceContext, actor: Actor, id: string) {
  assertRole(actor, 'admin');
  const p = await repo.findProperty(ctx.db, id);
  if (!p) throw notFound('Property');
  const listing = await view(ctx, p);
  const from = todayOf(ctx.now());
  const to = new Date(Date.parse(`${from}T00:00:00Z`) + ADMIN_CALENDAR_DAYS * 86_400_000)
    .toISOString()
    .slice(0, 10);
  return {
    listing,
    unlistedReason: p.unlisted_reason,
    photos: listing.photos,
    calendar: { propertyId: id, from, to, days: await pricedCalendar(ctx.db, id, from, to) },
  };
}
