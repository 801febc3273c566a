/**
 * After `tsc -p tsconfig.build.json`: copies the operator console's templates and stylesheet next to
 * its compiled code (src/console/{views,assets} → dist/console/{views,assets}), where
 * src/console/views.ts looks for them relative to itself.
 */
import { cpSync, existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
for (const dir of ['views', 'assets']) {
  const from = join(root, 'src', 'console', dir);
  const to = join(root, 'dist', 'console', dir);
  if (!existsSync(from)) throw new Error(`copy-console-views: ${from} is missing`);
  rmSync(to, { recursive: true, force: true });
  cpSync(from, to, { recursive: true });
}
console.log('copy-console-views: console views and assets copied to dist/console');
