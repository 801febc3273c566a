/**
 * The payouts module's part of the privacy tools (src/flows/privacy.ts): a host's payout account (its
 * provider reference and status) and every payout made to them. Erasure leaves both as they are: they
 * hold ids and amounts only, and are part of the money record that must stay whole.
 */
import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema/index.js';
import { isoOrNull } from '../../platform/instants.js';

export async function exportPayouts(db: Kysely<DB>, hostId: string) {
  const [accounts, payouts] = await Promise.all([
    db.selectFrom('payout_accounts').selectAll().where('host_id', '=', hostId).execute(),
    db
      .selectFrom('payouts')
      .selectAll()
      .where('host_id', '=', hostId)
      .orderBy('created_at')
      .orderBy('id')
      .execute(),
  ]);
  return {
    payoutAccounts: accounts.map((a) => ({
      provider: a.provider,
      providerAccountRef: a.provider_account_ref,
      status: a.status,
      currency: a.currency,
      createdAt: isoOrNull(a.created_at),
      updatedAt: isoOrNull(a.updated_at),
    })),
    payouts: payouts.map((p) => ({
      id: p.id,
      bookingId: p.booking_id,
      amount: Number(p.amount),
      currency: p.currency,
      status: p.status,
      provider: p.provider,
      providerRef: p.provider_ref,
      attempts: Number(p.attempts),
      releaseAt: isoOrNull(p.release_at),
      paidAt: isoOrNull(p.paid_at),
      createdAt: isoOrNull(p.created_at),
    })),
  };
}
