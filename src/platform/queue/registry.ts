/**
 * The typed job registry: name → payload schema → handler. The BullMQ queue (with Redis) and the
 * in-process runner (without) run the same registry with the same retry rules.
 */
import type { Static, TSchema } from 'typebox';
import { Value } from 'typebox/value';

export interface JobContext {
  id: string;
  /** 1 on the first run, 2 on the first retry, … */
  attempt: number;
}

export interface JobDefinition<S extends TSchema = TSchema> {
  name: string;
  schema: S;
  handler: (data: Static<S>, job: JobContext) => Promise<void>;
  /** Total tries before the job lands in the failed set (default 5). */
  attempts?: number;
  /** First retry delay; doubles each retry (default 1 000 ms). */
  backoffMs?: number;
}

export function defineJob<S extends TSchema>(def: JobDefinition<S>): JobDefinition<S> {
  return def;
}

export interface Schedule {
  /** The job to run. */
  job: string;
  /** Run every this many milliseconds … */
  everyMs?: number;
  /** … or on this cron pattern (BullMQ only; the in-process runner needs everyMs). */
  pattern?: string;
  data?: unknown;
}

export type JobRegistry = Record<string, JobDefinition>;

export interface FailedJob {
  id: string;
  name: string;
  data: unknown;
  attempts: number;
  error: string;
  failedAt: string | null;
}

export interface JobQueue {
  /** Enqueue a job; a given `jobId` is enqueued at most once while it is waiting or running. */
  enqueue(name: string, data: unknown, opts?: { jobId?: string }): Promise<void>;
  failed(limit?: number): Promise<FailedJob[]>;
  /** Move a failed job back to the queue; false if no such failed job. */
  retry(jobId: string): Promise<boolean>;
  counts(): Promise<{ waiting: number; active: number; delayed: number; failed: number; completed: number }>;
  close(): Promise<void>;
}

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
  const def = registry[name];
  if (!def) throw new InvalidJobPayload(`unknown job ${name}`);
  return def;
}
