/**
 * The service runs on Node 24 (.nvmrc, the Docker image, CI's suites) and still starts on Node 20.19+
 * (package.json `engines`): `node --import tsx src/server.ts`, run with a Node 20 binary, serves
 * /health/ready on embedded PGlite and registers a user (argon2's native module, PGlite's WebAssembly,
 * Fastify), then exits 0 on SIGTERM.
 *
 * Which Node 20: ROOST_NODE20 (.ci/run exports the machine's own node, or one it fetched, before it puts
 * Node 24 first on PATH), else /usr/bin/node when it is a 20.19+. Under CI (CI=true) a missing Node 20 is
 * a failure: the promise would otherwise go untested without anyone noticing. Elsewhere, without one, the
 * test runs the service with the node running the suite, which must itself satisfy `engines`.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, killLeftovers, startRoost, waitUntilServing } from './support/processes.js';

type Version = [number, number, number];

const parse = (v: string): Version => {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(v.trim());
  if (!m) throw new Error(`not a node version: ${v}`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
};
const atLeast = (v: Version, min: Version) => {
  for (let i = 0; i < 3; i++) if (v[i] !== min[i]) return v[i]! > min[i]!;
  return true;
};
const versionOf = (node: string) => parse(execFileSync(node, ['--version'], { encoding: 'utf8' }));

/** The lowest Node the service supports, from package.json (`>=20.19`, or `>=20.19.0`). */
function enginesFloor(): Version {
  const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'package.json'), 'utf8')) as {
    engines?: { node?: string };
  };
  const m = /^>=\s*(\d+)(?:\.(\d+))?(?:\.(\d+))?$/.exec(pkg.engines?.node ?? '');
  if (!m) throw new Error(`package.json engines.node is not ">=X.Y": ${pkg.engines?.node}`);
  return [Number(m[1]), Number(m[2] ?? 0), Number(m[3] ?? 0)];
}

/** The Node 20 to start the service with, and why that one. */
function pickNode(
  env: NodeJS.ProcessEnv = process.env,
  machineNode = '/usr/bin/node',
): { node: string; version: Version; source: string } {
  const floor = enginesFloor();
  const fromEnv = env['ROOST_NODE20'];
  if (fromEnv) {
    // Set on purpose: it must be what it says.
    const version = versionOf(fromEnv);
    if (version[0] !== 20 || !atLeast(version, floor)) {
      throw new Error(`ROOST_NODE20=${fromEnv} is v${version.join('.')}, not a Node 20 ≥ ${floor.join('.')}`);
    }
    return { node: fromEnv, version, source: 'ROOST_NODE20' };
  }
  if (existsSync(machineNode)) {
    const version = versionOf(machineNode);
    if (version[0] === 20 && atLeast(version, floor))
      return { node: machineNode, version, source: 'the machine' };
  }
  if (env['CI'] === 'true') {
    throw new Error(
      'CI needs a Node 20.19+ to check that the service still starts on it: set ROOST_NODE20 (.ci/run does)',
    );
  }
  const version = parse(process.version);
  return { node: process.execPath, version, source: 'the node running the tests (no Node 20 found)' };
}

const dir = mkdtempSync(join(tmpdir(), 'roost-node20-'));
afterAll(() => {
  killLeftovers();
  rmSync(dir, { recursive: true, force: true });
});

describe('the service on the oldest supported Node', () => {
  it('package.json supports Node 20.19+, and the Docker image, CI and .nvmrc use Node 24', () => {
    expect(enginesFloor()).toEqual([20, 19, 0]);
    const root = join(import.meta.dirname, '..');
    expect(readFileSync(join(root, '.nvmrc'), 'utf8').trim()).toBe('24');
    const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
    const images = [...dockerfile.matchAll(/^FROM\s+(\S+)/gm)].map((m) => m[1]);
    expect(images.length).toBeGreaterThan(0);
    for (const image of images) expect(image).toMatch(/^node:24-bookworm-slim\b/);
  });

  it('picks a Node 20 ≥ 20.19 only: refuses a ROOST_NODE20 that is not one, and under CI fails without one', () => {
    // Stand-ins that only answer --version.
    const fake = (name: string, version: string) => {
      const path = join(dir, name);
      writeFileSync(path, `#!/bin/sh\necho ${version}\n`);
      chmodSync(path, 0o755);
      return path;
    };
    const node22 = fake('node22', 'v22.1.0');
    const node2018 = fake('node2018', 'v20.18.3');
    const node2019 = fake('node2019', 'v20.19.0');
    const missing = join(dir, 'no-such-node');
    expect(() => pickNode({ ROOST_NODE20: node22 }, missing)).toThrow(/is v22\.1\.0, not a Node 20/);
    expect(() => pickNode({ ROOST_NODE20: node2018 }, missing)).toThrow(/is v20\.18\.3, not a Node 20/);
    expect(pickNode({ ROOST_NODE20: node2019 }, missing)).toMatchObject({
      node: node2019,
      version: [20, 19, 0],
    });
    // The machine's node counts only when it is a 20.19+.
    expect(pickNode({}, node2019)).toMatchObject({ node: node2019, source: 'the machine' });
    expect(() => pickNode({ CI: 'true' }, node22)).toThrow(/CI needs a Node 20\.19\+/);
    expect(() => pickNode({ CI: 'true' }, node2018)).toThrow(/CI needs a Node 20\.19\+/);
    expect(() => pickNode({ CI: 'true' }, missing)).toThrow(/set ROOST_NODE20/);
    // Outside CI, the node running the tests stands in.
    expect(pickNode({}, missing)).toMatchObject({ node: process.execPath });
  });

  it('starts on Node 20 (node --import tsx src/server.ts), serves readiness, registers a user, and exits 0 on SIGTERM', async () => {
    const { node, version, source } = pickNode();
    expect(atLeast(version, enginesFloor()), `v${version.join('.')} from ${source}`).toBe(true);
    const port = await freePort();
    const server = startRoost(
      'src/server.ts',
      {
        PORT: String(port),
        LOG_LEVEL: 'info',
        // A fresh data directory starts from the install's PGlite template (no initdb in WebAssembly).
        PGLITE_DATA_DIR: join(dir, 'pglite'),
        DATA_DIR: dir,
        MAIL_DIR: join(dir, 'mail'),
        UPLOADS_DIR: join(dir, 'uploads'),
      },
      `server on node v${version.join('.')}`,
      node,
    );
    const base = `http://127.0.0.1:${port}`;
    await waitUntilServing(server, `${base}/health/ready`, 90_000);
    const ready = (await (await fetch(`${base}/health/ready`)).json()) as {
      checks: { database: { status: string } };
    };
    expect(ready.checks.database.status).toBe('ok');

    // argon2 (native), PGlite (WebAssembly) and the HTTP stack, on that node.
    const reg = await fetch(`${base}/api/v1/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        email: `node20.${Date.now()}@example.com`,
        password: 'twenty-nineteen-1',
        firstName: 'Old',
        lastName: 'Node',
      }),
    });
    expect(reg.status, await reg.clone().text()).toBe(201);
    const bad = await fetch(`${base}/api/v1/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'not-an-email' }),
    });
    expect(bad.status).toBe(400);
    await bad.arrayBuffer();

    const exit = await server.stop('SIGTERM');
    expect(exit, server.text()).toMatchObject({ code: 0 });
    console.info(`started and stopped on node v${version.join('.')} (${source}: ${node})`);
  }, 120_000);
});
