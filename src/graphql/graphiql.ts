/**
 * GraphiQL at /graphiql (outside production), served by the app itself from npm packages: no CDN, so it
 * works offline and under the pages' strict CSP (src/platform/security-headers.ts: scripts and styles
 * from 'self' only, no inline script).
 *
 * GraphiQL 3 is the last version with a prebuilt browser bundle (UMD: `graphiql.min.js` +
 * `graphiql.min.css`, expecting the globals `React` and `ReactDOM`); React 18 is the last with UMD
 * builds. The page loads those four files, then `/graphiql/init.js` (ours), which renders GraphiQL
 * against `/graphql`. The vendor files are read once at start-up and served under a URL naming their
 * content hash, so browsers keep them for a year; gzip is made once, on the first request that accepts it.
 *
 * The packages are devDependencies (56 MB of GraphiQL, React and their dependencies have no place in
 * the production image, where GraphiQL is off): they are read as files, never imported, and when they
 * are missing (a production install run with another NODE_ENV) GraphiQL is left out with a warning.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RoostApp } from '../platform/http.js';

const gzip = promisify(gzipCallback);

/** Where GraphiQL lives; every URL it uses is under it (the OpenAPI document hides this prefix). */
export const GRAPHIQL_PATH = '/graphiql';

/** The vendor files the page loads, in order: package, file inside it, the name it is served under. */
const VENDOR = [
  { pkg: 'react', file: 'umd/react.production.min.js', name: 'react.production.min.js' },
  { pkg: 'react-dom', file: 'umd/react-dom.production.min.js', name: 'react-dom.production.min.js' },
  { pkg: 'graphiql', file: 'graphiql.min.js', name: 'graphiql.min.js' },
  { pkg: 'graphiql', file: 'graphiql.min.css', name: 'graphiql.min.css' },
] as const;

const DEFAULT_QUERY = `# Roost's GraphQL API. Run this with the ▶ button (or Ctrl+Enter).
# Searching is public. For your own data, run the \`login\` mutation and put its access token in
# the Headers tab below: {"authorization": "Bearer <accessToken>"}
query Search {
  properties(filter: { city: "Lisbon", guests: 2 }, first: 5) {
    edges {
      node {
        id
        title
        city
        nightlyPrice
        currency
        ratingAvg
      }
    }
    pageInfo {
      hasNextPage
      endCursor
    }
  }
}
`;

/** Renders GraphiQL against /graphql: served as a file, so the page needs no inline script. */
const INIT_JS = `'use strict';
(function () {
  var root = ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(
    React.createElement(GraphiQL, {
      fetcher: GraphiQL.createFetcher({ url: '/graphql' }),
      defaultQuery: ${JSON.stringify(DEFAULT_QUERY)},
      defaultEditorToolsVisibility: true,
      isHeadersEditorEnabled: true,
    }),
  );
})();
`;

const CSS = `html, body, #graphiql { height: 100%; margin: 0; }
#graphiql > noscript { display: block; padding: 2rem; font-family: sans-serif; }
`;

const JS = 'text/javascript; charset=utf-8';
const IMMUTABLE = 'public, max-age=31536000, immutable';
/** The page and our own script are small and change with the app: revalidated each time. */
const REVALIDATE = 'no-cache';

interface Asset {
  url: string;
  type: string;
  cache: string;
  body: Buffer;
  gzipped?: Promise<Buffer>;
}

const short = (body: Buffer) => createHash('sha256').update(body).digest('base64url').slice(0, 12);

function own(url: string, type: string, text: string): Asset {
  return { url, type, cache: REVALIDATE, body: Buffer.from(text) };
}

/** An installed package's directory. (Their `exports` maps do not list the UMD files.) */
const packageDir = (pkg: string) => dirname(createRequire(import.meta.url).resolve(`${pkg}/package.json`));

async function vendor(dirOf: (pkg: string) => string): Promise<Asset[]> {
  return Promise.all(
    VENDOR.map(async ({ pkg, file, name }) => {
      const body = await readFile(join(dirOf(pkg), file));
      return {
        url: `${GRAPHIQL_PATH}/assets/${short(body)}/${name}`,
        type: name.endsWith('.css') ? 'text/css; charset=utf-8' : JS,
        cache: IMMUTABLE,
        body,
      };
    }),
  );
}

function page(vendorAssets: Asset[], own: Asset[]): string {
  const tag = (a: Asset) =>
    a.type.startsWith('text/css')
      ? `    <link rel="stylesheet" href="${a.url}">`
      : `    <script src="${a.url}" defer></script>`;
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>Roost GraphiQL</title>
${[...vendorAssets, ...own].map(tag).join('\n')}
  </head>
  <body>
    <div id="graphiql"><noscript>GraphiQL needs JavaScript.</noscript></div>
  </body>
</html>
`;
}

/** Registers GET /graphiql and its assets; false (with a warning) when the packages are not installed. */
export async function registerGraphiql(
  app: RoostApp,
  /** Where a package is installed (tests: a package that is not). */
  dirOf: (pkg: string) => string = packageDir,
): Promise<boolean> {
  let vendorAssets: Asset[];
  try {
    vendorAssets = await vendor(dirOf);
  } catch (err) {
    app.log.warn(
      { err },
      'GraphiQL is off: its packages (devDependencies graphiql, react, react-dom) are not installed; run npm ci',
    );
    return false;
  }
  const ownAssets = [
    own(`${GRAPHIQL_PATH}/graphiql.css`, 'text/css; charset=utf-8', CSS),
    own(`${GRAPHIQL_PATH}/init.js`, JS, INIT_JS),
  ];
  const html = own(GRAPHIQL_PATH, 'text/html; charset=utf-8', page(vendorAssets, ownAssets));

  const send = async (asset: Asset, request: FastifyRequest, reply: FastifyReply) => {
    reply
      .header('content-type', asset.type)
      .header('cache-control', asset.cache)
      .header('vary', 'accept-encoding');
    // Only the large vendor files are worth compressing (the rest is a few hundred bytes).
    const accepts = /\bgzip\b/.test(String(request.headers['accept-encoding'] ?? ''));
    if (asset.cache === IMMUTABLE && accepts) {
      asset.gzipped ??= gzip(asset.body);
      return reply.header('content-encoding', 'gzip').send(await asset.gzipped);
    }
    return reply.send(asset.body);
  };

  const hidden = { schema: { hide: true } };
  for (const asset of [html, ...vendorAssets, ...ownAssets]) {
    app.get(asset.url, hidden, (request, reply) => send(asset, request, reply));
  }
  return true;
}
