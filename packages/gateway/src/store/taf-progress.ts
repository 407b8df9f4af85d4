/**
 * How far each evaluation profile's TAF has got: the end of the last period committed. Written
 * only by commitTaf, in the same transaction as the period's results, so after a crash the
 * engine resumes exactly after the last period whose results are on disk.
 */
import type { Statement } from 'better-sqlite3';
import { checkId } from './argument-checks.js';
import { badArgument } from './errors.js';
import type { Db } from './schema.js';

export class TafProgress {
  readonly #get: Statement<[string], { processed_until_ms: number }>;
  readonly #set: Statement<[string, number]>;
  readonly #delete: Statement<[string]>;

  constructor(db: Db) {
    this.#get = db.prepare('SELECT processed_until_ms FROM taf_progress WHERE profile_id = ?');
    this.#set = db.prepare(
      `INSERT INTO taf_progress (profile_id, processed_until_ms) VALUES (?, ?)
       ON CONFLICT (profile_id) DO UPDATE SET processed_until_ms = excluded.processed_until_ms`,
    );
    this.#delete = db.prepare('DELETE FROM taf_progress WHERE profile_id = ?');
  }

  get(evaluationProfileId: string): number | undefined {
    checkId(evaluationProfileId, 'evaluationProfileId');
    return this.#get.get(evaluationProfileId)?.processed_until_ms;
  }

  /**
   * Moves progress forward. Going backwards is refused: it would make the engine close periods
   * again and queue their deliveries twice.
   */
  advance(evaluationProfileId: string, processedUntilMs: number): void {
    const current = this.#get.get(evaluationProfileId)?.processed_until_ms;
    if (current !== undefined && processedUntilMs < current) {
      throw badArgument('processedUntilMs is before the profile’s stored progress', {
        evaluationProfileId,
        processedUntilMs,
        current,
      });
    }
    this.#set.run(evaluationProfileId, processedUntilMs);
  }

  /** Forgets a profile's progress (the profile was deleted; a new one of that id starts afresh). */
  forget(evaluationProfileId: string): void {
    this.#delete.run(evaluationProfileId);
  }
}
