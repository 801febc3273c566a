/**
 * Idempotency keys for unsafe requests (`Idempotency-Key` header).
 * The key row is inserted in the same transaction as the work it guards: a concurrent request with
 * the same key waits on the unique index until the first commits, then replays its stored response.
 * A request that fails rolls back its key with everything else, so it can be retried.
 */
import { createHash } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import { insertUnlessExists } from '../db/dialect.js';
import type { DB } from '../db/schema/index.js';
import { inTransaction } from '../db/transaction.js';
import { AppError, badRequest, unprocessable } from './errors.js';

export interface IdempotentResult<T> {
  status: number;
  body: T;
  /** True when this is a stored response replayed for a repeated key. */
  replayed: boolean;
}

/** Stable hash of a request body: keys sorted, so `{a,b}` and `{b,a}` are the same request. */
export function requestFingerprint(value: unknown): string {
  const canonical = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(canonical)
      : v && typeof v === 'object'
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
          )
        : v;
  return createHash('sha256')
    .update(JSON.stringify(canonical(value)))
    .digest('hex');
}

const KEY = /^[A-Za-z0-9_.:-]{8,255}$/;

export function parseIdempotencyKey(
  header: unknown,
  required: boolean,
  /** Where the key came from, for the error (REST: the header; GraphQL: an argument). */
  source: { field: string; in: string } = { field: 'idempotency-key', in: 'headers' },
): string | undefined {
  if (header === undefined || header === null || header === '') {
    if (required) {
      throw badRequest('idempotency_key_required', 'This request needs an Idempotency-Key header', [
        { ...source, message: 'is required' },
      ]);
    }
    return undefined;
  }
  if (typeof header !== 'string' || !KEY.test(header)) {
    throw badRequest(
      'invalid_idempotency_key',
      'Idempotency-Key must be 8–255 characters of [A-Za-z0-9_.:-]',
      [{ ...source, message: 'must be 8–255 characters of [A-Za-z0-9_.:-]' }],
    );
  }
  return header;
}

export async function withIdempotency<T>(
  db: Kysely<DB>,
  guard: { userId: string; scope: string; key: string; request: unknown },
  run: (trx: Transaction<DB>) => Promise<{ status: number; body: T }>,
): Promise<IdempotentResult<T>> {
  const fingerprint = requestFingerprint(guard.request);
  return inTransaction(db, async (trx) => {
    const claimed = await insertUnlessExists(trx, 'idempotency_keys', {
      user_id: guard.userId,
      scope: guard.scope,
      key: guard.key,
      request_hash: fingerprint,
    });
    if (!claimed) {
      const prior = await trx
        .selectFrom('idempotency_keys')
        .selectAll()
        .where('user_id', '=', guard.userId)
        .where('scope', '=', guard.scope)
        .where('key', '=', guard.key)
        .executeTakeFirstOrThrow();
      if (prior.request_hash !== fingerprint) {
        throw unprocessable(
          'idempotency_key_reused',
          'This Idempotency-Key was already used with a different request',
        );
      }
      if (prior.response_status === null) {
        throw new AppError(
          409,
          'idempotency_in_progress',
          'A request with this Idempotency-Key is still in progress',
        );
      }
      return { status: prior.response_status, body: prior.response_body as T, replayed: true };
    }
    const result = await run(trx);
    await trx
      .updateTable('idempotency_keys')
      .set({ response_status: result.status, response_body: JSON.stringify(result.body) })
      .where('user_id', '=', guard.userId)
      .where('scope', '=', guard.scope)
      .where('key', '=', guard.key)
      .execute();
    return { ...result, replayed: false };
  });
}
