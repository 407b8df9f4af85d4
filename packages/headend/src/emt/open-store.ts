/**
 * Chooses the EMT store backend: PostgreSQL when a postgres:// URL is given, else SQLite in
 * `<dataDir>/emt.db` (DESIGN.md "Storage").
 */
import { EmtError } from './emt-errors.js';
import type { EmtStore } from './emt-store.js';
import { PostgresEmtStore } from './postgres-store.js';
import { SqliteEmtStore } from './sqlite-store.js';

export interface OpenEmtStoreOptions {
  /** SQLite data directory (ignored when `database` is given). */
  readonly dataDir?: string;
  /** postgres:// URL. */
  readonly database?: string;
  /** Read-only: no schema changes, no writes (a reader beside the running server). */
  readonly readonly?: boolean;
}

export async function openEmtStore(options: OpenEmtStoreOptions): Promise<EmtStore> {
  const readonly = options.readonly ?? false;
  if (options.database !== undefined) return PostgresEmtStore.open(options.database, { readonly });
  if (options.dataDir === undefined) {
    throw new EmtError('SMGW_EMT_BAD_REQUEST', 'give a data directory or a postgres:// database URL');
  }
  return SqliteEmtStore.open(options.dataDir, { readonly });
}
