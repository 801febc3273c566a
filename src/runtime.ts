/**
 * Starting the background side: the mailer, the job registry and either BullMQ (REDIS_URL set) or the
 * in-process runner. Used by the API process (server.ts) and the worker process (worker.ts).
 */
import { Redis } from 'ioredis';
import { createJobRegistry, type JobName, SCHEDULES } from './jobs.js';
import type { Config } from './platform/config.js';
import type { ServiceContext } from './platform/context.js';
import { LOG_LEVELS } from './platform/log-levels.js';
import { maskContactDetails } from './platform/log-redaction.js';
import { createMailer, type Mailer } from './platform/mailer.js';
import { initJobCounters } from './platform/metrics.js';
import { createInlineQueue } from './platform/queue/inline.js';
import type { JobEvent, JobObserver, JobQueue } from './platform/queue/registry.js';
import { activeTraceIds, traceRedis } from './platform/tracing.js';

export function connectRedis(url: string): Redis {
  // Auto-pipelining: the commands concurrent requests issue in one tick (session checks, rate-limit
  // counters, cache reads) go out in one write.
  // Tracing on: one span per command sent inside a trace (src/platform/tracing.ts).
  return traceRedis(
    new Redis(url, {
      maxRetriesPerRequest: 3,
      enableOfflineQueue: true,
      lazyConnect: false,
      enableAutoPipelining: true,
    }),
  );
}

export interface Jobs {
  queue: JobQueue<JobName>;
  /** Stop taking jobs and wait (bounded) for the running ones; then close connections. */
  close(): Promise<void>;
}

type Level = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';
const LEVELS: Record<Level | 'silent', number> = LOG_LEVELS;

/**
 * One JSON line on stdout (stderr for warnings and errors), when `level` reaches `minLevel`; with the
 * active span's `traceId` and `spanId` when tracing is on (a job's lines carry its trace).
 */
export function jsonLogger(minLevel: string) {
  const min = LEVELS[minLevel as Level] ?? LEVELS.info;
  return (level: Level, msg: string, fields: Record<string, unknown> = {}) => {
    if (LEVELS[level] < min) return;
    // Job errors are free text (an SMTP refusal quotes the address): no email or phone number in a line.
    const line = maskContactDetails(
      JSON.stringify({
        level,
        time: new Date().toISOString(),
        pid: process.pid,
        msg,
        ...activeTraceIds(),
        ...fields,
      }),
    );
    if (LEVELS[level] >= LEVELS.warn) process.stderr.write(`${line}\n`);
    else process.stdout.write(`${line}\n`);
  };
}

export type Logger = ReturnType<typeof jsonLogger>;

/**
 * Logs each job attempt as one line: `job completed` (at `completedLevel`), `job retried` (warn) or
 * `job failed` (error), with the job's name, id, attempt, outcome and duration.
 */
export function jobLogObserver(log: Logger, completedLevel: Level = 'info'): JobObserver {
  return (e: JobEvent) =>
    log(
      e.outcome === 'completed' ? completedLevel : e.outcome === 'retried' ? 'warn' : 'error',
      `job ${e.outcome}`,
      { ...e },
    );
}

/**
 * With Redis: a BullMQ producer, plus a consumer with the schedules when `consume` is true.
 * Without: the in-process runner (always consuming, schedules included: each runs at start, then on
 * its interval).
 */
export async function startJobs(
  ctx: ServiceContext,
  config: Config,
  opts: {
    consume: boolean;
    mailer?: Mailer;
    log?: (msg: string, err?: unknown) => void;
    onJob?: JobObserver;
    /** How long `close()` waits for running jobs. */
    closeTimeoutMs?: number;
  },
): Promise<Jobs> {
  const mailer = opts.mailer ?? createMailer(config);
  let queue: JobQueue<JobName> | undefined;
  const registry = createJobRegistry(ctx, mailer, () => queue!);
  // This process runs jobs: every job's counters exist from the start (at 0).
  if (opts.consume || !config.REDIS_URL) initJobCounters(Object.keys(registry));
  const observers = {
    ...(opts.log ? { log: opts.log } : {}),
    ...(opts.onJob ? { onJob: opts.onJob } : {}),
    ...(opts.closeTimeoutMs ? { closeTimeoutMs: opts.closeTimeoutMs } : {}),
  };
  if (!config.REDIS_URL) {
    // The schedules' first runs happen now: emails written while the process was down go out, holds
    // that lapsed meanwhile expire.
    const inline = createInlineQueue(registry, SCHEDULES, observers);
    queue = inline;
    return {
      queue,
      async close() {
        await inline.close();
        mailer.close?.();
      },
    };
  }
  // BullMQ is loaded only when Redis is configured (≈ 80–160 ms of start-up otherwise spent for nothing).
  const { createBullQueue, startBullWorker } = await import('./platform/queue/bullmq.js');
  const bull = createBullQueue(registry, { url: config.REDIS_URL, prefix: config.QUEUE_PREFIX });
  queue = bull;
  const worker = opts.consume
    ? await startBullWorker(registry, SCHEDULES, {
        url: config.REDIS_URL,
        prefix: config.QUEUE_PREFIX,
        ...observers,
      }).catch(async (err) => {
        await bull.close().catch(() => {});
        throw err;
      })
    : undefined;
  return {
    queue,
    async close() {
      await worker?.close();
      await bull.close();
      mailer.close?.();
    },
  };
}
