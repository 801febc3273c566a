/**
 * Query cost limit, next to the depth limit: every selected field costs 1, times how many parents it is
 * selected under. A field with a `first` (or `limit`) argument multiplies its subtree by it (a variable counts
 * as the largest page, since the check runs before variables are read), other list fields by a small
 * estimate; aliases are separate fields, so 1 000 aliases cost 1 000 times as much. It runs before
 * graphql-js's own validation, so a costly document is refused before that work is done.
 */
import type {
  ArgumentNode,
  DocumentNode,
  FragmentDefinitionNode,
  GraphQLField,
  GraphQLOutputType,
  GraphQLSchema,
  SelectionSetNode,
} from 'graphql';
import { graphql } from './graphql-js.js';

const { Kind, getNamedType, getNullableType, isListType, isObjectType } = graphql;

/** The page size a `first` set by a variable is costed at: the largest any field accepts. */
export const MAX_PAGE = 100;
/** Estimated length of a list field without `first` or `limit` (amenities, photos, nights …). */
const LIST_ESTIMATE = 10;

function multiplier(
  parentName: string,
  field: GraphQLField<unknown, unknown>,
  args: readonly ArgumentNode[],
  type: GraphQLOutputType,
): number {
  // `first` (connections) and `limit` (pages of items, as REST's) are page sizes.
  const first = field.args.find((a) => a.name === 'first' || a.name === 'limit');
  if (first) {
    const given = args.find((a) => a.name.value === first.name);
    if (!given) return Math.min(Number(first.defaultValue ?? MAX_PAGE), MAX_PAGE);
    if (given.value.kind === Kind.INT) return Math.max(1, Math.min(Number(given.value.value), MAX_PAGE));
    return MAX_PAGE;
  }
  // A connection's `edges` (a page's `items`) is as long as its `first` (`limit`), already counted.
  if (isListType(getNullableType(type))) {
    return getNamedType(type).name.endsWith('Edge') || (field.name === 'items' && parentName.endsWith('Page'))
      ? 1
      : LIST_ESTIMATE;
  }
  return 1;
}

interface Walk {
  schema: GraphQLSchema;
  fragments: Map<string, FragmentDefinitionNode>;
  /** Fragments being expanded on the current path (a cycle is refused by validation; here it stops). */
  open: Set<string>;
}

/** Cost of a selection set under `parentTypeName`, counted only until it passes `budget`. */
function selectionCost(
  walk: Walk,
  selectionSet: SelectionSetNode,
  parentTypeName: string,
  budget: number,
): number {
  const parent = walk.schema.getType(parentTypeName);
  if (!parent || !isObjectType(parent)) return 0;
  let cost = 0;
  for (const selection of selectionSet.selections) {
    if (cost > budget) return cost;
    if (selection.kind === Kind.FIELD) {
      const field = parent.getFields()[selection.name.value];
      if (!field) {
        cost += 1; // introspection fields, or unknown ones that validation reports
        continue;
      }
      const times = multiplier(parentTypeName, field, selection.arguments ?? [], field.type);
      // The subtree only needs costing up to what is left of the budget, divided among its copies.
      const left = Math.ceil((budget - cost) / times);
      const child = selection.selectionSet
        ? selectionCost(walk, selection.selectionSet, getNamedType(field.type).name, left)
        : 0;
      cost += 1 + times * child;
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      const on = selection.typeCondition?.name.value ?? parentTypeName;
      cost += selectionCost(walk, selection.selectionSet, on, budget - cost);
    } else {
      const name = selection.name.value;
      const fragment = walk.fragments.get(name);
      if (!fragment || walk.open.has(name)) continue;
      walk.open.add(name);
      cost += selectionCost(walk, fragment.selectionSet, fragment.typeCondition.name.value, budget - cost);
      walk.open.delete(name);
    }
  }
  return cost;
}

/** The costliest operation of a document, counted until it passes `budget`. */
export function documentCost(schema: GraphQLSchema, document: DocumentNode, budget: number): number {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions)
    if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  let worst = 0;
  for (const d of document.definitions) {
    if (d.kind !== Kind.OPERATION_DEFINITION) continue;
    const root =
      d.operation === 'mutation'
        ? schema.getMutationType()
        : d.operation === 'subscription'
          ? schema.getSubscriptionType()
          : schema.getQueryType();
    if (!root) continue;
    worst = Math.max(
      worst,
      selectionCost({ schema, fragments, open: new Set() }, d.selectionSet, root.name, budget),
    );
  }
  return worst;
}
