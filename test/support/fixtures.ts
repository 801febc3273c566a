/** Listings for tests of search, bookings and reviews, and the calendar through the real API. */
import { insertListing, type ListingRowInput } from './factories.js';
import type { TestApp, TestUser } from './test-app.js';

/** What a test may choose of a listing (the rest gets defaults). */
export type ListingOverrides = ListingRowInput;

/**
 * A listing of `host`, published unless `publish: false`, written directly in the database (see
 * factories.ts): the rows `POST /properties` + `/publish` write, with the search cache invalidated.
 */
export function createListing(t: TestApp, host: TestUser, o: ListingOverrides = {}): Promise<{ id: string }> {
  return insertListing(t, host.id, o);
}

let n = 0;

/** Like `createListing`, but through the API (create, then publish), as the host. */
export async function createListingViaApi(
  t: TestApp,
  host: TestUser,
  o: ListingOverrides = {},
): Promise<{ id: string }> {
  n++;
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/properties',
    headers: host.auth,
    payload: {
      title: o.title ?? `Test home ${n}`,
      description: o.description ?? 'A quiet place to stay.',
      propertyType: o.propertyType ?? 'entire_place',
      address: {
        street: `${n} Test Street`,
        city: o.city ?? 'Lisbon',
        countryCode: o.countryCode ?? 'PT',
        postalCode: '1000-001',
      },
      latitude: o.latitude ?? 38.72,
      longitude: o.longitude ?? -9.14,
      maxGuests: o.maxGuests ?? 4,
      bedrooms: 2,
      beds: 2,
      bathrooms: 1,
      nightlyPrice: o.nightlyPrice ?? 10_000,
      currency: o.currency ?? 'EUR',
      cleaningFee: o.cleaningFee ?? 0,
      minNights: o.minNights ?? 1,
      maxNights: o.maxNights === undefined ? null : o.maxNights,
      instantBook: o.instantBook ?? true,
      cancellationPolicy: o.cancellationPolicy ?? 'flexible',
      checkInTime: o.checkInTime ?? '15:00',
      amenities: o.amenities ?? [],
    },
  });
  if (res.statusCode !== 201) throw new Error(`create listing failed: ${res.statusCode} ${res.body}`);
  const id = res.json().id as string;
  if (o.publish !== false) {
    const pub = await t.app.inject({
      method: 'POST',
      url: `/api/v1/properties/${id}/publish`,
      headers: host.auth,
    });
    if (pub.statusCode !== 200) throw new Error(`publish failed: ${pub.statusCode} ${pub.body}`);
  }
  return { id };
}

/** Block nights or set prices over [from, to] (inclusive). */
export async function setCalendar(
  t: TestApp,
  host: TestUser,
  id: string,
  body: { from: string; to: string; blocked?: boolean; price?: number | null },
) {
  const res = await t.app.inject({
    method: 'PUT',
    url: `/api/v1/properties/${id}/calendar`,
    headers: host.auth,
    payload: body,
  });
  if (res.statusCode !== 200) throw new Error(`calendar update failed: ${res.statusCode} ${res.body}`);
  return res.json();
}
