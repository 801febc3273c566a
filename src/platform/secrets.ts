/**
 * Server secrets that the environment leaves unset (outside production), generated once per data
 * directory and kept in `DATA_DIR/secrets.json` (mode 0600): the API, the worker and the CLI commands
 * started over the same data directory share them, across restarts. Nothing here is a constant: a
 * fresh installation gets fresh random secrets.
 *
 * The file is only ever replaced whole (temp file + rename), under a lock file, and re-read under that
 * lock: processes starting at the same moment agree on one value. Synchronous, because configuration
 * is loaded synchronously at start-up.
 */
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';

export const SECRETS_FILE = 'secrets.json';

/** 32 random bytes, base64url (43 characters). */
export const generateSecret = (): string => randomBytes(32).toString('base64url');

/** The secrets file cannot be read, parsed or written. Messages name the file, never its content. */
export class SecretsFileError extends Error {
  override name = 'SecretsFileError';
}

/** A lock older than this was left by a process that died holding it (holding takes milliseconds). */
const STALE_LOCK_MS = 5_000;
const LOCK_WAIT_MS = 15_000;
const MIN_LENGTH = 32;

/**
 * The values of `names` kept in `dir/secrets.json`. Names the file lacks (all of them, the first time)
 * are generated and added; every later call, in any process, returns the same values.
 */
export function loadGeneratedSecrets<N extends string>(dir: string, names: readonly N[]): Record<N, string> {
  const file = join(dir, SECRETS_FILE);
  const found = readSecrets(file);
  if (found && names.every((n) => Object.hasOwn(found, n))) return pick(found, names);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return withLock(`${file}.lock`, () => {
    // Re-read under the lock: another process may have written the file meanwhile.
    const current = readSecrets(file) ?? {};
    const missing = names.filter((n) => !Object.hasOwn(current, n));
    if (missing.length === 0) return pick(current, names);
    const next = { ...current };
    for (const n of missing) next[n] = generateSecret();
    writeAtomically(file, `${JSON.stringify(next, null, 2)}\n`);
    return pick(next, names);
  });
}

function pick<N extends string>(values: Record<string, string>, names: readonly N[]): Record<N, string> {
  return Object.fromEntries(names.map((n) => [n, values[n]!])) as Record<N, string>;
}

/** The file's secrets, or null when it does not exist. */
function readSecrets(file: string): Record<string, string> | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = null; // (the parser's message would quote the content)
  }
  const valid =
    parsed !== null &&
    typeof parsed === 'object' &&
    !Array.isArray(parsed) &&
    Object.values(parsed).every((v) => typeof v === 'string' && v.length >= MIN_LENGTH);
  if (!valid) {
    throw new SecretsFileError(
      `${file} is not a JSON object of secrets (strings of at least ${MIN_LENGTH} characters): repair it, ` +
        'or delete it to generate new secrets (signing everybody out and voiding unsent verification and reset emails)',
    );
  }
  tightenMode(file);
  return parsed as Record<string, string>;
}

/** A copy that was made readable by others (a restored backup…) is brought back to 0600. */
function tightenMode(file: string) {
  try {
    if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
  } catch {
    // best effort: reading worked, and the owner may be someone else
  }
}

function writeAtomically(file: string, content: string) {
  const temp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const fd = openSync(temp, 'wx', 0o600);
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(temp, file);
  } catch (err) {
    unlinkSync(temp);
    throw err;
  }
}

function withLock<T>(lock: string, fn: () => T): T {
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      closeSync(openSync(lock, 'wx', 0o600));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    try {
      if (Date.now() - statSync(lock).mtimeMs > STALE_LOCK_MS) {
        unlinkSync(lock);
        continue;
      }
    } catch {
      continue; // released meanwhile
    }
    if (Date.now() > deadline) throw new SecretsFileError(`timed out waiting for the lock ${lock}`);
    sleep(10 + Math.floor(Math.random() * 20));
  }
  try {
    return fn();
  } finally {
    try {
      unlinkSync(lock);
    } catch {
      // already gone (taken over as stale): nothing to release
    }
  }
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));
const sleep = (ms: number) => void Atomics.wait(sleeper, 0, 0, ms);
