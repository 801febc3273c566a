/** `npm run db:restore -- --file path`: pg_restore (or mysql) into DATABASE_URL, replacing what the backup contains. */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { restoreDatabase } from '../db/backup.js';
import { loadConfig } from '../platform/config.js';

const config = loadConfig();
const { values } = parseArgs({ options: { file: { type: 'string' } } });
if (!config.DATABASE_URL || !values.file || !existsSync(values.file)) {
  console.error(
    'usage: DATABASE_URL=postgres://… (or mysql://…) npm run db:restore -- --file backups/roost-….dump',
  );
  process.exit(2);
}
await restoreDatabase(config.DATABASE_URL, values.file);
console.log(`restored ${values.file}`);
