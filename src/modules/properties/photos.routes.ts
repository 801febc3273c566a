import multipart from '@fastify/multipart';
import { Type } from 'typebox';
import { bearerSecurity, requireActor } from '../../platform/auth.js';
import type { ServiceContext } from '../../platform/context.js';
import { badRequest } from '../../platform/errors.js';
import type { FileStore } from '../../platform/file-store.js';
import { problemResponses, type RoostApp } from '../../platform/http.js';
import { findUnsafeValue, unsafeInputError } from '../../platform/input.js';
import * as photos from './photos.service.js';

const Photo = Type.Object({
  id: Type.String(),
  url: Type.String(),
  contentType: Type.String(),
  position: Type.Integer(),
  isCover: Type.Boolean(),
  caption: Type.Union([Type.String(), Type.Null()]),
});
const Params = Type.Object({ id: Type.String({ format: 'uuid' }) });
const PhotoParams = Type.Object({
  id: Type.String({ format: 'uuid' }),
  photoId: Type.String({ format: 'uuid' }),
});

/**
 * The multipart parser throws plain errors for a body it cannot read (no boundary, a truncated part):
 * those are the client's, 400. Errors that carry a status (too large: 413) keep it.
 */
function malformedMultipart(err: unknown): never {
  if ((err as { statusCode?: number } | null)?.statusCode) throw err;
  throw badRequest(
    'malformed_multipart',
    'The multipart body could not be read (boundary, part headers or end missing)',
  );
}

/** Photo management under /api/v1/properties/:id/photos. */
export async function photosRoutes(app: RoostApp, { ctx, files }: { ctx: ServiceContext; files: FileStore }) {
  await app.register(multipart, {
    limits: { fileSize: ctx.config.PHOTO_MAX_BYTES, files: 1, fields: 5, parts: 6 },
  });
  const tags = ['photos'];
  const security = bearerSecurity;

  app.post(
    '/:id/photos',
    {
      schema: {
        tags,
        security,
        summary:
          'Upload a photo (multipart field `file`; JPEG, PNG or WebP by content; optional field `caption`)',
        consumes: ['multipart/form-data'],
        params: Params,
        response: { 201: Photo, ...problemResponses(400, 401, 403, 404, 409, 413, 415) },
      },
    },
    async (req, reply) => {
      const actor = requireActor(req);
      const file = await req.file().catch(malformedMultipart);
      if (!file) throw badRequest('file_required', 'Send the photo in a multipart field named "file"');
      const bytes = await file.toBuffer().catch(malformedMultipart);
      const captionField = file.fields['caption'];
      const caption =
        captionField && !Array.isArray(captionField) && captionField.type === 'field'
          ? String(captionField.value)
          : undefined;
      // Multipart fields are not a JSON body: the platform's input check is applied here.
      const unsafe = findUnsafeValue({ caption });
      if (unsafe) throw unsafeInputError(unsafe, 'body');
      const photo = await photos.addPhoto(ctx, files, actor, req.params.id, { bytes, caption });
      return reply.code(201).send(photo);
    },
  );

  app.delete(
    '/:id/photos/:photoId',
    {
      schema: {
        tags,
        security,
        summary: 'Remove a photo',
        params: PhotoParams,
        response: { 204: { type: 'null' }, ...problemResponses(401, 403, 404) },
      },
    },
    async (req, reply) => {
      await photos.deletePhoto(ctx, requireActor(req), req.params.id, req.params.photoId);
      return reply.code(204).send(null);
    },
  );

  app.put(
    '/:id/photos/order',
    {
      schema: {
        tags,
        security,
        summary: 'Set the display order (every photo id exactly once)',
        params: Params,
        body: Type.Object(
          { photoIds: Type.Array(Type.String({ format: 'uuid' }), { maxItems: 100 }) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Array(Photo), ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (req) => photos.reorderPhotos(ctx, requireActor(req), req.params.id, req.body.photoIds),
  );

  app.post(
    '/:id/photos/:photoId/cover',
    {
      schema: {
        tags,
        security,
        summary: 'Make a photo the cover',
        params: PhotoParams,
        response: { 200: Type.Array(Photo), ...problemResponses(401, 403, 404) },
      },
    },
    async (req) => photos.setCover(ctx, requireActor(req), req.params.id, req.params.photoId),
  );
}

/** GET /media/:key — stored files, cached forever (names are content hashes). */
export async function mediaRoutes(app: RoostApp, { files }: { files: FileStore }) {
  app.get(
    '/:key',
    { schema: { hide: true, params: Type.Object({ key: Type.String({ maxLength: 80 }) }) } },
    async (req, reply) => {
      const bytes = await files.get(req.params.key);
      if (!bytes) return reply.callNotFound();
      const type = req.params.key.endsWith('.png')
        ? 'image/png'
        : req.params.key.endsWith('.webp')
          ? 'image/webp'
          : 'image/jpeg';
      return reply
        .header('cache-control', 'public, max-age=31536000, immutable')
        .header('etag', `"${req.params.key.split('.')[0]}"`)
        .type(type)
        .send(bytes);
    },
  );
}
