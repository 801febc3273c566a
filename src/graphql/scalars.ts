/**
 * Argument types that validate before anything runs: an id that is not a UUID or a date that does not
 * exist is refused while the request is validated (BAD_USER_INPUT, code `validation_error`), with the
 * same rules as the REST schemas. Output ids stay `ID`.
 */
import type { TSchema } from 'typebox';
import { Type } from 'typebox';
import { Value } from 'typebox/value';
import { DateOnly } from '../platform/schemas.js';
import { graphql } from './graphql-js.js';

const { GraphQLError, GraphQLScalarType, Kind } = graphql;

/** Extensions of a refused argument value: the REST code, and GraphQL's usual classification. */
export const badUserInput = { code: 'validation_error', status: 400, classification: 'BAD_USER_INPUT' };

function stringScalar(name: string, description: string, schema: TSchema, message: string) {
  const parse = (value: unknown): string => {
    if (typeof value !== 'string' || !Value.Check(schema, value)) {
      throw new GraphQLError(`${name} ${message}`, { extensions: badUserInput });
    }
    return value;
  };
  return new GraphQLScalarType({
    name,
    description,
    serialize: (value) => String(value),
    parseValue: parse,
    parseLiteral: (ast) => {
      if (ast.kind !== Kind.STRING)
        throw new GraphQLError(`${name} must be a string`, { extensions: badUserInput });
      return parse(ast.value);
    },
  });
}

export const UUIDScalar = stringScalar(
  'UUID',
  'A UUID, e.g. 7c9e6679-7425-40de-944b-e07fc1f90ae7',
  Type.String({ format: 'uuid', maxLength: 36 }),
  'must be a UUID',
);

export const DateScalar = stringScalar(
  'Date',
  'A calendar date, YYYY-MM-DD (years 2000–2999)',
  DateOnly,
  'must be an existing date YYYY-MM-DD in the years 2000–2999',
);

/** Any JSON value, output only (a notification's data, a real-time event's object); no argument takes it. */
export const JSONScalar = new GraphQLScalarType({
  name: 'JSON',
  description: 'Any JSON value (output only)',
  serialize: (value) => value,
  parseValue: () => {
    throw new GraphQLError('JSON is not accepted as input', { extensions: badUserInput });
  },
  parseLiteral: (ast) => {
    throw new GraphQLError(
      `JSON is not accepted as input (${ast.kind === Kind.OBJECT ? 'object' : ast.kind})`,
      { extensions: badUserInput },
    );
  },
});
