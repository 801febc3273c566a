/**
 * The properties module's part of the privacy tools (src/flows/privacy.ts): a host's listings (with
 * photo metadata, amenities and calendar overrides) for their data export, and erasing what identifies
 * the host in them when the account is erased.
 */
import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema/index.js';
import type { ServiceContext } from '../../platform/context.js';
import type { FileStore } from '../../platform/file-store.js';
import { isoOrNull } from '../../platform/instants.js';
import { invalidateProperty } from './properties.service.js';

/** Every listing the user hosts (deleted ones included), with photos, amenities and calendar. */
export async function exportListings(db: Kysely<DB>, hostId: string) {
  const rows = await db
    .selectFrom('properties')
    .selectAll()
    .where('host_id', '=', hostId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  const ids = rows.map((r) => r.id);
  const [photos, amenities, calendar] =
    ids.length === 0
      ? [[], [], []]
      : await Promise.all([
          db
            .selectFrom('property_photos')
            .selectAll()
            .where('property_id', 'in', ids)
            .orderBy('position')
            .execute(),
          db.selectFrom('property_amenities').selectAll().where('property_id', 'in', ids).execute(),
          db
            .selectFrom('property_calendar')
            .selectAll()
            .where('property_id', 'in', ids)
            .orderBy('night')
            .execute(),
        ]);
  return rows.map((p) => {
    const { geo: _geo, city_key: _key, ...rest } = p;
    return {
      ...rest,
      created_at: isoOrNull(p.created_at),
      updated_at: isoOrNull(p.updated_at),
      published_at: isoOrNull(p.published_at),
      deleted_at: isoOrNull(p.deleted_at),
      amenities: amenities.filter((a) => a.property_id === p.id).map((a) => a.amenity_code),
      photos: photos
        .filter((ph) => ph.property_id === p.id)
        .map((ph) => ({
          id: ph.id,
          contentType: ph.content_type,
          bytes: ph.bytes,
          position: ph.position,
          isCover: ph.is_cover,
          caption: ph.caption,
          url: `/media/${ph.storage_key}`,
          createdAt: isoOrNull(ph.created_at),
        })),
      calendar: calendar
        .filter((c) => c.property_id === p.id)
        .map((c) => ({ night: c.night, blocked: c.blocked, priceOverride: c.price_override })),
    };
  });
}

/**
 * An erased host's listings (in the caller's transaction): unlisted, the street address and the private
 * arrival details cleared, the position rounded to about a kilometre, photos deleted. Title, description
 * and prices stay (past guests' bookings and reviews refer to the listing). Returns the listings and the
 * storage keys of the deleted photos (their files are deleted after the commit: `deletePhotoFiles`).
 */
export async function eraseHostListings(
  trx: Kysely<DB>,
  hostId: string,
  now: Date,
): Promise<{ propertyIds: string[]; photoKeys: string[] }> {
  const rows = await trx
    .selectFrom('properties')
    .select(['id', 'latitude', 'longitude'])
    .where('host_id', '=', hostId)
    .forUpdate()
    .execute();
  const ids = rows.map((r) => r.id);
  if (ids.length === 0) return { propertyIds: [], photoKeys: [] };
  for (const r of rows) {
    await trx
      .updateTable('properties')
      .set({
        status: 'unlisted',
        street: '',
        postal_code: null,
        checkin_details: null,
        latitude: Math.round(Number(r.latitude) * 100) / 100,
        longitude: Math.round(Number(r.longitude) * 100) / 100,
        updated_at: now,
      })
      .where('id', '=', r.id)
      .execute();
  }
  const photos = await trx
    .selectFrom('property_photos')
    .select('storage_key')
    .where('property_id', 'in', ids)
    .execute();
  await trx.deleteFrom('property_photos').where('property_id', 'in', ids).execute();
  return { propertyIds: ids, photoKeys: [...new Set(photos.map((p) => p.storage_key))] };
}

/**
 * After the erasure committed: the photo files no other listing uses are deleted (files are named by
 * their content, so another photo may share one), and the listings' cached views dropped.
 */
export async function afterHostErased(
  ctx: ServiceContext,
  files: FileStore | undefined,
  erased: { propertyIds: string[]; photoKeys: string[] },
): Promise<void> {
  if (files && erased.photoKeys.length > 0) {
    const still = await ctx.db
      .selectFrom('property_photos')
      .select('storage_key')
      .where('storage_key', 'in', erased.photoKeys)
      .execute();
    const used = new Set(still.map((s) => s.storage_key));
    for (const key of erased.photoKeys) if (!used.has(key)) await files.delete(key);
  }
  for (const id of erased.propertyIds) await invalidateProperty(ctx, id);
}
