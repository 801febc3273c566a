import type { Kysely, Selectable } from 'kysely';
import { insertReturning } from '../../db/dialect.js';
import type { DB } from '../../db/schema/index.js';
import type { PropertyPhotosTable } from '../../db/schema/properties.js';

export type PhotoRow = Selectable<PropertyPhotosTable>;

/** The listing's photos in order, locked (photo changes of one listing are serialized). */
export function lockPhotos(db: Kysely<DB>, propertyId: string): Promise<PhotoRow[]> {
  return db
    .selectFrom('property_photos')
    .selectAll()
    .where('property_id', '=', propertyId)
    .orderBy('position')
    .forUpdate()
    .execute();
}

export function insertPhoto(db: Kysely<DB>, row: Omit<PhotoRow, 'created_at'>) {
  return insertReturning(db, 'property_photos', row);
}

export async function deletePhoto(db: Kysely<DB>, id: string) {
  await db.deleteFrom('property_photos').where('id', '=', id).execute();
}

/** Positions follow `order`; when `coverId` is given it becomes the only cover. */
export async function reorder(db: Kysely<DB>, propertyId: string, order: string[], coverId?: string) {
  for (const [position, id] of order.entries()) {
    await db
      .updateTable('property_photos')
      .set({ position, ...(coverId ? { is_cover: id === coverId } : {}) })
      .where('id', '=', id)
      .where('property_id', '=', propertyId)
      .execute();
  }
}

/** Photos of many properties in one query, in display order. */
export async function photosOf(db: Kysely<DB>, ids: string[]): Promise<Map<string, PhotoRow[]>> {
  const out = new Map<string, PhotoRow[]>(ids.map((id) => [id, []]));
  if (ids.length === 0) return out;
  const rows = await db
    .selectFrom('property_photos')
    .selectAll()
    .where('property_id', 'in', ids)
    .orderBy('position')
    .execute();
  for (const r of rows) out.get(r.property_id)?.push(r);
  return out;
}

/**
 * The cover photo of each of many properties, in one query (a search page's ids): the photo marked as
 * cover, else the first by position. Reads at most two rows per property, through the (property_id,
 * position) index.
 */
export async function coverPhotosOf(db: Kysely<DB>, ids: readonly string[]): Promise<Map<string, PhotoRow>> {
  const out = new Map<string, PhotoRow>();
  if (ids.length === 0) return out;
  const rows = await db
    .selectFrom('property_photos')
    .selectAll()
    .where('property_id', 'in', [...ids])
    .where((eb) => eb.or([eb('is_cover', '=', true), eb('position', '=', 0)]))
    .orderBy('position')
    .execute();
  for (const r of rows) {
    const seen = out.get(r.property_id);
    if (!seen || (r.is_cover && !seen.is_cover)) out.set(r.property_id, r);
  }
  return out;
}
