/**
 * The write side of taxes by jurisdiction (`tax_rates`), for admins: list, create, replace, delete.
 * How rates apply to a stay is tax-rates.service.ts. Each change is one transaction with its audit row
 * (`tax_rate.create|update|delete`); once committed, cached search pages are dropped (they show stay
 * totals with taxes). Quotes and bookings read the table on every request, so they see a change at once.
 */
import type { Transaction } from 'kysely';
import { isUniqueViolation } from '../../db/dialect.js';
import type { DB } from '../../db/schema/index.js';
import { afterCommit, inTransaction } from '../../db/transaction.js';
import { recordAdminAction } from '../../platform/audit.js';
import { type Actor, assertRole } from '../../platform/auth.js';
import type { ServiceContext } from '../../platform/context.js';
import { newId } from '../../platform/crypto.js';
import { badRequest, conflict, type FieldError, notFound } from '../../platform/errors.js';
import * as repo from './tax-rates.repository.js';
import type { TaxRateInput, TaxRateView } from './tax-rates.schemas.js';
import { forgetTaxRates } from './tax-rates.service.js';

export function toTaxRateView(r: repo.TaxRateRow): TaxRateView {
  return {
    id: r.id,
    countryCode: r.country_code,
    region: r.region === '' ? null : r.region,
    name: r.name,
    kind: r.kind,
    rateBps: r.rate_bps === null ? null : Number(r.rate_bps),
    amount: r.amount === null ? null : Number(r.amount),
    currency: r.currency,
    perGuest: Boolean(r.per_guest),
    createdAt: new Date(r.created_at).toISOString(),
    updatedAt: new Date(r.updated_at).toISOString(),
  };
}

/** What the audit log keeps of a rate: the rate itself (no personal data, no timestamps). */
function snapshot(r: repo.TaxRateRow): Record<string, unknown> {
  const { createdAt: _c, updatedAt: _u, id: _i, ...rest } = toTaxRateView(r);
  return rest;
}

export async function listTaxRates(
  ctx: ServiceContext,
  actor: Actor,
  q: { country?: string | undefined },
): Promise<{ items: TaxRateView[] }> {
  assertRole(actor, 'admin');
  const rows = await repo.listTaxRates(ctx.db, q.country);
  return { items: rows.map(toTaxRateView) };
}

interface TaxRateValues {
  country_code: string;
  region: string;
  name: string;
  kind: 'percent' | 'per_night';
  rate_bps: number | null;
  amount: number | null;
  currency: string | null;
  per_guest: boolean;
}

/**
 * The row a body describes, after the rules of its kind (every violation named by its field): a
 * percentage takes `rateBps` and nothing else; a per-night tax takes `amount` and `currency`, and
 * optionally `perGuest`, but no `rateBps`.
 */
export function taxRateValues(input: TaxRateInput): TaxRateValues {
  const errors: FieldError[] = [];
  const required = (field: string, present: boolean) => {
    if (!present) errors.push({ field, message: `is required for a ${input.kind} tax`, in: 'body' });
  };
  const forbidden = (field: string, present: boolean) => {
    if (present) errors.push({ field, message: `is not allowed for a ${input.kind} tax`, in: 'body' });
  };
  if (input.kind === 'percent') {
    required('rateBps', input.rateBps !== undefined);
    forbidden('amount', input.amount !== undefined);
    forbidden('currency', input.currency !== undefined);
    forbidden('perGuest', input.perGuest !== undefined);
  } else {
    forbidden('rateBps', input.rateBps !== undefined);
    required('amount', input.amount !== undefined);
    required('currency', input.currency !== undefined);
  }
  if (errors.length > 0) {
    const detail = errors.map((e) => `${e.field} ${e.message}`).join('; ');
    throw badRequest('validation_error', detail, errors);
  }
  const percent = input.kind === 'percent';
  return {
    country_code: input.countryCode,
    region: (input.region ?? '').trim(),
    name: input.name.trim(),
    kind: input.kind,
    rate_bps: percent ? (input.rateBps ?? null) : null,
    amount: percent ? null : (input.amount ?? null),
    currency: percent ? null : (input.currency ?? null),
    per_guest: percent ? false : (input.perGuest ?? false),
  };
}

const exists = (v: TaxRateValues) =>
  conflict(
    'tax_rate_exists',
    `${v.country_code}${v.region ? ` (${v.region})` : ''} already has a tax named "${v.name}"`,
  );

/** 409 `tax_rate_exists` when the jurisdiction already has a rate of this name (case-insensitively). */
async function assertUnique(trx: Transaction<DB>, v: TaxRateValues, exceptId?: string): Promise<void> {
  const same = await repo.findSameTaxRate(
    trx,
    { countryCode: v.country_code, region: v.region, name: v.name },
    exceptId,
  );
  if (same) throw exists(v);
}

/** The unique key caught a concurrent insert of the same rate: the same 409. */
async function uniquely<T>(v: TaxRateValues, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (isUniqueViolation(err)) throw exists(v);
    throw err;
  }
}

export async function createTaxRate(
  ctx: ServiceContext,
  actor: Actor,
  input: TaxRateInput,
): Promise<TaxRateView> {
  assertRole(actor, 'admin');
  const values = taxRateValues(input);
  const row = await uniquely(values, () =>
    inTransaction(ctx.db, async (trx) => {
      await assertUnique(trx, values);
      const now = ctx.now();
      const created = await repo.insertTaxRate(trx, {
        id: newId(),
        ...values,
        created_at: now,
        updated_at: now,
      });
      await recordAdminAction(ctx, trx, actor, {
        action: 'tax_rate.create',
        objectType: 'tax_rate',
        objectId: created.id,
        before: null,
        after: snapshot(created),
      });
      afterCommit(trx, () => {
        forgetTaxRates(ctx);
        return ctx.cache.bump('search');
      });
      return created;
    }),
  );
  return toTaxRateView(row);
}

export async function replaceTaxRate(
  ctx: ServiceContext,
  actor: Actor,
  id: string,
  input: TaxRateInput,
): Promise<TaxRateView> {
  assertRole(actor, 'admin');
  const values = taxRateValues(input);
  const row = await uniquely(values, () =>
    inTransaction(ctx.db, async (trx) => {
      const before = await repo.lockTaxRate(trx, id);
      if (!before) throw notFound('Tax rate');
      await assertUnique(trx, values, id);
      const updated = await repo.updateTaxRate(trx, id, { ...values, updated_at: ctx.now() });
      await recordAdminAction(ctx, trx, actor, {
        action: 'tax_rate.update',
        objectType: 'tax_rate',
        objectId: id,
        before: snapshot(before),
        after: snapshot(updated),
      });
      afterCommit(trx, () => {
        forgetTaxRates(ctx);
        return ctx.cache.bump('search');
      });
      return updated;
    }),
  );
  return toTaxRateView(row);
}

export async function deleteTaxRate(ctx: ServiceContext, actor: Actor, id: string): Promise<void> {
  assertRole(actor, 'admin');
  await inTransaction(ctx.db, async (trx) => {
    const before = await repo.lockTaxRate(trx, id);
    if (!before) throw notFound('Tax rate');
    await repo.deleteTaxRate(trx, id);
    await recordAdminAction(ctx, trx, actor, {
      action: 'tax_rate.delete',
      objectType: 'tax_rate',
      objectId: id,
      before: snapshot(before),
      after: null,
    });
    afterCommit(trx, () => {
      forgetTaxRates(ctx);
      return ctx.cache.bump('search');
    });
  });
}
