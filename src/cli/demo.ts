/**
 * Development-only helpers for trying the app (refused with NODE_ENV=production):
 *
 *   npm run demo -- list [--email guest@roost.dev]   bookings with their ids, newest stays first, then
 *                                                   inquiries (conversations with no booking yet)
 *   npm run demo -- complete-stay <bookingId>       move a confirmed stay into the past and complete it,
 *                                                   so its guest can review it now
 *
 * On the embedded database the server holds the data directory while it runs: stop it first, or use the
 * same operation over HTTP (POST /api/v1/dev/bookings/{id}/complete-stay, as an admin).
 */
import { parseArgs } from 'node:util';
import { createDatabase } from '../db/database.js';
import { migrateToLatest } from '../db/migrate.js';
import { PgliteDirInUseError } from '../db/pglite-lock.js';
import * as bookings from '../modules/bookings/bookings.service.js';
import { ConfigError, loadConfig } from '../platform/config.js';
import { AppError } from '../platform/errors.js';
import { createServiceContext } from '../services.js';

const USAGE = `usage: npm run demo -- list [--email <user email>]
       npm run demo -- complete-stay <bookingId>`;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function usage(message?: string): never {
  console.error(message ? `${message}\n${USAGE}` : USAGE);
  process.exit(2);
}

let parsed: ReturnType<typeof parseArgs<{ options: { email: { type: 'string' } }; allowPositionals: true }>>;
try {
  parsed = parseArgs({ options: { email: { type: 'string' } }, allowPositionals: true });
} catch (err) {
  usage((err as Error).message);
}
const [command, ...rest] = parsed.positionals;
if (command === 'list') {
  if (rest.length > 0) usage();
} else if (command === 'complete-stay') {
  if (rest.length !== 1 || !UUID.test(rest[0]!)) usage('complete-stay needs one booking id (a UUID)');
} else {
  usage(command ? `unknown command: ${command}` : undefined);
}

async function main() {
  const config = loadConfig();
  if (config.NODE_ENV === 'production') {
    console.error(`npm run demo: development only; refused with NODE_ENV=production`);
    process.exit(1);
  }
  const database = await createDatabase({ url: config.DATABASE_URL, pgliteDataDir: config.PGLITE_DATA_DIR });
  try {
    if (database.kind === 'pglite') await migrateToLatest(database.db);
    const ctx = createServiceContext(config, database);
    if (command === 'list') {
      let q = ctx.db
        .selectFrom('bookings as b')
        .innerJoin('users as g', 'g.id', 'b.guest_id')
        .innerJoin('users as h', 'h.id', 'b.host_id')
        .innerJoin('properties as p', 'p.id', 'b.property_id')
        .leftJoin('reviews as r', 'r.booking_id', 'b.id')
        .select([
          'b.id',
          'b.status',
          'b.check_in',
          'b.check_out',
          'g.email as guest',
          'h.email as host',
          'p.title',
          'p.city',
          'r.id as review_id',
        ])
        .orderBy('b.check_in', 'desc')
        .orderBy('b.id')
        .limit(200);
      if (parsed.values.email) {
        const email = parsed.values.email;
        q = q.where((eb) => eb.or([eb('g.email', '=', email), eb('h.email', '=', email)]));
      }
      const rows = await q.execute();
      if (rows.length === 0) console.log('no bookings');
      for (const r of rows) {
        const reviewed = r.status === 'completed' ? (r.review_id ? ' reviewed' : ' not reviewed yet') : '';
        console.log(
          `${r.id}  ${r.status.padEnd(18)} ${r.check_in}..${r.check_out}  ${r.guest} @ ${r.title}, ${r.city} (host ${r.host})${reviewed}`,
        );
      }
      // Inquiries: conversation ids (GET /api/v1/conversations/{id}/messages as its guest or host).
      let threads = ctx.db
        .selectFrom('conversations as c')
        .innerJoin('users as g', 'g.id', 'c.guest_id')
        .innerJoin('users as h', 'h.id', 'c.host_id')
        .innerJoin('properties as p', 'p.id', 'c.property_id')
        .select(['c.id', 'c.last_seq', 'g.email as guest', 'h.email as host', 'p.title', 'p.city'])
        .where('c.booking_id', 'is', null)
        .orderBy('c.last_message_at', 'desc')
        .orderBy('c.id')
        .limit(50);
      if (parsed.values.email) {
        const email = parsed.values.email;
        threads = threads.where((eb) => eb.or([eb('g.email', '=', email), eb('h.email', '=', email)]));
      }
      for (const c of await threads.execute()) {
        console.log(
          `${c.id}  ${'inquiry'.padEnd(18)} ${c.last_seq} messages  ${c.guest} @ ${c.title}, ${c.city} (host ${c.host})`,
        );
      }
    } else {
      const done = await bookings.completeStayEarly(ctx, null, rest[0]!);
      console.log(
        `booking ${done.id}: stay moved to ${done.checkIn}..${done.checkOut} and ${done.status}; its guest can review it now`,
      );
    }
  } finally {
    await database.close();
  }
}

main().catch((err) => {
  if (err instanceof PgliteDirInUseError) {
    console.error(
      `${err.message}.\nWhile the server runs, do it over HTTP as an admin instead: ` +
        'POST /api/v1/dev/bookings/{id}/complete-stay (see the README, "Try it").',
    );
  } else if (err instanceof AppError || err instanceof ConfigError) {
    console.error(err.message);
  } else {
    console.error(err);
  }
  process.exit(1);
});
