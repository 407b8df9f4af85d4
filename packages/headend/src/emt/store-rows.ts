/**
 * What the two EMT store backends (sqlite-store.ts, postgres-store.ts) share: the row shapes of
 * the `messages` and `readings` tables, the values a message and its readings put into them, the
 * statements with '?' placeholders (PostgreSQL numbers them), and the mapping of rows back to the
 * store contract (emt-store.ts). One place, so both backends store and answer alike.
 */
import type { ReadingsMessage, TafNumber } from '@opensmgw/protocol';
import {
  checkLimit,
  isoMs,
  type MessageFilter,
  type MessageMeta,
  type ReadingFilter,
  type StoredEmtMessage,
  type StoredEmtReading,
} from './emt-store.js';

/** A row of the readings table as a driver returns it (PostgreSQL BIGINT may come as text). */
export interface ReadingRow {
  gateway_id: string;
  evaluation_profile_id: string;
  meter_id: string;
  obis: string;
  kind: StoredEmtReading['kind'];
  value: string;
  scaler: number;
  unit: string;
  capture_ms: number;
  target_ms: number | null;
  smgw_status: string;
  meter_status: string | null;
  message_id: string;
  received_ms: number;
}

/** A row of the messages table as a driver returns it. */
export interface MessageRow {
  gateway_id: string;
  message_id: string;
  evaluation_profile_id: string;
  taf: number;
  created_ms: number;
  usage_point_id: string | null;
  tariff_name: string | null;
  reading_count: number;
  readings_stored: number;
  sender_cert_sha256: string;
  container_sha256: string;
  received_ms: number;
}

export type SqlValue = string | number | null;

/** A query with '?' placeholders and its parameters. */
export interface SqlQuery {
  readonly sql: string;
  readonly params: (string | number)[];
}

/**
 * Inserts a message row with readings_stored 0 (set after its readings); a message ID the gateway
 * used before conflicts and changes nothing (idempotence, spec notes §5.3).
 */
export function insertMessageSql(table: string): string {
  return `INSERT INTO ${table} (gateway_id, message_id, evaluation_profile_id, taf, created_ms, usage_point_id,
     tariff_name, reading_count, readings_stored, sender_cert_sha256, container_sha256, received_ms)
   VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?) ON CONFLICT DO NOTHING`;
}

/** The parameters of insertMessageSql, in its order. */
export function messageRowValues(msg: ReadingsMessage, meta: MessageMeta): SqlValue[] {
  return [
    msg.gatewayId,
    msg.messageId,
    msg.evaluationProfileId,
    msg.taf,
    isoMs(msg.created),
    msg.usagePointId ?? null,
    msg.tariffName ?? null,
    msg.readings.length,
    meta.senderCertSha256,
    meta.containerSha256,
    meta.receivedMs,
  ];
}

/** Records how many of a message's readings were new. */
export function setReadingsStoredSql(table: string): string {
  return `UPDATE ${table} SET readings_stored = ? WHERE gateway_id = ? AND message_id = ?`;
}

/** The readings columns in insert order: the message's gateway and profile, READING_VALUES, the message. */
export const READING_INSERT_COLUMNS = `gateway_id, evaluation_profile_id, meter_id, obis, kind, value, scaler, unit,
  capture_ms, target_ms, smgw_status, meter_status, message_id, received_ms`;

/**
 * One reading's own values (meter_id .. meter_status of READING_INSERT_COLUMNS); the 10 columns
 * between the message's gateway/profile and its message ID/receive time.
 */
export function readingOwnValues(r: ReadingsMessage['readings'][number]): SqlValue[] {
  return [
    r.meterId,
    r.obis,
    r.kind,
    r.value,
    r.scaler,
    r.unit,
    isoMs(r.captureTime),
    r.targetTime === undefined ? null : isoMs(r.targetTime),
    r.smgwStatus,
    r.meterStatus ?? null,
  ];
}

export function readingFromRow(r: ReadingRow): StoredEmtReading {
  return {
    gatewayId: r.gateway_id,
    evaluationProfileId: r.evaluation_profile_id,
    meterId: r.meter_id,
    obis: r.obis,
    kind: r.kind,
    value: r.value,
    scaler: Number(r.scaler),
    unit: r.unit,
    captureTimeMs: Number(r.capture_ms),
    ...(r.target_ms === null ? {} : { targetTimeMs: Number(r.target_ms) }),
    smgwStatus: r.smgw_status,
    ...(r.meter_status === null ? {} : { meterStatus: r.meter_status }),
    messageId: r.message_id,
    receivedMs: Number(r.received_ms),
  };
}

export function messageFromRow(r: MessageRow): StoredEmtMessage {
  return {
    gatewayId: r.gateway_id,
    messageId: r.message_id,
    evaluationProfileId: r.evaluation_profile_id,
    taf: Number(r.taf) as TafNumber,
    createdMs: Number(r.created_ms),
    ...(r.usage_point_id === null ? {} : { usagePointId: r.usage_point_id }),
    ...(r.tariff_name === null ? {} : { tariffName: r.tariff_name }),
    readingCount: Number(r.reading_count),
    readingsStored: Number(r.readings_stored),
    senderCertSha256: r.sender_cert_sha256,
    containerSha256: r.container_sha256,
    receivedMs: Number(r.received_ms),
  };
}

/** SELECT 1 of one gateway's message ID. */
export function hasMessageSql(table: string): string {
  return `SELECT 1 FROM ${table} WHERE gateway_id = ? AND message_id = ?`;
}

/** A page of readings, oldest capture time first (a limit outside 1 .. MAX_QUERY_LIMIT is refused). */
export function readingsQuery(table: string, f: ReadingFilter): SqlQuery {
  return pageQuery(
    table,
    [
      ['gateway_id = ?', f.gatewayId],
      ['meter_id = ?', f.meterId],
      ['capture_ms >= ?', f.fromMs],
      ['capture_ms <= ?', f.toMs],
    ],
    'capture_ms, id',
    f.limit,
  );
}

/** A page of messages, oldest received first. */
export function messagesQuery(table: string, f: MessageFilter): SqlQuery {
  return pageQuery(
    table,
    [
      ['gateway_id = ?', f.gatewayId],
      ['received_ms >= ?', f.fromMs],
      ['received_ms <= ?', f.toMs],
    ],
    'received_ms, gateway_id, message_id',
    f.limit,
  );
}

/** SELECT * of `table` under the conditions whose value is given (AND), in `orderBy` order, at most `limit` rows. */
function pageQuery(
  table: string,
  conditions: readonly (readonly [string, string | number | undefined])[],
  orderBy: string,
  limit: number,
): SqlQuery {
  const checkedLimit = checkLimit(limit);
  const where: string[] = [];
  const params: (string | number)[] = [];
  for (const [condition, value] of conditions) {
    if (value === undefined) continue;
    where.push(condition);
    params.push(value);
  }
  const whereText = where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`;
  return { sql: `SELECT * FROM ${table} ${whereText} ORDER BY ${orderBy} LIMIT ?`, params: [...params, checkedLimit] };
}
