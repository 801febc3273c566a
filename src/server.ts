/**
 * API entry point: configuration, database (migrated if embedded), jobs, HTTP; graceful shutdown.
 *
 * On SIGTERM (or SIGINT) the server drains instead of dropping work:
 *  1. it stops accepting connections (new ones are refused), but keeps the open ones: a request that
 *     arrives on one is served normally (no 503), with `Connection: close`, so every connection ends
 *     cleanly after its next response; responses already being prepared also get `Connection: close`;
 *  2. once no request has been running for a moment, the keep-alive connections still idle are closed
 *     (a client that has not sent anything by then is not using them);
 *  3. then the background jobs stop (running ones finish, bounded), the database and Redis close, and
 *     the process exits 0. Past DRAIN_TIMEOUT_MS the remaining connections are cut; past
 *     FORCE_EXIT_MS the process exits 1 whatever is left.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Server as NetServer } from 'node:net';
import { buildApp } from './app.js';
import { createDatabase, databaseOptions } from './db/database.js';
import { migrateToLatest } from './db/migrate.js';
import { PgliteDirInUseError } from './db/pglite-lock.js';
import { demoWorldWanted, ensureDemoWorld } from './flows/demo-world.js';
import { ConfigError, loadConfig } from './platform/config.js';
import { LocalEventBus, RedisEventBus } from './platform/events.js';
import { LocalFileStore } from './platform/file-store.js';
import type { JobEvent, JobObserver } from './platform/queue/registry.js';
import { realtimeHub } from './platform/realtime.js';
import { startTracing } from './platform/tracing.js';
import { connectRedis, jobLogObserver, jsonLogger, startJobs } from './runtime.js';
import { createServiceContext } from './services.js';

/** Longest wait for in-flight requests before the remaining connections are cut. */
const DRAIN_TIMEOUT_MS = 6_000;
/** Idle keep-alive connections are closed once no request has started or ended for this long. */
const QUIET_MS = 200;
/** Longest wait for running jobs at shutdown. */
const JOBS_CLOSE_TIMEOUT_MS = 2_500;
/** Whatever happens, the process is gone after this long. */
const FORCE_EXIT_MS = 10_000;

/**
 * Tracks requests on `server` and, once `drain()` is called, does steps 1 and 2 above. Resolves when
 * every connection has closed, with how many requests were answered meanwhile.
 */
function drainer(server: Server) {
  const inFlight = new Set<ServerResponse>();
  let draining = false;
  let lastActivity = 0;
  let servedWhileDraining = 0;

  server.prependListener('request', (_req: IncomingMessage, res: ServerResponse) => {
    lastActivity = performance.now();
    if (draining) res.setHeader('connection', 'close');
    inFlight.add(res);
    res.once('close', () => {
      inFlight.delete(res);
      lastActivity = performance.now();
      if (draining) servedWhileDraining++;
    });
  });

  return {
    drain(): Promise<{ servedWhileDraining: number; cut: boolean }> {
      draining = true;
      lastActivity = performance.now();
      for (const res of inFlight) if (!res.headersSent) res.setHeader('connection', 'close');
      return new Promise((resolve) => {
        let cut = false;
        const started = performance.now();
        const timer = setInterval(() => {
          const now = performance.now();
          if (now - started >= DRAIN_TIMEOUT_MS) {
            cut = true;
            server.closeAllConnections();
          } else if (inFlight.size === 0 && now - lastActivity >= QUIET_MS) {
            server.closeIdleConnections();
          }
        }, 50);
        // net.Server#close, not http.Server#close: the latter also closes idle keep-alive connections at
        // once, failing the requests clients are sending on them at this very moment.
        NetServer.prototype.close.call(server, () => {
          clearInterval(timer);
          resolve({ servedWhileDraining, cut });
        });
      });
    },
  };
}

async function main() {
  const config = loadConfig();
  // OTEL_EXPORTER_OTLP_ENDPOINT set: traces over OTLP, started before anything it instruments is built.
  const tracing = await startTracing({ serviceName: 'roost-api' });
  const database = await createDatabase({
    ...databaseOptions(config, { readReplicas: true }),
    onIdleError: (err) =>
      console.error(
        JSON.stringify({ level: 'warn', msg: 'idle database connection failed', err: err.message }),
      ),
  });
  if (database.kind === 'pglite' || config.MIGRATE_ON_START) await migrateToLatest(database.db);
  const redis = config.REDIS_URL ? connectRedis(config.REDIS_URL) : undefined;
  // One event bus for the requests and the jobs run here: an event a job publishes reaches the
  // connections of every API process (over Redis), or of this one (without). The app closes it.
  const events = redis ? new RedisEventBus(redis) : new LocalEventBus();
  // Job outcomes go to stdout as JSON lines until the app's logger exists, then through it. In this
  // process a completed job is a debug line (the relay runs every 5 s); retries and failures are not.
  const early = jsonLogger(config.LOG_LEVEL);
  // First start of the embedded database: the demo world (DEMO_DATA; src/flows/demo-world.ts).
  const demo = demoWorldWanted(config, database.kind);
  if (demo) {
    const made = await ensureDemoWorld(
      createServiceContext(config, database),
      new LocalFileStore(config.UPLOADS_DIR),
      { onlyIfEmpty: demo === 'if-empty' },
    );
    if (made.created) early('info', 'demo world made (DEMO_DATA=off to skip)', { ...made });
  }
  let jobLog: JobObserver = jobLogObserver(early, 'debug');
  // Without Redis the jobs run in this process; with Redis, in `npm run worker` (or here if asked).
  const jobs = await startJobs(createServiceContext(config, database, { events }), config, {
    consume: !config.REDIS_URL || config.RUN_WORKER_IN_API,
    onJob: (e) => jobLog(e),
    log: (msg, err) => early('error', msg, err === undefined ? {} : { err: String(err) }),
    closeTimeoutMs: JOBS_CLOSE_TIMEOUT_MS,
  });
  const { app, ctx } = await buildApp({ config, database, redis, queue: jobs.queue, events });
  jobLog = (e: JobEvent) => {
    if (e.outcome === 'completed') app.log.debug({ ...e }, 'job completed');
    else if (e.outcome === 'retried') app.log.warn({ ...e }, 'job retried');
    else app.log.error({ ...e }, 'job failed');
  };
  const http = drainer(app.server);

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    const started = performance.now();
    app.log.info({ signal }, 'shutting down: draining requests');
    const force = setTimeout(() => {
      app.log.error('shutdown timed out; exiting');
      process.exit(1);
    }, FORCE_EXIT_MS);
    force.unref();
    try {
      // Open event streams (SSE, GraphQL subscriptions) never finish by themselves: end them now, so
      // they do not hold the drain until its timeout. Clients reconnect to another process.
      realtimeHub(ctx).closeAll('server_shutdown');
      if (app.server.listening) {
        const { servedWhileDraining, cut } = await http.drain();
        app.log.info(
          { servedWhileDraining, cut, ms: Math.round(performance.now() - started) },
          cut ? 'requests still running at the drain timeout were cut' : 'requests drained',
        );
      }
      await jobs.close();
      await app.close();
      redis?.disconnect();
      await tracing?.shutdown().catch(() => {});
      app.log.info({ ms: Math.round(performance.now() - started) }, 'shut down');
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
  console.error(err instanceof ConfigError || err instanceof PgliteDirInUseError ? err.message : err);
  process.exit(1);
});
