/** Receipts and payout statements, as JSON and PDF (mounted under /api/v1). */
import type { FastifyReply } from 'fastify';
import { Type } from 'typebox';
import * as documents from '../../flows/receipts.js';
import { bearerSecurity, requireActor } from '../../platform/auth.js';
import type { ServiceContext } from '../../platform/context.js';
import { described, idParams, problemResponses, type RoostApp } from '../../platform/http.js';
import { PayoutStatementSchema, ReceiptSchema } from './receipts.schemas.js';

const IdParams = idParams('The booking id', 'e4a7c2d9-1b3f-4e5a-8c6d-0f2b4a6c8e1d');

const StatementQuery = Type.Object(
  {
    month: Type.String({
      pattern: '^2[0-9]{3}-(0[1-9]|1[0-2])$',
      maxLength: 7,
      description: 'YYYY-MM (UTC): money recorded in the ledger that month',
      examples: ['2026-05'],
    }),
    hostId: Type.Optional(
      Type.String({
        format: 'uuid',
        description: 'Admins: whose statement (required). Hosts: omit, or their own id',
        examples: ['0d9f8e7c-6b5a-4e3d-8c2b-1a0f9e8d7c6b'],
      }),
    ),
  },
  { additionalProperties: false },
);

/** A PDF answer, documented as binary. */
const pdfResponse = (description: string) =>
  ({
    description,
    headers: {
      'content-disposition': { type: 'string', description: 'attachment; filename="<number>.pdf"' },
    },
    content: {
      'application/pdf': {
        schema: { type: 'string', contentMediaType: 'application/pdf', description: 'The PDF bytes' },
        example: '%PDF-1.3 …',
      },
    },
  }) as unknown as ReturnType<typeof Type.Unknown>;

export async function receiptsRoutes(app: RoostApp, { ctx }: { ctx: ServiceContext }) {
  const security = bearerSecurity;

  app.get(
    '/bookings/:id/receipt',
    {
      schema: {
        tags: ['bookings'],
        security,
        operationId: 'getBookingReceipt',
        summary: "A booking's receipt",
        description:
          'The receipt of a paid booking: platform details, the guest, the listing and stay, line items ' +
          '(nights with consecutive equal prices collapsed, cleaning fee, service fee, each tax with its ' +
          'rate) summing to the total, payments (provider reference masked), refunds, and the net paid. ' +
          'For the booking’s guest (its addressee), its host and admins; 404 for anyone else. 409 ' +
          '`receipt_not_available` while no payment of the booking has succeeded. Same receipt as a PDF: ' +
          '`GET /api/v1/bookings/{id}/receipt.pdf`.',
        params: IdParams,
        response: {
          200: described(ReceiptSchema, 'The receipt'),
          ...problemResponses(400, 401, 404, 409),
        },
      },
    },
    async (req) => documents.bookingReceipt(ctx, requireActor(req), req.params.id),
  );

  app.get(
    '/bookings/:id/receipt.pdf',
    {
      schema: {
        tags: ['bookings'],
        security,
        operationId: 'getBookingReceiptPdf',
        summary: "A booking's receipt as a PDF",
        description:
          'The receipt of `GET /api/v1/bookings/{id}/receipt` as an A4 PDF (an attachment named after ' +
          'the receipt number). Same access and errors.',
        params: IdParams,
        response: {
          200: pdfResponse('The receipt (application/pdf)'),
          ...problemResponses(400, 401, 404, 409),
        },
      },
    },
    async (req, reply) => {
      const { receipt, pdf } = await documents.bookingReceiptPdf(ctx, requireActor(req), req.params.id);
      return sendPdf(reply, pdf, receipt.receiptNumber);
    },
  );

  app.get(
    '/host/payouts/statement',
    {
      schema: {
        tags: ['payments'],
        security,
        operationId: 'getPayoutStatement',
        summary: 'My payout statement for a month',
        description:
          'Hosts: a month’s statement from the ledger — one line per booking with a charge or refund ' +
          'recorded that month (guest first name, listing, stay, host share charged and refunded), ' +
          'payouts (empty until payouts are made), and totals per currency whose `net` equals the ' +
          'month’s `GET /api/v1/host/payouts/report`. Admins pass `hostId` (400 `host_id_required` ' +
          'without it). A host asking for another host’s, or a guest: 403. As a PDF: ' +
          '`GET /api/v1/host/payouts/statement.pdf`.',
        querystring: StatementQuery,
        response: {
          200: described(PayoutStatementSchema, 'The statement'),
          ...problemResponses(400, 401, 403, 404, 409),
        },
      },
    },
    async (req) => documents.payoutStatement(ctx, requireActor(req), req.query),
  );

  app.get(
    '/host/payouts/statement.pdf',
    {
      schema: {
        tags: ['payments'],
        security,
        operationId: 'getPayoutStatementPdf',
        summary: 'My payout statement as a PDF',
        description:
          'The statement of `GET /api/v1/host/payouts/statement` as an A4 PDF (an attachment named ' +
          'after the statement number). Same access and errors.',
        querystring: StatementQuery,
        response: {
          200: pdfResponse('The statement (application/pdf)'),
          ...problemResponses(400, 401, 403, 404, 409),
        },
      },
    },
    async (req, reply) => {
      const { statement, pdf } = await documents.payoutStatementPdf(ctx, requireActor(req), req.query);
      return sendPdf(reply, pdf, statement.statementNumber);
    },
  );
}

function sendPdf(reply: FastifyReply, pdf: Buffer, number: string) {
  return reply
    .header('content-type', 'application/pdf')
    .header('content-disposition', `attachment; filename="${number.replace(/[^A-Za-z0-9-]/g, '')}.pdf"`)
    .header('cache-control', 'private, no-store')
    .send(pdf);
}
