/**
 * The EMT store on PostgreSQL (pg), chosen with a postgres:// URL: same contract and the same
 * idempotence rules as the SQLite store (emt-store.ts), for fleets larger than one machine holds
 * (DESIGN.md "Storage"). One transaction per message; the message row is inserted first with
 * ON CONFLICT DO NOTHING, so of two concurrent deliveries of one message ID the second waits for
 * the first and then sees a duplicate.
 */
import type { ReadingsMessage } from '@opensmgw/protocol';
import pg from 'pg';
import { EmtError } from './emt-errors.js';
import type {
  EmtStore,
  MessageFilter,
  MessageMeta,
  ReadingFilter,
  StoredEmtMessage,
  StoredEmtReading,
  StoreResult,
} from './emt-store.js';
import {
  hasMessageSql,
  insertMessageSql,
  type MessageRow,
  messageFromRow,
  messageRowValues,
  messagesQuery,
  READING_INSERT_COLUMNS,
  type ReadingRow,
  readingFromRow,
  readingOwnValues,
  readingsQuery,
  setReadingsStoredSql,
} from './store-rows.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS emt_messages (
  gateway_id TEXT NOT NULL,
  message_id TEXT NOT NULL,
  evaluation_profile_id TEXT NOT NULL,
  taf INTEGER NOT NULL,
  created_ms BIGINT NOT NULL,
  usage_point_id TEXT,
  tariff_name TEXT,
  reading_count INTEGER NOT NULL,
  readings_stored INTEGER NOT NULL,
  sender_cert_sha256 TEXT NOT NULL,
  container_sha256 TEXT NOT NULL,
  received_ms BIGINT NOT NULL,
  PRIMARY KEY (gateway_id, message_id)
);
CREATE INDEX IF NOT EXISTS emt_messages_received ON emt_messages (received_ms);
CREATE TABLE IF NOT EXISTS emt_readings (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  gateway_id TEXT NOT NULL,
  evaluation_profile_id TEXT NOT NULL,
  meter_id TEXT NOT NULL,
  obis TEXT NOT NULL,
  kind TEXT NOT NULL,
  value TEXT NOT NULL,
  scaler INTEGER NOT NULL,
  unit TEXT NOT NULL,
  capture_ms BIGINT NOT NULL,
  target_ms BIGINT,
  smgw_status TEXT NOT NULL,
  meter_status TEXT,
  message_id TEXT NOT NULL,
  received_ms BIGINT NOT NULL,
  UNIQUE (gateway_id, evaluation_profile_id, meter_id, obis, kind, capture_ms)
);
CREATE INDEX IF NOT EXISTS emt_readings_capture ON emt_readings (capture_ms);
CREATE INDEX IF NOT EXISTS emt_readings_meter ON emt_readings (meter_id, capture_ms);
`;

/** All readings of a message in one statement (column arrays through unnest, in message order). */
const INSERT_READINGS = `
INSERT INTO emt_readings (${READING_INSERT_COLUMNS})
SELECT $1, $2, u.meter_id, u.obis, u.kind, u.value, u.scaler, u.unit, u.capture_ms, u.target_ms,
  u.smgw_status, u.meter_status, $3, $4
FROM unnest($5::text[], $6::text[], $7::text[], $8::text[], $9::int[], $10::text[], $11::bigint[],
  $12::bigint[], $13::text[], $14::text[])
  WITH ORDINALITY AS u(meter_id, obis, kind, value, scaler, unit, capture_ms, target_ms, smgw_status, meter_status, ord)
ORDER BY u.ord
ON CONFLICT DO NOTHING`;
/** The unnest arrays $5 .. $14: one for each of a reading's own values (readingOwnValues). */
const UNNEST_COLUMNS = 10;

/** '?' placeholders (shared condition builders) -> $1, $2, … */
function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/** The URL without its password, for messages (secrets never in errors or logs). */
export function redactDatabaseUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://…';
  }
}

function storeError(what: string, url: string, e: unknown): EmtError {
  // pg's messages do not carry the password; the URL is shown redacted.
  return new EmtError('SMGW_EMT_STORE', `${what} (${redactDatabaseUrl(url)}): ${(e as Error).message}`, { cause: e });
}

export interface PostgresEmtStoreOptions {
  /** Read-only sessions and no schema creation (the CLI). */
  readonly readonly?: boolean;
  /** Pool size (default 4). */
  readonly maxConnections?: number;
}

export class PostgresEmtStore implements EmtStore {
  readonly #pool: pg.Pool;
  readonly #url: string;
  readonly #readonly: boolean;

  private constructor(pool: pg.Pool, url: string, readonly: boolean) {
    this.#pool = pool;
    this.#url = url;
    this.#readonly = readonly;
  }

  /** Connects to `url` (postgres://…) and creates the tables unless read-only. */
  static async open(url: string, options: PostgresEmtStoreOptions = {}): Promise<PostgresEmtStore> {
    if (!/^postgres(ql)?:\/\//.test(url)) {
      throw new EmtError('SMGW_EMT_BAD_REQUEST', 'the database must be a postgres:// URL');
    }
    const readonly = options.readonly ?? false;
    const pool = new pg.Pool({
      connectionString: url,
      max: options.maxConnections ?? 4,
      ...(readonly ? { options: '-c default_transaction_read_only=on' } : {}),
    });
    // An idle client's error (server restart) must not crash the process; the next query fails typed.
    pool.on('error', () => {});
    try {
      if (!readonly) await pool.query(SCHEMA);
      else await pool.query('SELECT 1');
    } catch (e) {
      await pool.end().catch(() => {});
      throw storeError('cannot open the EMT database', url, e);
    }
    return new PostgresEmtStore(pool, url, readonly);
  }

  async storeMessage(msg: ReadingsMessage, meta: MessageMeta): Promise<StoreResult> {
    if (this.#readonly) throw new EmtError('SMGW_EMT_STORE', 'the EMT database is open read-only');
    let client: pg.PoolClient;
    try {
      client = await this.#pool.connect();
    } catch (e) {
      throw storeError('cannot reach the EMT database', this.#url, e);
    }
    try {
      await client.query('BEGIN');
      const m = await client.query(numbered(insertMessageSql('emt_messages')), messageRowValues(msg, meta));
      if (m.rowCount === 0) {
        await client.query('ROLLBACK');
        return { outcome: 'duplicate', readingsStored: 0 };
      }
      // Column arrays (meter_id[], obis[], …) of the readings' own values, for unnest.
      const values = msg.readings.map(readingOwnValues);
      const columns = Array.from({ length: UNNEST_COLUMNS }, (_, i) => values.map((v) => v[i]));
      const r = await client.query(INSERT_READINGS, [
        msg.gatewayId,
        msg.evaluationProfileId,
        msg.messageId,
        meta.receivedMs,
        ...columns,
      ]);
      const stored = r.rowCount ?? 0;
      await client.query(numbered(setReadingsStoredSql('emt_messages')), [stored, msg.gatewayId, msg.messageId]);
      await client.query('COMMIT');
      return { outcome: 'stored', readingsStored: stored };
    } catch (e) {
      await client.query('ROLLBACK').catch(() => {});
      throw storeError(`storing message ${msg.messageId} failed`, this.#url, e);
    } finally {
      client.release();
    }
  }

  async hasMessage(gatewayId: string, messageId: string): Promise<boolean> {
    const rows = await this.#query(hasMessageSql('emt_messages'), [gatewayId, messageId]);
    return rows.length > 0;
  }

  async readings(filter: ReadingFilter): Promise<StoredEmtReading[]> {
    const { sql, params } = readingsQuery('emt_readings', filter);
    return ((await this.#query(sql, params)) as ReadingRow[]).map(readingFromRow);
  }

  async messages(filter: MessageFilter): Promise<StoredEmtMessage[]> {
    const { sql, params } = messagesQuery('emt_messages', filter);
    return ((await this.#query(sql, params)) as MessageRow[]).map(messageFromRow);
  }

  async close(): Promise<void> {
    await this.#pool.end().catch(() => {});
  }

  async #query(sql: string, params: readonly (string | number)[]): Promise<unknown[]> {
    try {
      return (await this.#pool.query(numbered(sql), [...params])).rows;
    } catch (e) {
      throw storeError('reading the EMT database failed', this.#url, e);
    }
  }
}
