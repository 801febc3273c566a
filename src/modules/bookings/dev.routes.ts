/**
 * Development-only operations under /api/v1/dev, registered only outside production (in production the
 * paths do not exist: 404). Admins only. They stand in for the passing of time in a walk-through: on the
 * embedded database the server holds the data directory, so a command-line tool cannot change it while
 * the server runs (`npm run demo -- complete-stay <id>` does the same on PostgreSQL/MySQL).
 */
import { Type } from 'typebox';
import { assertRole, bearerSecurity, requireActor } from '../../platform/auth.js';
import type { ServiceContext } from '../../platform/context.js';
import { described, problemResponses, type RoostApp } from '../../platform/http.js';
import { BOOKING_EXAMPLE, BookingSchema } from './bookings.schemas.js';
import * as bookings from './bookings.service.js';

export async function devRoutes(app: RoostApp, { ctx }: { ctx: ServiceContext }) {
  app.post(
    '/bookings/:id/complete-stay',
    {
      // An admin's action on someone's booking: audited like every admin route (src/platform/audit.ts).
      config: { audit: { action: 'booking.complete_stay', objectType: 'booking' } },
      schema: {
        tags: ['development'],
        security: bearerSecurity,
        operationId: 'completeStayEarly',
        summary: 'Complete a stay now (development only)',
        description:
          'Development only: absent in production (404), and not in the committed openapi.json. Admins ' +
          'move a confirmed stay into the past and complete it, so that it can be reviewed in a ' +
          'walk-through without waiting for check-out.',
        params: Type.Object({
          id: Type.String({ format: 'uuid', description: 'The booking id', examples: [BOOKING_EXAMPLE.id] }),
        }),
        response: {
          200: {
            ...described(BookingSchema, 'The booking, now completed'),
            examples: [{ ...BOOKING_EXAMPLE, status: 'completed', holdExpiresAt: null }],
          },
          ...problemResponses(401, 403, 404, 409),
        },
      },
    },
    async (req) => {
      const actor = requireActor(req);
      assertRole(actor, 'admin');
      return bookings.completeStayEarly(ctx, actor, req.params.id);
    },
  );
}
