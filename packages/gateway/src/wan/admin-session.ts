/**
 * One administration session with the GWA (spec notes §5.4, §5.5; docs/wire-protocols.md): the
 * gateway calls out (after a wake-up, on its schedule, at start), synchronises its time, fetches
 * its pending jobs and answers each one, in order.
 *
 * Jobs are idempotent by jobId: the result of each completed job is persisted (store state
 * 'admin-completed', the last 500) BEFORE it is posted, so a job whose answer got lost is answered
 * again from the record next time and never run twice.
 */
import { isSmgwError } from '@opensmgw/core';
import {
  type AdminJob,
  GWA_PATHS,
  type JobResult,
  jsonCheck,
  MAX_ADMIN_BODY_BYTES,
  parseAdminJob,
  parseJsonText,
  parseTimeResponse,
} from '@opensmgw/protocol';
import type { EventLog } from '../core/event-log.js';
import type { GatewayStore } from '../store/types.js';
import type { AdminJobContext, AdminJobHandler, TimeSyncResult } from './admin-handlers.js';
import { WanError } from './errors.js';
import type { WanHttpsClient, WanResponse } from './https-client.js';

export const COMPLETED_STATE_KEY = 'admin-completed';
export const COMPLETED_KEEP = 500;

/** The gateway's time service as the session needs it (core/ GatewayTime satisfies it). */
export interface TimeSync {
  now(): number;
  /** The GWA said `gwaEpochMs`; the request left at `sentMs` and the answer came at `receivedMs` (gateway time). */
  sync(gwaEpochMs: number, sentMs: number, receivedMs: number): void;
}

export interface GwaEndpoint {
  /** https://host[:port] from the bootstrap file. */
  readonly url: string;
  readonly servername: string;
  /** The GWA's TLS certificate (PEM), pinned on top of SM-PKI validation when given. */
  readonly tlsCertificatePem?: string;
}

export interface AdminSessionOptions {
  readonly client: Pick<WanHttpsClient, 'request'>;
  readonly gwa: GwaEndpoint;
  readonly time: TimeSync;
  readonly store: Pick<GatewayStore, 'getState' | 'setState'>;
  readonly events: EventLog;
  readonly handlers: AdminJobHandler;
  readonly timeoutMs?: number;
}

export type SessionReason = 'wakeup' | 'schedule' | 'startup';

export interface AdminSessionSummary {
  readonly reason: SessionReason;
  readonly jobs: number;
  /** Jobs run now (ok or failed). */
  readonly ran: number;
  /** Jobs answered from the completed record without running. */
  readonly replayed: number;
  readonly failed: number;
}

interface CompletedJob {
  readonly jobId: string;
  readonly result: JobResult;
}

const JOB_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;
const ERROR_CODE = /^[A-Z][A-Z0-9_]{0,63}$/;

export class AdminSession {
  readonly #o: AdminSessionOptions;

  constructor(o: AdminSessionOptions) {
    this.#o = o;
  }

  /** Runs one session. Rejects (after a system-log entry) when the GWA cannot be talked to. */
  async run(reason: SessionReason): Promise<AdminSessionSummary> {
    try {
      const summary = await this.#session(reason);
      this.#o.events.record('system', {
        level: 1,
        outcome: 0,
        event: 'ADMIN_SESSION',
        message: `session (${reason}): ${summary.jobs} jobs, ${summary.ran} run, ${summary.replayed} answered from record, ${summary.failed} failed`,
      });
      return summary;
    } catch (e) {
      const code = isSmgwError(e) ? e.code : 'SMGW_CORE_INTERNAL';
      this.#o.events.record('system', {
        level: 2,
        outcome: 1,
        event: 'ADMIN_SESSION_FAILED',
        message: `session (${reason}) ended: ${code}`,
        subject: this.#o.gwa.url,
      });
      throw e;
    }
  }

  async #session(reason: SessionReason): Promise<AdminSessionSummary> {
    await this.syncTime();
    const jobs = await this.#fetchJobs();
    let ran = 0;
    let replayed = 0;
    let failed = 0;
    const ctx: AdminJobContext = { syncTime: () => this.syncTime() };
    for (const item of jobs) {
      const done = this.#completed().find((c) => c.jobId === item.jobId);
      if (done !== undefined) {
        await this.#post(item.jobId, done.result);
        replayed += 1;
        continue;
      }
      const result = item.job === undefined ? failure(item.error) : await this.#runJob(item.job, ctx);
      if (!result.ok) failed += 1;
      ran += 1;
      this.#remember({ jobId: item.jobId, result });
      await this.#post(item.jobId, result);
    }
    return { reason, jobs: jobs.length, ran, replayed, failed };
  }

  /** GET /gwa/v1/time and hand the answer with the round trip to the time service (§5.5). */
  async syncTime(): Promise<TimeSyncResult> {
    const sentMs = this.#o.time.now();
    const res = await this.#request('GET', GWA_PATHS.time);
    const receivedMs = this.#o.time.now();
    expectStatus(res, [200], 'time');
    const { epochMs } = parseTimeResponse(res.body);
    this.#o.time.sync(epochMs, sentMs, receivedMs);
    const roundTripMs = Math.max(0, receivedMs - sentMs);
    this.#o.events.record('system', {
      level: 1,
      outcome: 0,
      event: 'TIME_SYNC',
      message: `time from the GWA ${new Date(epochMs).toISOString()}, round trip ${roundTripMs} ms`,
      subject: this.#o.gwa.url,
    });
    return { gwaEpochMs: epochMs, roundTripMs };
  }

  /**
   * GET /gwa/v1/jobs, read job by job: one malformed job is answered with its error (when it has
   * a usable jobId) instead of making the whole list unreadable.
   */
  async #fetchJobs(): Promise<{ jobId: string; job?: AdminJob; error?: unknown }[]> {
    const res = await this.#request('GET', GWA_PATHS.jobs);
    expectStatus(res, [200], 'jobs');
    const top = jsonCheck.object(parseJsonText(res.body, MAX_ADMIN_BODY_BYTES), 'response', ['jobs']);
    const raw = jsonCheck.array(top.jobs, 'response.jobs', (x) => x, 1000);
    const out: { jobId: string; job?: AdminJob; error?: unknown }[] = [];
    raw.forEach((x, i) => {
      try {
        const job = parseAdminJob(x, `response.jobs[${i}]`);
        out.push({ jobId: job.jobId, job });
      } catch (error) {
        const jobId = (x as { jobId?: unknown } | null)?.jobId;
        if (typeof jobId === 'string' && JOB_ID.test(jobId)) out.push({ jobId, error });
        else {
          this.#o.events.record('system', {
            level: 2,
            outcome: 1,
            event: 'ADMIN_JOB_INVALID',
            message: `job ${i} of the list has no usable jobId; skipped`,
            subject: this.#o.gwa.url,
          });
        }
      }
    });
    return out;
  }

  async #runJob(job: AdminJob, ctx: AdminJobContext): Promise<JobResult> {
    try {
      const result = await this.#o.handlers(job, ctx);
      this.#o.events.record('system', {
        level: 1,
        outcome: 0,
        event: 'ADMIN_JOB_DONE',
        message: `job ${job.type} done`,
        subject: job.jobId,
      });
      // Round-trip through JSON: what is recorded is exactly what is posted.
      return result === undefined ? { ok: true } : { ok: true, result: JSON.parse(JSON.stringify(result)) };
    } catch (e) {
      const r = failure(e);
      this.#o.events.record('system', {
        level: 2,
        outcome: 1,
        event: 'ADMIN_JOB_FAILED',
        message: `job ${job.type} failed: ${r.ok ? '' : r.error.code}`,
        subject: job.jobId,
      });
      return r;
    }
  }

  async #post(jobId: string, result: JobResult): Promise<void> {
    const res = await this.#request('POST', GWA_PATHS.jobResult(jobId), JSON.stringify(result));
    expectStatus(res, [200, 201, 204], 'job result');
  }

  #request(method: 'GET' | 'POST', path: string, body?: string): Promise<WanResponse> {
    const g = this.#o.gwa;
    return this.#o.client.request({
      url: g.url,
      servername: g.servername,
      ...(g.tlsCertificatePem === undefined ? {} : { pinnedCertificatePem: g.tlsCertificatePem }),
      method,
      path,
      headers: body === undefined ? { accept: 'application/json' } : { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body }),
      ...(this.#o.timeoutMs === undefined ? {} : { timeoutMs: this.#o.timeoutMs }),
      maxResponseBytes: MAX_ADMIN_BODY_BYTES,
    });
  }

  #completed(): CompletedJob[] {
    const v = this.#o.store.getState<CompletedJob[]>(COMPLETED_STATE_KEY);
    return Array.isArray(v) ? v.filter((c) => typeof c?.jobId === 'string' && typeof c.result?.ok === 'boolean') : [];
  }

  #remember(entry: CompletedJob): void {
    const list = [...this.#completed().filter((c) => c.jobId !== entry.jobId), entry];
    this.#o.store.setState(COMPLETED_STATE_KEY, list.slice(-COMPLETED_KEEP));
  }
}

function failure(e: unknown): JobResult {
  if (isSmgwError(e) && ERROR_CODE.test(e.code)) {
    return { ok: false, error: { code: e.code, message: e.message.slice(0, 2048) } };
  }
  // Not one of ours: no internals (stack, paths) go to the GWA.
  return { ok: false, error: { code: 'SMGW_CORE_INTERNAL', message: 'internal error while running the job' } };
}

function expectStatus(res: WanResponse, ok: readonly number[], what: string): void {
  if (!ok.includes(res.status)) {
    throw new WanError('SMGW_WAN_BAD_RESPONSE', `the GWA answered ${res.status} to the ${what} request`, {
      detail: { status: res.status },
    });
  }
}
