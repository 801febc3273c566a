/** `npm run seed`: demo users (idempotent). Password for all three: roost-demo-2024. */
import { createDatabase } from '../db/database.js';
import { migrateToLatest } from '../db/migrate.js';
import { seedDemoUsers } from '../modules/users/demo-users.js';
import { loadConfig } from '../platform/config.js';

const config = loadConfig();
const database = await createDatabase({ url: config.DATABASE_URL, pgliteDataDir: config.PGLITE_DATA_DIR });
try {
  await migrateToLatest(database.db);
  const users = await seedDemoUsers(database.db);
  for (const u of users) console.log(`${u.created ? 'created' : 'exists '} ${u.role.padEnd(5)} ${u.email}`);
} finally {
  await database.close();
}
