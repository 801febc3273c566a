/**
 * Under /api/v1/bookings: where and how a stay begins — the listing's address and times with the host's
 * private check-in details, for the guest once the stay is confirmed (src/flows/arrival.ts).
 */
import { Type } from 'typebox';
import * as arrival from '../../flows/arrival.js';
import { bearerSecurity, requireActor } from '../../platform/auth.js';
import type { ServiceContext } from '../../platform/context.js';
import { described, idParams, problemResponses, type RoostApp } from '../../platform/http.js';
import { DateOnly } from '../../platform/schemas.js';
import { AddressView } from './properties.schemas.js';

const BookingIdParams = idParams('The booking id', 'e4a7c2d9-1b3f-4e5a-8c6d-0f2b4a6c8e1d');

const ArrivalSchema = Type.Object(
  {
    bookingId: Type.String({ format: 'uuid' }),
    propertyId: Type.String({ format: 'uuid' }),
    title: Type.String(),
    checkIn: DateOnly,
    checkOut: DateOnly,
    address: AddressView,
    latitude: Type.Number(),
    longitude: Type.Number(),
    checkInTime: Type.String(),
    checkOutTime: Type.String(),
    houseRules: Type.Union([Type.String(), Type.Null()]),
    details: Type.Union([Type.String(), Type.Null()], {
      description: 'The host’s private check-in details (door code, Wi-Fi …); null if none were written',
    }),
  },
  {
    $id: 'Arrival',
    examples: [
      {
        bookingId: 'e4a7c2d9-1b3f-4e5a-8c6d-0f2b4a6c8e1d',
        propertyId: '7c2e4a10-3b8f-4d6e-a1c5-9f0b2d4e6a8c',
        title: 'Sunny loft with terrace',
        checkIn: '2026-07-10',
        checkOut: '2026-07-13',
        address: {
          street: 'Carrer de Verdi 12',
          city: 'Barcelona',
          region: 'Catalonia',
          countryCode: 'ES',
          postalCode: '08012',
        },
        latitude: 41.4036,
        longitude: 2.1589,
        checkInTime: '15:00',
        checkOutTime: '11:00',
        houseRules: 'No parties.',
        details: 'Door code 4921#. Wi-Fi: loft12 / terrace-sun.',
      },
    ],
  },
);

export async function arrivalRoutes(app: RoostApp, { ctx }: { ctx: ServiceContext }) {
  const security = bearerSecurity;
  app.get(
    '/:id/arrival',
    {
      schema: {
        tags: ['bookings'],
        security,
        operationId: 'getBookingArrival',
        summary: 'Where and how to check in',
        description:
          'The address, times and the host’s private check-in details. The guest sees them once the stay is ' +
          'confirmed (409 `checkin_details_not_available` before); the host and admins always; 404 for anyone else.',
        params: BookingIdParams,
        response: {
          200: described(ArrivalSchema, 'Arrival details'),
          ...problemResponses(400, 401, 404, 409),
        },
      },
    },
    async (req) => arrival.arrivalFor(ctx, requireActor(req), req.params.id),
  );
}
