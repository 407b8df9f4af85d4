/**
 * What the gateway does for each administration job of its GWA (spec notes §5.4, §7.1;
 * protocol admin.ts). Jobs arrive already validated by the protocol readers; a handler applies
 * one, logs it (system log; calibration log for the metrologically relevant meter and
 * evaluation profiles, spec notes §10) and answers its result. A handler that throws makes the
 * session answer {ok:false, error} for that job and go on with the next.
 */
import type { Clock } from '@opensmgw/core';
import type { AdminJob, CsrResult, LogName, ReadLogResult } from '@opensmgw/protocol';
import type { EventLog } from '../core/event-log.js';
import type { GatewayStore } from '../store/types.js';
import { WanError } from './errors.js';
import type { InstalledSummary, WanIdentity } from './wan-identity.js';

export const SCHEDULE_STATE_KEY = 'admin-schedule';

/** What a sync-time job answers. */
export interface TimeSyncResult {
  readonly gwaEpochMs: number;
  readonly roundTripMs: number;
}

/** Services of the running session a job may use. */
export interface AdminJobContext {
  /** GET /gwa/v1/time now and synchronise (spec notes §5.5). */
  syncTime(): Promise<TimeSyncResult>;
}

export type AdminJobHandler = (job: AdminJob, ctx: AdminJobContext) => Promise<unknown>;

export interface AdminHandlersOptions {
  readonly store: GatewayStore;
  readonly events: EventLog;
  readonly identity: Pick<WanIdentity, 'createCsr' | 'install' | 'isFactory'>;
  readonly gatewayId: string;
  /** The gateway's time, for calibration-log entries written directly. */
  readonly clock: Pick<Clock, 'now'>;
  /** Meter, communication or evaluation profiles changed (lmn/ and core/ reload). */
  readonly onProfilesChanged?: (kind: 'meter' | 'communication' | 'evaluation') => void;
  /** The GWA set a new poll interval (the connection manager's schedule). */
  readonly onScheduleChanged?: (pollIntervalSeconds: number) => void;
  /** HAN account jobs (han/ applies them); without it such a job fails. */
  readonly hanAccounts?: (job: Extract<AdminJob, { type: 'set-han-account' | 'delete-han-account' }>) => unknown;
  /** CLS profile and channel jobs (han/ CLS proxy); without it such a job fails. */
  readonly cls?: (
    job: Extract<AdminJob, { type: 'set-cls-profile' | 'delete-cls-profile' | 'open-cls-channel' }>,
  ) => Promise<unknown>;
  /** Extra status fields (operating state, time validity) from core/. */
  readonly status?: () => Readonly<Record<string, unknown>>;
}

export function createAdminHandlers(o: AdminHandlersOptions): AdminJobHandler {
  const system = (event: string, message: string, subject?: string): void => {
    o.events.record('system', { level: 1, outcome: 0, event, message, ...(subject === undefined ? {} : { subject }) });
  };
  // Calibration-log entries are written directly, not through the rate limiter: a metrologically
  // relevant change must never be summarised away.
  const calibration = (event: string, message: string, subject: string): void => {
    o.store.appendLog('calibration', { level: 1, outcome: 0, event, message, subject }, o.clock.now());
  };
  const changed = (kind: 'meter' | 'communication' | 'evaluation'): void => o.onProfilesChanged?.(kind);
  const unknown = (what: string, id: string): WanError =>
    new WanError('SMGW_WAN_JOB_FAILED', `no ${what} profile ${id}`, { detail: { id } });

  const notEnabled = (type: string, what: string): WanError =>
    new WanError('SMGW_WAN_JOB_FAILED', `${type}: this gateway has no ${what}`, { detail: { type } });

  return async (job, ctx) => {
    switch (job.type) {
      case 'set-meter-profile': {
        const id = job.profile.meterId;
        o.store.putMeterProfile(job.profile);
        system('PROFILE_SET', 'meter profile set', id);
        calibration('PROFILE_SET', 'meter profile set', id);
        changed('meter');
        return { meterId: id };
      }
      case 'delete-meter-profile': {
        if (!o.store.deleteMeterProfile(job.meterId)) throw unknown('meter', job.meterId);
        system('PROFILE_DELETED', 'meter profile deleted', job.meterId);
        calibration('PROFILE_DELETED', 'meter profile deleted', job.meterId);
        changed('meter');
        return { meterId: job.meterId };
      }
      case 'set-communication-profile': {
        o.store.putCommunicationProfile(job.profile);
        system('PROFILE_SET', 'communication profile set', job.profile.id);
        changed('communication');
        return { id: job.profile.id };
      }
      case 'delete-communication-profile': {
        if (!o.store.deleteCommunicationProfile(job.id)) throw unknown('communication', job.id);
        system('PROFILE_DELETED', 'communication profile deleted', job.id);
        changed('communication');
        return { id: job.id };
      }
      case 'set-evaluation-profile': {
        o.store.putEvaluationProfile(job.profile);
        system('PROFILE_SET', `evaluation profile set (TAF ${job.profile.taf})`, job.profile.id);
        calibration('PROFILE_SET', `evaluation profile set (TAF ${job.profile.taf})`, job.profile.id);
        changed('evaluation');
        return { id: job.profile.id };
      }
      case 'delete-evaluation-profile': {
        if (!o.store.deleteEvaluationProfile(job.id)) throw unknown('evaluation', job.id);
        system('PROFILE_DELETED', 'evaluation profile deleted', job.id);
        calibration('PROFILE_DELETED', 'evaluation profile deleted', job.id);
        changed('evaluation');
        return { id: job.id };
      }
      case 'create-csr': {
        const csrPem = await o.identity.createCsr(job.use);
        system('CSR_CREATED', `new ${job.use} key generated in the security module, request issued`, job.use);
        const result: CsrResult = { use: job.use, csrPem };
        return result;
      }
      case 'install-certificates': {
        const installed: InstalledSummary = await o.identity.install(job);
        system(
          'CERTIFICATES_INSTALLED',
          `operational WAN certificates installed (tls ${installed.serials.tls}, sig ${installed.serials.sig}, enc ${installed.serials.enc})`,
          o.gatewayId,
        );
        return { serials: installed.serials };
      }
      case 'read-log': {
        const log: LogName = job.log;
        const result: ReadLogResult = { entries: o.store.readLog(log, job.fromIndex, job.count) };
        return result;
      }
      case 'sync-time':
        return ctx.syncTime();
      case 'read-status':
        return {
          gatewayId: o.gatewayId,
          timeMs: o.clock.now(),
          identity: o.identity.isFactory ? 'factory' : 'operational',
          profiles: {
            meter: o.store.meterProfiles().length,
            communication: o.store.communicationProfiles().length,
            evaluation: o.store.evaluationProfiles().length,
          },
          queue: { total: o.store.queueLength(), recipients: o.store.pendingRecipients().length },
          readings: o.store.countReadings(),
          ...(o.status?.() ?? {}),
        };
      case 'set-schedule': {
        o.store.setState(SCHEDULE_STATE_KEY, { pollIntervalSeconds: job.pollIntervalSeconds });
        system('SCHEDULE_SET', `poll interval ${job.pollIntervalSeconds} s`);
        o.onScheduleChanged?.(job.pollIntervalSeconds);
        return { pollIntervalSeconds: job.pollIntervalSeconds };
      }
      case 'set-han-account':
      case 'delete-han-account':
        if (o.hanAccounts === undefined) throw notEnabled(job.type, 'HAN interface');
        return o.hanAccounts(job);
      case 'set-cls-profile':
      case 'delete-cls-profile':
      case 'open-cls-channel':
        if (o.cls === undefined) throw notEnabled(job.type, 'CLS proxy');
        return o.cls(job);
      default: {
        // Every job type must be handled: a new one must not be answered "ok" without effect.
        const never: never = job;
        throw new WanError('SMGW_WAN_JOB_FAILED', `unknown job type ${String((never as { type?: unknown }).type)}`);
      }
    }
  };
}
