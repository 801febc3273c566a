/**
 * A paid stay taken all the way to `completed`: booked, paid and confirmed (rows written directly, see
 * factories.ts), then the clock moves to its check-out day and finished stays are completed, as the
 * scheduled job does.
 */
import { completeFinishedStays, insertBooking } from './factories.js';
import type { TestApp, TestUser } from './test-app.js';

export async function completedStay(
  t: TestApp,
  guest: TestUser,
  propertyId: string,
  checkIn: string,
  checkOut: string,
  advance: (to: Date) => void,
) {
  const { id } = await insertBooking(t, {
    guestId: guest.id,
    propertyId,
    checkIn,
    checkOut,
    status: 'confirmed',
  });
  advance(new Date(`${checkOut}T12:00:00Z`));
  await completeFinishedStays(t);
  return id;
}
