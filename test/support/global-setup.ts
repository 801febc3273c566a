import { unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { createDatabase } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { adminQuery, migratedPgliteTarball, testDbKind, urlFor } from './test-db.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /**
     * What each test file's database starts from, already migrated: on PostgreSQL the name of a
     * template database (copied with CREATE DATABASE … TEMPLATE), on PGlite the path of a data-directory
     * tarball (loaded into a new in-memory instance); undefined on MySQL.
     */
    templateDatabase: string | undefined;
  }
}

/**
 * Migrate once, before any test file runs: on PostgreSQL a template database every test file copies; on
 * PGlite a migrated data directory every test file loads (instead of running initdb and the migrations
 * again in each file, which costs seconds per file).
 */
export default async function setup(project: TestProject) {
  const kind = testDbKind();
  if (kind === 'pglite') {
    const path = join(tmpdir(), `roost-pglite-tpl-${process.pid}.tar`);
    await writeFile(path, await migratedPgliteTarball());
    project.provide('templateDatabase', path);
    return async () => {
      await unlink(path).catch(() => {});
    };
  }
  if (kind !== 'postgres') {
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
