/** Transactions that survive the database breaking a deadlock. */
import type { Kysely, Transaction } from 'kysely';
import { isTransientLockFailure } from './dialect.js';
import type { DB } from './schema/index.js';

/**
 * Run `fn` in a transaction. When the database aborts it to break a deadlock or a lock wait (InnoDB does
 * this routinely when many writers contend for one unique key; PostgreSQL more rarely), the whole
 * transaction is run again, up to `attempts` times, after a short random pause. `fn` must therefore have
 * no effects outside the database before it commits.
 */
export async function inTransaction<T>(
  db: Kysely<DB>,
  fn: (trx: Transaction<DB>) => Promise<T>,
  attempts = 4,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction().execute(fn);
    } catch (err) {
      if (attempt >= attempts || !isTransientLockFailure(err)) throw err;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * attempt));
    }
  }
}
