/**
 * Information-flow control of the gateway: the firewall SFP of PP-0073 FDP_IFC.2/FW and
 * FDP_IFF.1/FW (spec notes §5.1, §12) as an explicit table of allowed (source, destination,
 * initiator, data) flows. Everything not in the table is denied and logged. The rules it
 * encodes:
 *   1. No inbound connection from the WAN except the wake-up message.
 *   2. The gateway connects only to peers the GWA configured (`checkWanPeer`).
 *   3. No direct flow between the LMN and the WAN or HAN: meter data ends in the gateway and
 *      leaves only as TAF results it produced (FDP_IFF.1/MTR).
 *   4. HAN CLS traffic reaches an aEMT only through the gateway's TLS proxy.
 */
import { SmgwError } from '@opensmgw/core';
import type { EventLog } from './event-log.js';

export type FlowErrorCode = 'SMGW_FLOW_DENIED' | 'SMGW_FLOW_PEER_DENIED';
export class FlowError extends SmgwError<FlowErrorCode> {}

export type FlowEndpoint = 'lmn' | 'wan' | 'han' | 'gateway';

export type FlowData =
  /** wM-Bus telegrams and SML lists from meters (the meter sends; T1/C1 meters are unidirectional). */
  | 'meter-readings'
  /** The signed wake-up packet, the only thing the WAN may send unasked (§5.2). */
  | 'wake-up'
  /** The gateway's session with its GWA: time, jobs, results (§5.4). */
  | 'administration'
  /** CMS containers with TAF results to an EMT of a communication profile (§5.3). */
  | 'deliveries'
  /** The consumer reading their own values and log (IF_GW_CON, §9.1). */
  | 'consumer-access'
  /** The service technician reading status and the system log (IF_GW_SRV, §9.1). */
  | 'service-access'
  /** A CLS device's transparent channel to its configured aEMT, through the proxy (§9.2). */
  | 'cls-proxy';

export interface Flow {
  readonly source: FlowEndpoint;
  readonly destination: FlowEndpoint;
  /** Who opens the connection. */
  readonly initiator: FlowEndpoint;
  readonly data: FlowData;
}

/** The flow table (FDP_IFF.1/FW). Order is documentation only. */
export const FLOW_TABLE: readonly Flow[] = Object.freeze([
  { source: 'lmn', destination: 'gateway', initiator: 'lmn', data: 'meter-readings' },
  { source: 'wan', destination: 'gateway', initiator: 'wan', data: 'wake-up' },
  { source: 'gateway', destination: 'wan', initiator: 'gateway', data: 'administration' },
  { source: 'gateway', destination: 'wan', initiator: 'gateway', data: 'deliveries' },
  { source: 'han', destination: 'gateway', initiator: 'han', data: 'consumer-access' },
  { source: 'han', destination: 'gateway', initiator: 'han', data: 'service-access' },
  // HKS3: the CLS opens the channel; the gateway terminates it and connects to the aEMT.
  { source: 'han', destination: 'wan', initiator: 'han', data: 'cls-proxy' },
  // HKS4: the EMT asks the GWA, the GWA wakes and configures the gateway, which connects both ends.
  { source: 'wan', destination: 'han', initiator: 'gateway', data: 'cls-proxy' },
] as const satisfies readonly Flow[]);

/** The peers the gateway may open WAN connections to. */
export interface WanPeers {
  /** The GWA's base URL from the bootstrap file (the only administrator, §5.4). */
  readonly gwaUrl: string;
  /** The communication profiles the GWA configured (EMT endpoints). */
  readonly communicationProfiles: readonly { readonly id: string; readonly url: string }[];
}

export type WanPeer = { readonly kind: 'gwa' } | { readonly kind: 'emt'; readonly profileId: string };

export class FlowControl {
  readonly #events: EventLog;

  constructor(options: { events: EventLog }) {
    this.#events = options.events;
  }

  allowed(flow: Flow): boolean {
    return FLOW_TABLE.some(
      (f) =>
        f.source === flow.source &&
        f.destination === flow.destination &&
        f.initiator === flow.initiator &&
        f.data === flow.data,
    );
  }

  /** Throws FlowError SMGW_FLOW_DENIED (and logs) unless `flow` is in the table. */
  check(flow: Flow): void {
    if (this.allowed(flow)) return;
    const text = `${String(flow.source)}->${String(flow.destination)} (initiator ${String(flow.initiator)}, ${String(flow.data)})`;
    this.#events.record('system', {
      level: 2,
      outcome: 1,
      event: 'FLOW_DENIED',
      message: `information flow denied: ${text}`,
      subject: `${String(flow.source)}->${String(flow.destination)}`,
    });
    throw new FlowError('SMGW_FLOW_DENIED', `information flow denied: ${text}`, {
      detail: { source: flow.source, destination: flow.destination, initiator: flow.initiator, data: flow.data },
    });
  }

  /**
   * Checks a WAN connection target against the configured peers (rule 2): the GWA of the
   * bootstrap file, or the EMT of a communication profile. Scheme, host and port must match
   * exactly (default port 443); anything else throws FlowError SMGW_FLOW_PEER_DENIED and is logged.
   */
  checkWanPeer(target: string, allowed: WanPeers): WanPeer {
    const origin = originOf(target);
    if (origin !== undefined) {
      if (origin === originOf(allowed.gwaUrl)) return { kind: 'gwa' };
      const p = allowed.communicationProfiles.find((c) => originOf(c.url) === origin);
      if (p !== undefined) return { kind: 'emt', profileId: p.id };
    }
    // The target may come from a hostile source: log only its normalised origin, bounded.
    const shown = (origin ?? 'unparseable target').slice(0, 200);
    this.#events.record('system', {
      level: 3,
      outcome: 1,
      event: 'FLOW_PEER_DENIED',
      message: `connection to an unconfigured WAN peer refused: ${shown}`,
      subject: shown,
    });
    throw new FlowError('SMGW_FLOW_PEER_DENIED', `WAN peer not configured: ${shown}`);
  }
}

/** "https://host:port" normalised (lower-case host, explicit port), or undefined for anything else. */
function originOf(url: string): string | undefined {
  if (typeof url !== 'string' || url.length > 2048) return undefined;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  if (u.protocol !== 'https:' || u.username !== '' || u.password !== '') return undefined;
  return `https://${u.hostname.toLowerCase()}:${u.port === '' ? '443' : u.port}`;
}
