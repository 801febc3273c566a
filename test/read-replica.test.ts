/**
 * Read replicas against a real streaming replica: this file starts a PostgreSQL primary and a replica
 * of it (pg_basebackup -R) of its own, in a temporary directory on free ports, whatever TEST_DB says;
 * the app runs with DATABASE_URL = that primary and DATABASE_READ_URL = the replica. Replay is paused on
 * the replica (`pg_wal_replay_pause()`) to tell the two apart: a read that sees a change made on the
 * primary came from the primary.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { createDatabase, type Database, databaseOptions } from '../src/db/database.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { loadConfig } from '../src/platform/config.js';
import { insertListing } from './support/factories.js';
import {
  clusterRoot,
  type PgCluster,
  postgresBinDir,
  startPrimary,
  startReplica,
} from './support/pg-cluster.js';
import { createUser, TEST_JWT_SECRET, type TestApp, type TestUser } from './support/test-app.js';

const bin = postgresBinDir();
if (!bin) console.warn('read-replica.test.ts skipped: no PostgreSQL binaries (initdb, pg_basebackup)');

const MAX_LAG_MS = 3_000;
const CHECK_MS = 200;

async function waitFor(what: string, cond: () => Promise<boolean> | boolean, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.skipIf(!bin)('read replicas', () => {
  let root: ReturnType<typeof clusterRoot> | undefined;
  let primary: PgCluster | undefined;
  let replica: PgCluster | undefined;
  let database: Database | undefined;
  let t: TestApp;
  let host: TestUser;
  let guest: TestUser;
  let listingId: string;

  const replicaState = () => t.ctx.replicas!.states()[0]!;

  /** The replica has replayed everything the primary has written so far. */
  async function caughtUp() {
    const [{ lsn }] = (await primary!.query<{ lsn: string }>('select pg_current_wal_lsn()::text as lsn')) as [
      { lsn: string },
    ];
    await waitFor('the replica to catch up', async () => {
      const [row] = await replica!.query<{ ok: boolean }>(
        `select pg_last_wal_replay_lsn() >= '${lsn}'::pg_lsn as ok`,
      );
      return row?.ok === true;
    });
  }

  async function pauseReplay() {
    await replica!.query('select pg_wal_replay_pause()');
    await waitFor('replay to pause', async () => {
      const [row] = await replica!.query<{ s: string }>('select pg_get_wal_replay_pause_state() as s');
      return row?.s === 'paused';
    });
  }

  const resumeReplay = () => replica!.query('select pg_wal_replay_resume()');

  const titleFor = async (user?: TestUser) => {
    const res = await t.app.inject({
      method: 'GET',
      url: `/api/v1/properties/${listingId}`,
      ...(user ? { headers: user.auth } : {}),
    });
    expect(res.statusCode, res.body).toBe(200);
    return res.json().title as string;
  };

  beforeAll(async () => {
    root = clusterRoot();
    primary = await startPrimary(bin!, root.dir);
    await primary.query('create database roost');
    const migrating = await createDatabase({ url: primary.url('roost') });
    try {
      await migrateToLatest(migrating.db);
    } finally {
      await migrating.close();
    }
    replica = await startReplica(bin!, root.dir, primary);

    const config = loadConfig({
      NODE_ENV: 'test',
      JWT_SECRET: TEST_JWT_SECRET,
      SANDBOX_WEBHOOK_SECRET: 'test-sandbox-webhook-secret',
      RATE_LIMIT_AUTH_MAX: '100000',
      DATABASE_URL: primary.url('roost'),
      DATABASE_READ_URL: replica.url('roost'),
      DATABASE_READ_MAX_LAG_MS: String(MAX_LAG_MS),
      DATABASE_READ_CHECK_MS: String(CHECK_MS),
      DATABASE_READ_STICKY_MS: '10000',
      // Every read reaches the database (the cache would hide which one answered).
      CACHE_TTL_SECONDS: '0',
    });
    database = await createDatabase({
      ...databaseOptions(config, { readReplicas: true }),
      onIdleError: () => {},
    });
    const { app, ctx } = await buildApp({ config, database, logger: false });
    await app.ready();
    t = { app, ctx, database, close: () => app.close() };
    host = await createUser(t, 'host');
    guest = await createUser(t, 'guest');
    ({ id: listingId } = await insertListing(t, host.id, { title: 'Original title', city: 'Porto' }));
    await caughtUp();
  }, 120_000);

  afterAll(async () => {
    // Everything is stopped and removed, whatever failed before.
    await t?.close().catch((err) => console.error('closing the app failed', err));
    await replica?.stop('immediate').catch((err) => console.error('stopping the replica failed', err));
    await primary?.stop('immediate').catch((err) => console.error('stopping the primary failed', err));
    root?.remove();
  }, 60_000);

  it('serves public reads (detail, search) from the replica, with the same session settings', async () => {
    await t.ctx.replicas!.check();
    expect(replicaState()).toMatchObject({ status: 'ok', lagMs: 0 });
    const servedBefore = replicaState().served.replica;
    await pauseReplay();
    await primary!.query(
      `update properties set title = 'Changed on the primary' where id = '${listingId}'`,
      'roost',
    );

    // Stale: the replica has not replayed the update.
    expect(await titleFor()).toBe('Original title');
    const search = await t.app.inject({ method: 'GET', url: '/api/v1/properties?city=Porto' });
    expect(search.statusCode, search.body).toBe(200);
    expect(search.json().items.map((i: { title: string }) => i.title)).toEqual(['Original title']);
    expect(replicaState().served.replica).toBeGreaterThan(servedBefore);

    // Its connections start like the primary's: jit off, the statement timeout.
    const reads = await t.ctx.reads(null);
    expect(reads).not.toBe(t.ctx.db);
    const jit = await sql<{ jit: string }>`show jit`.execute(reads);
    const timeout = await sql<{ statement_timeout: string }>`show statement_timeout`.execute(reads);
    expect(jit.rows[0]?.jit).toBe('off');
    expect(timeout.rows[0]?.statement_timeout).toBe('15s');
    // Writes and transactions never go through a read handle.
    await expect(
      reads.updateTable('properties').set({ title: 'nope' }).where('id', '=', listingId).execute(),
    ).rejects.toThrow(/read handle/);
    await expect(reads.transaction().execute(async () => undefined)).rejects.toThrow(/read handle/);

    await resumeReplay();
    await caughtUp();
    expect(await titleFor()).toBe('Changed on the primary');
  });

  it('sends the reads of a user who just wrote to the primary (read-your-writes); others still read the replica', async () => {
    await pauseReplay();
    const patch = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/properties/${listingId}`,
      headers: host.auth,
      payload: { title: 'Edited by the host' },
    });
    expect(patch.statusCode, patch.body).toBe(200);

    expect(await titleFor(host)).toBe('Edited by the host');
    // Anonymous callers and signed-in users who did not write read the replica, not yet replayed.
    expect(await titleFor()).toBe('Changed on the primary');
    expect(await titleFor(guest)).toBe('Changed on the primary');
  });

  it('sets a replica aside while it lags past DATABASE_READ_MAX_LAG_MS, and takes it back once it catches up', async () => {
    // Replay is still paused, with the host's update not replayed: the lag grows until the check notices.
    await waitFor(
      'the replica to be found lagging',
      () => replicaState().status === 'lagging',
      MAX_LAG_MS + 10_000,
    );
    expect(replicaState().lagMs).toBeGreaterThan(MAX_LAG_MS);
    expect(await titleFor()).toBe('Edited by the host');

    const ready = await t.app.inject({ method: 'GET', url: '/health/ready' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toMatchObject({ status: 'degraded', replicas: [{ status: 'lagging' }] });

    await resumeReplay();
    await waitFor('the replica to be taken back', () => replicaState().status === 'ok');
    const served = replicaState().served.replica;
    expect(await titleFor()).toBe('Edited by the host');
    expect(replicaState().served.replica).toBeGreaterThan(served);
  });

  it('answers from the primary when the replica is down, and stays ready', async () => {
    await replica!.stop('immediate');
    expect(await titleFor()).toBe('Edited by the host');
    const search = await t.app.inject({ method: 'GET', url: '/api/v1/properties?city=Porto' });
    expect(search.statusCode, search.body).toBe(200);
    expect(search.json().items.map((i: { title: string }) => i.title)).toEqual(['Edited by the host']);
    expect(replicaState().status).toBe('down');

    await t.ctx.replicas!.check();
    expect(await titleFor()).toBe('Edited by the host');
    const ready = await t.app.inject({ method: 'GET', url: '/health/ready' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toMatchObject({
      status: 'degraded',
      checks: { database: { status: 'ok' } },
      replicas: [{ status: 'down', lagMs: null }],
    });
  });
});
