/**
 * Keyset pagination cursors: opaque to clients (base64url JSON of the last row's sort key),
 * validated on the way back in so a tampered cursor is a 400, not a SQL error.
 */
import { type TSchema, Type } from 'typebox';
import { Value } from 'typebox/value';
import { badRequest } from './errors.js';
import { findUnsafeValue } from './input.js';

export function encodeCursor(key: unknown): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

export function decodeCursor<T>(cursor: string, schema: TSchema): T {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  // A cursor is client input too: the same hygiene as every other value (no NUL, no lone surrogates).
  if (parsed === undefined || !Value.Check(schema, parsed) || findUnsafeValue(parsed)) {
    throw badRequest('invalid_cursor', 'The cursor is not valid for this query', [
      { field: 'cursor', message: 'is not a cursor this endpoint issued', in: 'querystring' },
    ]);
  }
  return parsed as T;
}

export const PageQuery = {
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
  cursor: Type.Optional(Type.String({ maxLength: 1024, description: 'Opaque cursor from `nextCursor`' })),
};

export function pageOf<S extends TSchema>(item: S) {
  return Type.Object({
    items: Type.Array(item),
    nextCursor: Type.Union([Type.String(), Type.Null()], { description: 'Null on the last page' }),
  });
}

/**
 * Turns `limit + 1` fetched rows into a page: the first `limit` items, and a cursor (built from the
 * last item's sort key) only when another page exists.
 */
export function toPage<Row, Item>(
  rows: Row[],
  limit: number,
  view: (row: Row) => Item,
  cursorKey: (row: Row) => unknown,
): { items: Item[]; nextCursor: string | null } {
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    items: page.map(view),
    nextCursor: rows.length > limit && last !== undefined ? encodeCursor(cursorKey(last)) : null,
  };
}
