/**
 * The GWA's CLS jobs (docs/wire-protocols.md "CLS proxy"; spec notes §9.2) [M]:
 * `set-cls-profile`, `delete-cls-profile` and `open-cls-channel` (HKS4: the EMT asked the GWA,
 * the GWA queued this job and woke the gateway). Each profile change is a system-log entry and
 * takes effect at once (new pins, channels of changed profiles closed).
 *
 * wan/admin-handlers.ts hands these three job types here; the result is what the GWA gets.
 */
import type { AdminJob } from '@opensmgw/protocol';
import type { EventLog } from '../core/event-log.js';
import { ClsError } from './cls-errors.js';
import type { ClsChannelInfo, ClsProxy } from './cls-proxy.js';

export type ClsJob = Extract<AdminJob, { type: 'set-cls-profile' | 'delete-cls-profile' | 'open-cls-channel' }>;

export const CLS_JOB_TYPES: readonly ClsJob['type'][] = ['set-cls-profile', 'delete-cls-profile', 'open-cls-channel'];

export function isClsJob(job: AdminJob): job is ClsJob {
  return (CLS_JOB_TYPES as readonly string[]).includes(job.type);
}

export type ClsJobResult =
  | { readonly id: string }
  | { readonly id: string; readonly deleted: true }
  | { readonly channel: ClsChannelInfo };

export function createClsJobHandler(o: {
  readonly proxy: Pick<ClsProxy, 'profiles' | 'reload' | 'openChannel'>;
  readonly events: EventLog;
}): (job: ClsJob) => Promise<ClsJobResult> {
  const system = (event: string, message: string, subject: string): void => {
    o.events.record('system', { level: 1, outcome: 0, event, message, subject });
  };
  return async (job) => {
    switch (job.type) {
      case 'set-cls-profile': {
        const p = o.proxy.profiles.put(job.profile);
        system('CLS_PROFILE_SET', `CLS profile ${p.id} set (partner ${p.emtProfileId})`, p.id);
        o.proxy.reload();
        return { id: p.id };
      }
      case 'delete-cls-profile': {
        if (!o.proxy.profiles.delete(job.id)) {
          throw new ClsError('SMGW_CLS_NO_PROFILE', `no CLS profile ${job.id}`, { detail: { id: job.id } });
        }
        system('CLS_PROFILE_DELETED', `CLS profile ${job.id} deleted`, job.id);
        o.proxy.reload();
        return { id: job.id, deleted: true };
      }
      case 'open-cls-channel':
        return { channel: await o.proxy.openChannel(job.clsProfileId) };
    }
  };
}
