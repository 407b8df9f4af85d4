/**
 * The WAN server TLS profile of a head-end entity (GWA, EMT) from the test SM-PKI directory
 * (docs/pki.md): the entity's wan-tls key from its security module, its TLS certificate sent with
 * the Sub-CA certificate, and SM-PKI trust in gateways (roots, Sub-CA, CRLs; spec notes §3.3, §5).
 * Both head-end servers accept gateways under the same rules, so they build it here.
 */
import type { Clock } from '@opensmgw/core';
import { type SecurityModule, type TlsServerProfile, wanServerProfile } from '@opensmgw/security';

export interface EntityTlsOptions {
  /** The entity in the PKI, e.g. 'gwa' or 'emt-1': its certificate is `<entity>/tls.crt.pem`. */
  readonly entity: string;
  /** The entity's module, open (holds slot wan-tls). */
  readonly module: SecurityModule;
  /** Reads a PEM file by its path inside the PKI directory (each server keeps its own error for a missing file). */
  readonly readPem: (rel: string) => Promise<string>;
  readonly clock: Clock;
}

export async function entityWanServerProfile(options: EntityTlsOptions): Promise<TlsServerProfile> {
  const { entity, module, readPem, clock } = options;
  const key = await module.tlsKey('wan-tls');
  const subca = await readPem('subca/ca.crt.pem');
  return wanServerProfile({
    key,
    certificates: [await readPem(`${entity}/tls.crt.pem`), subca],
    trust: {
      kind: 'sm-pki',
      roots: [await readPem('trust/roots.pem')],
      intermediates: [subca],
      crls: [await readPem('trust/crls.pem')],
    },
    clock,
  });
}
