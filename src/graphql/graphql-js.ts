/**
 * graphql-js as mercurius loads it. mercurius runs the CommonJS build; scalars and validation rules
 * must come from that same instance (the ES build is a second copy whose classes fail `instanceof`).
 */
import { createRequire } from 'node:module';

export const graphql = createRequire(import.meta.url)('graphql') as typeof import('graphql');
