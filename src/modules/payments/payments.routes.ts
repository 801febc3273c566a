import { Type } from 'typebox';
import type { ServiceContext } from '../../platform/context.js';
import { problemResponses, type RoostApp } from '../../platform/http.js';
import { handleWebhook } from './payments.service.js';

export async function paymentsRoutes(app: RoostApp, { ctx }: { ctx: ServiceContext }) {
  // Signatures are computed over the exact bytes sent, so this scope keeps JSON bodies as raw strings.
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => done(null, body));

  app.post(
    '/webhooks/:provider',
    {
      schema: {
        tags: ['payments'],
        summary: 'Provider webhooks (signature-verified; a repeated event id changes nothing)',
        params: Type.Object({ provider: Type.Enum(['sandbox', 'stripe']) }),
        response: {
          200: Type.Object({ received: Type.Boolean(), duplicate: Type.Boolean() }),
          ...problemResponses(400, 404),
        },
      },
    },
    async (req) => handleWebhook(ctx, req.params.provider, String(req.body ?? ''), req.headers),
  );
}
