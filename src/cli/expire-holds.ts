/**
 * `npm run expire-holds`: expire unpaid holds past BOOKING_HOLD_MINUTES (freeing their nights) and mark
 * finished stays completed. The job queue runs the same service functions on a schedule.
 */
import { createDatabase } from '../db/database.js';
import { completeFinishedStays, expireUnpaidHolds } from '../modules/bookings/bookings.service.js';
import { loadConfig } from '../platform/config.js';
import { createServiceContext } from '../services.js';

const config = loadConfig();
const database = await createDatabase({ url: config.DATABASE_URL, pgliteDataDir: config.PGLITE_DATA_DIR });
try {
  const ctx = createServiceContext(config, database);
  const expired = await expireUnpaidHolds(ctx);
  const completed = await completeFinishedStays(ctx);
  console.log(`expired ${expired} unpaid hold(s); completed ${completed} finished stay(s)`);
} finally {
  await database.close();
}
