/** Worker entry point (`npm run worker`): consumes the BullMQ queue and keeps the schedules. Needs REDIS_URL. */
import { createDatabase } from './db/database.js';
import { ConfigError, loadConfig } from './platform/config.js';
import { startJobs } from './runtime.js';
import { createServiceContext } from './services.js';

async function main() {
  const config = loadConfig();
  if (!config.REDIS_URL) {
    throw new ConfigError(
      'The worker needs REDIS_URL; without Redis, `npm start` runs the jobs in the API process.',
    );
  }
  const database = await createDatabase({
    url: config.DATABASE_URL,
    pgliteDataDir: config.PGLITE_DATA_DIR,
    poolMax: config.DATABASE_POOL_MAX,
  });
  const log = (msg: string, err?: unknown) =>
    console.error(JSON.stringify({ level: 'error', msg, err: String(err) }));
  const jobs = await startJobs(createServiceContext(config, database), config, { consume: true, log });
  console.log(
    JSON.stringify({ level: 'info', msg: 'roost worker is consuming jobs', prefix: config.QUEUE_PREFIX }),
  );
  const stop = async () => {
    await jobs.close();
    await database.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
}

main().catch((err) => {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});
