/**
 * Query depth limit, checked before validation (beside the cost limit in ./cost.ts). Each field inside
 * another field counts one level (`{ a { b } }` is 2 deep); fragments, spread or inline, add none.
 *
 * One exception, inside introspection (`__schema`, `__type`): `ofType` adds no level. The standard
 * introspection query that GraphiQL, code generators and IDE plugins send nests `ofType` seven times
 * or more (to unwrap types such as `[[String!]!]!`), which a depth limit of 8 refused — introspection
 * was on and yet unusable. An `ofType` chain cannot fan out (one type each, null past the type's last
 * wrapper), so it is not what the limit guards against; every other introspection field still counts.
 */
import type { DocumentNode, FragmentDefinitionNode, SelectionSetNode } from 'graphql';
import { graphql } from './graphql-js.js';

const { Kind } = graphql;

interface Walk {
  fragments: Map<string, FragmentDefinitionNode>;
  /** Depth of each fragment's selections, by name and whether it is used inside introspection. */
  known: Map<string, number>;
  /** Fragments being expanded on the current path (a cycle is refused by validation; here it stops). */
  open: Set<string>;
}

function selectionDepth(walk: Walk, set: SelectionSetNode, introspecting: boolean): number {
  let deepest = 0;
  for (const selection of set.selections) {
    let depth = 0;
    if (selection.kind === Kind.FIELD) {
      const name = selection.name.value;
      const inside = introspecting || name === '__schema' || name === '__type';
      const level = introspecting && name === 'ofType' ? 0 : 1;
      depth = level + (selection.selectionSet ? selectionDepth(walk, selection.selectionSet, inside) : 0);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      depth = selectionDepth(walk, selection.selectionSet, introspecting);
    } else {
      const name = selection.name.value;
      const key = `${introspecting ? 'i' : 'o'}:${name}`;
      const fragment = walk.fragments.get(name);
      if (walk.known.has(key)) depth = walk.known.get(key)!;
      else if (fragment && !walk.open.has(name)) {
        walk.open.add(name);
        depth = selectionDepth(walk, fragment.selectionSet, introspecting);
        walk.open.delete(name);
        walk.known.set(key, depth);
      }
    }
    deepest = Math.max(deepest, depth);
  }
  return deepest;
}

/** The depth of the deepest operation in `document`. */
export function documentDepth(document: DocumentNode): number {
  const walk: Walk = { fragments: new Map(), known: new Map(), open: new Set() };
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) walk.fragments.set(definition.name.value, definition);
  }
  let deepest = 0;
  for (const definition of document.definitions) {
    if (definition.kind === Kind.OPERATION_DEFINITION) {
      deepest = Math.max(deepest, selectionDepth(walk, definition.selectionSet, false));
    }
  }
  return deepest;
}
