import type { Kysely } from 'kysely';
import { type MigrationResultSet, Migrator } from 'kysely/migration';
import { migrationHandle } from './migrations/helpers.js';
import { migrations } from './migrations/index.js';
import { withoutStatementTimeout } from './session.js';

/** Apply every pending migration; throws (with the failing migration's name) if one fails. */
// biome-ignore lint/suspicious/noExplicitAny: the migrator works on any schema.
export async function migrateToLatest(db: Kysely<any>): Promise<MigrationResultSet> {
  // On one connection without the statement timeout: building an index on a large table may take minutes.
  const result = await withoutStatementTimeout(db, (conn) =>
    new Migrator({
      db: migrationHandle(conn),
      provider: { getMigrations: async () => migrations },
      migrationTableName: 'schema_migrations',
      migrationLockTableName: 'schema_migrations_lock',
    }).migrateToLatest(),
  );
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error');
    const reason = result.error instanceof Error ? result.error.message : String(result.error);
    throw new Error(`Migration ${failed?.migrationName ?? '(unknown)'} failed: ${reason}`, {
      cause: result.error,
    });
  }
  return result;
}
