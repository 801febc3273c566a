/**
 * The pages Roost serves, in a real browser (headless Chromium through playwright-core), against the
 * real server process (src/server.ts, as `npm start` runs it) on a database holding a demo host and
 * listing:
 * - GraphiQL (/graphiql) loads from the app alone (no request leaves for another host), runs the
 *   default query, a typed query, and shows a query's error; the page's CSP is enforced (an injected
 *   inline script is refused) and nothing the page itself does violates it.
 * - Swagger UI (/docs) runs real requests with "Try it out" → "Execute": a wrong then a right login,
 *   "Authorize" with the token, a photo upload through the multipart form drawn from the OpenAPI
 *   document, and the public listing search, which shows the photo as the cover; the statuses and
 *   bodies shown are the API's. The same checks: local requests only, no CSP violation.
 * Screenshots of both go to docs/screenshots/ (rewritten on each run).
 *
 * Needs Chromium at /usr/bin/chromium (or CHROMIUM_PATH): the file fails, saying how to install it,
 * when it is missing.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PAGES } from '../src/platform/security-headers.js';
import { hasChromium, launchChromium, MISSING_CHROMIUM, SCREENSHOTS } from './support/browser.js';
import { createListing } from './support/fixtures.js';
import {
  freePort,
  killLeftovers,
  type RoostProcess,
  startRoost,
  waitUntilServing,
} from './support/processes.js';
import {
  createTestApp,
  createUser,
  TEST_JWT_SECRET,
  type TestApp,
  type TestUser,
} from './support/test-app.js';
import { testDbKind } from './support/test-db.js';

const VIEWPORT = { width: 1280, height: 800 };
const DEMO_TITLE = 'Riverside loft with a view (browser demo)';
/** A real 1×1 PNG. */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64',
);

/** The browser globals the callbacks run in the page use (the project's TypeScript has no DOM library). */
declare const document: {
  addEventListener(
    type: 'securitypolicyviolation',
    listener: (e: { effectiveDirective: string; blockedURI: string }) => void,
  ): void;
  createElement(tag: 'script'): { textContent: string };
  body: { append(node: unknown): void };
};
declare const window: { injected?: boolean; scrollBy(x: number, y: number): void };

let t: TestApp;
let host: TestUser;
let listingId: string;
let server: RoostProcess;
let browser: Browser;
let base: string;
const dir = mkdtempSync(join(tmpdir(), 'roost-browser-'));

beforeAll(async () => {
  // Without Chromium, each test fails (rather than being skipped) with MISSING_CHROMIUM, in open().
  if (!hasChromium()) return;
  // The server process needs a database it can open too: PGlite lives inside one process, so on the
  // PGlite suite this file uses PostgreSQL.
  t = await createTestApp({ engine: testDbKind() === 'mysql' ? 'mysql' : 'postgres' });
  host = await createUser(t, 'host');
  ({ id: listingId } = await createListing(t, host, {
    title: DEMO_TITLE,
    city: 'Lisbon',
    nightlyPrice: 12_500,
  }));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  server = startRoost(
    'src/server.ts',
    {
      DATABASE_URL: t.database.url!,
      JWT_SECRET: TEST_JWT_SECRET,
      PORT: String(port),
      UPLOADS_DIR: join(dir, 'uploads'),
      MAIL_DIR: join(dir, 'mail'),
      LOG_LEVEL: 'warn',
    },
    'api',
  );
  [browser] = await Promise.all([launchChromium(), waitUntilServing(server, `${base}/health/ready`)]);
  mkdirSync(SCREENSHOTS, { recursive: true });
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop().catch(() => {});
  killLeftovers();
  await t?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Everything a page did that a test checks: its requests, console errors, CSP violations. */
interface Watched {
  page: Page;
  context: BrowserContext;
  requests: string[];
  /** Responses with a status >= 400, as `status METHOD path`. */
  failed: string[];
  errors: string[];
  violations: string[];
}

async function open(path: string): Promise<Watched> {
  if (!browser) throw new Error(MISSING_CHROMIUM);
  const context = await browser.newContext({ viewport: VIEWPORT });
  // A step that cannot happen fails with its locator, well before the test's own timeout.
  context.setDefaultTimeout(20_000);
  const page = await context.newPage();
  const watched: Watched = { page, context, requests: [], failed: [], errors: [], violations: [] };
  // Init scripts run through the DevTools protocol, not as page scripts: the CSP does not apply to them.
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`CSP violation: ${e.effectiveDirective} blocked ${e.blockedURI || 'inline'}`);
    });
  });
  page.on('request', (r) => watched.requests.push(r.url()));
  page.on('pageerror', (e) => watched.errors.push(`page error: ${e.message}`));
  page.on('response', (r) => {
    if (r.status() >= 400)
      watched.failed.push(`${r.status()} ${r.request().method()} ${new URL(r.url()).pathname}`);
  });
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const text = m.text();
    if (text.startsWith('CSP violation') || text.includes('Content Security Policy'))
      watched.violations.push(text);
    else watched.errors.push(text);
  });
  const res = await page.goto(`${base}${path}`);
  expect(res?.status()).toBe(200);
  expect(res?.headers()['content-security-policy']).toBe(PAGES[path]?.['content-security-policy']);
  return watched;
}

/**
 * No request left for another host, nothing was refused by the CSP, nothing failed in the console, and
 * the only failed responses are the `expectedFailures` (`status METHOD path`) the test provoked.
 */
function expectCleanRun(w: Watched, expectedFailures: string[]) {
  const foreign = w.requests.filter((u) => {
    const url = new URL(u);
    return !(url.protocol === 'data:' || url.protocol === 'blob:' || url.origin === base);
  });
  expect(foreign).toEqual([]);
  expect(w.violations).toEqual([]);
  expect(w.failed).toEqual(expectedFailures);
  // Chromium logs each failed response as a console error too: those are checked just above.
  expect(w.errors.filter((e) => !e.startsWith('Failed to load resource: the server responded'))).toEqual([]);
}

describe('GraphiQL at /graphiql', () => {
  /** The text of GraphiQL's result pane (a CodeMirror editor). */
  const resultText = (page: Page) =>
    page
      .locator('.graphiql-response .CodeMirror')
      .first()
      .evaluate((el) => (el as unknown as { CodeMirror: { getValue(): string } }).CodeMirror.getValue());

  /** Replaces the query (when given), runs it, and answers the result pane's new content, parsed. */
  async function run(page: Page, query?: string): Promise<Record<string, unknown>> {
    if (query !== undefined) {
      await page.locator('.graphiql-query-editor .CodeMirror').click();
      await page.keyboard.press('ControlOrMeta+A');
      await page.keyboard.press('Delete');
      // insertText: one input event, so CodeMirror does not auto-close the brackets typed.
      await page.keyboard.insertText(query);
    }
    const before = await resultText(page);
    const response = page.waitForResponse(
      (r) =>
        r.url() === `${base}/graphql` &&
        r.request().method() === 'POST' &&
        !String(r.request().postData()).includes('IntrospectionQuery'),
    );
    await page.locator('.graphiql-execute-button').click();
    await response;
    // The pane changes once GraphiQL has read the response.
    let text = before;
    await expect
      .poll(async () => {
        text = await resultText(page);
        return text.trim() !== '' && text !== before;
      })
      .toBe(true);
    return JSON.parse(text) as Record<string, unknown>;
  }

  it('loads from the app alone under its CSP, runs the default query, a typed one, and shows errors', async () => {
    const w = await open('/graphiql');
    const { page } = w;
    await page.locator('.graphiql-query-editor .CodeMirror').waitFor();

    // The default query (a public search in Lisbon) works as it is.
    const first = await run(page);
    expect(first).toMatchObject({
      data: { properties: { edges: [{ node: { id: listingId, title: DEMO_TITLE, city: 'Lisbon' } }] } },
    });

    // A query with a mistake: the pane shows the API's error, with its code.
    const bad = await run(page, '{ properties(first: 1) { edges { node { nope } } } }');
    expect(bad).toMatchObject({
      data: null,
      errors: [
        { message: expect.stringContaining('nope'), extensions: { code: 'graphql_validation_error' } },
      ],
    });

    // A typed query with a variable-free lookup of the demo listing and its host.
    const typed = await run(
      page,
      `query Listing {\n  property(id: "${listingId}") {\n    title\n    nightlyPrice\n    currency\n    host { firstName }\n  }\n}`,
    );
    expect(typed).toEqual({
      data: {
        property: { title: DEMO_TITLE, nightlyPrice: 12_500, currency: 'EUR', host: { firstName: 'Test' } },
      },
    });
    // The schema loaded (the standard introspection query passes the depth limit): the docs list the
    // root types, and Query's fields.
    await page.getByRole('button', { name: 'Show Documentation Explorer' }).click();
    const docs = page.locator('.graphiql-doc-explorer');
    await docs.getByRole('link', { name: 'Query', exact: true }).click();
    await expect.poll(() => docs.textContent()).toMatch(/properties.*PropertyConnection/s);
    await page.screenshot({ path: join(SCREENSHOTS, 'graphiql.png') });

    // Every file came from the app; the page's own scripts and styles passed its CSP.
    expect(w.requests.some((u) => u.includes('/graphiql/assets/'))).toBe(true);
    expectCleanRun(w, ['400 POST /graphql']); // the query with a mistake

    // The CSP is enforced (and a violation would be seen above): an injected inline script is refused.
    await page.evaluate(() => {
      const s = document.createElement('script');
      s.textContent = 'window.injected = true';
      document.body.append(s);
    });
    await expect.poll(() => w.violations.length).toBeGreaterThan(0);
    expect(w.violations[0]).toMatch(/script-src/);
    expect(await page.evaluate(() => window.injected)).toBeUndefined();
    await w.context.close();
  }, 90_000);
});

describe('Swagger UI at /docs', () => {
  /** Expands an operation, presses "Try it out", lets `fill` set its inputs, executes it. */
  async function tryItOut(page: Page, method: string, path: string, fill: (op: Locator) => Promise<void>) {
    const op = page.locator(`.opblock-${method}`).filter({
      has: page.locator(`.opblock-summary-path[data-path="${path}"]`),
    });
    if (!(await op.locator('.try-out').isVisible())) await op.locator('.opblock-summary').first().click();
    const tryOut = op.getByRole('button', { name: 'Try it out' });
    if (await tryOut.isVisible()) await tryOut.click();
    // The previous response of this operation, if any, goes: the one read below is this request's.
    const clear = op.locator('button.btn-clear');
    if (await clear.isVisible()) await clear.click();
    await fill(op);
    const url = new RegExp(`^${path.replace(/\{[^}]+\}/g, '[^/]+')}$`);
    const answered = page.waitForResponse(
      (r) => url.test(new URL(r.url()).pathname) && r.request().method() === method.toUpperCase(),
    );
    await op.locator('button.execute').click();
    await answered;
    const live = op.locator('.live-responses-table .response').first();
    await live.waitFor();
    const status = Number((await live.locator('.response-col_status').textContent())?.trim());
    const body = (await live.locator('.response-col_description pre').first().textContent()) ?? '';
    return { op, status, body: JSON.parse(body) as Record<string, unknown> };
  }

  /**
   * Sets every parameter of an operation: the given values, the others emptied (Swagger UI fills in the
   * documented examples). Only the fields that differ are touched: each change re-renders the operation.
   */
  async function setParams(op: Locator, values: Record<string, string>) {
    const current = await op.locator('tr[data-param-name]').evaluateAll((rows) =>
      rows.map((r) => {
        const field = r.querySelector('input, select') as { value: string; tagName: string } | null;
        return {
          name: r.getAttribute('data-param-name') ?? '',
          value: field?.value ?? '',
          tag: field?.tagName,
        };
      }),
    );
    for (const { name, value, tag } of current) {
      const wanted = values[name] ?? '';
      if (value === wanted) continue;
      const row = op.locator(`tr[data-param-name="${name}"]`);
      if (tag === 'SELECT') await row.locator('select').selectOption(wanted);
      else await row.locator('input').fill(wanted);
    }
  }

  it('runs logins, a photo upload and the listing search with "Try it out", showing what the API answered', async () => {
    const w = await open('/docs');
    const { page } = w;
    await page.locator('.opblock').first().waitFor();

    const login = (password: string) =>
      tryItOut(page, 'post', '/api/v1/auth/login', async (op) => {
        await op.locator('textarea.body-param__text').fill(JSON.stringify({ email: host.email, password }));
      });
    const wrong = await login('not-the-password-1');
    expect(wrong.status).toBe(401);
    expect(wrong.body).toMatchObject({ status: 401, code: 'invalid_credentials' });
    const right = await login(host.password);
    expect(right.status).toBe(200);
    expect(right.body).toMatchObject({ accessToken: expect.any(String), user: { email: host.email } });

    // Authorize with the access token, then upload a photo through the multipart form Swagger UI
    // draws from the document (a file field and a caption).
    const accessToken = String(right.body['accessToken']);
    await page.locator('.scheme-container button.authorize').click();
    const dialog = page.locator('.dialog-ux');
    await dialog.locator('input[type="text"], input[type="password"]').first().fill(accessToken);
    await dialog.locator('.auth-btn-wrapper button.authorize').click();
    await dialog.getByRole('button', { name: 'Close' }).click();
    const upload = await tryItOut(page, 'post', '/api/v1/properties/{id}/photos', async (op) => {
      await setParams(op, { id: listingId });
      await op
        .locator('input[type="file"]')
        .setInputFiles({ name: 'loft.png', mimeType: 'image/png', buffer: PNG });
      await op
        .locator('tr[data-property-name="caption"] input[type="text"]')
        .fill('The view, from Swagger UI');
    });
    expect(upload.status).toBe(201);
    expect(upload.body).toMatchObject({
      url: expect.stringMatching(/^\/media\//),
      contentType: 'image/png',
      isCover: true,
      caption: 'The view, from Swagger UI',
    });
    // The API serves the stored image, byte for byte.
    const media = await fetch(`${base}${String(upload.body['url'])}`);
    expect(media.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await media.arrayBuffer()).equals(PNG)).toBe(true);

    const search = await tryItOut(page, 'get', '/api/v1/properties', async (op) => {
      await setParams(op, { city: 'Lisbon' });
    });
    expect(search.status).toBe(200);
    expect(search.body).toMatchObject({
      items: [{ id: listingId, title: DEMO_TITLE, coverPhoto: { url: upload.body['url'] } }],
    });
    // The request URL, the status and the body in view.
    await search.op.locator('.request-url').evaluate((el) => {
      el.scrollIntoView({ block: 'start' });
      window.scrollBy(0, -30);
    });
    await page.screenshot({ path: join(SCREENSHOTS, 'swagger-ui.png') });

    expectCleanRun(w, ['401 POST /api/v1/auth/login']);
    await w.context.close();
  }, 120_000);
});
