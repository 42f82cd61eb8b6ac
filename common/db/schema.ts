/**
 * The Kysely `Database` type: the one description of every table the code reads or writes.
 * Migrations in ./migrations create exactly these columns.
 */
import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type Timestamp = ColumnType<Date, Date | string, Date | string>;

export interface TenantsTable {
  id: string;
  name: string;
  /** Requests per minute per API key; null = the hub's default tier. */
  rate_limit_per_minute: number | null;
  created_at: CreatedAt;
}

export interface ApiKeysTable {
  id: string;
  tenant_id: string;
  name: string;
  /** The first characters of the key (`dh_live_ab12`), for people to recognise it in a list. */
  prefix: string;
  /** SHA-256 (hex) of the whole key; the key itself is never stored. */
  key_hash: string;
  scopes: string[];
  created_at: CreatedAt;
  last_used_at: Timestamp | null;
  revoked_at: Timestamp | null;
}

export interface Database {
  tenants: TenantsTable;
  api_keys: ApiKeysTable;
}

export type Tenant = Selectable<TenantsTable>;
export type NewTenant = Insertable<TenantsTable>;
export type ApiKeyRow = Selectable<ApiKeysTable>;
export type NewApiKey = Insertable<ApiKeysTable>;
export type ApiKeyUpdate = Updateable<ApiKeysTable>;
export type { Generated };
