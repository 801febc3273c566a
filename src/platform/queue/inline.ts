/**
 * The in-process runner, used when REDIS_URL is unset (embedded mode): the same registry, retries
 * with exponential back-off, and interval schedules, inside the API process. Nothing survives a
 * restart except what the database holds (the email outbox is relayed again at start).
 *
 * Schedules run once at start-up (like a new BullMQ scheduler with `every`: a catch-up after the
 * downtime), then every `everyMs`. Every attempt is counted and reported like a BullMQ one.
 */

import { randomUUID } from 'node:crypto';
import { TIMED_OUT, within } from '../timeout.js';
import { splitTraceContext, traceEnqueue, traceJob } from '../tracing.js';
import {
  definitionOf,
  errorMessage,
  type FailedJob,
  type JobObserver,
  type JobQueue,
  type JobRegistry,
  reportJob,
  type Schedule,
  validatePayload,
} from './registry.js';

interface Pending {
  id: string;
  name: string;
  data: unknown;
  attempt: number;
}

export interface InlineQueueOptions {
  /** Told of every attempt (completed, retried, failed). */
  onJob?: JobObserver;
  /** Problems outside any job (a schedule that cannot enqueue). */
  log?: (msg: string, err?: unknown) => void;
  /** How long `close()` waits for running jobs (default 5 s). */
  closeTimeoutMs?: number;
}

export type InlineQueue<N extends string = string> = JobQueue<N> & {
  /** Resolves when nothing is waiting, running or due for a retry. */
  idle(): Promise<void>;
  /** Stop starting jobs, drop pending retries, and wait (at most `timeoutMs`) for running jobs. */
  close(timeoutMs?: number): Promise<void>;
};

export function createInlineQueue<N extends string>(
  registry: JobRegistry<N>,
  schedules: readonly Schedule<NoInfer<N>>[] = [],
  opts: InlineQueueOptions = {},
): InlineQueue<N> {
  const log = opts.log ?? (() => {});
  const live = new Map<string, Pending>();
  const running = new Set<Promise<void>>();
  const failed: FailedJob[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let completed = 0;
  let closed = false;
  let waiters: (() => void)[] = [];

  const settle = () => {
    if (live.size === 0) {
      for (const w of waiters) w();
      waiters = [];
    }
  };

  const later = (ms: number, fn: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };

  // Each attempt runs in a consumer span, the child of the producer span the data names (../tracing.ts).
  const attempt = (p: Pending) => {
    const { payload, carrier } = splitTraceContext(p.data);
    return traceJob('inline', 'in-process', p, carrier, () => runAttempt(p, payload));
  };

  const runAttempt = async (p: Pending, data: unknown) => {
    const def = definitionOf(registry, p.name);
    const started = performance.now();
    const event = (outcome: 'completed' | 'retried' | 'failed', err?: unknown) =>
      reportJob(
        {
          job: p.name,
          id: p.id,
          attempt: p.attempt,
          outcome,
          durationMs: Math.round(performance.now() - started),
          ...(err === undefined ? {} : { error: errorMessage(err) }),
        },
        opts.onJob,
      );
    try {
      await def.handler(data as never, { id: p.id, attempt: p.attempt });
      completed++;
      live.delete(p.id);
      event('completed');
    } catch (err) {
      const attempts = def.attempts ?? 5;
      if (p.attempt >= attempts || closed) {
        live.delete(p.id);
        failed.unshift({
          id: p.id,
          name: p.name,
          data,
          attempts: p.attempt,
          error: errorMessage(err),
          failedAt: new Date().toISOString(),
        });
        event('failed', err);
      } else {
        event('retried', err);
        later(
          (def.backoffMs ?? 1000) * 2 ** (p.attempt - 1),
          () => void run({ ...p, attempt: p.attempt + 1 }),
        );
      }
    }
  };

  const run = (p: Pending) => {
    if (closed) {
      live.delete(p.id);
      settle();
      return Promise.resolve();
    }
    const done = attempt(p).finally(() => {
      running.delete(done);
      settle();
    });
    running.add(done);
    return done;
  };

  const queue: InlineQueue<N> = {
    async enqueue(name: N, data: unknown, o?: { jobId?: string }) {
      const def = definitionOf(registry, name);
      validatePayload(def, data);
      const id = o?.jobId ?? randomUUID();
      if (live.has(id) || closed) return;
      await traceEnqueue('inline', 'in-process', name, data, async (traced) => {
        const p = { id, name, data: traced, attempt: 1 };
        live.set(id, p);
        setImmediate(() => void run(p));
      });
    },
    async failed(limit = 50) {
      return failed.slice(0, limit);
    },
    async retry(jobId: string) {
      const i = failed.findIndex((f) => f.id === jobId);
      if (i < 0) return false;
      const [f] = failed.splice(i, 1);
      await queue.enqueue(f!.name as N, f!.data, { jobId: f!.id });
      return true;
    },
    async counts() {
      return {
        waiting: live.size - running.size,
        active: running.size,
        delayed: 0,
        failed: failed.length,
        completed,
      };
    },
    idle() {
      return live.size === 0 ? Promise.resolve() : new Promise<void>((resolve) => waiters.push(resolve));
    },
    async close(timeoutMs: number = opts.closeTimeoutMs ?? 5_000) {
      closed = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      // Waiting jobs and pending retries are dropped (the outbox keeps undelivered email pending).
      if (running.size > 0) {
        if ((await within(Promise.allSettled([...running]), timeoutMs)) === TIMED_OUT) {
          log(`closing with ${running.size} job(s) still running after ${timeoutMs} ms`);
        }
      }
      live.clear();
      settle();
    },
  };

  for (const s of schedules) {
    if (!s.everyMs) {
      log(`schedule ${s.job}: the in-process runner needs everyMs; not scheduled`);
      continue;
    }
    const tick = () => {
      if (closed) return;
      void queue
        .enqueue(s.job, s.data ?? {}, { jobId: `schedule-${s.job}` })
        .catch((err) => log(`schedule ${s.job}`, err));
      later(s.everyMs!, tick);
    };
    tick();
  }
  return queue;
}
