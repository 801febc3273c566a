/** The job queue on Redis (BullMQ): one queue, job names from the registry. */
import { Queue, UnrecoverableError, Worker } from 'bullmq';
import { definitionOf, type JobQueue, type JobRegistry, type Schedule, validatePayload } from './registry.js';

export const QUEUE_NAME = 'roost';

export interface BullOptions {
  url: string;
  /** Key prefix in Redis (lets tests and environments share a server). */
  prefix?: string;
}

const connection = (url: string) => ({ url, maxRetriesPerRequest: null });

export function createBullQueue(registry: JobRegistry, opts: BullOptions): JobQueue & { queue: Queue } {
  const queue = new Queue(QUEUE_NAME, { connection: connection(opts.url), prefix: opts.prefix ?? 'roost' });
  return {
    queue,
    async enqueue(name, data, o) {
      const def = definitionOf(registry, name);
      validatePayload(def, data);
      await queue.add(name, data, {
        ...(o?.jobId ? { jobId: o.jobId } : {}),
        attempts: def.attempts ?? 5,
        backoff: { type: 'exponential', delay: def.backoffMs ?? 1000 },
        removeOnComplete: { age: 3600, count: 1000 },
        removeOnFail: { age: 7 * 86_400 },
      });
    },
    async failed(limit = 50) {
      const jobs = await queue.getFailed(0, limit - 1);
      return jobs.map((j) => ({
        id: String(j.id),
        name: j.name,
        data: j.data,
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
}

/** Consume the queue with the registry's handlers, and install the repeatable schedules. */
export async function startBullWorker(registry: JobRegistry, schedules: Schedule[], opts: WorkerOptions) {
  const worker = new Worker(
    QUEUE_NAME,
    async (job) => {
      const def = definitionOf(registry, job.name);
      try {
        validatePayload(def, job.data);
      } catch (err) {
        throw new UnrecoverableError((err as Error).message);
      }
      await def.handler(job.data, { id: String(job.id), attempt: job.attemptsMade + 1 });
    },
    {
      connection: connection(opts.url),
      prefix: opts.prefix ?? 'roost',
      concurrency: opts.concurrency ?? 5,
      ...(opts.lockDurationMs ? { lockDuration: opts.lockDurationMs } : {}),
      ...(opts.stalledIntervalMs ? { stalledInterval: opts.stalledIntervalMs } : {}),
    },
  );
  const queue = new Queue(QUEUE_NAME, { connection: connection(opts.url), prefix: opts.prefix ?? 'roost' });
  for (const s of schedules) {
    const def = definitionOf(registry, s.job);
    await queue.upsertJobScheduler(
      `schedule-${s.job}`,
      s.pattern ? { pattern: s.pattern } : { every: s.everyMs ?? 60_000 },
      {
        name: s.job,
        data: s.data ?? {},
        opts: {
          attempts: def.attempts ?? 5,
          backoff: { type: 'exponential', delay: def.backoffMs ?? 1000 },
          removeOnComplete: true,
        },
      },
    );
  }
  await worker.waitUntilReady();
  return {
    worker,
    async close(force = false) {
      await worker.close(force);
      await queue.close();
    },
  };
}
