/**
 * `npm run seed` — demo users (idempotent; password roost-demo-2024).
 * `npm run seed -- --demo` — the whole demo world (src/flows/demo-world.ts), once per database, on any engine.
 * `npm run seed -- --listings 10000 [--seed 42]` — also generate that many listings, deterministically.
 *
 * On the embedded database it needs the data directory to itself: while `npm start` runs on it, the
 * command stops with a clear message (src/db/pglite-lock.ts) instead of writing into a copy that the
 * server would overwrite.
 */
import { parseArgs } from 'node:util';
import { createDatabase } from '../db/database.js';
import { migrateToLatest } from '../db/migrate.js';
import { PgliteDirInUseError } from '../db/pglite-lock.js';
import { ensureDemoWorld } from '../flows/demo-world.js';
import { seedDemoUsers } from '../modules/accounts/demo-users.js';
import { generateListings } from '../modules/properties/generate.js';
import { ConfigError, loadConfig } from '../platform/config.js';
import { LocalFileStore } from '../platform/file-store.js';
import { createServiceContext } from '../services.js';

const USAGE = 'usage: npm run seed -- [--demo] [--listings N] [--seed N]';

let values: { listings: string; seed: string; demo: boolean };
try {
  values = parseArgs({
    options: {
      listings: { type: 'string', default: '0' },
      seed: { type: 'string', default: '42' },
      demo: { type: 'boolean', default: false },
    },
  }).values as typeof values;
} catch (err) {
  console.error(`${(err as Error).message}\n${USAGE}`);
  process.exit(2);
}
const listings = Number(values.listings);
const seed = Number(values.seed);
if (!Number.isInteger(listings) || listings < 0 || !Number.isInteger(seed)) {
  console.error(USAGE);
  process.exit(2);
}

async function main() {
  const config = loadConfig();
  if (values.demo && config.NODE_ENV === 'production') {
    console.error('seed --demo: the demo world is never made in production (NODE_ENV=production)');
    process.exit(1);
  }
  const database = await createDatabase({ url: config.DATABASE_URL, pgliteDataDir: config.PGLITE_DATA_DIR });
  try {
    await migrateToLatest(database.db);
    const users = await seedDemoUsers(database.db);
    for (const u of users) console.log(`${u.created ? 'created' : 'exists '} ${u.role.padEnd(5)} ${u.email}`);
    if (values.demo) {
      const world = await ensureDemoWorld(
        createServiceContext(config, database),
        new LocalFileStore(config.UPLOADS_DIR),
      );
      console.log(
        world.created
          ? `demo world: ${world.users} users, ${world.listings} listings, ${world.photos} photos, ` +
              `bookings ${JSON.stringify(world.bookings)}, ${world.reviews} reviews in ${world.ms} ms`
          : `demo world: nothing to do (${world.reason})`,
      );
    }
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
}

main().catch((err) => {
  // Known refusals are one clear line; anything else keeps its stack.
  console.error(err instanceof ConfigError || err instanceof PgliteDirInUseError ? err.message : err);
  process.exit(1);
});
