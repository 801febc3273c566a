/**
 * A freshly initialised PGlite data directory, kept as a tarball so that a new embedded database starts
 * from a copy instead of running initdb in WebAssembly (≈ 4.5 s of a fresh `npm start` on a 2-core
 * machine; loading the copy takes ≈ 1.4 s). It holds an empty cluster only — no migrations, no data:
 * the migrations run at start as always. `npm install` builds it (scripts/pglite-template.ts); without it
 * a fresh start simply runs initdb.
 *
 * Kept in node_modules/.cache/roost/, named after the PGlite version (a new version makes a new file),
 * so it is per install and never committed.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** PGlite's package directory and version. */
function pglitePackage(): { dir: string; version: string } {
  const require = createRequire(import.meta.url);
  // The package's exports hide package.json: walk up from its entry point.
  let dir = dirname(require.resolve('@electric-sql/pglite'));
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
  const { version } = require(join(dir, 'package.json')) as { version: string };
  return { dir, version };
}

/** Where the template for the installed PGlite lives. */
export function pgliteTemplatePath(): string {
  const { dir, version } = pglitePackage();
  // <node_modules>/@electric-sql/pglite → <node_modules>/.cache/roost
  return join(dir, '..', '..', '.cache', 'roost', `pglite-${version}.tar`);
}

/** The template, when one was built for the installed PGlite. */
export async function readPgliteTemplate(): Promise<Blob | undefined> {
  try {
    return new Blob([await readFile(pgliteTemplatePath())]);
  } catch {
    return undefined;
  }
}

/** Runs initdb once (in memory) and writes the template; returns its path. */
export async function buildPgliteTemplate(): Promise<string> {
  const { PGlite } = await import('@electric-sql/pglite');
  const client = await PGlite.create();
  try {
    const tarball = await client.dumpDataDir('none');
    const path = pgliteTemplatePath();
    await mkdir(dirname(path), { recursive: true });
    const partial = `${path}.${process.pid}.partial`;
    await writeFile(partial, Buffer.from(await tarball.arrayBuffer()));
    await rename(partial, path); // readers see the whole file or none
    return path;
  } finally {
    await client.close();
  }
}
