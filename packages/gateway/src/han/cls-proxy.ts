/**
 * The CLS proxy (IF_GW_CLS, spec notes §9.2; flow table rule 4 of §5.1): a transparent channel
 * between a CLS device in the HAN and the one active EMT the GWA configured for it. The gateway
 * terminates two TLS connections and copies bytes between them without reading them:
 *
 *   device <-- HAN TLS 1.2 (§3.4, device certificate pinned) --> gateway
 *   gateway <-- WAN TLS 1.2 (§3.3, SM-PKI + the communication profile's pinned certificate) --> EMT
 *
 * - HKS3 (the device starts): the device connects to the CLS port; the gateway knows it only by
 *   the SHA-256 of the certificate it authenticated with, finds its CLS profile, and connects to
 *   the communication profile named there. The device has no way to name a target: the proxy
 *   takes none from it (no CONNECT, no SNI routing). A device that names another host in its
 *   TLS server name indication is refused and logged (`CLS_TARGET_REFUSED`), so an attempt to
 *   reach anything else is visible, not just ineffective.
 * - HKS4 (the EMT starts; it asked the GWA, which woke the gateway and sent `open-cls-channel`):
 *   `openChannel(clsProfileId)` connects to the device as HAN TLS client (its certificate
 *   pinned) at the profile's `deviceEndpoint` and to the EMT, then joins them.
 * - Refused (system log `CLS_REFUSED`): a device without a CLS profile, a profile whose partner
 *   is not a communication profile, the proxy disabled (secure state "connectivity", §5.1/§11).
 * - Session limits as for every TLS channel: HAN 48 h and 10 min idle (DEFAULT_SESSION_POLICIES.han),
 *   WAN 48 h; either side's end closes the channel. Open, close, refusal and failures are
 *   system-log entries (§10); nothing from inside the channel is ever logged.
 */
import { X509Certificate } from 'node:crypto';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { bytesEqual, type Clock, isSmgwError, type TimerClock } from '@opensmgw/core';
import { type ClsProfile, type CommunicationProfile, parseHostPort } from '@opensmgw/protocol';
import {
  connectWithProfile,
  createProfileServer,
  DEFAULT_SESSION_POLICIES,
  hanClientProfile,
  hanServerProfile,
  type ProfileServer,
  SessionLedger,
  type SessionPolicy,
  type TlsClientProfile,
  type TlsKeyReference,
  type TlsServerProfile,
  type TlsTrust,
  wanClientProfile,
} from '@opensmgw/security';
import type { EventLog } from '../core/event-log.js';
import type { FlowControl } from '../core/flow-control.js';
import { listenTcp } from '../listen.js';
import type { GatewayStore } from '../store/types.js';
import { ClsError } from './cls-errors.js';
import { ClsProfiles, clsCertificateFingerprint } from './cls-profiles.js';

export interface ClsProxyOptions {
  /** CLS profiles (small state) and communication profiles. */
  readonly store: Pick<GatewayStore, 'getState' | 'setState' | 'communicationProfiles'>;
  readonly events: EventLog;
  /** Session ages and idle timers (monotonic) and, unless `validityClock`, certificate validity. */
  readonly clock: TimerClock;
  /** The gateway's legal time for certificate validity and CRL freshness. */
  readonly validityClock?: Clock;
  /** The gateway's HAN TLS key (security module slot `han-tls`). */
  readonly hanKey: TlsKeyReference;
  /** The gateway's self-signed HAN certificate (PEM). */
  readonly hanCertificatePem: string;
  /** The gateway's current WAN TLS identity (factory or operational; WanIdentity.tls). */
  readonly wanTls: () => { readonly key: TlsKeyReference; readonly certificatesPem: string | readonly string[] };
  /** SM-PKI trust for the EMT's server certificate. */
  readonly wanTrust: TlsTrust;
  /** The CLS port (HAN side). */
  readonly host: string;
  /** 0: any free port. */
  readonly port: number;
  /** Information-flow control: the cls-proxy rows of the flow table are checked per channel. */
  readonly flow?: Pick<FlowControl, 'check'>;
  /** False while the HAN is off (secure state "connectivity"): every channel is refused. */
  readonly enabled?: () => boolean;
  /** Default DEFAULT_SESSION_POLICIES.han (48 h, 10 min idle). */
  readonly hanSessionPolicy?: SessionPolicy;
  /** Default DEFAULT_SESSION_POLICIES.wan (48 h). */
  readonly wanSessionPolicy?: SessionPolicy;
  /** Time to set up each TLS connection of a channel. Default 15 s. */
  readonly connectTimeoutMs?: number;
  /** Most simultaneous channels. Default 64. */
  readonly maxChannels?: number;
}

export type ClsInitiator = 'device' | 'emt';

export interface ClsChannelInfo {
  readonly channelId: string;
  readonly clsProfileId: string;
  readonly emtProfileId: string;
  readonly initiator: ClsInitiator;
  readonly openedMs: number;
  /** Plaintext bytes copied so far, device to EMT and EMT to device. */
  readonly bytesUp: number;
  readonly bytesDown: number;
}

interface Channel {
  info: ClsChannelInfo;
  readonly device: TLSSocket;
  readonly emt: TLSSocket;
}

export class ClsProxy {
  readonly profiles: ClsProfiles;
  readonly #o: ClsProxyOptions;
  readonly #hanLedger: SessionLedger;
  readonly #wanLedger: SessionLedger;
  readonly #hanNames: X509Certificate;
  readonly #channels = new Map<string, Channel>();
  /** Device connections accepted and still being joined (HKS3), for close(). */
  readonly #pending = new Set<TLSSocket>();
  #serverProfile: TlsServerProfile;
  #server: ProfileServer | undefined;
  #wanProfile: { readonly cert: string; readonly profile: TlsClientProfile } | undefined;
  #seq = 0;
  #closed = false;

  constructor(options: ClsProxyOptions) {
    this.#o = options;
    this.profiles = new ClsProfiles(options.store);
    this.#hanLedger = new SessionLedger({
      policy: options.hanSessionPolicy ?? DEFAULT_SESSION_POLICIES.han,
      clock: options.clock,
    });
    this.#wanLedger = new SessionLedger({
      policy: options.wanSessionPolicy ?? DEFAULT_SESSION_POLICIES.wan,
      clock: options.clock,
    });
    try {
      this.#hanNames = new X509Certificate(options.hanCertificatePem);
    } catch (e) {
      throw new ClsError('SMGW_CLS_BAD_PROFILE', 'the gateway HAN certificate cannot be parsed', { cause: e });
    }
    this.#serverProfile = this.#buildServerProfile();
  }

  /** Open channels. */
  channels(): ClsChannelInfo[] {
    return [...this.#channels.values()].map((c) => c.info);
  }

  listen(): Promise<{ port: number }> {
    if (this.#server !== undefined || this.#closed) {
      return Promise.reject(new ClsError('SMGW_CLS_UNAVAILABLE', 'listen: already listening or closed'));
    }
    // The peer check delegates to the profile current at each handshake, so pins set later by
    // the GWA are accepted without a restart (as in lmn/sml-meter-server.ts).
    const live: TlsServerProfile = {
      ...this.#serverProfile,
      verifyPeer: (chain) => this.#serverProfile.verifyPeer(chain),
    };
    const server = createProfileServer(live, {
      onConnection: (socket) => this.#onDevice(socket),
      sessionPolicy: {
        ledger: this.#hanLedger,
        onLimit: (e) => this.#event('CLS_SESSION_LIMIT', undefined, `HAN side closed: ${e.limit}`, 1, 0),
      },
    });
    server.maxConnections = (this.#o.maxChannels ?? 64) * 2;
    server.on('connection', (raw: Socket) => void raw.remoteAddress);
    server.on('tlsClientError', (err: Error, socket: TLSSocket) => {
      const remote = socket?.remoteAddress ?? (socket as { _parent?: Socket } | undefined)?._parent?.remoteAddress;
      this.#event('CLS_TLS_REFUSED', remote ?? 'unknown peer', `CLS TLS handshake refused: ${reasonOf(err)}`);
    });
    this.#server = server;
    return listenTcp(server, this.#o.port, this.#o.host, (e) =>
      this.#event('CLS_SERVER_ERROR', undefined, e.message, 3),
    ).catch((e: unknown) => {
      this.#server = undefined;
      throw e;
    });
  }

  /**
   * Takes the current CLS profiles: new handshakes use the new pins; channels whose profile was
   * deleted, or now pins another certificate or names another EMT, are closed. Call after each
   * set-/delete-cls-profile and set-/delete-communication-profile.
   */
  reload(): void {
    this.#serverProfile = this.#buildServerProfile();
    this.#server?.setSecureContext(this.#serverProfile.options);
    for (const [id, c] of this.#channels) {
      const p = this.profiles.get(c.info.clsProfileId);
      const partner = p === undefined ? undefined : this.#partnerOf(p);
      const der = c.device.getPeerCertificate(false)?.raw;
      const samePin =
        p !== undefined &&
        der instanceof Uint8Array &&
        bytesEqual(new Uint8Array(der), new Uint8Array(new X509Certificate(p.certificatePem).raw));
      if (p === undefined || partner?.id !== c.info.emtProfileId || !samePin) {
        this.#closeChannel(id, 'profile changed or deleted');
      }
    }
  }

  /**
   * HKS4: the EMT asked for a channel (through the GWA). Connects to the device (HAN TLS client,
   * its certificate pinned) and to the EMT, joins them, and answers the channel. Throws ClsError
   * (and logs) when the profile, its partner or its endpoint is missing or a side cannot be reached.
   */
  async openChannel(clsProfileId: string): Promise<ClsChannelInfo> {
    this.#checkAvailable(clsProfileId);
    const profile = this.profiles.get(clsProfileId);
    if (profile === undefined) {
      throw this.#refuse('SMGW_CLS_NO_PROFILE', clsProfileId, `no CLS profile ${clsProfileId}`);
    }
    const partner = this.#partnerOf(profile);
    if (partner === undefined) {
      throw this.#refuse(
        'SMGW_CLS_NO_PARTNER',
        profile.id,
        `CLS profile ${profile.id}: partner ${profile.emtProfileId} is not a communication profile`,
      );
    }
    if (profile.deviceEndpoint === undefined) {
      throw this.#refuse('SMGW_CLS_NO_ENDPOINT', profile.id, `CLS profile ${profile.id} has no device endpoint`);
    }
    this.#o.flow?.check({ source: 'wan', destination: 'han', initiator: 'gateway', data: 'cls-proxy' });
    const { host, port } = parseHostPort(profile.deviceEndpoint);
    const device = this.#connectDevice(profile, host, port);
    const emt = this.#connectEmt(partner);
    const [d, e] = await Promise.allSettled([device, emt]);
    if (d.status === 'rejected' || e.status === 'rejected') {
      if (d.status === 'fulfilled') d.value.destroy();
      if (e.status === 'fulfilled') e.value.destroy();
      const err = d.status === 'rejected' ? d.reason : (e as PromiseRejectedResult).reason;
      const side = d.status === 'rejected' ? 'device' : 'EMT';
      this.#event('CLS_CHANNEL_FAILED', profile.id, `CLS channel (EMT-initiated) failed: ${side}: ${reasonOf(err)}`);
      throw isSmgwError(err) && err.code.startsWith('SMGW_CLS_')
        ? err
        : new ClsError('SMGW_CLS_CONNECT_FAILED', `CLS channel ${profile.id}: ${side} not reachable`, { cause: err });
    }
    if (this.#closed) {
      d.value.destroy();
      e.value.destroy();
      throw new ClsError('SMGW_CLS_UNAVAILABLE', 'the CLS proxy was closed');
    }
    return this.#join(profile, partner, d.value, e.value, 'emt');
  }

  /** Stops accepting, closes every channel. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const id of [...this.#channels.keys()]) this.#closeChannel(id, 'gateway stops');
    for (const s of this.#pending) s.destroy();
    this.#pending.clear();
    const server = this.#server;
    this.#server = undefined;
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  // ---- HKS3 ----

  #onDevice(socket: TLSSocket): void {
    socket.on('error', () => {}); // reported through close/limits; never an unhandled 'error'
    const remote = socket.remoteAddress ?? 'unknown peer';
    const der = socket.getPeerCertificate(false)?.raw;
    const fingerprint = der instanceof Uint8Array && der.length > 0 ? clsCertificateFingerprint(der) : '';
    const profile = this.profiles.byFingerprint(fingerprint);
    // SNI is the one place a TLS client can name where it wants to go. The proxy never routes by
    // it; a device naming anything but the gateway tried to reach another address (§9.2).
    const sni = socket.servername;
    if (typeof sni === 'string' && sni !== '' && this.#hanNames.checkHost(sni) === undefined) {
      this.#event(
        'CLS_TARGET_REFUSED',
        profile?.id ?? remote,
        `CLS device asked for another target (server name ${sni.slice(0, 100)}); only its configured EMT is reachable`,
      );
      socket.destroy();
      return;
    }
    try {
      this.#checkAvailable(profile?.id ?? remote);
    } catch {
      socket.destroy();
      return;
    }
    if (profile === undefined) {
      this.#event('CLS_REFUSED', remote, 'CLS device refused: no CLS profile pins its certificate');
      socket.destroy();
      return;
    }
    const partner = this.#partnerOf(profile);
    if (partner === undefined) {
      this.#event(
        'CLS_REFUSED',
        profile.id,
        `CLS device refused: partner ${profile.emtProfileId} is not a communication profile`,
      );
      socket.destroy();
      return;
    }
    try {
      this.#o.flow?.check({ source: 'han', destination: 'wan', initiator: 'han', data: 'cls-proxy' });
    } catch {
      socket.destroy(); // FlowControl logged it
      return;
    }
    // The device's first bytes wait in the socket (nothing reads it) until the EMT side is up.
    socket.pause();
    this.#pending.add(socket);
    this.#connectEmt(partner).then(
      (emt) => {
        this.#pending.delete(socket);
        if (this.#closed || socket.destroyed) {
          emt.destroy();
          socket.destroy();
          this.#event('CLS_CHANNEL_FAILED', profile.id, 'CLS channel abandoned: the device left during set-up', 1);
          return;
        }
        this.#join(profile, partner, socket, emt, 'device');
      },
      (err: unknown) => {
        this.#pending.delete(socket);
        this.#event('CLS_CHANNEL_FAILED', profile.id, `CLS channel (device-initiated) failed: EMT: ${reasonOf(err)}`);
        socket.destroy();
      },
    );
  }

  // ---- both directions ----

  #join(
    profile: ClsProfile,
    partner: CommunicationProfile,
    device: TLSSocket,
    emt: TLSSocket,
    initiator: ClsInitiator,
  ): ClsChannelInfo {
    this.#seq += 1;
    const channelId = `cls-${this.#seq}`;
    const channel: Channel = {
      info: {
        channelId,
        clsProfileId: profile.id,
        emtProfileId: partner.id,
        initiator,
        openedMs: this.#o.clock.now(),
        bytesUp: 0,
        bytesDown: 0,
      },
      device,
      emt,
    };
    this.#channels.set(channelId, channel);
    device.on('error', () => {});
    emt.on('error', () => {});
    // Counted, never read: the payload belongs to the device and its EMT (§9.2).
    device.on('data', (chunk: Buffer) => {
      channel.info = { ...channel.info, bytesUp: channel.info.bytesUp + chunk.length };
    });
    emt.on('data', (chunk: Buffer) => {
      channel.info = { ...channel.info, bytesDown: channel.info.bytesDown + chunk.length };
    });
    device.pipe(emt);
    emt.pipe(device);
    device.once('close', () => this.#closeChannel(channelId, 'device closed'));
    emt.once('close', () => this.#closeChannel(channelId, 'EMT closed'));
    device.resume();
    this.#event(
      'CLS_CHANNEL_OPENED',
      profile.id,
      `CLS channel ${channelId} open (${initiator === 'device' ? 'HKS3, device' : 'HKS4, EMT'}-initiated) to ${partner.id}`,
      1,
      0,
    );
    return channel.info;
  }

  #closeChannel(channelId: string, why: string): void {
    const c = this.#channels.get(channelId);
    if (c === undefined) return;
    this.#channels.delete(channelId);
    c.device.destroy();
    c.emt.destroy();
    this.#event(
      'CLS_CHANNEL_CLOSED',
      c.info.clsProfileId,
      `CLS channel ${channelId} closed (${why}); ${c.info.bytesUp} bytes up, ${c.info.bytesDown} bytes down`,
      1,
      0,
    );
  }

  async #connectEmt(partner: CommunicationProfile): Promise<TLSSocket> {
    const m = /^https:\/\/([A-Za-z0-9.-]+)(?::(\d{1,5}))?$/.exec(partner.url);
    const port = m?.[2] === undefined ? 443 : Number(m[2]);
    if (m?.[1] === undefined || port < 1 || port > 65535) {
      throw new ClsError('SMGW_CLS_NO_PARTNER', `communication profile ${partner.id} has no usable URL`);
    }
    let pinned: Uint8Array;
    try {
      pinned = new Uint8Array(new X509Certificate(partner.tlsCertificatePem).raw);
    } catch (e) {
      throw new ClsError('SMGW_CLS_NO_PARTNER', `communication profile ${partner.id}: pinned certificate unusable`, {
        cause: e,
      });
    }
    let socket: TLSSocket;
    try {
      // Full handshakes only (no session offered), so the peer certificate is always there to pin.
      socket = await connectWithProfile(this.#wanClientProfile(), {
        host: m[1],
        port,
        servername: partner.servername,
        signal: AbortSignal.timeout(this.#o.connectTimeoutMs ?? 15_000),
        sessionPolicy: {
          ledger: this.#wanLedger,
          onLimit: (e) => this.#event('CLS_SESSION_LIMIT', partner.id, `WAN side closed: ${e.limit}`, 1, 0),
        },
      });
    } catch (e) {
      throw new ClsError('SMGW_CLS_CONNECT_FAILED', `EMT ${partner.id} not reachable: ${reasonOf(e)}`, { cause: e });
    }
    const raw = socket.getPeerCertificate(false)?.raw;
    if (!(raw instanceof Uint8Array) || !bytesEqual(new Uint8Array(raw), pinned)) {
      socket.destroy();
      throw new ClsError(
        'SMGW_CLS_PEER_MISMATCH',
        `the server of ${partner.id} is not the one of its communication profile (pinned certificate)`,
      );
    }
    return socket;
  }

  async #connectDevice(profile: ClsProfile, host: string, port: number): Promise<TLSSocket> {
    const clientProfile = hanClientProfile({
      key: this.#o.hanKey,
      certificates: this.#o.hanCertificatePem,
      trust: { kind: 'pinned', certificates: [profile.certificatePem] },
      clock: this.#o.validityClock ?? this.#o.clock,
    });
    try {
      return await connectWithProfile(clientProfile, {
        host,
        port,
        signal: AbortSignal.timeout(this.#o.connectTimeoutMs ?? 15_000),
        sessionPolicy: {
          ledger: this.#hanLedger,
          onLimit: (e) => this.#event('CLS_SESSION_LIMIT', profile.id, `HAN side closed: ${e.limit}`, 1, 0),
        },
      });
    } catch (e) {
      throw new ClsError('SMGW_CLS_CONNECT_FAILED', `CLS device ${profile.id} not reachable: ${reasonOf(e)}`, {
        cause: e,
      });
    }
  }

  #wanClientProfile(): TlsClientProfile {
    const own = this.#o.wanTls();
    const certs = typeof own.certificatesPem === 'string' ? [own.certificatesPem] : [...own.certificatesPem];
    const cert = certs.join('');
    if (this.#wanProfile?.cert === cert) return this.#wanProfile.profile;
    const profile = wanClientProfile({
      key: own.key,
      certificates: certs,
      trust: this.#o.wanTrust,
      clock: this.#o.validityClock ?? this.#o.clock,
    });
    this.#wanProfile = { cert, profile };
    return profile;
  }

  #partnerOf(profile: ClsProfile): CommunicationProfile | undefined {
    return this.#o.store.communicationProfiles().find((c) => c.id === profile.emtProfileId);
  }

  #checkAvailable(subject: string): void {
    let why: string | undefined;
    if (this.#closed) why = 'the CLS proxy is closed';
    else if (this.#o.enabled?.() === false) why = 'the HAN is disabled (secure state)';
    else if (this.#channels.size + this.#pending.size >= (this.#o.maxChannels ?? 64)) why = 'too many CLS channels';
    if (why !== undefined) throw this.#refuse('SMGW_CLS_UNAVAILABLE', subject, `CLS channel refused: ${why}`);
  }

  #refuse(code: ConstructorParameters<typeof ClsError>[0], subject: string, message: string): ClsError {
    this.#event('CLS_REFUSED', subject, message);
    return new ClsError(code, message);
  }

  #buildServerProfile(): TlsServerProfile {
    const pins = this.profiles.list().map((p) => p.certificatePem);
    return hanServerProfile({
      key: this.#o.hanKey,
      certificates: this.#o.hanCertificatePem,
      // Pinned trust needs at least one certificate. With no CLS profile, the gateway's own HAN
      // certificate stands in: no device holds its key, and a peer presenting it still has no
      // CLS profile (fingerprint check in #onDevice).
      trust: { kind: 'pinned', certificates: pins.length > 0 ? pins : [this.#o.hanCertificatePem] },
      clock: this.#o.validityClock ?? this.#o.clock,
    });
  }

  #event(event: string, subject: string | undefined, message: string, level: 1 | 2 | 3 = 2, outcome: 0 | 1 = 1): void {
    try {
      this.#o.events.record('system', {
        level,
        outcome,
        event,
        message,
        ...(subject === undefined ? {} : { subject: subject.slice(0, 200) }),
      });
    } catch {
      // logging must not take the proxy down
    }
  }
}

function reasonOf(err: unknown): string {
  const e = err as Error & { code?: unknown; detail?: { reason?: unknown } };
  if (isSmgwError(err) && typeof e.detail?.reason === 'string') return `${e.code}: ${e.detail.reason}`;
  if (typeof e?.code === 'string') return e.code;
  return String(e?.message ?? err).slice(0, 200);
}
