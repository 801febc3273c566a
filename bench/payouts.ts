/**
 * The bench's `payouts` scenario: the `release-payouts` job (src/flows/payouts.ts) over N completed stays.
 *
 * N completed stays of the seeded data (oldest first) get what a paid stay has: a captured sandbox payment
 * and its guest-charge ledger transaction (bulk inserts, in batches); their hosts an enabled sandbox payout
 * account. Then `releaseDuePayouts` runs in this process over all of them (batches of `limit`, `workers`
 * runs at once), each payout in its own transaction with the host's account row locked, its ledger
 * posting, the transfer after the commit and the answer in a second transaction. Measured twice on the
 * same stays (the payouts and their postings deleted in between):
 *   - `sandbox`: the built-in provider's transfer (in memory, once per idempotency key);
 *   - `noop`: a transfer that answers `paid` at once and does nothing — the database's cost alone.
 * Checked after each: one payout per stay, every stay paid, the ledger balanced.
 */
import { type Kysely, sql } from 'kysely';
import type { Database } from '../src/db/database.js';
import type { DB } from '../src/db/schema/index.js';
import { releaseDuePayouts } from '../src/flows/payouts.js';
import { SandboxProvider } from '../src/modules/payments/sandbox.provider.js';
import { loadConfig } from '../src/platform/config.js';
import { newId, sha256Hex } from '../src/platform/crypto.js';
import type { PaymentProvider, TransferRequest } from '../src/platform/payment-provider.js';
import { createServiceContext } from '../src/services.js';

export interface PayoutRun {
  provider: 'sandbox' | 'noop';
  workers: number;
  payouts: number;
  ms: number;
  perSecond: number;
}

export interface PayoutsResult {
  stays: number;
  hosts: number;
  seedMs: number;
  runs: PayoutRun[];
}

const BATCH = 1_000;

async function inBatches<T>(rows: T[], insert: (batch: T[]) => Promise<unknown>) {
  for (let i = 0; i < rows.length; i += BATCH) await insert(rows.slice(i, i + BATCH));
}

/** A sandbox whose transfers answer `paid` at once and do nothing else. */
class NoopTransfers extends SandboxProvider {
  override async transfer(request: TransferRequest) {
    return { providerRef: `tr_noop_${request.idempotencyKey}`, status: 'paid' as const };
  }
}

export async function benchPayouts(o: {
  database: Database;
  stays: number;
  workers: number;
  log: (msg: string) => void;
}): Promise<PayoutsResult> {
  const db: Kysely<DB> = o.database.db;
  const t0 = performance.now();
  const stays = await db
    .selectFrom('bookings')
    .select(['id', 'host_id', 'total', 'currency', 'service_fee', 'taxes', 'host_payout', 'check_out'])
    .where('status', '=', 'completed')
    .orderBy('check_in')
    .orderBy('id')
    .limit(o.stays)
    .execute();
  if (stays.length < o.stays) o.log(`payouts: only ${stays.length} completed stays in the data`);
  const at = new Date();
  const payments = stays.map((b) => ({
    id: newId(),
    booking_id: b.id,
    provider: 'sandbox',
    provider_ref: null as string | null,
    amount: Number(b.total),
    currency: b.currency,
    status: 'succeeded' as const,
    failure_reason: null,
    created_at: at,
    updated_at: at,
  }));
  for (const p of payments) p.provider_ref = `pi_sbx_${sha256Hex(p.id).slice(0, 24)}`;
  await inBatches(payments, (batch) => db.insertInto('payments').values(batch).execute());
  const transactions = payments.map((p) => ({
    id: newId(),
    kind: 'guest_charge' as const,
    reference_type: 'payment',
    reference_id: p.id,
    currency: p.currency,
    memo: null,
    created_at: at,
  }));
  await inBatches(transactions, (batch) => db.insertInto('ledger_transactions').values(batch).execute());
  const entries = stays.flatMap((b, i) => {
    const tx = transactions[i]!;
    return [
      { account: 'provider_clearing', amount: Number(b.total) },
      { account: `host_payable:${b.host_id}`, amount: -Number(b.host_payout) },
      { account: 'platform_revenue', amount: -Number(b.service_fee) },
      { account: 'taxes_payable', amount: -Number(b.taxes) },
    ]
      .filter((e) => e.amount !== 0)
      .map((e) => ({ id: newId(), transaction_id: tx.id, currency: tx.currency, created_at: at, ...e }));
  });
  await inBatches(entries, (batch) => db.insertInto('ledger_entries').values(batch).execute());

  const hosts = [...new Set(stays.map((b) => b.host_id))];
  const config = loadConfig({
    NODE_ENV: 'production',
    JWT_SECRET: 'bench-secret-bench-secret-bench-secret-00',
    SANDBOX_WEBHOOK_SECRET: 'bench-sandbox-webhook-secret',
    PAYMENT_PROVIDER: 'sandbox',
  });
  const accounts = new Map<string, string>();
  const probe = new SandboxProvider('bench-sandbox-webhook-secret');
  for (const h of hosts) {
    accounts.set(
      h,
      (
        await probe.createPayoutAccount({
          hostId: h,
          email: '',
          currency: 'EUR',
          idempotencyKey: `payout-account:${h}`,
        })
      ).accountRef,
    );
  }
  await inBatches(hosts, (batch) =>
    db
      .insertInto('payout_accounts')
      .values(
        batch.map((h) => ({
          host_id: h,
          provider: 'sandbox',
          provider_account_ref: accounts.get(h)!,
          status: 'enabled' as const,
          currency: 'EUR',
        })),
      )
      .execute(),
  );
  const seedMs = Math.round(performance.now() - t0);
  o.log(
    `payouts: ${stays.length} completed stays of ${hosts.length} hosts paid in the ledger in ${seedMs} ms`,
  );

  const runs: PayoutRun[] = [];
  for (const kind of ['sandbox', 'noop'] as const) {
    for (const workers of [1, o.workers]) {
      const provider: PaymentProvider =
        kind === 'noop'
          ? new NoopTransfers('bench-sandbox-webhook-secret')
          : new SandboxProvider('bench-sandbox-webhook-secret');
      // The accounts exist at this provider instance too (enabled).
      for (const h of hosts) {
        await provider.createPayoutAccount({
          hostId: h,
          email: '',
          currency: 'EUR',
          idempotencyKey: `payout-account:${h}`,
        });
      }
      const ctx = createServiceContext(config, o.database);
      ctx.payments = { sandbox: provider };
      const started = performance.now();
      // Each worker runs the job until nothing is left, like several worker processes would.
      let released = 0;
      await Promise.all(
        Array.from({ length: workers }, async () => {
          for (;;) {
            const r = await releaseDuePayouts(ctx, { limit: 500 });
            released += r.released;
            if (r.released === 0 && r.skipped === 0) break;
          }
        }),
      );
      const ms = performance.now() - started;
      const rows = await db
        .selectFrom('payouts')
        .select(['status', sql<number | string>`count(*)`.as('n')])
        .groupBy('status')
        .execute();
      const paid = Number(rows.find((r) => r.status === 'paid')?.n ?? 0);
      const total = rows.reduce((s, r) => s + Number(r.n), 0);
      const balance = await db
        .selectFrom('ledger_entries')
        .select(['currency', sql<number | string>`sum(amount)`.as('s')])
        .groupBy('currency')
        .execute();
      if (total !== stays.length || paid !== stays.length || released !== stays.length)
        throw new Error(
          `payouts ${kind}×${workers}: ${JSON.stringify(rows)}, released ${released}, stays ${stays.length}`,
        );
      if (balance.some((b) => Number(b.s) !== 0))
        throw new Error(`ledger unbalanced: ${JSON.stringify(balance)}`);
      const run = {
        provider: kind,
        workers,
        payouts: paid,
        ms: Math.round(ms),
        perSecond: Math.round((paid / ms) * 1000),
      };
      runs.push(run);
      o.log(
        `payouts ${kind} transfer, ${workers} worker(s): ${paid} payouts in ${run.ms} ms = ${run.perSecond}/s`,
      );
      // Back to before: no payouts, no payout postings.
      const refs = db.selectFrom('payouts').select('ledger_ref');
      const txs = db
        .selectFrom('ledger_transactions')
        .select('id')
        .where('reference_type', '=', 'payout')
        .where('reference_id', 'in', refs);
      await db.deleteFrom('ledger_entries').where('transaction_id', 'in', txs).execute();
      await db.deleteFrom('ledger_transactions').where('reference_type', '=', 'payout').execute();
      await db.deleteFrom('payouts').execute();
    }
  }
  return { stays: stays.length, hosts: hosts.length, seedMs, runs };
}
