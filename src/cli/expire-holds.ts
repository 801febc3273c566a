/**
 * `npm run expire-holds`: expire unpaid holds past BOOKING_HOLD_MINUTES (freeing their nights) and mark
 * finished stays completed. The job queue runs the same service functions on a schedule.
 */
import { completeFinishedStays, expireUnpaidHolds } from '../modules/bookings/bookings.service.js';
import { createServiceContext } from '../services.js';
import { openCliDatabase } from './open-database.js';

const { config, database } = await openCliDatabase();
try {
  const ctx = createServiceContext(config, database);
  const expired = await expireUnpaidHolds(ctx);
  const completed = await completeFinishedStays(ctx);
  console.log(`expired ${expired} unpaid hold(s); completed ${completed} finished stay(s)`);
} finally {
  await database.close();
}
