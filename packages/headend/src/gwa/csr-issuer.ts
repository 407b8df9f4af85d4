/**
 * What the GWA does with a gateway's certificate requests (spec notes §4, §5.4: the GWA renews
 * the gateway's WAN triplet): each create-csr result is issued by the test SM-PKI, and once
 * TLS, SIG and ENC certificates are all issued, one install-certificates job hands them to the
 * gateway together with the Sub-CA certificate.
 *
 * A request is issued only for the gateway that sent it: its CN must be `<gatewayId>.SMGW`
 * (the TLS client's ID), so a gateway cannot obtain a certificate in another gateway's name.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '@opensmgw/core';
import { type AdminJob, CERTIFICATE_USES, type CertificateUse, parseCsrResult } from '@opensmgw/protocol';
import { issueFromCsr, readDerObjects, readVerifiedCsr, toPem } from '@opensmgw/security';
import { HeadendError } from './errors.js';
import type { GwaRegistry } from './registry.js';

export interface IssuedForCsr {
  readonly use: CertificateUse;
  readonly serial: string;
  readonly pem: string;
  readonly fingerprint: string;
}

/**
 * Checks the create-csr answer against its job and the caller, and issues the certificate.
 * Throws HeadendError SMGW_HEADEND_ISSUE_FAILED (with the PKI's reason) when it cannot.
 */
export async function issueForCsrResult(
  pkiDir: string,
  gatewayId: string,
  job: Extract<AdminJob, { type: 'create-csr' }>,
  result: unknown,
  clock: Clock,
): Promise<IssuedForCsr> {
  try {
    const answer = parseCsrResult(result);
    if (answer.use !== job.use) throw refused(`the result is for ${answer.use}, the job asked for ${job.use}`);
    const der = readDerObjects(answer.csrPem, 'CERTIFICATE REQUEST')[0];
    if (der === undefined) throw refused('no certificate request');
    const csr = readVerifiedCsr(der);
    if (csr.commonName !== `${gatewayId}.SMGW`) {
      throw refused(`the request names ${JSON.stringify(csr.commonName ?? null)}, not ${gatewayId}.SMGW`);
    }
    const issued = await issueFromCsr(pkiDir, {
      csr: der,
      role: 'SMGW',
      type: job.use,
      entity: `gw-${gatewayId.toLowerCase()}`,
      slot: `wan-${job.use}`,
      clock,
    });
    return {
      use: job.use,
      serial: issued.entry.serial,
      pem: toPem('CERTIFICATE', issued.der),
      fingerprint: certificateFingerprint(issued.der),
    };
  } catch (e) {
    if (e instanceof HeadendError) throw e;
    const code = (e as { code?: unknown }).code;
    const why = e instanceof Error ? e.message : String(e);
    throw new HeadendError('SMGW_HEADEND_ISSUE_FAILED', `certificate not issued: ${why}`, {
      cause: e,
      ...(typeof code === 'string' ? { detail: { cause: code } } : {}),
    });
  }
}

/**
 * Records an issued certificate and, if TLS, SIG and ENC are now all issued and not yet sent,
 * queues the install-certificates job. Call inside the transaction that finishes the CSR job.
 */
export function recordIssued(
  registry: GwaRegistry,
  gatewayId: string,
  csrJobId: string,
  issued: IssuedForCsr,
  chainPem: string,
  nowMs: number,
): AdminJob | undefined {
  registry.addIssuedCertificate({
    gatewayId,
    use: issued.use,
    csrJobId,
    serial: issued.serial,
    pem: issued.pem,
    fingerprint: issued.fingerprint,
    issuedMs: nowMs,
  });
  const pending = registry.uninstalledCertificates(gatewayId);
  const { tls, sig, enc } = pending;
  if (tls === undefined || sig === undefined || enc === undefined) return undefined;
  const job = registry.enqueueJob(
    gatewayId,
    { type: 'install-certificates', tlsPem: tls.pem, sigPem: sig.pem, encPem: enc.pem, chainPem },
    nowMs,
  );
  registry.markCertificatesInstalling(
    gatewayId,
    CERTIFICATE_USES.map((u) => (pending[u] as { csrJobId: string }).csrJobId),
    job.jobId,
  );
  return job;
}

/** The Sub-CA certificate (PEM) the install job carries as chain. */
export async function readSubCaPem(pkiDir: string): Promise<string> {
  return readFile(join(pkiDir, 'subca', 'ca.crt.pem'), 'utf8');
}

/** SHA-256 of a DER certificate, lower-case hex. */
export function certificateFingerprint(der: Uint8Array): string {
  return createHash('sha256').update(der).digest('hex');
}

function refused(message: string): HeadendError {
  return new HeadendError('SMGW_HEADEND_ISSUE_FAILED', message);
}
