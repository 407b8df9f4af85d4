/**
 * The store-and-forward queue towards market participants (spec notes §5.3): a message is
 * queued in the transaction that produced it and leaves the queue only when its recipient has
 * acknowledged it. Per recipient the queue is strict FIFO by `seq`: a failed head blocks the
 * messages behind it until it is due again, so a receiver never sees periods out of order.
 */
import type { Statement } from 'better-sqlite3';
import { checkId, checkInteger, checkText, checkTimeMs } from './argument-checks.js';
import { badArgument, StoreError } from './errors.js';
import type { Db } from './schema.js';
import type { NewDelivery, QueuedDelivery } from './types.js';

const MESSAGE_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
/** Readings messages are at most 8 MiB (protocol MAX_READINGS_MESSAGE_BYTES). */
const MAX_PAYLOAD_BYTES = 8 * 1024 * 1024;
const MAX_ERROR_LENGTH = 1024;

interface DeliveryRow {
  seq: number;
  message_id: string;
  recipient_id: string;
  profile_id: string;
  payload: Buffer;
  created_ms: number;
  attempts: number;
  next_attempt_ms: number;
  last_error: string | null;
}

function toDelivery(r: DeliveryRow): QueuedDelivery {
  return {
    seq: r.seq,
    messageId: r.message_id,
    recipientId: r.recipient_id,
    evaluationProfileId: r.profile_id,
    payload: new Uint8Array(r.payload.buffer, r.payload.byteOffset, r.payload.byteLength),
    createdMs: r.created_ms,
    attempts: r.attempts,
    nextAttemptMs: r.next_attempt_ms,
    ...(r.last_error === null ? {} : { lastError: r.last_error }),
  };
}

export function checkDelivery(d: NewDelivery, field: string): void {
  if (d === null || typeof d !== 'object') throw badArgument(`${field} is not an object`, { field });
  if (typeof d.messageId !== 'string' || !MESSAGE_ID.test(d.messageId)) {
    throw badArgument(`${field}.messageId is not a valid message id`, { field });
  }
  checkId(d.recipientId, `${field}.recipientId`);
  checkId(d.evaluationProfileId, `${field}.evaluationProfileId`);
  if (!(d.payload instanceof Uint8Array) || d.payload.byteLength > MAX_PAYLOAD_BYTES) {
    throw badArgument(`${field}.payload must be bytes, at most ${MAX_PAYLOAD_BYTES}`, { field });
  }
  checkTimeMs(d.createdMs, `${field}.createdMs`);
}

export class DeliveryQueue {
  readonly #insert: Statement<unknown[]>;
  readonly #head: Statement<[string], DeliveryRow>;
  readonly #recipients: Statement<[], { recipient_id: string }>;
  readonly #delete: Statement<[number]>;
  readonly #fail: Statement<[number, string, number]>;
  readonly #countAll: Statement<[], { n: number }>;
  readonly #countOne: Statement<[string], { n: number }>;

  constructor(db: Db) {
    this.#insert = db.prepare(
      `INSERT INTO delivery (message_id, recipient_id, profile_id, payload, created_ms, next_attempt_ms)
       VALUES (?, ?, ?, ?, ?, ?)`,
    );
    this.#head = db.prepare('SELECT * FROM delivery WHERE recipient_id = ? ORDER BY seq ASC LIMIT 1');
    this.#recipients = db.prepare('SELECT DISTINCT recipient_id FROM delivery ORDER BY recipient_id');
    this.#delete = db.prepare('DELETE FROM delivery WHERE seq = ?');
    this.#fail = db.prepare(
      'UPDATE delivery SET attempts = attempts + 1, next_attempt_ms = ?, last_error = ? WHERE seq = ?',
    );
    this.#countAll = db.prepare('SELECT count(*) AS n FROM delivery');
    this.#countOne = db.prepare('SELECT count(*) AS n FROM delivery WHERE recipient_id = ?');
  }

  /** Queues a delivery already checked with checkDelivery(); due at once. A repeated messageId is SMGW_STORE_CONFLICT. */
  insert(d: NewDelivery): void {
    try {
      this.#insert.run(d.messageId, d.recipientId, d.evaluationProfileId, d.payload, d.createdMs, d.createdMs);
    } catch (e) {
      if ((e as { code?: unknown }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
        throw new StoreError('SMGW_STORE_CONFLICT', 'a delivery with this messageId is already queued', {
          cause: e,
          detail: { messageId: d.messageId },
        });
      }
      throw e;
    }
  }

  next(recipientId: string, nowMs: number): QueuedDelivery | undefined {
    checkId(recipientId, 'recipientId');
    checkInteger(nowMs, 'nowMs', Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
    const head = this.#head.get(recipientId);
    return head === undefined || head.next_attempt_ms > nowMs ? undefined : toDelivery(head);
  }

  recipients(): string[] {
    return this.#recipients.all().map((r) => r.recipient_id);
  }

  /** Removes an acknowledged delivery. Idempotent: a seq that is already gone is not an error. */
  delivered(seq: number): void {
    checkInteger(seq, 'seq', 1, Number.MAX_SAFE_INTEGER);
    this.#delete.run(seq);
  }

  /** Counts a failed attempt and reschedules; an unknown seq is SMGW_STORE_NOT_FOUND. */
  failed(seq: number, nextAttemptMs: number, error: string): void {
    checkInteger(seq, 'seq', 1, Number.MAX_SAFE_INTEGER);
    checkTimeMs(nextAttemptMs, 'nextAttemptMs');
    checkText(error, 'error', Number.MAX_SAFE_INTEGER);
    if (this.#fail.run(nextAttemptMs, error.slice(0, MAX_ERROR_LENGTH), seq).changes === 0) {
      throw new StoreError('SMGW_STORE_NOT_FOUND', 'no queued delivery with this seq', { detail: { seq } });
    }
  }

  length(recipientId?: string): number {
    if (recipientId === undefined) return (this.#countAll.get() as { n: number }).n;
    checkId(recipientId, 'recipientId');
    return (this.#countOne.get(recipientId) as { n: number }).n;
  }
}
