/**
 * Backups with each database's standard tools: PostgreSQL through pg_dump (custom format) and
 * pg_restore; MySQL/MariaDB through mysqldump (one consistent transaction, triggers included) and the
 * mysql client. The password travels in the environment, never on the command line.
 */
import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { isMysqlUrl } from './database.js';

function run(cmd: string, args: string[], opts: { stdinFile?: string; env?: NodeJS.ProcessEnv } = {}) {
  return new Promise<void>((resolve, reject) => {
    const child = spawn(cmd, args, {
      stdio: [opts.stdinFile ? 'pipe' : 'ignore', 'inherit', 'pipe'],
      env: { ...process.env, ...opts.env },
    });
    let stderr = '';
    child.stderr?.on('data', (d) => {
      stderr += String(d);
    });
    if (opts.stdinFile && child.stdin) {
      const input = createReadStream(opts.stdinFile);
      input.on('error', reject);
      input.pipe(child.stdin);
    }
    child.on('error', (err) =>
      reject(new Error(`${cmd} could not start (is the database client installed?): ${err.message}`)),
    );
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${cmd} exited with ${code}: ${stderr.trim()}`)),
    );
  });
}

/** mysql/mysqldump connection arguments for a mysql:// URL; the password goes in MYSQL_PWD. */
function mysqlArgs(url: string) {
  const u = new URL(url);
  return {
    args: [
      `--host=${u.hostname}`,
      `--port=${u.port || '3306'}`,
      `--user=${decodeURIComponent(u.username)}`,
      '--default-character-set=utf8mb4',
    ],
    database: decodeURIComponent(u.pathname.slice(1)),
    env: u.password ? { MYSQL_PWD: decodeURIComponent(u.password) } : {},
  };
}

/** Dump the whole database into `file`. */
export function backupDatabase(url: string, file: string): Promise<void> {
  if (isMysqlUrl(url)) {
    const m = mysqlArgs(url);
    return run(
      'mysqldump',
      [...m.args, '--single-transaction', '--routines', '--triggers', `--result-file=${file}`, m.database],
      { env: m.env },
    );
  }
  return run('pg_dump', [
    '--format=custom',
    '--no-owner',
    '--no-privileges',
    `--file=${file}`,
    `--dbname=${url}`,
  ]);
}

/** Restore `file` into the database, replacing the objects it contains. */
export function restoreDatabase(url: string, file: string): Promise<void> {
  if (isMysqlUrl(url)) {
    const m = mysqlArgs(url);
    return run('mysql', [...m.args, m.database], { stdinFile: file, env: m.env });
  }
  return run('pg_restore', [
    '--clean',
    '--if-exists',
    '--no-owner',
    '--no-privileges',
    '--exit-on-error',
    `--dbname=${url}`,
    file,
  ]);
}
