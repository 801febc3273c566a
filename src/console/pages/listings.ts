/** Listings: search, detail with photos and calendar, unlist/relist with a reason. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  adminListingDetail,
  adminSearchListings,
  setListedByAdmin,
} from '../../modules/properties/properties.service.js';
import type { RoostApp } from '../../platform/http.js';
import {
  adminRoute,
  blank,
  type ConsoleDeps,
  type Flash,
  form,
  idParams,
  optCursor,
  optEnum,
  optId,
  optText,
  PAGE_SIZE,
  query,
  reason,
  runAction,
  sendPage,
} from '../http.js';

const STATUSES = ['draft', 'listed', 'unlisted'] as const;

export function listingPages(app: RoostApp, { ctx, secure }: ConsoleDeps) {
  app.get(
    '/listings',
    adminRoute({
      querystring: query({
        q: optText(200),
        status: optEnum(STATUSES),
        hostId: optId(),
        cursor: optCursor(),
      }),
    }),
    async (req, reply) => {
      const q = req.query;
      const page = await adminSearchListings(ctx, req.actor!, {
        q: blank(q.q),
        status: blank(q.status),
        hostId: blank(q.hostId),
        limit: PAGE_SIZE,
        cursor: blank(q.cursor),
      });
      return sendPage(
        req,
        reply,
        'listings',
        { q, page, statuses: STATUSES },
        { title: 'Listings', section: 'Listings' },
      );
    },
  );

  async function showListing(
    req: FastifyRequest,
    reply: FastifyReply,
    id: string,
    flash?: Flash,
    status?: number,
  ) {
    const detail = await adminListingDetail(ctx, req.actor!, id);
    return sendPage(
      req,
      reply,
      'listing',
      { detail },
      {
        title: `Listing ${detail.listing.title}`,
        section: 'Listings',
        flash: flash ?? null,
        ...(status ? { status } : {}),
      },
    );
  }

  app.get('/listings/:id', adminRoute({ params: idParams }), (req, reply) =>
    showListing(req, reply, req.params.id),
  );

  for (const listed of [false, true]) {
    app.post(
      `/listings/:id/${listed ? 'relist' : 'unlist'}`,
      adminRoute({ params: idParams, body: form({ reason: reason() }) }),
      (req, reply) =>
        runAction(reply, {
          secure,
          to: `/admin/listings/${req.params.id}`,
          ok: listed ? 'Listing relisted.' : 'Listing unlisted.',
          run: () => setListedByAdmin(ctx, req.actor!, req.params.id, listed, req.body.reason),
          rerender: (flash, status) => showListing(req, reply, req.params.id, flash, status),
        }),
    );
  }
}
