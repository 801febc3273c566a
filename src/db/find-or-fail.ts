/** A row that must exist: the query's row, or a 404 naming what was missing (never a `!` that lies). */
import { notFound } from '../platform/errors.js';

export async function findOrFail<T>(query: Promise<T | undefined>, what: string): Promise<T> {
  const row = await query;
  if (row === undefined) throw notFound(what);
  return row;
}
