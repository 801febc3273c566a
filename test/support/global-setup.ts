import type { TestProject } from 'vitest/node';
import { createDatabase } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { adminQuery, testDbKind, urlFor } from './test-db.js';

declare module 'vitest' {
  export interface ProvidedContext {
    templateDatabase: string | undefined;
  }
}

/** On PostgreSQL, migrate one template database that every test file copies. */
export default async function setup(project: TestProject) {
  if (testDbKind() !== 'postgres') {
    project.provide('templateDatabase', undefined);
    return;
  }
  const name = `roost_tpl_${process.pid}`;
  await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await adminQuery(`CREATE DATABASE ${name}`);
  const database = await createDatabase({ url: urlFor(name) });
  try {
    await migrateToLatest(database.db);
  } finally {
    await database.close();
  }
  project.provide('templateDatabase', name);
  return async () => {
    await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  };
}
