/** Connecting to Temporal (client side) and registering the hub's search attributes. */
import { Client, Connection } from '@temporalio/client';
import { SearchAttributeType } from '@temporalio/common';
import { temporal as proto } from '@temporalio/proto';
import { SA } from './search-attributes';

export interface TemporalTarget {
  address: string;
  namespace: string;
  tls?: boolean;
  apiKey?: string;
}

export async function connectClient(target: TemporalTarget): Promise<Client> {
  const connection = await Connection.connect({
    address: target.address,
    tls: target.tls || undefined,
    apiKey: target.apiKey,
    connectTimeout: '10s',
  });
  return new Client({ connection, namespace: target.namespace });
}

const INDEXED_TYPE: Record<string, proto.api.enums.v1.IndexedValueType> = {
  [SearchAttributeType.KEYWORD]: proto.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  [SearchAttributeType.KEYWORD_LIST]: proto.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
};

/**
 * Registers every custom search attribute that is missing. Idempotent: the dev server only takes
 * `--search-attribute` flags when its database file is new, so this runs at every start.
 */
export async function registerSearchAttributes(client: Client): Promise<string[]> {
  const { operatorService } = client.connection;
  const existing = await operatorService.listSearchAttributes({ namespace: client.options.namespace });
  const known = new Set(Object.keys(existing.customAttributes ?? {}));
  const missing = Object.values(SA).filter((k) => !known.has(k.name));
  if (missing.length === 0) return [];
  const searchAttributes: Record<string, proto.api.enums.v1.IndexedValueType> = {};
  for (const key of missing) searchAttributes[key.name] = INDEXED_TYPE[key.type]!;
  try {
    await operatorService.addSearchAttributes({ namespace: client.options.namespace, searchAttributes });
  } catch (err) {
    // Another process may have registered them between the list and the add.
    if (!/already exists/i.test(String((err as Error).message))) throw err;
  }
  return missing.map((k) => k.name);
}
