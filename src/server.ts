/** API entry point: configuration, database (migrated if embedded), jobs, HTTP; clean shutdown on SIGTERM. */
import { buildApp } from './app.js';
import { createDatabase } from './db/database.js';
import { migrateToLatest } from './db/migrate.js';
import { ConfigError, loadConfig } from './platform/config.js';
import { connectRedis, startJobs } from './runtime.js';
import { createServiceContext } from './services.js';

async function main() {
  const config = loadConfig();
  const database = await createDatabase({
    url: config.DATABASE_URL,
    pgliteDataDir: config.PGLITE_DATA_DIR,
    poolMax: config.DATABASE_POOL_MAX,
    onIdleError: (err) =>
      console.error(
        JSON.stringify({ level: 'warn', msg: 'idle database connection failed', err: err.message }),
      ),
  });
  if (database.kind === 'pglite' || config.MIGRATE_ON_START) await migrateToLatest(database.db);
  const redis = config.REDIS_URL ? connectRedis(config.REDIS_URL) : undefined;
  // Without Redis the jobs run in this process; with Redis, in `npm run worker` (or here if asked).
  const jobs = await startJobs(createServiceContext(config, database), config, {
    consume: !config.REDIS_URL || config.RUN_WORKER_IN_API,
  });
  const { app } = await buildApp({ config, database, redis, queue: jobs.queue });
  app.addHook('onClose', async () => {
    await jobs.close();
    redis?.disconnect();
  });

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down: draining requests');
    const force = setTimeout(() => {
      app.log.error('shutdown timed out; exiting');
      process.exit(1);
    }, 10_000);
    force.unref();
    try {
      await app.close();
      process.exit(0);
    } catch (err) {
      app.log.error({ err }, 'error during shutdown');
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  await app.listen({ host: config.HOST, port: config.PORT });
  app.log.info(
    { database: database.kind, queue: config.REDIS_URL ? 'bullmq' : 'in-process' },
    'roost is ready',
  );
}

main().catch((err) => {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});
