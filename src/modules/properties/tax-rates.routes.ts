/** The admin API over taxes by jurisdiction: list, create, replace and delete the rates of `tax_rates`. */
import { bearerSecurity, requireActor } from '../../platform/auth.js';
import type { ServiceContext } from '../../platform/context.js';
import { described, idParams, noContent, problemResponses, type RoostApp } from '../../platform/http.js';
import { createTaxRate, deleteTaxRate, listTaxRates, replaceTaxRate } from './tax-rates.admin.js';
import { MAX_TAX_RATES_LISTED } from './tax-rates.repository.js';
import {
  TAX_RATE_EXAMPLE,
  TaxRateBody,
  TaxRateListQuery,
  TaxRateListSchema,
  TaxRateSchema,
} from './tax-rates.schemas.js';

const TaxRateIdParams = idParams('The tax rate id', TAX_RATE_EXAMPLE.id);

const KIND_RULES =
  'A `percent` tax takes `rateBps` (1–5000, of the accommodation: nights − discount + extra guests + ' +
  'cleaning); a `per_night` tax takes `amount` (minor units per night, 1–100 000 000) and `currency` ' +
  '(it applies only to listings priced in that currency), and `perGuest` to charge it per guest. A field ' +
  'of the other kind, or a missing one, is 400 `validation_error` naming the field. `region` empty or ' +
  'absent: the whole country; else the rate applies to listings whose region matches (case-insensitively).';

const KEPT =
  'Bookings already made keep the taxes they were priced with (a change of their dates or guests is ' +
  'priced anew).';

export async function taxRatesRoutes(app: RoostApp, { ctx }: { ctx: ServiceContext }) {
  const tags = ['admin'];
  const security = bearerSecurity;

  app.get(
    '/',
    {
      schema: {
        tags,
        security,
        operationId: 'adminListTaxRates',
        summary: 'List tax rates',
        description:
          'Admin only. The taxes by jurisdiction that quotes, bookings and search apply, by country, ' +
          `region (country-wide first) and name; at most ${MAX_TAX_RATES_LISTED} (filter by \`country\`). ` +
          'A country with no rate gets the deployment’s default `TAX_BPS` as one tax, "Taxes".',
        querystring: TaxRateListQuery,
        response: {
          200: described(TaxRateListSchema, 'The tax rates'),
          ...problemResponses(400, 401, 403),
        },
      },
    },
    async (req) => listTaxRates(ctx, requireActor(req), req.query),
  );

  app.post(
    '/',
    {
      schema: {
        tags,
        security,
        operationId: 'adminCreateTaxRate',
        summary: 'Add a tax rate',
        description:
          `Admin only. ${KIND_RULES} 409 \`tax_rate_exists\` when the country and region already have a ` +
          'tax of that name (case-insensitively). New quotes, bookings and search prices apply it at once. ' +
          `${KEPT} Recorded in the audit log (\`tax_rate.create\`).`,
        body: TaxRateBody,
        response: {
          201: described(TaxRateSchema, 'The tax rate'),
          ...problemResponses(400, 401, 403, 409),
        },
      },
    },
    async (req, reply) => reply.code(201).send(await createTaxRate(ctx, requireActor(req), req.body)),
  );

  app.put(
    '/:id',
    {
      schema: {
        tags,
        security,
        operationId: 'adminReplaceTaxRate',
        summary: 'Replace a tax rate',
        description:
          `Admin only. The whole rate, as when adding one. ${KIND_RULES} 409 \`tax_rate_exists\` when ` +
          `another rate of the country and region has that name. ${KEPT} ` +
          'Recorded in the audit log (`tax_rate.update`, before and after).',
        params: TaxRateIdParams,
        body: TaxRateBody,
        response: {
          200: described(TaxRateSchema, 'The tax rate, replaced'),
          ...problemResponses(400, 401, 403, 404, 409),
        },
      },
    },
    async (req) => replaceTaxRate(ctx, requireActor(req), req.params.id, req.body),
  );

  app.delete(
    '/:id',
    {
      schema: {
        tags,
        security,
        operationId: 'adminDeleteTaxRate',
        summary: 'Delete a tax rate',
        description:
          `Admin only. New quotes, bookings and search prices no longer apply it. ${KEPT} ` +
          'A country left with no rate falls back to the default `TAX_BPS`. Recorded in the audit log ' +
          '(`tax_rate.delete`, with the rate as it was).',
        params: TaxRateIdParams,
        response: { 204: noContent('Deleted'), ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (req, reply) => {
      await deleteTaxRate(ctx, requireActor(req), req.params.id);
      return reply.code(204).send(null);
    },
  );
}
