/**
 * What a listing asks of a stay: its rules (nights, guests) and its price night by night, calendar
 * overrides applied. Quoting and booking both price a stay here, so a quote and the booking made from
 * it can never disagree.
 */
import type { ServiceContext } from '../../platform/context.js';
import { conflict, invalidField, notFound } from '../../platform/errors.js';
import {
  type FeeRates,
  MAX_STAY_NIGHTS,
  nightCount,
  nightsOf,
  type PriceBreakdown,
  priceStay,
  todayOf,
} from './pricing.js';
import { type BookingTerms, getBookingTerms, nightlyCalendar } from './properties.repository.js';
import { taxRulesFor } from './tax-rates.service.js';

export type { PriceBreakdown } from './pricing.js';
export type { BookingTerms } from './properties.repository.js';

export interface StayInput {
  propertyId: string;
  checkIn: string;
  checkOut: string;
  guests: number;
}

/** The booking terms of a listed listing; 404 for one that is unlisted, deleted or unknown. */
export async function bookableTerms(ctx: ServiceContext, propertyId: string): Promise<BookingTerms> {
  const terms = await getBookingTerms(ctx.db, propertyId);
  if (terms?.status !== 'listed') throw notFound('Property');
  return terms;
}

function validateStay(ctx: ServiceContext, terms: BookingTerms, stay: StayInput): string[] {
  if (stay.checkOut <= stay.checkIn) throw invalidField('checkOut', 'must be after checkIn', 'invalid_dates');
  if (stay.checkIn < todayOf(ctx.now()))
    throw invalidField('checkIn', 'must not be in the past', 'invalid_dates');
  // Counted before anything is expanded: a far-away check-out is refused in constant time.
  const count = nightCount(stay.checkIn, stay.checkOut);
  if (count > MAX_STAY_NIGHTS) {
    throw invalidField('checkOut', `a stay may last at most ${MAX_STAY_NIGHTS} nights`, 'stay_too_long');
  }
  if (count < terms.minNights) {
    throw invalidField(
      'checkOut',
      `this listing needs a stay of at least ${terms.minNights} nights`,
      'stay_too_short',
    );
  }
  if (terms.maxNights !== null && count > terms.maxNights) {
    throw invalidField('checkOut', `this listing allows at most ${terms.maxNights} nights`, 'stay_too_long');
  }
  if (stay.guests > terms.maxGuests) {
    throw invalidField('guests', `this listing hosts at most ${terms.maxGuests} guests`, 'too_many_guests');
  }
  return nightsOf(stay.checkIn, stay.checkOut);
}

/**
 * Price a stay night by night on `db` (the booking's transaction when booking); 400 for a stay the
 * listing's rules refuse, 409 if any night is blocked or taken (by another booking than
 * `exceptBookingId`: a booking whose stay changes may keep its own nights).
 */
export async function priceStayAt(
  ctx: ServiceContext,
  db: ServiceContext['db'],
  terms: BookingTerms,
  stay: StayInput,
  opts: { exceptBookingId?: string | undefined } = {},
): Promise<PriceBreakdown> {
  const nights = validateStay(ctx, terms, stay);
  const calendar = await nightlyCalendar(db, terms.id, stay.checkIn, stay.checkOut, opts);
  const taken = calendar.filter((n) => n.state !== 'available').map((n) => n.date);
  if (taken.length > 0) {
    throw conflict('dates_unavailable', `These dates are not available: ${taken.join(', ')}`);
  }
  const byDate = new Map(calendar.map((n) => [n.date, n.override]));
  const taxes = await taxRulesFor(ctx, db, terms);
  return priceStay({
    rules: terms.pricing,
    nights: nights.map((date) => ({ date, override: byDate.get(date) ?? null })),
    guests: stay.guests,
    fees: feeRates(ctx.config),
    taxes,
  });
}

/** The platform's two service fees (configuration). */
export function feeRates(config: ServiceContext['config']): FeeRates {
  return { guestServiceFeeBps: config.SERVICE_FEE_BPS, hostServiceFeeBps: config.HOST_SERVICE_FEE_BPS };
}
