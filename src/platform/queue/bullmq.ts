/** The job queue on Redis (BullMQ): one queue, job names from the registry. */

import { type Job, Queue, UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { TIMED_OUT, within } from '../timeout.js';
import { splitTraceContext, traceEnqueue, traceJob } from '../tracing.js';
import {
  definitionOf,
  errorMessage,
  type JobObserver,
  type JobQueue,
  type JobRegistry,
  reportJob,
  type Schedule,
  validatePayload,
} from './registry.js';

export const QUEUE_NAME = 'roost';

/** Schedulers this service installs are named `schedule-<job>`. */
const SCHEDULER_PREFIX = 'schedule-';

export interface BullOptions {
  url: string;
  /** Key prefix in Redis (lets tests and environments share a server). */
  prefix?: string;
}

const connection = (url: string) => ({ url, maxRetriesPerRequest: null });

export function createBullQueue<N extends string>(
  registry: JobRegistry<N>,
  opts: BullOptions,
): JobQueue<N> & { queue: Queue } {
  const queue = new Queue(QUEUE_NAME, { connection: connection(opts.url), prefix: opts.prefix ?? 'roost' });
  return {
    queue,
    async enqueue(name, data, o) {
      const def = definitionOf(registry, name);
      validatePayload(def, data);
      // Inside a trace, the data carries its context to the consumer (`$trace`, see ../tracing.ts).
      await traceEnqueue('bullmq', QUEUE_NAME, name, data, (traced) =>
        queue.add(name, traced, {
          ...(o?.jobId ? { jobId: o.jobId } : {}),
          attempts: def.attempts ?? 5,
          backoff: { type: 'exponential', delay: def.backoffMs ?? 1000 },
          removeOnComplete: { age: 3600, count: 1000 },
          removeOnFail: { age: 7 * 86_400 },
        }),
      );
    },
    async failed(limit = 50) {
      const jobs = await queue.getFailed(0, limit - 1);
      return jobs.map((j) => ({
        id: String(j.id),
        name: j.name,
        data: splitTraceContext(j.data).payload,
        attempts: j.attemptsMade,
        error: j.failedReason ?? '',
        failedAt: j.finishedOn ? new Date(j.finishedOn).toISOString() : null,
      }));
    },
    async retry(jobId) {
      const job = await queue.getJob(jobId);
      if (!job || !(await job.isFailed())) return false;
      await job.retry('failed');
      return true;
    },
    async counts() {
      const c = await queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed');
      return {
        waiting: c['waiting'] ?? 0,
        active: c['active'] ?? 0,
        delayed: c['delayed'] ?? 0,
        failed: c['failed'] ?? 0,
        completed: c['completed'] ?? 0,
      };
    },
    async close() {
      await queue.close();
    },
  };
}

export interface WorkerOptions extends BullOptions {
  concurrency?: number;
  /** How long a job's lock lasts; a crashed worker's job is retried after it lapses. */
  lockDurationMs?: number;
  stalledIntervalMs?: number;
  /** How often the schedules are installed again, besides after every reconnect (default 60 s). */
  scheduleRefreshMs?: number;
  /** Told of every attempt (completed, retried, failed). */
  onJob?: JobObserver;
  /** Problems outside any job (Redis connection errors). */
  log?: (msg: string, err?: unknown) => void;
  /** How long `close()` waits for active jobs before giving up on them (default 8 s). */
  closeTimeoutMs?: number;
}

/**
 * Consume the queue with the registry's handlers, and install the schedules.
 *
 * Schedules are BullMQ job schedulers with `every`: a new scheduler's first job is due at once, and
 * upserting an existing one keeps its next slot (an overdue slot, after downtime, runs at once, a single
 * time). Several workers starting together upsert the same scheduler ids, so nothing runs twice.
 * Schedulers of ours (`schedule-*`) that name jobs no longer scheduled are removed.
 */
export async function startBullWorker<N extends string>(
  registry: JobRegistry<N>,
  schedules: readonly Schedule<NoInfer<N>>[],
  opts: WorkerOptions,
) {
  const log = opts.log ?? (() => {});
  const processJob = (job: Job) => {
    // The trace context the producer wrote into the data (none in jobs enqueued outside a trace).
    const { payload, carrier } = splitTraceContext(job.data);
    const attempt = job.attemptsMade + 1;
    return traceJob('bullmq', QUEUE_NAME, { name: job.name, id: String(job.id), attempt }, carrier, () =>
      runJob(job, payload, attempt),
    );
  };
  const runJob = async (job: Job, data: unknown, attempt: number) => {
    const started = performance.now();
    const report = (outcome: 'completed' | 'retried' | 'failed', err?: unknown) =>
      reportJob(
        {
          job: job.name,
          id: String(job.id),
          attempt,
          outcome,
          durationMs: Math.round(performance.now() - started),
          ...(err === undefined ? {} : { error: errorMessage(err) }),
        },
        opts.onJob,
      );
    try {
      let def: ReturnType<typeof definitionOf>;
      try {
        def = definitionOf(registry, job.name);
        validatePayload(def, data);
      } catch (err) {
        // An unknown job or a bad payload fails the same way every time: no retries.
        throw new UnrecoverableError(errorMessage(err));
      }
      await def.handler(data, { id: String(job.id), attempt });
    } catch (err) {
      const last = err instanceof UnrecoverableError || attempt >= (job.opts.attempts ?? 1);
      report(last ? 'failed' : 'retried', err);
      throw err;
    }
    report('completed');
  };
  const worker = new Worker(QUEUE_NAME, processJob, {
    connection: connection(opts.url),
    prefix: opts.prefix ?? 'roost',
    concurrency: opts.concurrency ?? 5,
    ...(opts.lockDurationMs ? { lockDuration: opts.lockDurationMs } : {}),
    ...(opts.stalledIntervalMs ? { stalledInterval: opts.stalledIntervalMs } : {}),
  });
  // Without a listener an 'error' event (Redis unreachable for a moment) would crash the process.
  worker.on('error', (err) => log('job worker error', err));
  const queue = new Queue(QUEUE_NAME, { connection: connection(opts.url), prefix: opts.prefix ?? 'roost' });
  queue.on('error', (err) => log('job queue error', err));
  const installSchedules = async () => {
    for (const s of schedules) {
      const def = definitionOf(registry, s.job);
      await queue.upsertJobScheduler(
        `${SCHEDULER_PREFIX}${s.job}`,
        s.pattern ? { pattern: s.pattern } : { every: s.everyMs ?? 60_000 },
        {
          name: s.job,
          data: s.data ?? {},
          opts: {
            attempts: def.attempts ?? 5,
            backoff: { type: 'exponential', delay: def.backoffMs ?? 1000 },
            removeOnComplete: true,
            removeOnFail: { age: 7 * 86_400 },
          },
        },
      );
    }
  };
  let reinstall: NodeJS.Timeout | undefined;
  let watcher: Redis | undefined;
  try {
    const wanted = new Set(schedules.map((s) => `${SCHEDULER_PREFIX}${s.job}`));
    for (const s of await queue.getJobSchedulers(0, -1)) {
      if (s.key.startsWith(SCHEDULER_PREFIX) && !wanted.has(s.key)) await queue.removeJobScheduler(s.key);
    }
    await installSchedules();
    // Redis can come back without its data (a restart without persistence, a failover to an empty
    // replica), and the schedulers with it. Upserting is idempotent (no extra runs), so install them
    // again on every reconnect, and every minute as a backstop.
    const again = () =>
      void installSchedules().catch((err) => log('re-installing job schedules failed', err));
    // A small connection of its own tells when Redis is back (BullMQ's are internal to it).
    watcher = new Redis(opts.url, {
      maxRetriesPerRequest: null,
      retryStrategy: (n) => Math.min(n * 250, 2000),
    });
    watcher.on('error', () => {}); // the worker's own connections report errors
    let connectedBefore = false;
    watcher.on('ready', () => {
      if (connectedBefore) again();
      connectedBefore = true;
    });
    reinstall = setInterval(again, opts.scheduleRefreshMs ?? 60_000);
    reinstall.unref();
    await worker.waitUntilReady();
  } catch (err) {
    clearInterval(reinstall);
    watcher?.disconnect();
    await worker.close(true).catch(() => {});
    await queue.close().catch(() => {});
    throw err;
  }
  let closing: Promise<void> | undefined;
  return {
    worker,
    /**
     * Stop taking jobs and wait for the active ones (at most `closeTimeoutMs`; a job still running then
     * keeps its lock until it lapses, and another worker runs it again). `force` abandons them at once.
     */
    close(force = false) {
      clearInterval(reinstall);
      watcher?.disconnect();
      closing ??= (async () => {
        const timeoutMs = opts.closeTimeoutMs ?? 8_000;
        if ((await within(worker.close(force), timeoutMs)) === TIMED_OUT) {
          log(`job worker: active jobs still running after ${timeoutMs} ms; leaving them to their locks`);
          await worker.disconnect().catch(() => {});
        }
        await queue.close();
      })();
      return closing;
    },
  };
}
