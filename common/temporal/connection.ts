/**
 * Connecting to Temporal (client side): TLS and mTLS, waiting for the namespace, the minimum
 * server version, and registering the hub's search attributes.
 */
import { readFileSync } from 'node:fs';
import { Client, Connection, type TLSConfig } from '@temporalio/client';
import { SearchAttributeType } from '@temporalio/common';
// The SDK's connection module, not its index (which loads the workflow bundler).
import { NativeConnection } from '@temporalio/worker/lib/connection';
import { temporal as proto } from '@temporalio/proto';
import { SA } from './search-attributes';

export interface TemporalTarget {
  address: string;
  namespace: string;
  tls?: boolean;
  apiKey?: string;
  /** PEM file paths for mTLS to a self-hosted cluster. */
  mtls?: { cert?: string; key?: string; ca?: string; serverName?: string };
}

/** The TLS settings for the client and the worker's native connection alike. */
export function tlsOf(target: Pick<TemporalTarget, 'tls' | 'mtls'>): TLSConfig | boolean | undefined {
  const m = target.mtls;
  if (!m) return target.tls || undefined;
  return {
    ...(m.cert && m.key ? { clientCertPair: { crt: readFileSync(m.cert), key: readFileSync(m.key) } } : {}),
    ...(m.ca ? { serverRootCACertificate: readFileSync(m.ca) } : {}),
    ...(m.serverName ? { serverNameOverride: m.serverName } : {}),
  };
}

/**
 * A client over the SDK's native (Rust) connection: gRPC framing, HTTP/2 and protobuf then run
 * off the JavaScript thread, which in the API was most of what a move cost beside the database.
 * `{ native: false }`: the pure-JavaScript connection, for a worker thread (the delivery thread),
 * which stays off the native runtime the main thread's Temporal workers own.
 */
export async function connectClient(target: TemporalTarget, opts: { native?: boolean } = {}): Promise<Client> {
  const settings = { address: target.address, tls: tlsOf(target), apiKey: target.apiKey };
  const connection = opts.native === false ? await Connection.connect({ ...settings, connectTimeout: '10s' }) : await NativeConnection.connect(settings);
  return new Client({ connection, namespace: target.namespace });
}

/** Update-with-Start (every stop's first move) is on by default from this server version. */
export const MIN_SERVER_VERSION = '1.27.3';

const versionParts = (v: string): number[] => v.replace(/^v/, '').split(/[.-]/).slice(0, 3).map((n) => Number.parseInt(n, 10) || 0);

export function isServerVersionSupported(version: string): boolean {
  const [a, b] = [versionParts(version), versionParts(MIN_SERVER_VERSION)];
  for (let i = 0; i < 3; i++) if (a[i]! !== b[i]!) return a[i]! > b[i]!;
  return true;
}

/** Refuses to start against a server too old for the hub, with a message that says why. */
export async function checkServerVersion(client: Client): Promise<string> {
  const info = await client.connection.workflowService.getSystemInfo({});
  const version = info.serverVersion ?? '';
  if (version && !isServerVersionSupported(version)) {
    throw new Error(`Temporal server ${version} is older than ${MIN_SERVER_VERSION}, the first with Update-with-Start on by default, which every stop's first move uses; upgrade the server`);
  }
  return version;
}

/** gRPC status codes (the native connection reports these with possibly empty messages). */
const NOT_FOUND = 5;
const ALREADY_EXISTS = 6;

/**
 * Waits (bounded) for the namespace to exist: a cluster that is still being set up answers
 * "namespace not found", which is worth a clear line in the log rather than a crash.
 */
export async function waitForNamespace(client: Client, log: (message: string) => void, opts: { timeoutMs?: number; intervalMs?: number } = {}): Promise<void> {
  const deadline = Date.now() + (opts.timeoutMs ?? 300_000);
  const namespace = client.options.namespace;
  for (;;) {
    try {
      await client.connection.workflowService.describeNamespace({ namespace });
      return;
    } catch (err) {
      if ((err as { code?: number }).code !== NOT_FOUND) throw err;
      if (Date.now() > deadline) throw new Error(`Temporal namespace "${namespace}" does not exist; create it (temporal operator namespace create --namespace ${namespace}) and start again`);
      log(`Temporal namespace "${namespace}" does not exist yet; waiting for it (create it with: temporal operator namespace create --namespace ${namespace})`);
      await new Promise((r) => setTimeout(r, opts.intervalMs ?? 2_000));
    }
  }
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
    // Another process may have registered them between the list and the add. The native
    // connection's errors carry the gRPC code and may have an empty message.
    const alreadyExists = (err as { code?: number }).code === ALREADY_EXISTS || /already exists/i.test(String((err as Error).message));
    if (!alreadyExists) throw err;
  }
  return missing.map((k) => k.name);
}
