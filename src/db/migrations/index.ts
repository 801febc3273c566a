/**
 * Every migration, in order. Names sort lexically; add new ones at the end with the next number.
 * A static list (rather than a folder scan) works the same under tsx, the compiled build and tests.
 */
import type { Migration } from 'kysely/migration';
import * as m0001 from './0001_users_auth.js';
import * as m0002 from './0002_properties.js';
import * as m0003 from './0003_bookings.js';
import * as m0004 from './0004_ledger.js';
import * as m0005 from './0005_outbox_dedupe.js';
import * as m0006 from './0006_reviews.js';
import * as m0007 from './0007_user_suspension.js';
import * as m0008 from './0008_outbox_withdraw_raw_tokens.js';
import * as m0009 from './0009_refund_intents.js';
import * as m0010 from './0010_outbox_claims.js';
import * as m0011 from './0011_geo_search.js';
import * as m0012 from './0012_messaging.js';
import * as m0013 from './0013_admin.js';
import * as m0014 from './0014_payouts.js';
import * as m0015 from './0015_pricing.js';
import * as m0016 from './0016_booking_changes.js';

export const migrations: Record<string, Migration> = {
  '0001_users_auth': m0001,
  '0002_properties': m0002,
  '0003_bookings': m0003,
  '0004_ledger': m0004,
  '0005_outbox_dedupe': m0005,
  '0006_reviews': m0006,
  '0007_user_suspension': m0007,
  '0008_outbox_withdraw_raw_tokens': m0008,
  '0009_refund_intents': m0009,
  '0010_outbox_claims': m0010,
  '0011_geo_search': m0011,
  '0012_messaging': m0012,
  '0013_admin': m0013,
  '0014_payouts': m0014,
  '0015_pricing': m0015,
  '0016_booking_changes': m0016,
};
