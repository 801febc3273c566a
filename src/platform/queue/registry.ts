/**
 * The typed job registry: name → payload schema → handler. The BullMQ queue (with Redis) and the
 * in-process runner (without) run the same registry with the same retry rules, and report every
 * attempt the same way (`JobObserver`, and `roost_jobs_processed_total{job,outcome}` and
 * `roost_job_duration_seconds{job,outcome}` in /metrics).
 *
 * Job names are types: a registry built with `registryOf([...definitions] as const)` is keyed by the
 * union of its definitions' names, and a `Schedule<N>` or `JobQueue<N>` over that union refuses any
 * other name at compile time.
 */
import type { Static, TSchema } from 'typebox';
import { Value } from 'typebox/value';
import { observeJob } from '../metrics.js';

export interface JobContext {
  id: string;
  /** 1 on the first run, 2 on the first retry, … */
  attempt: number;
}

export interface JobDefinition<S extends TSchema = TSchema, N extends string = string> {
  name: N;
  schema: S;
  handler: (data: Static<S>, job: JobContext) => Promise<void>;
  /** Total tries before the job lands in the failed set (default 5). */
  attempts?: number;
  /** First retry delay; doubles each retry (default 1 000 ms). */
  backoffMs?: number;
}

/** A job definition; its name is kept as a string literal type. */
export function defineJob<N extends string, S extends TSchema>(
  def: JobDefinition<S, N>,
): JobDefinition<S, N> {
  return def;
}

/** Registry of the jobs named `N`. */
export type JobRegistry<N extends string = string> = Record<N, JobDefinition>;

/** The names of a list of definitions (use the list `as const`). */
export type JobNameOf<D extends readonly { name: string }[]> = D[number]['name'];

/** Index definitions by name (a name defined twice is a programming error). */
export function registryOf<const D extends readonly JobDefinition[]>(defs: D): JobRegistry<JobNameOf<D>> {
  const registry: Record<string, JobDefinition> = {};
  for (const def of defs) {
    if (registry[def.name]) throw new Error(`job ${def.name} is defined twice`);
    registry[def.name] = def as unknown as JobDefinition;
  }
  return registry as JobRegistry<JobNameOf<D>>;
}

export interface Schedule<N extends string = string> {
  /** The job to run (a name the registry defines). */
  job: N;
  /** Run every this many milliseconds (the first run is at start-up) … */
  everyMs?: number;
  /** … or on this cron pattern (BullMQ only; the in-process runner needs everyMs). */
  pattern?: string;
  data?: unknown;
}

export interface FailedJob {
  id: string;
  name: string;
  data: unknown;
  attempts: number;
  error: string;
  failedAt: string | null;
}

export interface JobQueue<N extends string = string> {
  /** Enqueue a job; a given `jobId` is enqueued at most once while it is waiting or running. */
  enqueue(name: N, data: unknown, opts?: { jobId?: string }): Promise<void>;
  failed(limit?: number): Promise<FailedJob[]>;
  /** Move a failed job back to the queue; false if no such failed job. */
  retry(jobId: string): Promise<boolean>;
  counts(): Promise<{ waiting: number; active: number; delayed: number; failed: number; completed: number }>;
  close(): Promise<void>;
}

/**
 * What became of one attempt: `completed`; `retried` (it threw and will run again after a back-off);
 * `failed` (it threw on its last attempt, or its payload or name is invalid: it is in the failed set).
 */
export type JobOutcome = 'completed' | 'retried' | 'failed';

export interface JobEvent {
  job: string;
  id: string;
  attempt: number;
  outcome: JobOutcome;
  durationMs: number;
  error?: string;
}

export type JobObserver = (event: JobEvent) => void;

/** Count an attempt in /metrics and tell the observer (whose own failure never affects the job). */
export function reportJob(event: JobEvent, observer?: JobObserver) {
  observeJob(event.job, event.outcome, event.durationMs);
  try {
    observer?.(event);
  } catch {
    // a logging problem must not turn into a job failure
  }
}

export const errorMessage = (err: unknown) => String((err as Error | undefined)?.message ?? err);

export class InvalidJobPayload extends Error {
  override name = 'InvalidJobPayload';
}

export function validatePayload(def: JobDefinition, data: unknown) {
  if (!Value.Check(def.schema, data)) {
    const first = [...Value.Errors(def.schema, data)][0];
    throw new InvalidJobPayload(
      `${def.name}: ${first ? `${first.instancePath || '(root)'} ${first.message}` : 'invalid payload'}`,
    );
  }
}

export function definitionOf(registry: JobRegistry, name: string): JobDefinition {
  const def = Object.hasOwn(registry, name) ? registry[name] : undefined;
  if (!def) throw new InvalidJobPayload(`unknown job ${name}`);
  return def;
}
