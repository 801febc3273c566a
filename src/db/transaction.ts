/**
 * The one way to open a transaction: it survives the database breaking a deadlock, and it is where
 * outside effects wait for the commit.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Dialect, Kysely, Transaction } from 'kysely';
import { isTransientLockFailure } from './dialect.js';
import { wrapAcquire } from './driver-hooks.js';
import type { DB } from './schema/index.js';

type Effect = () => unknown;

/** Set while a transaction's function runs (and in everything it awaits). */
const insideTransaction = new AsyncLocalStorage<true>();

/** The effects each open transaction will run once it has committed (dropped if it aborts). */
const pending = new WeakMap<Kysely<DB>, Effect[]>();

/**
 * Run `fn` in a transaction. When the database aborts it to break a deadlock or a lock wait (InnoDB does
 * this routinely when many writers contend for one unique key; PostgreSQL more rarely), the whole
 * transaction is run again, up to `attempts` times, after a short random pause. `fn` must therefore have
 * no effects outside the database: whatever must happen outside (a cache bump, a metric, a provider
 * call) is registered with `afterCommit` and runs once, after the attempt that committed.
 */
export async function inTransaction<T>(
  db: Kysely<DB>,
  fn: (trx: Transaction<DB>) => Promise<T>,
  attempts = 4,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const effects: Effect[] = [];
    let result: T;
    try {
      result = await db.transaction().execute((trx) => {
        pending.set(trx, effects);
        return insideTransaction.run(true, () => fn(trx));
      });
    } catch (err) {
      if (attempt >= attempts || !isTransientLockFailure(err)) throw err;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * attempt));
      continue;
    }
    await runEffects(effects);
    return result;
  }
}

/**
 * Do `effect` once the change being written on `db` is committed: at the end of `db`'s transaction
 * (never, if it aborts; once, if it is retried), or at once when `db` is not a transaction (the write
 * before this call has already committed). An effect that fails is reported, never thrown: the commit
 * it follows has happened, and must not be reported as failed.
 */
export function afterCommit(db: Kysely<DB>, effect: Effect): void {
  const effects = pending.get(db);
  if (effects) effects.push(effect);
  else if (db.isTransaction) {
    // A transaction opened outside `inTransaction` (there are none outside src/db): never run early.
    throw new Error('afterCommit: this transaction was not opened with inTransaction');
  } else void runEffects([effect]);
}

async function runEffects(effects: Effect[]) {
  for (const effect of effects) {
    try {
      await effect();
    } catch (err) {
      process.emitWarning(`An after-commit effect failed: ${(err as Error)?.message ?? String(err)}`);
    }
  }
}

/** A query on a pool (not on `trx`) while a transaction of the same flow is open. */
export class QueryOutsideTransactionError extends Error {
  override name = 'QueryOutsideTransactionError';
}

/**
 * Outside production: a connection asked of the pool by code running inside an `inTransaction`
 * function fails at once. Such a query runs beside the transaction, not in it — it cannot see the
 * transaction's own writes, holds a second connection, and on PGlite (one connection, held by the
 * transaction) waits forever. Inside a transaction, every query goes through `trx`.
 */
export function guardTransactions(
  dialect: Dialect,
  enabled = process.env['NODE_ENV'] !== 'production',
): Dialect {
  if (!enabled) return dialect;
  return wrapAcquire(dialect, (acquire) => async (options) => {
    if (insideTransaction.getStore()) {
      throw new QueryOutsideTransactionError(
        'A query asked the pool for a connection inside inTransaction: run it on the transaction (`trx`)',
      );
    }
    return acquire(options);
  });
}
