/**
 * Throwaway PostgreSQL clusters for tests that need a server of their own (streaming replication):
 * initdb into a temporary directory on a free port, trust authentication on 127.0.0.1 (replication
 * included), a socket directory of its own, no fsync. As root, every server command runs as the
 * `postgres` OS user (PostgreSQL refuses to run as root). The binaries are found with PG_BIN, else
 * `pg_config --bindir`, else the newest /usr/lib/postgresql/<version>/bin.
 */
import { execFile, execFileSync } from 'node:child_process';
import { appendFileSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './processes.js';

/** The directory of initdb, pg_ctl and pg_basebackup, or undefined if PostgreSQL is not installed. */
export function postgresBinDir(): string | undefined {
  const candidates: string[] = [];
  if (process.env['PG_BIN']) candidates.push(process.env['PG_BIN']);
  try {
    candidates.push(execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim());
  } catch {
    // no pg_config on PATH
  }
  try {
    const versions = readdirSync('/usr/lib/postgresql')
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    for (const v of versions) candidates.push(`/usr/lib/postgresql/${v}/bin`);
  } catch {
    // not a Debian-style layout
  }
  return candidates.find((dir) => existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_basebackup')));
}

const asRoot = process.getuid?.() === 0;

function postgresIds(): { uid: number; gid: number } {
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  return { uid, gid };
}

/** Run a PostgreSQL program (as `postgres` when we are root); rejects with its output on failure. */
function run(bin: string, program: string, args: string[], timeoutMs = 60_000): Promise<string> {
  const file = asRoot ? 'runuser' : join(bin, program);
  const argv = asRoot ? ['-u', 'postgres', '--', join(bin, program), ...args] : args;
  return new Promise((resolve, reject) => {
    execFile(file, argv, { timeout: timeoutMs, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${program} ${args.join(' ')} failed: ${err.message}\n${stdout}${stderr}`));
      else resolve(stdout);
    });
  });
}

export interface PgCluster {
  port: number;
  dataDir: string;
  url(database?: string): string;
  query<R extends pg.QueryResultRow = Record<string, unknown>>(text: string, database?: string): Promise<R[]>;
  /** `pg_ctl stop` (default mode `fast`); idempotent. */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
}

/** A directory for clusters (owned by `postgres` when we are root); `remove()` deletes it. */
export function clusterRoot(): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'roost-pg-'));
  if (asRoot) {
    const { uid, gid } = postgresIds();
    chownSync(dir, uid, gid);
  }
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

function cluster(bin: string, dataDir: string, port: number): PgCluster {
  let stopped = false;
  const url = (database = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${database}`;
  return {
    port,
    dataDir,
    url,
    async query<R extends pg.QueryResultRow>(text: string, database?: string) {
      const client = new pg.Client({ connectionString: url(database), connectionTimeoutMillis: 5_000 });
      client.on('error', () => {});
      await client.connect();
      try {
        return (await client.query<R>(text)).rows;
      } finally {
        await client.end().catch(() => {});
      }
    },
    async stop(mode = 'fast') {
      if (stopped) return;
      await run(bin, 'pg_ctl', ['-D', dataDir, '-m', mode, '-w', '-t', '30', 'stop']).catch((err) => {
        // Already stopped is fine; anything else is reported.
        if (!/no server running|PID file .* does not exist|Is server running/i.test(String(err))) throw err;
      });
      stopped = true;
    },
  };
}

function settings(root: string, name: string, port: number): string {
  const sockets = join(root, `${name}-sock`);
  mkdirSync(sockets, { recursive: true });
  if (asRoot) {
    const { uid, gid } = postgresIds();
    chownSync(sockets, uid, gid);
  }
  return [
    '',
    `port = ${port}`,
    "listen_addresses = '127.0.0.1'",
    `unix_socket_directories = '${sockets}'`,
    'wal_level = replica',
    'max_wal_senders = 5',
    'hot_standby = on',
    'fsync = off',
    'full_page_writes = off',
    'shared_buffers = 32MB',
    'max_connections = 60',
    '',
  ].join('\n');
}

async function start(bin: string, dataDir: string, root: string, name: string) {
  await run(bin, 'pg_ctl', ['-D', dataDir, '-l', join(root, `${name}.log`), '-w', '-t', '30', 'start']);
}

/** A new primary: initdb, a replication line in pg_hba, started. */
export async function startPrimary(bin: string, root: string): Promise<PgCluster> {
  const dataDir = join(root, 'primary');
  const port = await freePort();
  await run(bin, 'initdb', [
    '-D',
    dataDir,
    '-U',
    'postgres',
    '--auth=trust',
    '--no-sync',
    '-E',
    'UTF8',
    '--locale=C',
  ]);
  appendFileSync(join(dataDir, 'postgresql.conf'), settings(root, 'primary', port));
  appendFileSync(join(dataDir, 'pg_hba.conf'), '\nhost replication all 127.0.0.1/32 trust\n');
  await start(bin, dataDir, root, 'primary');
  return cluster(bin, dataDir, port);
}

/** A streaming replica of `primary` (pg_basebackup -R), started on a port of its own. */
export async function startReplica(bin: string, root: string, primary: PgCluster): Promise<PgCluster> {
  const dataDir = join(root, 'replica');
  const port = await freePort();
  await run(bin, 'pg_basebackup', [
    '-h',
    '127.0.0.1',
    '-p',
    String(primary.port),
    '-U',
    'postgres',
    '-D',
    dataDir,
    '-R',
    '-X',
    'stream',
    '-c',
    'fast',
    '--no-sync',
  ]);
  appendFileSync(join(dataDir, 'postgresql.conf'), settings(root, 'replica', port));
  await start(bin, dataDir, root, 'replica');
  return cluster(bin, dataDir, port);
}
