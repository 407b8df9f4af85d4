/**
 * What a GWA operator does (the CLI's `smgw headend gwa ...` and the demo call these): register
 * gateways, queue administration jobs (profiles, certificate renewal, log reads: spec notes §5.4,
 * §7, §10), send wake-ups, look at jobs and status.
 *
 * They work on the registry database directly; a running GWA server (another process, or this
 * one) picks up new jobs from the same file at the gateway's next contact. Every input is
 * validated before anything is written (HeadendError SMGW_HEADEND_BAD_ARGUMENT), with the
 * protocol's own readers, so a job the gateway would refuse is never queued.
 */
import { isSmgwError, systemClock, type TimerClock } from '@opensmgw/core';
import {
  type AdminJob,
  CERTIFICATE_USES,
  type CommunicationProfile,
  type EvaluationProfile,
  type LogEntry,
  type MeterProfile,
  parseCommunicationProfile,
  parseEvaluationProfile,
  parseHanAccount,
  parseMeterProfile,
  parseReadLogResult,
} from '@opensmgw/protocol';
import { openEntityModule } from '@opensmgw/security';
import { HeadendError } from './errors.js';
import {
  checkGatewayIdArgument,
  type GatewayRecord,
  GwaRegistry,
  type IssuedCertificate,
  type JobState,
  type ProfileKind,
  parseWakeupAddress,
  type StoredJob,
  type StoredProfile,
} from './registry.js';
import { sendWakeup, type WakeupSent } from './wakeup-sender.js';

export interface GwaAdminOptions {
  /** The GWA's data directory (gwa.db). */
  readonly dataDir: string;
  /** The test SM-PKI: needed by `wake` (the GWA's SIG key). */
  readonly pkiDir?: string;
  readonly clock?: TimerClock;
}

export interface EmtRecipient {
  /** Communication profile ID, e.g. `emt-1`. */
  readonly id: string;
  /** `https://host:port` */
  readonly url: string;
  readonly servername: string;
  readonly tlsCertPem: string;
  readonly encCertPem: string;
  readonly retry?: { readonly initialDelayMs: number; readonly maxDelayMs: number };
}

export type AnyProfile =
  | { readonly kind: 'meter'; readonly profile: MeterProfile }
  | { readonly kind: 'communication'; readonly profile: CommunicationProfile }
  | { readonly kind: 'evaluation'; readonly profile: EvaluationProfile };

export interface GatewayStatus {
  readonly gateway: GatewayRecord;
  readonly jobs: Readonly<Record<JobState, number>>;
  readonly profiles: readonly StoredProfile[];
  readonly certificates: readonly IssuedCertificate[];
}

/** Opens the registry for operator work; close it when done. */
export function openGwaAdmin(options: GwaAdminOptions): GwaAdmin {
  return new GwaAdmin(options);
}

export class GwaAdmin {
  readonly registry: GwaRegistry;
  readonly #pkiDir: string | undefined;
  readonly #clock: TimerClock;

  constructor(options: GwaAdminOptions) {
    this.registry = GwaRegistry.open(options.dataDir);
    this.#pkiDir = options.pkiDir;
    this.#clock = options.clock ?? systemClock;
  }

  close(): void {
    this.registry.close();
  }

  registerGateway(o: { readonly id: string; readonly wakeup: string }): GatewayRecord {
    checkGatewayIdArgument(o?.id);
    parseWakeupAddress(o.wakeup);
    return this.registry.registerGateway(o.id, o.wakeup, this.#clock.now());
  }

  /** Queues set-meter-profile. */
  addMeter(gatewayId: string, profile: unknown): AdminJob {
    const p = validated(() => parseMeterProfile(profile));
    return this.#enqueue(gatewayId, { type: 'set-meter-profile', profile: p });
  }

  /** Queues the set job for a meter, communication or evaluation profile (kind told by its fields). */
  setProfile(gatewayId: string, profile: unknown): AdminJob {
    const p = classifyProfile(profile);
    switch (p.kind) {
      case 'meter':
        return this.#enqueue(gatewayId, { type: 'set-meter-profile', profile: p.profile });
      case 'communication':
        return this.#enqueue(gatewayId, { type: 'set-communication-profile', profile: p.profile });
      case 'evaluation':
        return this.#enqueue(gatewayId, { type: 'set-evaluation-profile', profile: p.profile });
    }
  }

  /** Queues the delete job for a profile. */
  deleteProfile(gatewayId: string, kind: ProfileKind, id: string): AdminJob {
    switch (kind) {
      case 'meter':
        return this.#enqueue(gatewayId, { type: 'delete-meter-profile', meterId: id });
      case 'communication':
        return this.#enqueue(gatewayId, { type: 'delete-communication-profile', id });
      case 'evaluation':
        return this.#enqueue(gatewayId, { type: 'delete-evaluation-profile', id });
      default:
        throw new HeadendError('SMGW_HEADEND_BAD_ARGUMENT', 'profile kind must be meter, communication or evaluation');
    }
  }

  /** Queues the communication profile of an EMT (where the gateway delivers, and for whom it encrypts). */
  addEmt(gatewayId: string, emt: EmtRecipient): AdminJob {
    const p = validated(() =>
      parseCommunicationProfile({
        id: emt?.id,
        url: emt?.url,
        servername: emt?.servername,
        tlsCertificatePem: emt?.tlsCertPem,
        encryptionCertificatePem: emt?.encCertPem,
        ...(emt?.retry === undefined ? {} : { retry: emt.retry }),
      }),
    );
    return this.#enqueue(gatewayId, { type: 'set-communication-profile', profile: p });
  }

  /**
   * Queues create-csr for TLS, SIG and ENC (spec notes §4). The server issues each answer and,
   * once all three are issued, queues install-certificates.
   */
  renewCertificates(gatewayId: string): AdminJob[] {
    checkGatewayIdArgument(gatewayId);
    return this.registry.transaction(() =>
      CERTIFICATE_USES.map((use) => this.#enqueue(gatewayId, { type: 'create-csr', use })),
    );
  }

  /** Queues read-log for the system or calibration log (at most 1,500 entries, spec notes §10). */
  readLog(gatewayId: string, log: string, o: { readonly fromIndex?: number; readonly count?: number } = {}): AdminJob {
    if (log !== 'system' && log !== 'calibration') {
      throw new HeadendError(
        'SMGW_HEADEND_BAD_ARGUMENT',
        'log must be system or calibration (the consumer log is read on the HAN)',
      );
    }
    return this.#enqueue(gatewayId, { type: 'read-log', log, fromIndex: o.fromIndex ?? 1, count: o.count ?? 1500 });
  }

  /** Queues set-han-account: a consumer or service technician of the gateway's HAN (issue 5). */
  setHanAccount(gatewayId: string, account: unknown): AdminJob {
    const a = validated(() => parseHanAccount(account));
    return this.#enqueue(gatewayId, { type: 'set-han-account', account: a });
  }

  /** Queues set-schedule (the gateway's poll interval). */
  setSchedule(gatewayId: string, pollIntervalSeconds: number): AdminJob {
    return this.#enqueue(gatewayId, { type: 'set-schedule', pollIntervalSeconds });
  }

  /** Queues read-status. */
  readStatus(gatewayId: string): AdminJob {
    return this.#enqueue(gatewayId, { type: 'read-status' });
  }

  listJobs(
    filter: { readonly gatewayId?: string; readonly state?: JobState; readonly limit?: number } = {},
  ): StoredJob[] {
    if (filter.gatewayId !== undefined) checkGatewayIdArgument(filter.gatewayId);
    return this.registry.jobs(filter);
  }

  job(jobId: string): StoredJob {
    const j = this.registry.job(jobId);
    if (j === undefined) throw new HeadendError('SMGW_HEADEND_UNKNOWN_JOB', `no job ${jobId}`);
    return j;
  }

  /** Signs a wake-up with the GWA's SIG key and sends it to the gateway's wake-up address. */
  async wake(gatewayId: string): Promise<WakeupSent> {
    checkGatewayIdArgument(gatewayId);
    this.registry.requireGateway(gatewayId);
    if (this.#pkiDir === undefined) {
      throw new HeadendError('SMGW_HEADEND_BAD_ARGUMENT', 'wake needs the PKI directory (the GWA SIG key)');
    }
    const module = await openEntityModule(this.#pkiDir, 'gwa', { clock: this.#clock });
    try {
      return await sendWakeup(this.registry, module, gatewayId, this.#clock);
    } finally {
      await module.close();
    }
  }

  status(gatewayId: string): GatewayStatus {
    checkGatewayIdArgument(gatewayId);
    const gateway = this.registry.requireGateway(gatewayId);
    const jobs: Record<JobState, number> = { pending: 0, done: 0, failed: 0 };
    for (const j of this.registry.jobs({ gatewayId, limit: 100_000 })) jobs[j.state]++;
    return {
      gateway,
      jobs,
      profiles: this.registry.profiles(gatewayId),
      certificates: this.registry.certificates(gatewayId),
    };
  }

  gateways(): GatewayRecord[] {
    return this.registry.gateways();
  }

  /**
   * Waits until a job is finished (polling the registry: the server may be another process).
   * SMGW_HEADEND_TIMEOUT after `timeoutMs`.
   */
  async waitForJob(jobId: string, o: { readonly timeoutMs: number; readonly pollMs?: number }): Promise<StoredJob> {
    const deadline = this.#clock.monotonic() + o.timeoutMs;
    // The clock's timers do not keep the process alive (systemClock unrefs them): a CLI that
    // only waits here would exit mid-wait without this handle.
    const keepAlive = setInterval(() => {}, 1 << 30);
    try {
      for (;;) {
        const j = this.job(jobId);
        if (j.state !== 'pending') return j;
        if (this.#clock.monotonic() >= deadline) {
          throw new HeadendError('SMGW_HEADEND_TIMEOUT', `job ${jobId} still pending after ${o.timeoutMs} ms`);
        }
        await new Promise<void>((resolve) => this.#clock.setTimer(o.pollMs ?? 250, resolve));
      }
    } finally {
      clearInterval(keepAlive);
    }
  }

  #enqueue(gatewayId: string, draft: Parameters<GwaRegistry['enqueueJob']>[1]): AdminJob {
    checkGatewayIdArgument(gatewayId);
    return this.registry.enqueueJob(gatewayId, draft, this.#clock.now());
  }
}

/** The entries of a finished read-log job (SMGW_HEADEND_BAD_ARGUMENT for another job or a failed one). */
export function logEntriesOf(job: StoredJob): readonly LogEntry[] {
  if (job.type !== 'read-log') throw new HeadendError('SMGW_HEADEND_BAD_ARGUMENT', `${job.jobId} is no read-log job`);
  if (job.result === undefined || !job.result.ok) {
    const why = job.result?.ok === false ? `${job.result.error.code}: ${job.result.error.message}` : job.state;
    throw new HeadendError('SMGW_HEADEND_BAD_ARGUMENT', `${job.jobId} has no log entries (${why})`);
  }
  return validated(() => parseReadLogResult(job.result?.ok ? job.result.result : undefined)).entries;
}

/** Tells a profile's kind by its distinguishing fields, then validates it with that kind's reader. */
export function classifyProfile(v: unknown): AnyProfile {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    throw new HeadendError('SMGW_HEADEND_BAD_ARGUMENT', 'a profile is a JSON object');
  }
  const has = (k: string): boolean => Object.hasOwn(v, k);
  if (has('access') && has('meterId')) return { kind: 'meter', profile: validated(() => parseMeterProfile(v)) };
  if (has('url') && has('servername')) {
    return { kind: 'communication', profile: validated(() => parseCommunicationProfile(v)) };
  }
  if (has('taf')) return { kind: 'evaluation', profile: validated(() => parseEvaluationProfile(v)) };
  throw new HeadendError(
    'SMGW_HEADEND_BAD_ARGUMENT',
    'not a meter (meterId, access), communication (url, servername) or evaluation (taf) profile',
  );
}

function validated<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (!isSmgwError(e)) throw e;
    throw new HeadendError('SMGW_HEADEND_BAD_ARGUMENT', `${e.message}`, { cause: e, detail: { ...e.detail } });
  }
}
