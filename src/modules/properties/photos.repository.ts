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
