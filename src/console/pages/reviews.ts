/** Reviews: moderation list, hide/unhide with a reason. */
import { setHidden } from '../../flows/reviews.js';
import { adminListReviews } from '../../modules/reviews/reviews.service.js';
import type { RoostApp } from '../../platform/http.js';
import {
  adminRoute,
  blank,
  type ConsoleDeps,
  form,
  idParams,
  optCursor,
  optEnum,
  optId,
  PAGE_SIZE,
  query,
  reason,
  redirectWith,
  runAction,
  sendPage,
} from '../http.js';

const ReviewsQuery = query({ hidden: optEnum(['yes', 'no']), propertyId: optId(), cursor: optCursor() });

export function reviewPages(app: RoostApp, { ctx, secure }: ConsoleDeps) {
  app.get('/reviews', adminRoute({ querystring: ReviewsQuery }), async (req, reply) => {
    const q = req.query;
    const page = await adminListReviews(ctx, req.actor!, {
      hidden: q.hidden === 'yes' ? true : q.hidden === 'no' ? false : undefined,
      propertyId: blank(q.propertyId),
      limit: PAGE_SIZE,
      cursor: blank(q.cursor),
    });
    return sendPage(req, reply, 'reviews', { q, page }, { title: 'Reviews', section: 'Reviews' });
  });

  for (const hidden of [true, false]) {
    app.post(
      `/reviews/:id/${hidden ? 'hide' : 'unhide'}`,
      adminRoute({ params: idParams, body: form({ reason: reason() }) }),
      (req, reply) =>
        runAction(reply, {
          secure,
          to: '/admin/reviews',
          ok: hidden ? 'Review hidden.' : 'Review shown again.',
          run: () => setHidden(ctx, req.actor!, req.params.id, hidden, req.body.reason),
          // The list is long: back to it with the problem (the action changed nothing).
          rerender: async (flash) => redirectWith(reply, '/admin/reviews', flash, secure),
        }),
    );
  }
}
