/**
 * Builds X.509 v2 CRLs (RFC 5280 §5) signed by a key in a SecurityModule. In the SM-PKI the root
 * lists revoked Sub-CA certificates and each Sub-CA lists revoked end-user certificates (spec
 * notes §4, "Revocation"). Sans-I/O apart from the module call; time comes in as parameters.
 * Parsing CRLs is `crl-parse.ts`.
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import { type Extension, RevokedCertificate, TBSCertList, Time, Version } from '@peculiar/asn1-x509';
import type { HashName } from '../curves.js';
import { PkiError } from '../errors.js';
import {
  assembleSigned,
  resolveSigner,
  type Signer,
  serialInteger,
  signatureAlgorithm,
  signWith,
} from './certificate-builder.js';
import {
  authorityKeyIdentifierExtension,
  type CrlReasonName,
  crlNumberExtension,
  crlReasonExtension,
  type ExtensionSpec,
  keyIdentifier,
  toAsnExtension,
} from './certificate-extensions.js';

export interface RevocationInput {
  /** Serial number of the revoked certificate, big-endian bytes or hex. */
  readonly serial: Uint8Array | string;
  readonly date: Date;
  /** RFC 5280 §5.3.1; `unspecified` is written as no reasonCode, as the RFC recommends. */
  readonly reason?: CrlReasonName;
}

export interface BuildCrlOptions {
  /** The CA whose certificates the CRL covers; its certificate gives the CRL issuer name. */
  readonly issuer: Signer & { readonly certificate: Uint8Array };
  readonly thisUpdate: Date;
  /** RFC 5280 §5.1.2.5: conforming CAs include nextUpdate. */
  readonly nextUpdate: Date;
  /** cRLNumber, strictly increasing per issuer (RFC 5280 §5.2.3). */
  readonly crlNumber: number;
  readonly revoked: readonly RevocationInput[];
  readonly hash: HashName;
  /** Extra CRL extensions after AKI and cRLNumber (none in the SM-PKI profile). */
  readonly extensions?: readonly ExtensionSpec[];
  /** TEST-ONLY hook, as in `issueCertificate`: change the TBSCertList before it is signed. */
  readonly mutate?: (tbs: TBSCertList) => void;
}

export function serialBytes(serial: Uint8Array | string): Uint8Array {
  if (typeof serial !== 'string') return serialInteger(serial);
  const hex = serial.length % 2 === 1 ? `0${serial}` : serial;
  if (!/^[0-9a-fA-F]+$/.test(hex)) {
    throw new PkiError('SMGW_PKI_BAD_ARGUMENT', `serial ${JSON.stringify(serial)} is not hexadecimal`);
  }
  return serialInteger(new Uint8Array(Buffer.from(hex, 'hex')));
}

/** DER CertificateList (v2) with AKI and cRLNumber, entries with reasonCode. */
export async function buildCrl(o: BuildCrlOptions): Promise<Uint8Array> {
  if (!(o.thisUpdate.getTime() <= o.nextUpdate.getTime())) {
    throw new PkiError('SMGW_PKI_BAD_ARGUMENT', 'CRL nextUpdate is before thisUpdate');
  }
  if (!Number.isSafeInteger(o.crlNumber) || o.crlNumber < 0) {
    throw new PkiError('SMGW_PKI_BAD_ARGUMENT', `CRL number ${o.crlNumber} is not a non-negative integer`);
  }
  const issuer = await resolveSigner(o.issuer, undefined);
  const entries = o.revoked.map(
    (r) =>
      new RevokedCertificate({
        userCertificate: serialBytes(r.serial).buffer as ArrayBuffer,
        revocationDate: new Time(r.date),
        ...(r.reason !== undefined && r.reason !== 'unspecified'
          ? { crlEntryExtensions: [toAsnExtension(crlReasonExtension(r.reason))] }
          : {}),
      }),
  );
  const extensions: Extension[] = [
    toAsnExtension(authorityKeyIdentifierExtension(keyIdentifier(issuer.key))),
    toAsnExtension(crlNumberExtension(o.crlNumber)),
    ...(o.extensions ?? []).map(toAsnExtension),
  ];
  const tbs = new TBSCertList({
    version: Version.v2,
    signature: signatureAlgorithm(o.hash),
    issuer: issuer.name,
    thisUpdate: new Time(o.thisUpdate),
    nextUpdate: new Time(o.nextUpdate),
    crlExtensions: extensions,
  });
  // RFC 5280 §5.1.2.6: with no revoked certificates the list is absent, not empty.
  if (entries.length > 0) tbs.revokedCertificates = entries;
  o.mutate?.(tbs);
  const tbsDer = new Uint8Array(AsnConvert.serialize(tbs));
  const signature = await signWith(o.issuer, issuer.key, tbsDer, o.hash);
  return assembleSigned(tbsDer, o.hash, signature);
}
