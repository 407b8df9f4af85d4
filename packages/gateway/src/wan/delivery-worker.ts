/**
 * Store-and-forward delivery of readings to market participants (spec notes §3.7, §5.3;
 * docs/wire-protocols.md "Deliveries"). Per recipient, strictly in queue order: the head message
 * is sealed at send time (CMS SignedData by the gateway's SIG key over AuthEnvelopedData for the
 * recipient's ENC certificate) and POSTed to the recipient's EMT over the WAN client profile,
 * pinned to the TLS certificate of its communication profile.
 *
 * 201 (stored) and 200 (duplicate message ID: already stored) mark it delivered; anything else
 * keeps it at the head of the queue with exponential backoff from the profile's retry policy, so
 * nothing overtakes it. A recipient without a communication profile stays queued.
 */
import { isSmgwError, type TimerClock, type TimerHandle } from '@opensmgw/core';
import {
  CMS_MEDIA_TYPE,
  type CommunicationProfile,
  EMT_PATHS,
  MESSAGE_ID_HEADER,
  type RetryPolicy,
} from '@opensmgw/protocol';
import { readDerObjects, sealContainer } from '@opensmgw/security';
import type { EventLog } from '../core/event-log.js';
import type { GatewayStore, QueuedDelivery } from '../store/types.js';
import { WanError } from './errors.js';
import type { WanHttpsClient } from './https-client.js';
import type { WanIdentity } from './wan-identity.js';

/** Re-check interval for queued messages whose due time this process did not set (e.g. after a restart). */
export const DEFAULT_IDLE_POLL_MS = 60_000;
/** Backoff jitter: up to this fraction is taken off each delay, so many gateways do not retry in step. */
export const JITTER_FRACTION = 0.1;

export interface DeliveryWorkerOptions {
  readonly store: Pick<GatewayStore, 'nextDelivery' | 'pendingRecipients' | 'markDelivered' | 'markFailed'>;
  readonly client: Pick<WanHttpsClient, 'request'>;
  readonly identity: Pick<WanIdentity, 'signer' | 'random'>;
  readonly clock: TimerClock;
  readonly events: EventLog;
  readonly communicationProfile: (id: string) => CommunicationProfile | undefined;
  readonly idlePollMs?: number;
  readonly timeoutMs?: number;
}

/** Delay after `failures` failed attempts (0: the first retry): initial doubling up to max, minus jitter. */
export function backoffDelay(policy: RetryPolicy, failures: number, random01: number): number {
  const base = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** Math.min(failures, 40));
  return Math.max(0, Math.round(base - base * JITTER_FRACTION * random01));
}

export class DeliveryWorker {
  readonly #o: DeliveryWorkerOptions;
  #running = false;
  #again = false;
  #pass: Promise<void> | undefined;
  #timer: TimerHandle | undefined;
  /** Due times (wall ms) this worker set for a recipient's head after a failure. */
  readonly #due = new Map<string, number>();

  constructor(o: DeliveryWorkerOptions) {
    this.#o = o;
  }

  start(): void {
    this.#running = true;
    this.kick();
  }

  async stop(): Promise<void> {
    this.#running = false;
    this.#timer?.cancel();
    this.#timer = undefined;
    await this.#pass;
  }

  /** New work (a TAF queued messages, a profile changed): deliver what is due now. */
  kick(): void {
    if (!this.#running) return;
    if (this.#pass !== undefined) {
      this.#again = true;
      return;
    }
    this.#pass = this.#run().finally(() => {
      this.#pass = undefined;
    });
  }

  /** Resolves when no pass is running (tests). */
  async idle(): Promise<void> {
    while (this.#pass !== undefined) await this.#pass;
  }

  async #run(): Promise<void> {
    do {
      this.#again = false;
      this.#timer?.cancel();
      this.#timer = undefined;
      let recipients: string[];
      try {
        recipients = this.#o.store.pendingRecipients();
      } catch {
        recipients = [];
      }
      // Recipients are independent of each other; within one, strict order (#drain).
      await Promise.all(
        recipients.map((r) =>
          this.#drain(r).catch((e: unknown) => {
            // A store failure: nothing was marked; the message is tried again on the next pass.
            this.#o.events.record('system', {
              level: 3,
              outcome: 1,
              event: 'WAN_DELIVERY_ERROR',
              message: `delivery pass failed: ${isSmgwError(e) ? e.code : 'SMGW_CORE_INTERNAL'}`,
              subject: r,
            });
          }),
        ),
      );
      if (!this.#running) return;
      if (!this.#again) this.#arm(this.#hasPending());
    } while (this.#again && this.#running);
  }

  #arm(pending: boolean): void {
    const now = this.#o.clock.now();
    let next: number | undefined;
    for (const t of this.#due.values()) if (next === undefined || t < next) next = t;
    const idle = this.#o.idlePollMs ?? DEFAULT_IDLE_POLL_MS;
    let delay = next === undefined ? undefined : Math.max(0, next - now);
    if (pending && (delay === undefined || delay > idle)) delay = idle;
    if (delay !== undefined) this.#timer = this.#o.clock.setTimer(delay, () => this.kick());
  }

  #hasPending(): boolean {
    try {
      return this.#o.store.pendingRecipients().length > 0;
    } catch {
      return true;
    }
  }

  async #drain(recipientId: string): Promise<void> {
    for (;;) {
      if (!this.#running) return;
      const now = this.#o.clock.now();
      const head = this.#o.store.nextDelivery(recipientId, now);
      if (head === undefined) {
        const due = this.#due.get(recipientId);
        if (due !== undefined && due <= now) this.#due.delete(recipientId);
        return;
      }
      this.#due.delete(recipientId);
      const profile = this.#o.communicationProfile(recipientId);
      if (profile === undefined) {
        this.#o.events.record('system', {
          level: 2,
          outcome: 1,
          event: 'WAN_NO_COMMUNICATION_PROFILE',
          message: 'queued deliveries wait: no communication profile for this recipient',
          subject: recipientId,
        });
        return;
      }
      try {
        await this.#send(head, profile);
        this.#o.store.markDelivered(head.seq);
      } catch (e) {
        await this.#failed(head, profile, e);
        return;
      }
    }
  }

  async #send(d: QueuedDelivery, profile: CommunicationProfile): Promise<void> {
    const [enc] = readDerObjects(profile.encryptionCertificatePem, 'CERTIFICATE');
    if (enc === undefined) throw new WanError('SMGW_WAN_BAD_REQUEST', 'communication profile without ENC certificate');
    const container = await sealContainer({
      payload: d.payload,
      recipients: [enc],
      signer: this.#o.identity.signer(),
      clock: this.#o.clock,
    });
    const res = await this.#o.client.request({
      url: profile.url,
      servername: profile.servername,
      pinnedCertificatePem: profile.tlsCertificatePem,
      method: 'POST',
      path: EMT_PATHS.containers,
      headers: { 'content-type': CMS_MEDIA_TYPE, [MESSAGE_ID_HEADER]: d.messageId },
      body: container,
      maxResponseBytes: 64 * 1024,
      ...(this.#o.timeoutMs === undefined ? {} : { timeoutMs: this.#o.timeoutMs }),
    });
    // 201 stored; 200 duplicate message ID, i.e. stored by an earlier attempt whose answer was lost.
    if (res.status !== 201 && res.status !== 200) {
      throw new WanError('SMGW_WAN_BAD_RESPONSE', `the EMT answered ${res.status}`, { detail: { status: res.status } });
    }
  }

  async #failed(d: QueuedDelivery, profile: CommunicationProfile, e: unknown): Promise<void> {
    let r = 0;
    try {
      const b = await this.#o.identity.random(2);
      r = (((b[0] ?? 0) << 8) | (b[1] ?? 0)) / 65536;
    } catch {
      r = 0;
    }
    const now = this.#o.clock.now();
    const next = now + backoffDelay(profile.retry, d.attempts, r);
    const code = isSmgwError(e) ? e.code : 'SMGW_CORE_INTERNAL';
    const why = isSmgwError(e) ? `${code}: ${e.message}` : code;
    try {
      this.#o.store.markFailed(d.seq, next, why.slice(0, 512));
      this.#due.set(d.recipientId, next);
    } catch {
      // Not recorded: the message stays due and the next pass (idle poll) tries again.
    }
    this.#o.events.record('system', {
      level: 2,
      outcome: 1,
      event: 'WAN_DELIVERY_FAILED',
      message: `delivery attempt ${d.attempts + 1} failed (${code}); next in ${next - now} ms`,
      subject: d.recipientId,
    });
  }
}
