/** Validating plain inputs against the same TypeBox schemas the REST routes use (for GraphQL, CLI…). */
import type { Static, TSchema } from 'typebox';
import { Value } from 'typebox/value';
import { AppError, type FieldError } from './errors.js';

export function validate<S extends TSchema>(schema: S, input: unknown): Static<S> {
  // GraphQL leaves omitted fields undefined and passes prototype-less objects: normalize to plain JSON.
  const cleaned = JSON.parse(JSON.stringify(input ?? {}));
  if (Value.Check(schema, cleaned)) return cleaned as Static<S>;
  const errors: FieldError[] = [];
  const seen = new Set<string>();
  for (const e of Value.Errors(schema, cleaned)) {
    const path = e.instancePath.split('/').filter(Boolean);
    const params = e.params as { requiredProperties?: string[]; additionalProperties?: string[] };
    const fields = params.requiredProperties?.map((p) => [...path, p].join('.')) ??
      params.additionalProperties?.map((p) => [...path, p].join('.')) ?? [path.join('.') || '(root)'];
    for (const field of fields) {
      if (seen.has(field)) continue;
      seen.add(field);
      const message = params.requiredProperties
        ? 'is required'
        : params.additionalProperties
          ? 'is not an allowed property'
          : (e.message ?? 'is invalid');
      errors.push({ field, message, in: 'body' });
    }
  }
  const first = errors[0];
  throw new AppError(
    400,
    'validation_error',
    first ? `${first.field} ${first.message}` : 'The input is invalid',
    errors,
  );
}
