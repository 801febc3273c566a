/** `npm run migrate`: apply pending migrations to the configured database (DATABASE_URL, or embedded PGlite). */
import { migrateToLatest } from '../db/migrate.js';
import { openCliDatabase } from './open-database.js';

const { database } = await openCliDatabase();
try {
  const result = await migrateToLatest(database.db);
  const applied = result.results ?? [];
  console.log(
    applied.length === 0
      ? `database (${database.kind}) is up to date`
      : `applied ${applied.length} migration(s) on ${database.kind}: ${applied.map((r) => r.migrationName).join(', ')}`,
  );
} finally {
  await database.close();
}
