/**
 * `npm install` runs this (postinstall): builds the PGlite initdb template a fresh embedded database
 * starts from (src/db/pglite-template.ts). Never fails the install: without the template, a fresh
 * start runs initdb instead. Set ROOST_PGLITE_TEMPLATE=off to skip (e.g. an image that runs PostgreSQL).
 */
import { existsSync } from 'node:fs';
import { buildPgliteTemplate, pgliteTemplatePath } from '../src/db/pglite-template.js';

async function main() {
  if (process.env['ROOST_PGLITE_TEMPLATE'] === 'off') return;
  if (existsSync(pgliteTemplatePath())) return;
  const started = performance.now();
  const path = await buildPgliteTemplate();
  console.log(`roost: PGlite template built in ${Math.round(performance.now() - started)} ms (${path})`);
}

main().catch((err) => {
  console.warn(`roost: no PGlite template (a fresh embedded database will run initdb): ${String(err)}`);
});
