import type { Connection } from '@temporalio/client';
import { SearchAttributeType } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { SEARCH_ATTRIBUTES } from './definitions';

const IndexedValueType = temporal.api.enums.v1.IndexedValueType;
function indexedType(type: SearchAttributeType): temporal.api.enums.v1.IndexedValueType {
  if (type === SearchAttributeType.INT) return IndexedValueType.INDEXED_VALUE_TYPE_INT;
  if (type === SearchAttributeType.KEYWORD) return IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;
  throw new Error(`No indexed value type for search attribute type ${type}`);
}

/**
 * Registers the workflow's search attributes in a namespace where they are missing: a dev server whose
 * persisted state predates them, or a self-hosted cluster. (Temporal Cloud registers them in its UI or
 * with tcld; there this call is refused and the caller only warns.) Returns the names it added.
 */
export async function ensureSearchAttributes(connection: Connection, namespace: string): Promise<string[]> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const known = { ...existing.customAttributes, ...existing.systemAttributes };
  const missing = SEARCH_ATTRIBUTES.filter((key) => !(key.name in known));
  if (missing.length === 0) return [];
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(missing.map((key) => [key.name, indexedType(key.type)])),
  });
  return missing.map((key) => key.name);
}
