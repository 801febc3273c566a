import multipart from '@fastify/multipart';
import { Type } from 'typebox';
import { bearerSecurity, requireActor } from '../../platform/auth.js';
import type { ServiceContext } from '../../platform/context.js';
import { badRequest } from '../../platform/errors.js';
import type { FileStore } from '../../platform/file-store.js';
import {
  described,
  noContent,
  problemResponses,
  publicSecurity,
  type RoostApp,
} from '../../platform/http.js';
import { findUnsafeValue, unsafeInputError } from '../../platform/input.js';
import * as photos from './photos.service.js';

const PHOTO_EXAMPLE = {
  id: '3f5a7c9e-1b2d-4f6a-8c0e-2d4f6a8c0e1b',
  url: '/media/9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08.jpg',
  contentType: 'image/jpeg',
  position: 0,
  isCover: true,
  caption: 'The terrace at sunset',
};
const SECOND_PHOTO_EXAMPLE = {
  id: 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d',
  url: '/media/2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae.webp',
  contentType: 'image/webp',
  position: 1,
  isCover: false,
  caption: null,
};
const Photo = Type.Object(
  {
    id: Type.String(),
    url: Type.String({ description: 'Path of the image under this API (`/media/{key}`)' }),
    contentType: Type.String(),
    position: Type.Integer({ description: 'Display order, from 0' }),
    isCover: Type.Boolean(),
    caption: Type.Union([Type.String(), Type.Null()]),
  },
  { title: 'Photo', examples: [PHOTO_EXAMPLE] },
);
const Photos = Type.Array(Photo, { examples: [[PHOTO_EXAMPLE, SECOND_PHOTO_EXAMPLE]] });
const Params = Type.Object({
  id: Type.String({
    format: 'uuid',
    description: 'The listing id',
    examples: ['7c2e4a10-3b8f-4d6e-a1c5-9f0b2d4e6a8c'],
  }),
});
const PhotoParams = Type.Object({
  id: Params.properties.id,
  photoId: Type.String({ format: 'uuid', description: 'The photo id', examples: [PHOTO_EXAMPLE.id] }),
});

/**
 * What the upload takes, for the OpenAPI document only: the handler reads the multipart parts itself
 * (`req.parts()`, in any order), so Fastify validates no body against this.
 */
const photoUploadForm = (maxBytes: number) =>
  Type.Object(
    {
      file: Type.String({
        format: 'binary',
        // The size limit (PHOTO_MAX_BYTES) in bytes: larger is 413.
        maxLength: maxBytes,
        description: `The image: JPEG, PNG or WebP (recognised by content), at most ${maxBytes} bytes`,
      }),
      caption: Type.Optional(Type.String({ maxLength: 200, description: 'Shown with the photo' })),
    },
    { additionalProperties: false },
  );

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
        operationId: 'uploadPropertyPhoto',
        summary: 'Upload a photo',
        description:
          'Its host adds a photo to the listing as `multipart/form-data`: the image in the field `file` ' +
          '(JPEG, PNG or WebP, recognised by its content: 415 `unsupported_image` otherwise) and an ' +
          'optional `caption`. The first photo becomes the cover. At most 50 photos (409 ' +
          '`too_many_photos`); too large a file is 413.',
        consumes: ['multipart/form-data'],
        params: Params,
        response: {
          201: described(Photo, 'The stored photo'),
          ...problemResponses(400, 401, 403, 404, 409, 413, 415),
        },
      },
      // The document describes the form (Swagger UI shows a file picker); Fastify does not validate it.
      config: {
        swaggerTransform: ({ schema, url }) => ({
          schema: { ...schema, body: photoUploadForm(ctx.config.PHOTO_MAX_BYTES) },
          url,
        }),
      },
    },
    async (req, reply) => {
      const actor = requireActor(req);
      // Every part is read, in whatever order it comes (browsers and Swagger UI may send the caption
      // after the file); the limits registered above bound how many and how large.
      let bytes: Buffer | undefined;
      let caption: string | undefined;
      try {
        for await (const part of req.parts()) {
          if (part.type === 'file') bytes = await part.toBuffer();
          else if (part.fieldname === 'caption') caption = String(part.value);
        }
      } catch (err) {
        malformedMultipart(err);
      }
      if (!bytes) throw badRequest('file_required', 'Send the photo in a multipart field named "file"');
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
        operationId: 'deletePropertyPhoto',
        summary: 'Remove a photo',
        description: 'Its host removes the photo from the listing; if it was the cover, the next one is.',
        params: PhotoParams,
        response: { 204: noContent('Removed'), ...problemResponses(401, 403, 404) },
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
        operationId: 'reorderPropertyPhotos',
        summary: 'Reorder photos',
        description:
          'Its host sets the display order: every photo id of the listing exactly once (400 otherwise).',
        params: Params,
        body: Type.Object(
          { photoIds: Type.Array(Type.String({ format: 'uuid' }), { maxItems: 100 }) },
          {
            additionalProperties: false,
            examples: [{ photoIds: [PHOTO_EXAMPLE.id, SECOND_PHOTO_EXAMPLE.id] }],
          },
        ),
        response: {
          200: described(Photos, 'The photos in their new order'),
          ...problemResponses(400, 401, 403, 404),
        },
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
        operationId: 'setPropertyCoverPhoto',
        summary: 'Make a photo the cover',
        description: 'Its host picks the photo search results and the listing show first.',
        params: PhotoParams,
        response: {
          200: described(Photos, 'The photos, this one the cover'),
          ...problemResponses(401, 403, 404),
        },
      },
    },
    async (req) => photos.setCover(ctx, requireActor(req), req.params.id, req.params.photoId),
  );
}

const image = (type: string) => ({
  schema: { type: 'string', contentMediaType: type, description: `The ${type} bytes` },
});
/** A stored image: its media type follows the key's extension (documentation of a binary answer). */
const MediaResponse = {
  description: 'The image',
  headers: {
    'cache-control': { type: 'string', description: 'public, max-age=31536000, immutable' },
    etag: { type: 'string', description: 'The content hash, quoted' },
  },
  content: {
    'image/jpeg': image('image/jpeg'),
    'image/png': image('image/png'),
    'image/webp': image('image/webp'),
  },
} as unknown as ReturnType<typeof Type.Unknown>;

/** GET /media/:key — stored files, cached forever (names are content hashes). */
export async function mediaRoutes(app: RoostApp, { files }: { files: FileStore }) {
  app.get(
    '/:key',
    {
      schema: {
        tags: ['media'],
        operationId: 'getMedia',
        summary: 'Get a stored image',
        description:
          'The bytes of a listing photo, by the key in its `url` (`/media/{key}`): the SHA-256 of the ' +
          'content and its extension. A key names one content forever, so the answer may be cached ' +
          'forever (`cache-control: immutable`).',
        security: publicSecurity,
        params: Type.Object({
          key: Type.String({
            maxLength: 80,
            description: 'SHA-256 (hex) of the image and its extension: jpg, png or webp',
            examples: ['9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08.jpg'],
          }),
        }),
        response: { 200: MediaResponse, ...problemResponses(404) },
      },
    },
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
