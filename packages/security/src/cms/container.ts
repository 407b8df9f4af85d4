/**
 * The containers of spec notes §3.7, end to end:
 *
 * - WAN (gateway → EMT, possibly relayed by the GWA): `sealContainer` / `openContainer`:
 *   ContentInfo(id-signedData) whose eContent (type id-ct-authEnvelopedData) is an
 *   AuthEnvelopedData for one or more recipients, signed by the sender's SIG key.
 * - HAN exports: `signOnly` / `verifySigned`: SignedData with the payload itself as eContent
 *   (id-data by default), the "PKCS#7 SignedData" of `*.sm_data.xml.cms` files.
 *
 * Opening checks the signature (and the sender) before it decrypts anything, and returns the
 * payload only when every check passed. Whatever is wrong with the container comes out as a
 * CmsError; faults of the caller's own setup (no key in the slot, a closed module) come out as
 * the module's SecurityModuleError.
 */
import type { Clock } from '@opensmgw/core';
import { CmsError } from '../errors.js';
import {
  type CmsRecipient,
  type ContentEncryption,
  createAuthEnvelopedData,
  openOwnAuthEnvelopedData,
} from './auth-enveloped-data.js';
import { readingHostileInput, requireBytes } from './hostile-input.js';
import { ID_CT_AUTH_ENVELOPED_DATA, ID_DATA } from './oids.js';
import { type CmsSigner, createSignedData, type SenderTrust, verifySignedData } from './signed-data.js';

export interface SealContainerOptions {
  readonly payload: Uint8Array;
  /** Content type of the payload; default id-data. */
  readonly contentType?: string;
  /** DER ENC certificates of the recipients (one KeyAgreeRecipientInfo each). */
  readonly recipients: readonly Uint8Array[];
  readonly signer: CmsSigner;
  /** Default 'aes-128-gcm'. */
  readonly encryption?: ContentEncryption;
  /** Source of the signing time; default the system clock. */
  readonly clock?: Clock;
  /** keyEncryptionAlgorithm OID; default ecka-eg-X963KDF-SHA256 (see auth-enveloped-data.ts). */
  readonly keyAgreementOid?: string;
}

export interface OpenContainerOptions extends SenderTrust {
  readonly recipient: CmsRecipient;
}

export interface OpenedContainer {
  readonly payload: Uint8Array;
  readonly contentType: string;
  /** The sender's DER SIG certificate. */
  readonly sender: Uint8Array;
  readonly signingTime: Date;
  readonly encryption: ContentEncryption;
}

/** Signs, for the sender, a payload encrypted for every recipient. Returns DER. */
export async function sealContainer(options: SealContainerOptions): Promise<Uint8Array> {
  const { signer } = options;
  const inner = await createAuthEnvelopedData({
    payload: options.payload,
    ...(options.contentType === undefined ? {} : { contentType: options.contentType }),
    recipients: options.recipients,
    random: (n) => signer.module.random(n),
    ...(options.encryption === undefined ? {} : { encryption: options.encryption }),
    ...(options.keyAgreementOid === undefined ? {} : { keyAgreementOid: options.keyAgreementOid }),
  });
  return createSignedData({
    eContentType: ID_CT_AUTH_ENVELOPED_DATA,
    eContent: inner,
    signer,
    ...(options.clock === undefined ? {} : { clock: options.clock }),
  });
}

/** Verifies the sender, then decrypts for `recipient`. */
export async function openContainer(container: Uint8Array, options: OpenContainerOptions): Promise<OpenedContainer> {
  return readingHostileInput(async () => {
    const signed = await verifySignedData(requireBytes(container, 'the container'), options);
    if (signed.eContentType !== ID_CT_AUTH_ENVELOPED_DATA) {
      throw new CmsError('SMGW_CMS_UNSUPPORTED', `eContentType ${signed.eContentType} is not id-ct-authEnvelopedData`);
    }
    const opened = await openOwnAuthEnvelopedData(signed.eContent, options.recipient);
    return {
      payload: opened.payload,
      contentType: opened.contentType,
      sender: signed.sender,
      signingTime: signed.signingTime,
      encryption: opened.encryption,
    };
  });
}

export interface SignOnlyOptions {
  readonly payload: Uint8Array;
  /** eContentType; default id-data (HAN exports, spec notes §3.7). */
  readonly contentType?: string;
  readonly signer: CmsSigner;
  readonly clock?: Clock;
}

export interface VerifiedContainer {
  readonly payload: Uint8Array;
  readonly contentType: string;
  readonly sender: Uint8Array;
  readonly signingTime: Date;
}

/** SignedData with the payload as eContent (no encryption). Returns DER. */
export async function signOnly(options: SignOnlyOptions): Promise<Uint8Array> {
  return createSignedData({
    eContentType: options.contentType ?? ID_DATA,
    eContent: options.payload,
    signer: options.signer,
    ...(options.clock === undefined ? {} : { clock: options.clock }),
  });
}

/** Verifies a `signOnly` container and returns its payload. */
export async function verifySigned(container: Uint8Array, trust: SenderTrust): Promise<VerifiedContainer> {
  return readingHostileInput(async () => {
    const signed = await verifySignedData(requireBytes(container, 'the container'), trust);
    return {
      payload: signed.eContent,
      contentType: signed.eContentType,
      sender: signed.sender,
      signingTime: signed.signingTime,
    };
  });
}
