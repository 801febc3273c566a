/**
 * The in-process runner, used when REDIS_URL is unset (embedded mode): the same registry, retries
 * with exponential back-off, and interval schedules, inside the API process. Nothing survives a
 * restart except what the database holds (the email outbox is relayed again at start).
 */
import { randomUUID } from 'node:crypto';
import {
  definitionOf,
  type FailedJob,
  type JobQueue,
  type JobRegistry,
  type Schedule,
  validatePayload,
} from './registry.js';

interface Pending {
  id: string;
  name: string;
  data: unknown;
  attempt: number;
}

export function createInlineQueue(
  registry: JobRegistry,
  schedules: Schedule[] = [],
  log: (msg: string, err?: unknown) => void = () => {},
): JobQueue & { idle(): Promise<void> } {
  const live = new Map<string, Pending>();
  const failed: FailedJob[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let completed = 0;
  let active = 0;
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

  const run = async (p: Pending) => {
    if (closed) return;
    const def = definitionOf(registry, p.name);
    active++;
    try {
      await def.handler(p.data as never, { id: p.id, attempt: p.attempt });
      completed++;
      live.delete(p.id);
    } catch (err) {
      const attempts = def.attempts ?? 5;
      if (p.attempt >= attempts) {
        live.delete(p.id);
        failed.unshift({
          id: p.id,
          name: p.name,
          data: p.data,
          attempts: p.attempt,
          error: String((err as Error)?.message ?? err),
          failedAt: new Date().toISOString(),
        });
        log(`job ${p.name} ${p.id} failed after ${p.attempt} attempts`, err);
      } else {
        later(
          (def.backoffMs ?? 1000) * 2 ** (p.attempt - 1),
          () => void run({ ...p, attempt: p.attempt + 1 }),
        );
      }
    } finally {
      active--;
      settle();
    }
  };

  const queue = {
    async enqueue(name: string, data: unknown, opts?: { jobId?: string }) {
      const def = definitionOf(registry, name);
      validatePayload(def, data);
      const id = opts?.jobId ?? randomUUID();
      if (live.has(id) || closed) return;
      const p = { id, name, data, attempt: 1 };
      live.set(id, p);
      setImmediate(() => void run(p));
    },
    async failed(limit = 50) {
      return failed.slice(0, limit);
    },
    async retry(jobId: string) {
      const i = failed.findIndex((f) => f.id === jobId);
      if (i < 0) return false;
      const [f] = failed.splice(i, 1);
      await queue.enqueue(f!.name, f!.data, { jobId: f!.id });
      return true;
    },
    async counts() {
      return { waiting: live.size - active, active, delayed: 0, failed: failed.length, completed };
    },
    /** Resolves when nothing is waiting, running or due for a retry. */
    idle() {
      return live.size === 0 ? Promise.resolve() : new Promise<void>((resolve) => waiters.push(resolve));
    },
    async close() {
      closed = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
    },
  };

  for (const s of schedules) {
    if (!s.everyMs) continue;
    const tick = () => {
      if (closed) return;
      void queue
        .enqueue(s.job, s.data ?? {}, { jobId: `schedule-${s.job}` })
        .catch((err) => log(`schedule ${s.job}`, err));
      later(s.everyMs!, tick);
    };
    later(s.everyMs, tick);
  }
  return queue;
}
