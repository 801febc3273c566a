/** Bounded input primitives shared by the modules' schemas (REST and GraphQL validate with the same). */
import { Type } from 'typebox';

/**
 * A calendar date, YYYY-MM-DD, that exists (no 2030-02-30) in the years 2000–2999: every date the
 * marketplace deals in, and one day past any of them still fits PostgreSQL's and MySQL's DATE.
 */
export const DateOnly = Type.String({
  format: 'date',
  pattern: '^2[0-9]{3}-[0-9]{2}-[0-9]{2}$',
  maxLength: 10,
  description: 'YYYY-MM-DD (years 2000–2999)',
});
