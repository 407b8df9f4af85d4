/**
 * The gateway's side of the wake-up service (spec notes §5.2, §17 item 6): decide whether a
 * received packet is a genuine, fresh wake-up call for this gateway. The caller (gateway/wan)
 * then connects to its pre-configured GWA address; a rejected packet is dropped and logged with
 * the error's code. The verifier does no I/O: time comes from the injected Clock and the replay
 * state is exported for the caller to persist.
 *
 * Checks, in the order of spec notes §5.2 [M]:
 *   1. format (`decodeWakeupPacket`)                       → SMGW_WAKEUP_MALFORMED
 *   2. recipient ID equals this gateway's ID               → SMGW_WAKEUP_WRONG_RECIPIENT
 *   3. |timestamp − now| ≤ window (inclusive, both sides)  → SMGW_WAKEUP_STALE
 *   4. (timestamp, sequence) > last accepted pair          → SMGW_WAKEUP_REPLAY
 *   5. signature by a configured GWA SIG key               → SMGW_WAKEUP_BAD_SIGNATURE
 * Only a packet that passes all five changes the replay state, so an unsigned packet with a
 * far-future timestamp cannot lock out genuine ones.
 */

import type { KeyObject } from 'node:crypto';
import type { Clock } from '@opensmgw/core';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate } from '@peculiar/asn1-x509';
import type { CurveName } from '../curves.js';
import { type EcPublicKey, parseSpki, rawToDerSignature, toKeyObject, verifySignature } from '../ec-keys.js';
import { WakeupError } from '../errors.js';
import { checkGatewayId, decodeWakeupPacket, type WakeupPacket } from './wakeup-packet.js';

/** Default accepted clock difference between GWA and gateway: ±5 minutes [M] (issue 3, part 4). */
export const DEFAULT_WAKEUP_WINDOW_MS = 5 * 60 * 1000;

/** The last accepted packet's (timestamp, sequence), JSON-safe for the gateway's store. */
export interface WakeupVerifierState {
  readonly lastTimestampMs: number;
  /** uint64 as a decimal string. */
  readonly lastSequence: string;
}

export interface WakeupVerifierConfig {
  /** This gateway's DKE/FLAG ID (spec notes §7.2). */
  readonly gatewayId: string;
  /** GWA signature keys, as EcPublicKey or DER SubjectPublicKeyInfo. */
  readonly gwaSignatureKeys?: readonly (EcPublicKey | Uint8Array)[];
  /**
   * GWA signature certificates (DER X.509); only their public keys are used here. Path, validity
   * and key-usage checks belong to installing the certificate (pki/), not to every packet.
   */
  readonly gwaCertificates?: readonly Uint8Array[];
  /** Accepted |timestamp − now| in ms, inclusive; default 5 minutes. */
  readonly windowMs?: number;
  readonly clock: Clock;
  /** Replay state saved by `exportState` before a restart. */
  readonly state?: WakeupVerifierState;
}

interface TrustedKey {
  readonly curve: CurveName;
  readonly key: KeyObject;
}

function badArgument(message: string, cause?: unknown): WakeupError {
  return new WakeupError('SMGW_WAKEUP_BAD_ARGUMENT', message, cause === undefined ? {} : { cause });
}

function keyFromCertificate(der: Uint8Array): EcPublicKey {
  let cert: Certificate;
  try {
    cert = AsnConvert.parse(der, Certificate);
  } catch (e) {
    throw badArgument('GWA signature certificate is not DER X.509', e);
  }
  return parseSpki(new Uint8Array(AsnConvert.serialize(cert.tbsCertificate.subjectPublicKeyInfo)));
}

function trustedKey(k: EcPublicKey | Uint8Array): TrustedKey {
  try {
    const pub = k instanceof Uint8Array ? parseSpki(k) : parseSpki(k.spki);
    return { curve: pub.curve, key: toKeyObject(pub.spki) };
  } catch (e) {
    throw badArgument('GWA signature key is not a usable EC public key', e);
  }
}

function parseState(state: WakeupVerifierState): { ts: number; seq: bigint } {
  const ts = state?.lastTimestampMs;
  let seq: bigint | undefined;
  try {
    seq =
      typeof state?.lastSequence === 'string' && /^\d{1,20}$/.test(state.lastSequence)
        ? BigInt(state.lastSequence)
        : undefined;
  } catch {
    seq = undefined;
  }
  if (!Number.isSafeInteger(ts) || ts < 0 || seq === undefined || seq >= 1n << 64n) {
    throw badArgument('wake-up replay state is not { lastTimestampMs: integer ≥ 0, lastSequence: uint64 string }');
  }
  return { ts, seq };
}

export class WakeupVerifier {
  readonly #gatewayId: string;
  readonly #keys: readonly TrustedKey[];
  readonly #windowMs: number;
  readonly #clock: Clock;
  #last: { ts: number; seq: bigint } | undefined;

  constructor(config: WakeupVerifierConfig) {
    this.#gatewayId = checkGatewayId(config.gatewayId);
    const keys = [
      ...(config.gwaSignatureKeys ?? []).map(trustedKey),
      ...(config.gwaCertificates ?? []).map((c) => trustedKey(keyFromCertificate(c))),
    ];
    if (keys.length === 0) throw badArgument('no GWA signature key or certificate configured');
    this.#keys = keys;
    const windowMs = config.windowMs ?? DEFAULT_WAKEUP_WINDOW_MS;
    if (!Number.isFinite(windowMs) || windowMs < 0) throw badArgument('windowMs must be a finite duration ≥ 0');
    this.#windowMs = windowMs;
    this.#clock = config.clock;
    this.#last = config.state === undefined ? undefined : parseState(config.state);
  }

  /**
   * Verifies a received packet. On success records it as the last accepted one and returns it;
   * on failure throws a WakeupError and leaves the state as it was.
   */
  verify(bytes: Uint8Array): WakeupPacket {
    const packet = decodeWakeupPacket(bytes);

    // DKE/FLAG IDs appear in both cases in the field (EOSM…, ethe…, spec notes §7.2), and the
    // signature covers the bytes as sent, so comparing without case loses nothing.
    if (packet.gatewayId.toUpperCase() !== this.#gatewayId.toUpperCase()) {
      throw new WakeupError('SMGW_WAKEUP_WRONG_RECIPIENT', 'wake-up packet for another gateway', {
        detail: { recipient: packet.gatewayId },
      });
    }

    const now = this.#clock.now();
    const skew = packet.timestampMs - now;
    if (Math.abs(skew) > this.#windowMs) {
      throw new WakeupError(
        'SMGW_WAKEUP_STALE',
        `wake-up packet timestamp ${skew > 0 ? 'ahead of' : 'behind'} the gateway clock by ${Math.abs(skew)} ms`,
        { detail: { timestampMs: packet.timestampMs, nowMs: now, windowMs: this.#windowMs } },
      );
    }

    const last = this.#last;
    if (
      last !== undefined &&
      (packet.timestampMs < last.ts || (packet.timestampMs === last.ts && packet.sequence <= last.seq))
    ) {
      throw new WakeupError('SMGW_WAKEUP_REPLAY', 'wake-up packet not newer than the last accepted one', {
        detail: {
          timestampMs: packet.timestampMs,
          sequence: packet.sequence.toString(),
          lastTimestampMs: last.ts,
          lastSequence: last.seq.toString(),
        },
      });
    }

    const candidates = this.#keys.filter((k) => k.curve === packet.curve);
    const der = rawToDerSignature(packet.signature);
    if (!candidates.some((k) => verifySignature(k.key, packet.signedBytes, der, packet.hash))) {
      throw new WakeupError(
        'SMGW_WAKEUP_BAD_SIGNATURE',
        candidates.length === 0
          ? `no GWA signature key on ${packet.curve}`
          : 'wake-up packet signature does not verify with any GWA signature key',
        { detail: { curve: packet.curve, hash: packet.hash, reason: candidates.length === 0 ? 'no-key' : 'mismatch' } },
      );
    }

    this.#last = { ts: packet.timestampMs, seq: packet.sequence };
    return packet;
  }

  /** The replay state to persist, or undefined before the first accepted packet. */
  exportState(): WakeupVerifierState | undefined {
    return this.#last === undefined
      ? undefined
      : { lastTimestampMs: this.#last.ts, lastSequence: this.#last.seq.toString() };
  }

  /** Replaces the replay state (e.g. after loading it from the store). */
  restoreState(state: WakeupVerifierState | undefined): void {
    this.#last = state === undefined ? undefined : parseState(state);
  }
}
