/**
 * What the EMT does with one delivered container (docs/wire-protocols.md "Deliveries"; CMS
 * profile in docs/cms.md; spec notes §3.7, §5.3), in this order:
 *
 * 1. Open the CMS container (SignedData over AuthEnvelopedData) with the EMT's ENC key; the
 *    sender is trusted only by SM-PKI path validation of the signer's SIG certificate (roots,
 *    Sub-CA, CRLs, SIG key usage, role SMGW) at our clock, with the signing time inside its
 *    validity (docs/cms.md "--pki path validation"). The signer's CN must be
 *    `<gatewayId>.SMGW` of the gateway authenticated by TLS: checked inside the validator,
 *    so a container signed by another gateway costs no decryption.
 * 2. Decode the payload as a ReadingsMessage; its gatewayId must be the signer's.
 * 3. Store it (one transaction; a known message ID is a duplicate).
 *
 * The `x-opensmgw-message-id` header is only compared with the verified payload (a mismatch is
 * refused): an unverified header never decides anything.
 */
import { createHash } from 'node:crypto';
import { type Clock, isSmgwError } from '@opensmgw/core';
import { decodeReadingsMessage, MAX_CONTAINER_BYTES, type ReadingsMessage } from '@opensmgw/protocol';
import {
  type CmsRecipient,
  commonName,
  openContainer,
  type ParsedCertificate,
  type ParsedCrl,
  PkiError,
  parseCertificate,
  validatePath,
} from '@opensmgw/security';
import { EmtError } from './emt-errors.js';
import type { EmtStore } from './emt-store.js';

/** The SM-PKI the sender's SIG certificate must validate to (parsed once, reused per container). */
export interface SenderTrustAnchors {
  readonly roots: readonly ParsedCertificate[];
  /** Sub-CA certificates (and CRL signers); certificates in the container are added per message. */
  readonly intermediates: readonly ParsedCertificate[];
  readonly crls: readonly ParsedCrl[];
}

export interface ContainerIntakeOptions {
  readonly store: EmtStore;
  /** The EMT's ENC key (module + slot) and certificate. */
  readonly recipient: CmsRecipient;
  readonly trust: SenderTrustAnchors;
  readonly clock: Clock;
}

export interface Delivery {
  /** The container, as received. */
  readonly body: Uint8Array;
  /** The gateway ID of the TLS client (its certificate's CN without ".SMGW"). */
  readonly tlsGatewayId: string;
  /** The x-opensmgw-message-id header, if sent. */
  readonly messageIdHeader?: string;
}

export interface IntakeResult {
  readonly outcome: 'stored' | 'duplicate';
  readonly gatewayId: string;
  readonly messageId: string;
  readonly evaluationProfileId: string;
  /** Readings in the message, and how many of them were new. */
  readonly readings: number;
  readonly readingsStored: number;
}

const GATEWAY_CN = /^([Ee][A-Za-z]{3}[0-9]{10})\.SMGW$/;

/** `<gatewayId>.SMGW` -> gatewayId, or undefined for any other CN. */
export function gatewayIdOfCommonName(cn: string | undefined): string | undefined {
  return cn === undefined ? undefined : GATEWAY_CN.exec(cn)?.[1];
}

const sha256Hex = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

export class ContainerIntake {
  readonly #o: ContainerIntakeOptions;

  constructor(options: ContainerIntakeOptions) {
    this.#o = options;
  }

  async receive(d: Delivery): Promise<IntakeResult> {
    if (d.body.length > MAX_CONTAINER_BYTES) {
      throw new EmtError('SMGW_EMT_TOO_LARGE', `container larger than ${MAX_CONTAINER_BYTES} bytes`);
    }
    const { msg, sender } = await this.#open(d);
    if (d.messageIdHeader !== undefined && d.messageIdHeader !== msg.messageId) {
      throw new EmtError(
        'SMGW_EMT_BAD_PAYLOAD',
        'the x-opensmgw-message-id header differs from the signed message ID',
        {
          detail: { messageId: msg.messageId },
        },
      );
    }
    const stored = await this.#o.store.storeMessage(msg, {
      senderCertSha256: sha256Hex(sender),
      containerSha256: sha256Hex(d.body),
      receivedMs: this.#o.clock.now(),
    });
    return {
      outcome: stored.outcome,
      gatewayId: msg.gatewayId,
      messageId: msg.messageId,
      evaluationProfileId: msg.evaluationProfileId,
      readings: msg.readings.length,
      readingsStored: stored.readingsStored,
    };
  }

  /** Steps 1 and 2: the verified message and the signer's certificate. */
  async #open(d: Delivery): Promise<{ msg: ReadingsMessage; sender: Uint8Array }> {
    const { trust, clock } = this.#o;
    // Why the validator refused, so a refused sender is told apart from a broken container
    // (openContainer reports both as SMGW_CMS_BAD_SIGNATURE).
    let refusal: EmtError | undefined;
    const validateSender = (sender: Uint8Array, others: readonly Uint8Array[], signingTime: Date): void => {
      try {
        const leaf = parseCertificate(sender);
        if (signingTime < leaf.notBefore || signingTime > leaf.notAfter) {
          throw new PkiError(
            'SMGW_PKI_CERT_EXPIRED',
            `signing time ${signingTime.toISOString()} is outside the sender certificate's validity`,
          );
        }
        validatePath({
          leaf,
          intermediates: [...trust.intermediates, ...others],
          roots: trust.roots,
          crls: trust.crls,
          at: new Date(clock.now()),
          usage: { role: 'SMGW', type: 'sig' },
        });
        const signerId = gatewayIdOfCommonName(commonName(leaf.subject));
        if (signerId !== d.tlsGatewayId) {
          refusal = new EmtError(
            'SMGW_EMT_SENDER_MISMATCH',
            `the container is signed by ${signerId ?? 'no gateway'}, the TLS client is ${d.tlsGatewayId}`,
            { detail: { signer: signerId ?? null, tlsClient: d.tlsGatewayId } },
          );
          throw refusal;
        }
      } catch (e) {
        refusal ??= new EmtError(
          'SMGW_EMT_UNTRUSTED_SENDER',
          `the signer's SIG certificate is not a valid SM-PKI gateway certificate (${isSmgwError(e) ? `${e.code}: ${e.message}` : 'unreadable'})`,
          { cause: e, detail: { pkiCode: isSmgwError(e) ? e.code : null } },
        );
        throw refusal;
      }
    };
    let payload: Uint8Array;
    let sender: Uint8Array;
    try {
      ({ payload, sender } = await openContainer(d.body, { recipient: this.#o.recipient, validateSender }));
    } catch (e) {
      if (refusal !== undefined) throw refusal;
      if (isSmgwError(e) && e.code.startsWith('SMGW_CMS_')) {
        throw new EmtError('SMGW_EMT_BAD_CONTAINER', `container refused: ${e.code}: ${e.message}`, {
          cause: e,
          detail: { cmsCode: e.code },
        });
      }
      // The EMT's own key or module failing is our fault, not the sender's.
      throw e;
    }
    let msg: ReadingsMessage;
    try {
      msg = decodeReadingsMessage(payload);
    } catch (e) {
      throw new EmtError(
        'SMGW_EMT_BAD_PAYLOAD',
        `the payload is not a readings message (${isSmgwError(e) ? `${e.code}: ${e.message}` : 'unreadable'})`,
        { cause: e },
      );
    }
    if (msg.gatewayId !== d.tlsGatewayId) {
      throw new EmtError(
        'SMGW_EMT_SENDER_MISMATCH',
        `the payload names gateway ${msg.gatewayId}, the signer is ${d.tlsGatewayId}`,
        { detail: { payload: msg.gatewayId, signer: d.tlsGatewayId } },
      );
    }
    return { msg, sender };
  }
}
