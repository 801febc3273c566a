/**
 * Starting the background side: the mailer, the job registry and either BullMQ (REDIS_URL set) or the
 * in-process runner. Used by the API process (server.ts) and the worker process (worker.ts).
 */
import { Redis } from 'ioredis';
import { createJobRegistry, SCHEDULES } from './jobs.js';
import type { Config } from './platform/config.js';
import type { ServiceContext } from './platform/context.js';
import { createMailer, type Mailer } from './platform/mailer.js';
import { createBullQueue, startBullWorker } from './platform/queue/bullmq.js';
import { createInlineQueue } from './platform/queue/inline.js';
import type { JobQueue } from './platform/queue/registry.js';

export function connectRedis(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: 3, enableOfflineQueue: true, lazyConnect: false });
}

export interface Jobs {
  queue: JobQueue;
  close(): Promise<void>;
}

/**
 * With Redis: a BullMQ producer, plus a consumer with the schedules when `consume` is true.
 * Without: the in-process runner (always consuming, schedules included).
 */
export async function startJobs(
  ctx: ServiceContext,
  config: Config,
  opts: { consume: boolean; mailer?: Mailer; log?: (msg: string, err?: unknown) => void },
): Promise<Jobs> {
  const mailer = opts.mailer ?? createMailer(config);
  let queue: JobQueue | undefined;
  const registry = createJobRegistry(ctx, mailer, () => queue!);
  if (!config.REDIS_URL) {
    queue = createInlineQueue(registry, SCHEDULES, opts.log);
    // Emails written while the process was down go out now.
    await queue.enqueue('relay-outbox', {});
    return { queue, close: () => queue!.close() };
  }
  queue = createBullQueue(registry, { url: config.REDIS_URL, prefix: config.QUEUE_PREFIX });
  const worker = opts.consume
    ? await startBullWorker(registry, SCHEDULES, { url: config.REDIS_URL, prefix: config.QUEUE_PREFIX })
    : undefined;
  return {
    queue,
    async close() {
      await worker?.close();
      await queue!.close();
      mailer.close?.();
    },
  };
}
