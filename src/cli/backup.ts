/** `npm run db:backup [-- --file path]`: pg_dump or mysqldump of DATABASE_URL (default file backups/roost-<timestamp>.dump). */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { backupDatabase } from '../db/backup.js';
import { loadConfig } from '../platform/config.js';

const config = loadConfig();
if (!config.DATABASE_URL) {
  console.error(
    'db:backup needs DATABASE_URL (PostgreSQL or MySQL). For embedded PGlite, copy PGLITE_DATA_DIR while the service is stopped.',
  );
  process.exit(2);
}
const { values } = parseArgs({
  options: {
    file: { type: 'string', default: `backups/roost-${new Date().toISOString().replace(/[:.]/g, '-')}.dump` },
  },
});
mkdirSync(dirname(values.file), { recursive: true });
await backupDatabase(config.DATABASE_URL, values.file);
console.log(`backup written to ${values.file}`);
