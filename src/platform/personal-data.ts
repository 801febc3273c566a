/**
 * Helpers for erasing a person from free-form JSON written about them into other people's rows
 * (notification data, email payloads): which rows may mention them (a text search on the JSON), and the
 * JSON with every mention replaced. Used by the privacy flow (src/flows/privacy.ts) through each module.
 */
import { type Kysely, type RawBuilder, type SqlBool, sql } from 'kysely';
import { sqlFamily } from '../db/dialect.js';
import type { DB } from '../db/schema/index.js';

/** What identifies an erased person in other people's JSON. */
export interface Mentions {
  /** Text containing one of these (email address, phone number, full name) has it cut out. */
  fragments: string[];
  /**
   * Their messages: an object carrying one of these ids (`messageId`) is about a message they wrote,
   * so its `preview` and `fromName` are replaced. (A first name alone is matched only there: elsewhere
   * it may well be somebody else's.)
   */
  messageIds: ReadonlySet<string>;
}

export const ERASED_TEXT = '[deleted]';
export const ERASED_NAME = 'Deleted user';

const likeEscape = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/** The needles a row's JSON text contains when it may mention the person (a cheap pre-filter). */
const needles = (m: Mentions) => [...m.fragments.filter((f) => f.length > 0), ...m.messageIds];

/**
 * A condition: the JSON column's text contains one of the mentions (undefined when there is none). One
 * LIKE per needle: fine for the few mentions of one person; the rows it finds are checked in full.
 */
export function mayMention(db: Kysely<DB>, column: string, m: Mentions): RawBuilder<SqlBool> | undefined {
  const all = needles(m);
  if (all.length === 0) return undefined;
  const col = sql.ref(column);
  const text = sqlFamily(db) === 'mysql' ? sql`cast(${col} as char)` : sql`cast(${col} as text)`;
  return sql<SqlBool>`(${sql.join(
    all.map((n) => sql`${text} like ${`%${likeEscape(n)}%`}`),
    sql` or `,
  )})`;
}

/** `value` with every mention replaced; `changed` says whether there was any. */
export function scrubMentions(value: unknown, m: Mentions): { value: unknown; changed: boolean } {
  let changed = false;
  const fragments = m.fragments.filter((f) => f.length > 0);
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') {
      let out = v;
      for (const f of fragments) {
        if (out.includes(f)) {
          changed = true;
          out = out.split(f).join(ERASED_TEXT);
        }
      }
      return out;
    }
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      const theirs = typeof o['messageId'] === 'string' && m.messageIds.has(o['messageId']);
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(o)) {
        const replacement =
          theirs && k === 'preview' ? ERASED_TEXT : theirs && k === 'fromName' ? ERASED_NAME : undefined;
        if (replacement !== undefined) {
          if (x !== replacement) changed = true;
          out[k] = replacement;
        } else out[k] = walk(x);
      }
      return out;
    }
    return v;
  };
  const scrubbed = walk(value);
  return { value: scrubbed, changed };
}

/** A JSON column as read: an object on PostgreSQL, a string on MySQL. */
export function parseJson(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
}
