/** Listing photos: uploaded by the host, ordered, one cover. */
import { inTransaction } from '../../db/transaction.js';
import type { Actor } from '../../platform/auth.js';
import type { ServiceContext } from '../../platform/context.js';
import { newId } from '../../platform/crypto.js';
import { AppError, conflict, invalidField, notFound } from '../../platform/errors.js';
import { type FileStore, sniffImage } from '../../platform/file-store.js';
import * as repo from './photos.repository.js';
import { invalidateProperty, ownedProperty, toPhotoView } from './properties.service.js';

export const MAX_PHOTOS = 50;

export async function addPhoto(
  ctx: ServiceContext,
  files: FileStore,
  actor: Actor,
  propertyId: string,
  upload: { bytes: Buffer; caption?: string | undefined },
) {
  await ownedProperty(ctx, actor, propertyId);
  const kind = sniffImage(upload.bytes);
  if (!kind) {
    throw new AppError(415, 'unsupported_image', 'Photos must be JPEG, PNG or WebP images', [
      { field: 'file', message: 'is not a JPEG, PNG or WebP image', in: 'body' },
    ]);
  }
  if (upload.caption && upload.caption.length > 200)
    throw invalidField('caption', 'must be at most 200 characters');
  const key = await files.put(upload.bytes, kind.extension);
  const row = await inTransaction(ctx.db, async (trx) => {
    const existing = await repo.lockPhotos(trx, propertyId);
    if (existing.length >= MAX_PHOTOS)
      throw conflict('too_many_photos', `A listing has at most ${MAX_PHOTOS} photos`);
    return repo.insertPhoto(trx, {
      id: newId(),
      property_id: propertyId,
      storage_key: key,
      content_type: kind.contentType,
      bytes: upload.bytes.length,
      position: existing.length,
      is_cover: existing.length === 0,
      caption: upload.caption ?? null,
    });
  });
  await invalidateProperty(ctx, propertyId);
  return toPhotoView(row);
}

export async function deletePhoto(ctx: ServiceContext, actor: Actor, propertyId: string, photoId: string) {
  await ownedProperty(ctx, actor, propertyId);
  await inTransaction(ctx.db, async (trx) => {
    const photos = await repo.lockPhotos(trx, propertyId);
    const photo = photos.find((p) => p.id === photoId);
    if (!photo) throw notFound('Photo');
    await repo.deletePhoto(trx, photoId);
    const rest = photos.filter((p) => p.id !== photoId);
    await repo.reorder(
      trx,
      propertyId,
      rest.map((p) => p.id),
      photo.is_cover ? rest[0]?.id : undefined,
    );
  });
  await invalidateProperty(ctx, propertyId);
}

/** Put the photos in the given order (every photo exactly once). */
export async function reorderPhotos(ctx: ServiceContext, actor: Actor, propertyId: string, order: string[]) {
  await ownedProperty(ctx, actor, propertyId);
  const photos = await inTransaction(ctx.db, async (trx) => {
    const current = await repo.lockPhotos(trx, propertyId);
    const ids = new Set(current.map((p) => p.id));
    if (
      order.length !== ids.size ||
      new Set(order).size !== order.length ||
      !order.every((id) => ids.has(id))
    ) {
      throw invalidField('photoIds', 'must list every photo of the listing exactly once');
    }
    await repo.reorder(trx, propertyId, order);
    return (await repo.lockPhotos(trx, propertyId)).map(toPhotoView);
  });
  await invalidateProperty(ctx, propertyId);
  return photos;
}

export async function setCover(ctx: ServiceContext, actor: Actor, propertyId: string, photoId: string) {
  await ownedProperty(ctx, actor, propertyId);
  const photos = await inTransaction(ctx.db, async (trx) => {
    const current = await repo.lockPhotos(trx, propertyId);
    if (!current.some((p) => p.id === photoId)) throw notFound('Photo');
    await repo.reorder(
      trx,
      propertyId,
      current.map((p) => p.id),
      photoId,
    );
    return (await repo.lockPhotos(trx, propertyId)).map(toPhotoView);
  });
  await invalidateProperty(ctx, propertyId);
  return photos;
}
