/**
 * The gateway's local bootstrap file: only what cannot come from the GWA (issue 4; spec notes
 * §5.4): its identity, its security module, the interfaces it binds, the one GWA it calls and
 * that GWA's certificates, the SM-PKI trust anchors and where the store lives. Meter,
 * communication and evaluation profiles, operational certificates and time come from the GWA.
 *
 * JSON; relative paths are relative to the file's directory. Every field is validated: a wrong
 * bootstrap file stops the gateway at start with SMGW_GW_BOOTSTRAP naming the field.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { isSmgwError, SmgwError } from '@opensmgw/core';
import { jsonCheck } from '@opensmgw/protocol';
import { isGatewayId } from '@opensmgw/security';

const { object, string, integer, optionalString, invalid, parseJsonText } = jsonCheck;

export type GatewayErrorCode = 'SMGW_GW_BOOTSTRAP' | 'SMGW_GW_START' | 'SMGW_GW_STATE';

export class GatewayError extends SmgwError<GatewayErrorCode> {}

export interface Endpoint {
  readonly host: string;
  readonly port: number;
}

export type ModuleBootstrap =
  | { readonly backend: 'software'; readonly keystore: string; readonly keyFile: string }
  | { readonly backend: 'pkcs11'; readonly library: string; readonly tokenLabel: string; readonly pinEnv: string };

export interface Bootstrap {
  /** Where the file was read from (paths below are already absolute). */
  readonly file: string;
  readonly gatewayId: string;
  readonly storePath: string;
  readonly securityModule: ModuleBootstrap;
  /** The manufacturer's factory WAN certificates (PEM files) and their slots in the module. */
  readonly factory: {
    readonly tlsCertificate: string;
    readonly sigCertificate: string;
    readonly encCertificate: string;
    /** Sub-CA chain (PEM) that issued them. */
    readonly chain: string;
    readonly tlsSlot: string;
    readonly sigSlot: string;
    readonly encSlot: string;
  };
  /** SM-PKI trust: root certificates and CRLs (PEM files). */
  readonly trust: { readonly roots: string; readonly crls: string };
  /** The one GWA (spec notes §5.4: exactly one administrator). */
  readonly gwa: {
    readonly url: string;
    readonly servername: string;
    readonly tlsCertificate: string;
    /** Its SIG certificate: wake-up packets must be signed by this key (spec notes §5.2). */
    readonly signatureCertificate: string;
  };
  readonly wan: {
    /** UDP endpoint for wake-up packets: the only thing the gateway listens for on the WAN. */
    readonly wakeup: Endpoint;
    /** Scheduled GWA contact until the GWA sets its own schedule. */
    readonly pollIntervalSeconds: number;
  };
  readonly lmn: {
    /** Simulated radio (UDP datagrams, docs/wire-protocols.md); null: none. */
    readonly radio: Endpoint | null;
    /** TLS server for SML meters; null: none. */
    readonly tls: (Endpoint & { readonly certificate: string; readonly slot: string }) | null;
  };
  /**
   * The HAN side (spec notes §9): the consumer/service API (HTTPS, HAN profile) and the CLS
   * proxy's port, both with the gateway's self-signed HAN certificate; null: no HAN.
   */
  readonly han: {
    readonly api: Endpoint | null;
    readonly cls: Endpoint | null;
    readonly certificate: string;
    readonly slot: string;
  } | null;
}

const HOST = /^[A-Za-z0-9.:-]{1,253}$/;

function endpoint(v: unknown, path: string): Endpoint {
  const o = object(v, path, ['host', 'port']);
  return { host: string(o.host, `${path}.host`, HOST, 253), port: integer(o.port, `${path}.port`, 0, 65535) };
}

/** Parses bootstrap JSON; `baseDir` resolves relative paths. */
export function parseBootstrap(text: string | Uint8Array, file: string): Bootstrap {
  try {
    const baseDir = dirname(resolve(file));
    const path = (v: unknown, p: string): string => {
      const s = string(v, p, /^[^\0]{1,1024}$/, 1024);
      return isAbsolute(s) ? s : resolve(baseDir, s);
    };
    const o = object(parseJsonText(text, 1024 * 1024), 'bootstrap', [
      '$comment',
      'gatewayId',
      'storePath',
      'securityModule',
      'factory',
      'trust',
      'gwa',
      'wan',
      'lmn',
      'han',
    ]);
    const gatewayId = string(o.gatewayId, 'bootstrap.gatewayId', undefined, 14);
    if (!isGatewayId(gatewayId)) throw invalid('bootstrap.gatewayId', 'expected E + 3 letters + 10 digits');
    const sm = o.securityModule as { backend?: unknown } | undefined;
    let securityModule: ModuleBootstrap;
    if (sm?.backend === 'software') {
      const s = object(sm, 'bootstrap.securityModule', ['backend', 'keystore', 'keyFile']);
      securityModule = {
        backend: 'software',
        keystore: path(s.keystore, 'bootstrap.securityModule.keystore'),
        keyFile: path(s.keyFile, 'bootstrap.securityModule.keyFile'),
      };
    } else if (sm?.backend === 'pkcs11') {
      const s = object(sm, 'bootstrap.securityModule', ['backend', 'library', 'tokenLabel', 'pinEnv']);
      securityModule = {
        backend: 'pkcs11',
        library: path(s.library, 'bootstrap.securityModule.library'),
        tokenLabel: string(s.tokenLabel, 'bootstrap.securityModule.tokenLabel', undefined, 32),
        pinEnv: string(s.pinEnv, 'bootstrap.securityModule.pinEnv', /^[A-Z_][A-Z0-9_]{0,63}$/, 64),
      };
    } else {
      throw invalid('bootstrap.securityModule.backend', 'must be "software" or "pkcs11"');
    }
    const f = object(o.factory, 'bootstrap.factory', [
      'tlsCertificate',
      'sigCertificate',
      'encCertificate',
      'chain',
      'tlsSlot',
      'sigSlot',
      'encSlot',
    ]);
    const slot = (v: unknown, p: string, d: string): string => optionalString(v, p, /^[a-z0-9-]{1,64}$/, 64) ?? d;
    const t = object(o.trust, 'bootstrap.trust', ['roots', 'crls']);
    const g = object(o.gwa, 'bootstrap.gwa', ['url', 'servername', 'tlsCertificate', 'signatureCertificate']);
    const w = object(o.wan, 'bootstrap.wan', ['wakeup', 'pollIntervalSeconds']);
    const l = object(o.lmn, 'bootstrap.lmn', ['radio', 'tls']);
    let tls: Bootstrap['lmn']['tls'] = null;
    if (l.tls !== null && l.tls !== undefined) {
      const x = object(l.tls, 'bootstrap.lmn.tls', ['host', 'port', 'certificate', 'slot']);
      tls = {
        ...endpoint({ host: x.host, port: x.port }, 'bootstrap.lmn.tls'),
        certificate: path(x.certificate, 'bootstrap.lmn.tls.certificate'),
        slot: slot(x.slot, 'bootstrap.lmn.tls.slot', 'lmn-tls'),
      };
    }
    let han: Bootstrap['han'] = null;
    if (o.han !== null && o.han !== undefined) {
      const h = object(o.han, 'bootstrap.han', ['api', 'cls', 'certificate', 'slot']);
      han = {
        api: h.api === null || h.api === undefined ? null : endpoint(h.api, 'bootstrap.han.api'),
        cls: h.cls === null || h.cls === undefined ? null : endpoint(h.cls, 'bootstrap.han.cls'),
        certificate: path(h.certificate, 'bootstrap.han.certificate'),
        slot: slot(h.slot, 'bootstrap.han.slot', 'han-tls'),
      };
    }
    return {
      file: resolve(file),
      gatewayId,
      storePath: path(o.storePath, 'bootstrap.storePath'),
      securityModule,
      factory: {
        tlsCertificate: path(f.tlsCertificate, 'bootstrap.factory.tlsCertificate'),
        sigCertificate: path(f.sigCertificate, 'bootstrap.factory.sigCertificate'),
        encCertificate: path(f.encCertificate, 'bootstrap.factory.encCertificate'),
        chain: path(f.chain, 'bootstrap.factory.chain'),
        tlsSlot: slot(f.tlsSlot, 'bootstrap.factory.tlsSlot', 'wan-tls-factory'),
        sigSlot: slot(f.sigSlot, 'bootstrap.factory.sigSlot', 'wan-sig-factory'),
        encSlot: slot(f.encSlot, 'bootstrap.factory.encSlot', 'wan-enc-factory'),
      },
      trust: { roots: path(t.roots, 'bootstrap.trust.roots'), crls: path(t.crls, 'bootstrap.trust.crls') },
      gwa: {
        url: string(g.url, 'bootstrap.gwa.url', /^https:\/\/[A-Za-z0-9.-]+(:\d{1,5})?$/, 300),
        servername: string(g.servername, 'bootstrap.gwa.servername', /^[A-Za-z0-9.-]{1,253}$/, 253),
        tlsCertificate: path(g.tlsCertificate, 'bootstrap.gwa.tlsCertificate'),
        signatureCertificate: path(g.signatureCertificate, 'bootstrap.gwa.signatureCertificate'),
      },
      wan: {
        wakeup: endpoint(w.wakeup, 'bootstrap.wan.wakeup'),
        pollIntervalSeconds: integer(w.pollIntervalSeconds ?? 300, 'bootstrap.wan.pollIntervalSeconds', 5, 7 * 86400),
      },
      lmn: {
        radio: l.radio === null || l.radio === undefined ? null : endpoint(l.radio, 'bootstrap.lmn.radio'),
        tls,
      },
      han,
    };
  } catch (e) {
    if (isSmgwError(e)) {
      throw new GatewayError('SMGW_GW_BOOTSTRAP', `bootstrap file ${file}: ${e.message}`, {
        cause: e,
        detail: { ...e.detail },
      });
    }
    throw e;
  }
}

export function readBootstrap(file: string): Bootstrap {
  let text: Buffer;
  try {
    text = readFileSync(file);
  } catch (e) {
    throw new GatewayError('SMGW_GW_BOOTSTRAP', `cannot read bootstrap file ${file}: ${(e as Error).message}`);
  }
  return parseBootstrap(text, file);
}

/** A bootstrap file for a gateway of a test PKI made by `smgw pki init` (used by `smgw gateway init` and the demo). */
export function bootstrapForTestPki(options: {
  readonly pkiDir: string;
  readonly gatewayId: string;
  readonly storePath: string;
  readonly gwaUrl: string;
  readonly wakeup: Endpoint;
  readonly radio: Endpoint | null;
  readonly lmnTls: Endpoint | null;
  readonly hanApi?: Endpoint | null;
  readonly cls?: Endpoint | null;
  readonly pollIntervalSeconds: number;
}): Record<string, unknown> {
  const p = (rel: string): string => resolve(options.pkiDir, rel);
  return {
    $comment: 'OpenSMGW gateway bootstrap: only what cannot come from the GWA (docs/gateway.md).',
    gatewayId: options.gatewayId,
    storePath: resolve(options.storePath),
    securityModule: { backend: 'software', keystore: p('gateway/keys.smgwks'), keyFile: p('gateway/keystore.key') },
    factory: {
      tlsCertificate: p('gateway/factory-tls.crt.pem'),
      sigCertificate: p('gateway/factory-sig.crt.pem'),
      encCertificate: p('gateway/factory-enc.crt.pem'),
      chain: p('subca/ca.crt.pem'),
    },
    trust: { roots: p('trust/roots.pem'), crls: p('trust/crls.pem') },
    gwa: {
      url: options.gwaUrl,
      servername: 'gwa.opensmgw.test',
      tlsCertificate: p('gwa/tls.crt.pem'),
      signatureCertificate: p('gwa/sig.crt.pem'),
    },
    wan: { wakeup: options.wakeup, pollIntervalSeconds: options.pollIntervalSeconds },
    lmn: {
      radio: options.radio,
      tls:
        options.lmnTls === null
          ? null
          : { ...options.lmnTls, certificate: p('gateway/lmn-tls.crt.pem'), slot: 'lmn-tls' },
    },
    han:
      (options.hanApi ?? null) === null && (options.cls ?? null) === null
        ? null
        : {
            api: options.hanApi ?? null,
            cls: options.cls ?? null,
            certificate: p('gateway/han-tls.crt.pem'),
            slot: 'han-tls',
          },
  };
}
