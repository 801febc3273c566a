/**
 * One process per embedded data directory. PGlite keeps the whole database inside the process that opened
 * it: a second process opening the same directory (a `npm run seed` while `npm start` runs) works on its
 * own copy, and whichever closes last overwrites the other's changes — silently. So opening a PGlite data
 * directory first takes a lock file beside it (`<dir>.lock`, holding the owner's pid), created atomically
 * (`wx`); a second process gets a clear error instead.
 *
 * A lock whose process is gone (killed, crashed: the exit hook below did not run) is stale and taken
 * over. A lock holding this process's own pid that this process does not hold is stale too (a container
 * restarted with the same pid). The file is beside the directory, not in it, so a dump of the directory
 * (backups, the test template) never carries a lock.
 */
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';

export class PgliteDirInUseError extends Error {
  override name = 'PgliteDirInUseError';
  constructor(
    readonly dir: string,
    readonly pid: number,
  ) {
    super(
      `PGLITE_DATA_DIR ${dir} is in use by process ${pid}; stop it or use DATABASE_URL ` +
        `(embedded PGlite serves one process at a time)`,
    );
  }
}

export interface PgliteLock {
  path: string;
  release(): void;
}

/** Lock files this process holds (a second open of the same directory in-process is refused too). */
const held = new Set<string>();

export const lockPathOf = (dir: string) => `${resolve(dir)}.lock`;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, under another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function ownerOf(path: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(path, 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Take the lock of a PGlite data directory, or throw PgliteDirInUseError naming its owner. */
export function lockPgliteDir(dir: string): PgliteLock {
  const path = lockPathOf(dir);
  if (held.has(path)) throw new PgliteDirInUseError(dir, process.pid);
  for (let attempt = 0; ; attempt++) {
    try {
      writeFileSync(path, `${process.pid}\n`, { flag: 'wx', mode: 0o644 });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = ownerOf(path);
      // A live owner (or one still writing its pid: an empty file) keeps the directory.
      if (owner !== undefined && owner !== process.pid && alive(owner))
        throw new PgliteDirInUseError(dir, owner);
      if (owner === undefined && attempt < 3) {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
        continue;
      }
      if (attempt >= 5) throw new PgliteDirInUseError(dir, owner ?? 0);
      // Stale: its process is gone. Removed, then created again with `wx` (one of two racing takers wins).
      try {
        unlinkSync(path);
      } catch {
        // another process removed it first
      }
    }
  }
  held.add(path);
  const onExit = () => removeIfOurs(path);
  process.once('exit', onExit);
  return {
    path,
    release() {
      if (!held.delete(path)) return;
      process.off('exit', onExit);
      removeIfOurs(path);
    },
  };
}

function removeIfOurs(path: string) {
  if (ownerOf(path) !== process.pid) return;
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}
