/** A paid stay taken all the way to `completed`, through the API and the scheduled job's service. */
import { completeFinishedStays } from '../../src/modules/bookings/bookings.service.js';
import type { TestApp, TestUser } from './test-app.js';

export async function completedStay(
  t: TestApp,
  guest: TestUser,
  propertyId: string,
  checkIn: string,
  checkOut: string,
  advance: (to: Date) => void,
) {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/bookings',
    headers: guest.auth,
    payload: { propertyId, checkIn, checkOut, guests: 1 },
  });
  if (res.statusCode !== 201) throw new Error(`booking failed: ${res.statusCode} ${res.body}`);
  const id = res.json().id as string;
  const paid = await t.app.inject({
    method: 'POST',
    url: `/api/v1/bookings/${id}/pay`,
    headers: guest.auth,
    payload: { paymentMethod: 'pm_card_visa' },
  });
  if (paid.statusCode !== 200) throw new Error(`payment failed: ${paid.statusCode} ${paid.body}`);
  advance(new Date(`${checkOut}T12:00:00Z`));
  await completeFinishedStays(t.ctx);
  return id;
}
