/**
 * The configuration and database a command-line tool works on. A known refusal — a bad setting, or the
 * embedded data directory held by a running server (src/db/pglite-lock.ts) — is one clear line on stderr
 * and exit code 1, not a stack trace.
 */
import { createDatabase, type Database } from '../db/database.js';
import { PgliteDirInUseError } from '../db/pglite-lock.js';
import { type Config, ConfigError, loadConfig } from '../platform/config.js';

export async function openCliDatabase(): Promise<{ config: Config; database: Database }> {
  try {
    const config = loadConfig();
    const database = await createDatabase({
      url: config.DATABASE_URL,
      pgliteDataDir: config.PGLITE_DATA_DIR,
    });
    return { config, database };
  } catch (err) {
    if (!(err instanceof ConfigError || err instanceof PgliteDirInUseError)) throw err;
    console.error(err.message);
    process.exit(1);
  }
}
