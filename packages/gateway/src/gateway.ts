/**
 * The Smart Meter Gateway as one object: opens the security module and the store, builds the
 * LMN side (radio receiver + wM-Bus ingest, SML-over-TLS meter server), the core (time,
 * operating states, flow control, TAF engine) and the WAN side (wake-up listener, HTTPS client,
 * admin session, delivery worker, connection manager), and wires them together. Nothing here
 * listens on TCP on the WAN side: the only WAN socket is the wake-up UDP port (spec notes §5.1).
 *
 * Start order matters: store and identity first, then time (invalid until the first GWA
 * contact, spec notes §5.5), then the LMN listeners (values captured before the first sync carry
 * the "system time invalid" bit), then the WAN side, which contacts the GWA at once.
 */
import { readFileSync } from 'node:fs';
import { type Logger, silentLogger, systemClock, type TimerClock } from '@opensmgw/core';
import type { MeterProfile } from '@opensmgw/protocol';
import {
  engineProcessProblem,
  openSecurityModule,
  openTokenBesideEngine,
  readDerObjects,
  type SecurityModule,
  type TlsTrust,
  takePkcs11Pin,
} from '@opensmgw/security';
import { type Bootstrap, GatewayError } from './bootstrap.js';
import { createGatewayCore, LegalClock } from './core/gateway-core.js';
import type { GatewayTime } from './core/gateway-time.js';
import type { OperatingState } from './core/operating-state.js';
import type { RateLimitedEventLog } from './core/rate-limited-log.js';
import { ClsProxy, createClsJobHandler } from './han/cls-index.js';
import { applyHanAccountJob, type HanAccountJob, HanAccounts, startHanServer } from './han/index.js';
import { UdpRadioReceiver } from './lmn/radio-udp.js';
import { SmlMeterServer } from './lmn/sml-meter-server.js';
import { WmbusIngest } from './lmn/wmbus-ingest.js';
import { openGatewayStore } from './store/gateway-store.js';
import type { GatewayStore } from './store/types.js';
import { createAdminHandlers } from './wan/admin-handlers.js';
import { AdminSession } from './wan/admin-session.js';
import { ConnectionManager } from './wan/connection-manager.js';
import { DeliveryWorker } from './wan/delivery-worker.js';
import { WanHttpsClient } from './wan/https-client.js';
import { WakeupListener } from './wan/wakeup-listener.js';
import { WanIdentity } from './wan/wan-identity.js';

export interface GatewayOptions {
  readonly bootstrap: Bootstrap;
  /** System clock with timers (default the real one). */
  readonly clock?: TimerClock;
  /** Operator log lines (JSON); never the TR logs, which are data in the store. */
  readonly logger?: Logger;
  /** PIN of a PKCS#11 module (read from the environment variable the bootstrap names). */
  readonly env?: NodeJS.ProcessEnv;
}

/** Addresses actually bound (ports may be 0 in the bootstrap file: any free port). */
export interface GatewayAddresses {
  readonly wakeup: { readonly host: string; readonly port: number };
  readonly radio?: { readonly host: string; readonly port: number };
  readonly lmnTls?: { readonly host: string; readonly port: number };
  readonly hanApi?: { readonly host: string; readonly port: number };
  readonly cls?: { readonly host: string; readonly port: number };
}

function readText(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new GatewayError('SMGW_GW_START', `cannot read ${what} ${file}: ${(e as Error).message}`);
  }
}

async function openModule(b: Bootstrap, env: NodeJS.ProcessEnv): Promise<SecurityModule> {
  const m = b.securityModule;
  if (m.backend === 'software') {
    const keyFile = new Uint8Array(readFileSync(m.keyFile));
    try {
      return await openSecurityModule({ backend: 'software', path: m.keystore, keyFile, persist: 'auto' });
    } finally {
      keyFile.fill(0);
    }
  }
  // Every TLS context (WAN client, LMN server) uses its token key through OpenSSL's pkcs11 engine
  // (docs/pkcs11.md): without the engine set up, say so now rather than at the first handshake.
  const problem = engineProcessProblem();
  if (problem !== undefined) {
    throw new GatewayError('SMGW_GW_START', `the security module is a PKCS#11 token, but ${problem} (docs/pkcs11.md)`);
  }
  // The engine read the PIN when node loaded OPENSSL_CONF; take it out of the environment.
  const pin = takePkcs11Pin(env, m.pinEnv);
  if (pin === undefined || pin === '') {
    throw new GatewayError('SMGW_GW_START', `environment variable ${m.pinEnv} (PKCS#11 PIN) is not set`);
  }
  // keep-login: PKCS#11 login is process-wide, a logout at close would log the engine out too.
  return openTokenBesideEngine({ library: m.library, tokenLabel: m.tokenLabel, pin });
}

export class Gateway {
  readonly gatewayId: string;
  readonly store: GatewayStore;
  readonly events: RateLimitedEventLog;
  readonly time: GatewayTime;
  readonly operatingState: OperatingState;
  readonly addresses: GatewayAddresses;
  readonly #closers: (() => Promise<void> | void)[];
  readonly #logger: Logger;

  private constructor(parts: {
    gatewayId: string;
    store: GatewayStore;
    events: RateLimitedEventLog;
    time: GatewayTime;
    operatingState: OperatingState;
    addresses: GatewayAddresses;
    closers: (() => Promise<void> | void)[];
    logger: Logger;
  }) {
    this.gatewayId = parts.gatewayId;
    this.store = parts.store;
    this.events = parts.events;
    this.time = parts.time;
    this.operatingState = parts.operatingState;
    this.addresses = parts.addresses;
    this.#closers = parts.closers;
    this.#logger = parts.logger;
  }

  static async start(options: GatewayOptions): Promise<Gateway> {
    const b = options.bootstrap;
    const sys = options.clock ?? systemClock;
    const logger = options.logger ?? silentLogger;
    const closers: (() => Promise<void> | void)[] = [];
    const closeAll = async (): Promise<void> => {
      for (const c of closers.splice(0).reverse()) {
        try {
          await c();
        } catch {
          // closing what is already broken
        }
      }
    };
    try {
      const module = await openModule(b, options.env ?? process.env);
      closers.push(() => module.close());
      // Log entries carry gateway (legal) time once it is known (LegalClock switches over).
      const legal = new LegalClock(sys);
      const store = openGatewayStore(b.storePath, { clock: legal });
      closers.push(() => store.close());
      let delivery: DeliveryWorker | undefined;
      const core = createGatewayCore({
        store,
        clock: sys,
        legalClock: legal,
        gatewayId: b.gatewayId,
        onCommitted: () => delivery?.kick(),
      });
      const { events, states: operatingState, time, flow, taf } = core;
      /** Gateway time with the system clock's timers: what every component reads the time from. */
      const clock: TimerClock = {
        now: () => time.now(),
        monotonic: () => sys.monotonic(),
        setTimer: (ms, cb) => sys.setTimer(ms, cb),
      };

      // --- trust and identity (WAN) ---
      const roots = readDerObjects(readText(b.trust.roots, 'SM-PKI roots'), 'CERTIFICATE');
      const crls = readDerObjects(readText(b.trust.crls, 'SM-PKI CRLs'), 'X509 CRL');
      const chainPem = readText(b.factory.chain, 'factory certificate chain');
      const intermediates = readDerObjects(chainPem, 'CERTIFICATE');
      const trust: TlsTrust = { kind: 'sm-pki', roots, intermediates, crls };
      const identity = await WanIdentity.open({
        module,
        store,
        gatewayId: b.gatewayId,
        chainPem,
        trust: { roots, intermediates, crls },
        clock,
      });
      const client = new WanHttpsClient({
        identity,
        trust,
        clock,
        flow: (url) => {
          flow.checkWanPeer(url, { gwaUrl: b.gwa.url, communicationProfiles: store.communicationProfiles() });
        },
      });

      // --- LMN ---
      const statusWord = (): number => time.statusWord();
      const ingest = new WmbusIngest({ store, events, clock, statusWord });
      let sml: SmlMeterServer | undefined;
      const reloadMeters = (): void => {
        const meters: MeterProfile[] = store.meterProfiles();
        ingest.reloadProfiles(meters);
        sml?.updateMeters(meters);
      };
      const addresses: { -readonly [K in keyof GatewayAddresses]: GatewayAddresses[K] } = {
        wakeup: { host: b.wan.wakeup.host, port: b.wan.wakeup.port },
      };
      if (b.lmn.tls !== null) {
        const t = b.lmn.tls;
        sml = new SmlMeterServer({
          store,
          events,
          clock,
          key: await module.tlsKey(t.slot),
          certificatePem: readText(t.certificate, 'LMN TLS certificate'),
          host: t.host,
          port: t.port,
          statusWord,
        });
      }
      reloadMeters();
      if (sml !== undefined) {
        const server = sml;
        const { port } = await server.listen();
        addresses.lmnTls = { host: b.lmn.tls?.host ?? '127.0.0.1', port };
        closers.push(() => server.close());
      }
      if (b.lmn.radio !== null) {
        const radio = new UdpRadioReceiver({
          host: b.lmn.radio.host,
          port: b.lmn.radio.port,
          clock,
          onFrames: (frames) => {
            ingest.handleBatch(frames);
          },
        });
        const { port } = await radio.listen();
        addresses.radio = { host: b.lmn.radio.host, port };
        closers.push(() => radio.close());
      }

      // --- deliveries ---
      delivery = new DeliveryWorker({
        // Secure state "application" allows only administration (spec notes §11): the queue is
        // kept but nothing is sent until the state is left.
        store: {
          nextDelivery: (recipient, now) =>
            operatingState.allows('deliveries') ? store.nextDelivery(recipient, now) : undefined,
          pendingRecipients: () => store.pendingRecipients(),
          markDelivered: (seq) => store.markDelivered(seq),
          markFailed: (seq, next, error) => store.markFailed(seq, next, error),
        },
        client,
        identity,
        clock,
        events,
        communicationProfile: (id) => store.communicationProfiles().find((p) => p.id === id),
      });

      // --- HAN: consumer/service API and CLS proxy (spec notes §9) ---
      let accounts: HanAccounts | undefined;
      let cls: ClsProxy | undefined;
      if (b.han !== null) {
        const hanKey = await module.tlsKey(b.han.slot);
        const hanCertificatePem = readText(b.han.certificate, 'HAN TLS certificate');
        if (b.han.api !== null) {
          const han = await startHanServer({
            store,
            events,
            clock,
            key: hanKey,
            certificatePem: hanCertificatePem,
            gatewayId: b.gatewayId,
            host: b.han.api.host,
            port: b.han.api.port,
            logger,
            systemState: () => ({
              gatewayId: b.gatewayId,
              operatingState: operatingState.state,
              timeValid: time.valid,
              certificates: identity.isFactory ? 'factory' : 'operational',
            }),
          });
          accounts = han.accounts;
          addresses.hanApi = { host: han.host, port: han.port };
          closers.push(() => han.close());
        }
        if (b.han.cls !== null) {
          const proxy = new ClsProxy({
            store,
            events,
            clock,
            hanKey,
            hanCertificatePem,
            wanTls: () => identity.tls(),
            wanTrust: trust,
            host: b.han.cls.host,
            port: b.han.cls.port,
            flow,
            // Secure state "connectivity" disables HAN and CLS (spec notes §11).
            enabled: () => operatingState.allows('han'),
          });
          const { port } = await proxy.listen();
          addresses.cls = { host: b.han.cls.host, port };
          closers.push(() => proxy.close());
          cls = proxy;
        }
      }
      const clsJobs = cls === undefined ? undefined : createClsJobHandler({ proxy: cls, events });
      const hanAccounts = accounts ?? (b.han === null ? undefined : new HanAccounts(store));

      // --- WAN: administration ---
      const gwaTlsPem = readText(b.gwa.tlsCertificate, 'GWA TLS certificate');
      let connection: ConnectionManager | undefined;
      const handlers = createAdminHandlers({
        store,
        events,
        identity,
        gatewayId: b.gatewayId,
        clock,
        onProfilesChanged: (kind) => {
          if (kind === 'meter') reloadMeters();
          if (kind === 'evaluation') taf.reschedule();
          if (kind === 'communication') {
            delivery?.kick();
            cls?.reload();
          }
        },
        ...(hanAccounts === undefined
          ? {}
          : { hanAccounts: (job: HanAccountJob) => applyHanAccountJob(job, hanAccounts, events) }),
        ...(clsJobs === undefined ? {} : { cls: clsJobs }),
        onScheduleChanged: (s) => connection?.setPollInterval(s * 1000),
        status: () => ({
          operatingState: operatingState.state,
          timeValid: time.valid,
          readings: store.countReadings(),
          queued: store.queueLength(),
        }),
      });
      const session = new AdminSession({
        client,
        gwa: { url: b.gwa.url, servername: b.gwa.servername, tlsCertificatePem: gwaTlsPem },
        time: {
          now: () => sys.now(),
          sync: (gwa, sent, received) => {
            time.sync(gwa, sent, received);
            taf.reschedule();
          },
        },
        store,
        events,
        handlers,
      });
      const schedule = store.getState<number>('admin-schedule');
      connection = new ConnectionManager({
        adminSession: {
          run: async (reason) => {
            logger.info('contacting the GWA', { reason, gwa: b.gwa.url });
            const summary = await session.run(reason);
            logger.info('GWA session done', { ...summary });
            return summary;
          },
        },
        clock,
        pollIntervalMs: (typeof schedule === 'number' ? schedule : b.wan.pollIntervalSeconds) * 1000,
        onError: (e) => logger.warn('GWA session failed', { error: e instanceof Error ? e.message : String(e) }),
      });
      const manager = connection;
      const wakeup = new WakeupListener({
        host: b.wan.wakeup.host,
        port: b.wan.wakeup.port,
        gatewayId: b.gatewayId,
        gwaSignatureCertificates: readDerObjects(
          readText(b.gwa.signatureCertificate, 'GWA signature certificate'),
          'CERTIFICATE',
        ),
        clock,
        store,
        events,
        onWakeup: () => {
          logger.info('valid wake-up packet: calling the GWA');
          manager.wakeup();
        },
      });
      addresses.wakeup = { host: b.wan.wakeup.host, port: await wakeup.start() };
      closers.push(() => wakeup.stop());

      taf.start();
      closers.push(() => taf.stop());
      delivery.start();
      const worker = delivery;
      closers.push(() => worker.stop());
      manager.start();
      closers.push(() => manager.stop());

      events.record('system', {
        level: 1,
        outcome: 0,
        event: 'GATEWAY_STARTED',
        message: `gateway ${b.gatewayId} started (${identity.isFactory ? 'factory' : 'operational'} certificates)`,
        subject: b.gatewayId,
      });
      logger.info('gateway started', { gatewayId: b.gatewayId, ...flatten(addresses) });
      return new Gateway({
        gatewayId: b.gatewayId,
        store,
        events,
        time,
        operatingState,
        addresses,
        closers,
        logger,
      });
    } catch (e) {
      await closeAll();
      throw e;
    }
  }

  /** Stops every listener and timer, waits for running work, closes store and module. */
  async stop(): Promise<void> {
    this.events.record('system', {
      level: 1,
      outcome: 0,
      event: 'GATEWAY_STOPPED',
      message: `gateway ${this.gatewayId} stopped`,
      subject: this.gatewayId,
    });
    for (const c of this.#closers.splice(0).reverse()) {
      try {
        await c();
      } catch (e) {
        this.#logger.warn('error while stopping', { error: e instanceof Error ? e.message : String(e) });
      }
    }
  }
}

function flatten(a: GatewayAddresses): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(a)) if (v) out[k] = `${v.host}:${v.port}`;
  return out;
}
