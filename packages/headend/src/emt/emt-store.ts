/**
 * What the EMT keeps: every accepted ReadingsMessage (by gateway and message ID) and its
 * readings, with two backends behind one contract: SQLite (sqlite-store.ts, the embedded
 * default) and PostgreSQL (postgres-store.ts, for fleets larger than one machine holds;
 * DESIGN.md "Storage"). The methods return promises so both fit.
 *
 * Idempotent by construction (at-least-once delivery, spec notes §5.3): a message ID a gateway
 * used before is a 'duplicate' and changes nothing; a reading is unique on (gatewayId,
 * evaluationProfileId, meterId, obis, kind, captureTime), so even a replayed payload under a new
 * message ID adds no second record. One transaction per message: all of it or nothing.
 */
import type { ReadingKind, ReadingsMessage, TafNumber } from '@opensmgw/protocol';
import { EmtError } from './emt-errors.js';

/** Where a message came from: facts the receiver established, not fields of the payload. */
export interface MessageMeta {
  /** SHA-256 (hex) of the signer's SIG certificate (DER). */
  readonly senderCertSha256: string;
  readonly receivedMs: number;
  /** SHA-256 (hex) of the container as received. */
  readonly containerSha256: string;
}

export interface StoreResult {
  readonly outcome: 'stored' | 'duplicate';
  /** Readings newly recorded (0 for a duplicate; fewer than sent when some were known already). */
  readonly readingsStored: number;
}

export interface StoredEmtReading {
  readonly gatewayId: string;
  readonly evaluationProfileId: string;
  readonly meterId: string;
  /** OBIS as 12 hex digits. */
  readonly obis: string;
  readonly kind: ReadingKind;
  /** Integer register value as decimal text; physical value = value × 10^scaler. */
  readonly value: string;
  readonly scaler: number;
  readonly unit: string;
  readonly captureTimeMs: number;
  readonly targetTimeMs?: number;
  readonly smgwStatus: string;
  readonly meterStatus?: string;
  /** The message that first brought this reading. */
  readonly messageId: string;
  readonly receivedMs: number;
}

export interface StoredEmtMessage {
  readonly gatewayId: string;
  readonly messageId: string;
  readonly evaluationProfileId: string;
  readonly taf: TafNumber;
  readonly createdMs: number;
  readonly usagePointId?: string;
  readonly tariffName?: string;
  /** Readings the message carried, and how many of them were new. */
  readonly readingCount: number;
  readonly readingsStored: number;
  readonly senderCertSha256: string;
  readonly containerSha256: string;
  readonly receivedMs: number;
}

export interface ReadingFilter {
  readonly gatewayId?: string;
  readonly meterId?: string;
  /** Capture time from (inclusive), ms. */
  readonly fromMs?: number;
  /** Capture time to (inclusive), ms. */
  readonly toMs?: number;
  /** At most this many, oldest capture time first (1 .. MAX_QUERY_LIMIT). */
  readonly limit: number;
}

export interface MessageFilter {
  readonly gatewayId?: string;
  /** Received from / to (inclusive), ms. */
  readonly fromMs?: number;
  readonly toMs?: number;
  /** At most this many, oldest received first. */
  readonly limit: number;
}

/** Largest page a query returns (HTTP and CLI). */
export const MAX_QUERY_LIMIT = 100_000;

export interface EmtStore {
  /** Stores a verified message and its readings in one transaction. */
  storeMessage(msg: ReadingsMessage, meta: MessageMeta): Promise<StoreResult>;
  /** True when this gateway's message ID is stored already. */
  hasMessage(gatewayId: string, messageId: string): Promise<boolean>;
  readings(filter: ReadingFilter): Promise<StoredEmtReading[]>;
  messages(filter: MessageFilter): Promise<StoredEmtMessage[]>;
  close(): Promise<void>;
}

/** ISO time of the payload -> ms (the payload reader has checked the format already). */
export function isoMs(iso: string): number {
  return Date.parse(iso);
}

/** Refuses a page size outside 1 .. MAX_QUERY_LIMIT (a caller's mistake, never clamped silently). */
export function checkLimit(limit: number): number {
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_QUERY_LIMIT) {
    throw new EmtError('SMGW_EMT_BAD_REQUEST', `limit must be a whole number from 1 to ${MAX_QUERY_LIMIT}`, {
      detail: { limit },
    });
  }
  return limit;
}
