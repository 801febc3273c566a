/**
 * `npm run seed` — demo users (idempotent; password roost-demo-2024).
 * `npm run seed -- --listings 10000 [--seed 42]` — also generate that many listings, deterministically.
 */
import { parseArgs } from 'node:util';
import { createDatabase } from '../db/database.js';
import { migrateToLatest } from '../db/migrate.js';
import { seedDemoUsers } from '../modules/accounts/demo-users.js';
import { generateListings } from '../modules/properties/generate.js';
import { loadConfig } from '../platform/config.js';

const { values } = parseArgs({
  options: { listings: { type: 'string', default: '0' }, seed: { type: 'string', default: '42' } },
});
const listings = Number(values.listings);
const seed = Number(values.seed);
if (!Number.isInteger(listings) || listings < 0 || !Number.isInteger(seed)) {
  console.error('usage: npm run seed -- [--listings N] [--seed N]');
  process.exit(2);
}

const config = loadConfig();
const database = await createDatabase({ url: config.DATABASE_URL, pgliteDataDir: config.PGLITE_DATA_DIR });
try {
  await migrateToLatest(database.db);
  const users = await seedDemoUsers(database.db);
  for (const u of users) console.log(`${u.created ? 'created' : 'exists '} ${u.role.padEnd(5)} ${u.email}`);
  if (listings > 0) {
    const started = performance.now();
    const demoHost = users.find((u) => u.role === 'host')!.id;
    const result = await generateListings(database.db, { listings, seed, extraHostIds: [demoHost] });
    console.log(
      `generated ${result.listings} listings for ${result.hosts} hosts in ${Math.round(performance.now() - started)} ms (seed ${seed})`,
    );
  }
} finally {
  await database.close();
}
