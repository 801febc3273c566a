/**
 * Worker entry point (`npm run worker`): consumes the BullMQ queue and keeps the schedules. Needs
 * REDIS_URL. Every job attempt is logged as one JSON line (`job completed` / `job retried` /
 * `job failed`, with the job's name, id, attempt and duration). Prometheus metrics (jobs, queue depth, DB
 * pool, process) are served at GET /metrics on WORKER_METRICS_PORT (0: none). On SIGTERM (or SIGINT) it
 * stops taking jobs, lets the active ones finish (bounded), closes its connections and exits 0.
 */
import { createDatabase, databaseOptions } from './db/database.js';
import { redisGuard } from './platform/cache.js';
import { ConfigError, loadConfig } from './platform/config.js';
import { RedisEventBus } from './platform/events.js';
import { type MetricsServer, serveMetrics, trackPools, trackQueue } from './platform/metrics.js';
import { errorMessage } from './platform/queue/registry.js';
import { startTracing } from './platform/tracing.js';
import { connectRedis, jobLogObserver, jsonLogger, startJobs } from './runtime.js';
import { createServiceContext } from './services.js';

/** Longest wait for active jobs at shutdown (a job still running then is retried by another worker). */
const JOBS_CLOSE_TIMEOUT_MS = 8_000;
/** Whatever happens, the process is gone after this long. */
const FORCE_EXIT_MS = 10_000;

async function main() {
  const config = loadConfig();
  if (!config.REDIS_URL) {
    throw new ConfigError(
      'The worker needs REDIS_URL; without Redis, `npm start` runs the jobs in the API process.',
    );
  }
  // OTEL_EXPORTER_OTLP_ENDPOINT set: traces over OTLP, started before anything it instruments is built.
  const tracing = await startTracing({ serviceName: 'roost-worker' });
  const logger = jsonLogger(config.LOG_LEVEL);
  let stopping = false;
  // One handler for the process's whole life, installed first: a signal during start-up exits at once
  // (nothing runs yet); later it drains. (Never removed and re-added: tsx, which runs this file, relays a
  // signal only while the process has a listener for it.)
  let drain: ((signal: string) => Promise<void>) | undefined;
  const onSignal = (signal: string) => {
    if (drain) return void drain(signal);
    if (stopping) return;
    stopping = true;
    logger('info', 'stopped before start-up finished');
    process.exit(0);
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));

  // Listening first: a port already taken stops the worker before it opens anything else.
  const metricsHost = config.WORKER_METRICS_HOST ?? config.HOST;
  let metrics: MetricsServer | undefined;
  if (config.WORKER_METRICS_PORT > 0) {
    metrics = await serveMetrics(config.WORKER_METRICS_PORT, metricsHost).catch((err: Error) => {
      throw new ConfigError(
        `The worker's metrics endpoint cannot listen on ${metricsHost}:${config.WORKER_METRICS_PORT} (${err.message}); set WORKER_METRICS_PORT (0 turns it off).`,
      );
    });
  }

  // Jobs read what they then change: the primary only, no read replicas.
  const database = await createDatabase({
    ...databaseOptions(config),
    onIdleError: (err) => logger('warn', 'idle database connection failed', { err: err.message }),
  });
  // Events the jobs publish (a request expired, a booking changed) reach every API process's streams.
  const redis = connectRedis(config.REDIS_URL);
  redisGuard(redis, {
    log: { warn: (o, msg) => logger('warn', msg, o), info: (o, msg) => logger('info', msg, o) },
  });
  const events = new RedisEventBus(redis);
  const jobs = await startJobs(createServiceContext(config, database, { events }), config, {
    consume: true,
    log: (msg, err) => logger('error', msg, err === undefined ? {} : { err: errorMessage(err) }),
    onJob: jobLogObserver(logger, 'info'),
    closeTimeoutMs: JOBS_CLOSE_TIMEOUT_MS,
  });
  if (stopping) return;
  trackPools(database);
  trackQueue(jobs.queue);

  drain = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    const started = performance.now();
    logger('info', 'shutting down: finishing active jobs', { signal });
    const force = setTimeout(() => {
      logger('error', 'shutdown timed out; exiting');
      process.exit(1);
    }, FORCE_EXIT_MS);
    force.unref();
    try {
      await jobs.close();
      await events.close();
      redis.disconnect();
      await database.close();
      await tracing?.shutdown().catch(() => {});
      await metrics?.close();
      logger('info', 'worker stopped', { ms: Math.round(performance.now() - started) });
      process.exit(0);
    } catch (err) {
      logger('error', 'error during shutdown', { err: errorMessage(err) });
      process.exit(1);
    }
  };
  logger('info', 'roost worker is consuming jobs', {
    prefix: config.QUEUE_PREFIX,
    ...(metrics ? { metrics: `http://${metricsHost}:${metrics.port}/metrics` } : {}),
  });
}

main().catch((err) => {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});
