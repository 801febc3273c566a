/**
 * The OpenAPI document, as a file in the repository (openapi.json) that front-end and mobile teams can
 * generate clients from and review in diffs.
 *
 *   npm run openapi          builds the app (no listen, embedded in-memory PGlite), writes openapi.json
 *   npm run openapi:check    regenerates it in memory and fails when openapi.json differs (drift), then
 *                            validates it (swagger-parser) and lints it (redocly lint, redocly.yaml)
 *
 * The document is the one the running server serves at GET /openapi.json: routes describe themselves
 * (src/platform/openapi.ts, the modules' *.routes.ts). It does not depend on configuration.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildApp } from '../src/app.js';
import { createDatabase } from '../src/db/database.js';
import { loadConfig } from '../src/platform/config.js';
import type { JobQueue } from '../src/platform/queue/registry.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const DOCUMENT_PATH = join(ROOT, 'openapi.json');

/**
 * Stands in for the job queue so the admin dead-letter routes (mounted only with a queue) are described.
 * Nothing is ever asked of it: the app is built, described and closed without serving a request.
 */
const describedOnlyQueue: JobQueue = {
  enqueue: async () => {},
  failed: async () => [],
  retry: async () => false,
  counts: async () => ({ waiting: 0, active: 0, delayed: 0, failed: 0, completed: 0 }),
  close: async () => {},
};

/** The document as built by the app, pretty-printed with a trailing newline (what openapi.json holds). */
export async function generateOpenApi(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'roost-openapi-'));
  try {
    const config = loadConfig({
      // The API as deployed: development-only routes (/api/v1/dev) are left out.
      NODE_ENV: 'production',
      // Never used to sign anything: the app is not listening. Set so nothing is generated or stored.
      JWT_SECRET: 'openapi-document-generation-only-0000',
      SANDBOX_WEBHOOK_SECRET: 'openapi-document-generation-only',
      DATA_DIR: dir,
      UPLOADS_DIR: join(dir, 'uploads'),
      LOG_LEVEL: 'silent',
    });
    const database = await createDatabase({});
    const { app } = await buildApp({ config, database, logger: false, queue: describedOnlyQueue });
    try {
      await app.ready();
      return `${JSON.stringify(app.swagger(), null, 2)}\n`;
    } finally {
      await app.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** swagger-parser's validation of a document (throws with the reason when it is not valid OpenAPI). */
export async function validateOpenApi(document: string): Promise<void> {
  const { default: SwaggerParser } = await import('@apidevtools/swagger-parser');
  await SwaggerParser.validate(JSON.parse(document));
}

/** `redocly lint` over a document file with the repository's redocly.yaml; its exit status and output. */
export function lintOpenApi(path: string): { ok: boolean; output: string } {
  const result = spawnSync(
    join(ROOT, 'node_modules', '.bin', 'redocly'),
    ['lint', '--config', join(ROOT, 'redocly.yaml'), '--format', 'stylish', path],
    {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
    },
  );
  return { ok: result.status === 0, output: `${result.stdout ?? ''}${result.stderr ?? ''}` };
}

async function main(args: string[]): Promise<number> {
  const generated = await generateOpenApi();
  if (!args.includes('--check')) {
    await writeFile(DOCUMENT_PATH, generated);
    console.log(`openapi: wrote ${DOCUMENT_PATH}`);
    return 0;
  }
  const onDisk = await readFile(DOCUMENT_PATH, 'utf8').catch(() => null);
  if (onDisk === null) {
    console.error('openapi:check: openapi.json is missing; run `npm run openapi` and commit it');
    return 1;
  }
  if (onDisk !== generated) {
    const a = onDisk.split('\n');
    const b = generated.split('\n');
    const line = a.findIndex((l, i) => l !== b[i]);
    console.error(
      'openapi:check: openapi.json is out of date with the routes; run `npm run openapi` and commit it\n' +
        `  first difference at line ${line + 1}:\n` +
        `    openapi.json: ${a[line] ?? '(end of file)'}\n` +
        `    generated:    ${b[line] ?? '(end of file)'}`,
    );
    return 1;
  }
  try {
    await validateOpenApi(generated);
  } catch (err) {
    console.error(`openapi:check: openapi.json is not a valid OpenAPI document: ${(err as Error).message}`);
    return 1;
  }
  const lint = lintOpenApi(DOCUMENT_PATH);
  if (!lint.ok) {
    console.error(lint.output);
    console.error('openapi:check: redocly lint found problems in openapi.json (see above)');
    return 1;
  }
  console.log('openapi:check: openapi.json is up to date, valid OpenAPI, and lints clean');
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
