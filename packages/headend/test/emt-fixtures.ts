/**
 * Test material for the EMT tests (helper, not a test file): readings messages, and containers
 * sealed as a gateway of a test SM-PKI seals them (its SIG key, for the EMT's ENC certificate).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Clock } from '@opensmgw/core';
import { encodeReadingsMessage, type ReadingsMessage } from '@opensmgw/protocol';
import { openEntityModule, readDerObjects, sealContainer } from '@opensmgw/security';

export const GATEWAY_ID = 'EOSM0100000001';

export function certDer(pkiDir: string, rel: string): Uint8Array {
  const der = readDerObjects(readFileSync(join(pkiDir, rel), 'utf8'), 'CERTIFICATE')[0];
  if (der === undefined) throw new Error(`no certificate in ${rel}`);
  return der;
}

export function readingsMessage(messageId: string, over: Partial<ReadingsMessage> = {}): ReadingsMessage {
  return {
    format: 'opensmgw-readings/1',
    messageId,
    gatewayId: GATEWAY_ID,
    evaluationProfileId: 'ep-taf1',
    taf: 1,
    created: '2026-11-28T10:15:00.000Z',
    readings: [
      {
        meterId: 'ELS-12345678',
        obis: '0100010800ff',
        kind: 'original',
        value: '1234567',
        scaler: -1,
        unit: 'Wh',
        captureTime: '2026-11-28T10:00:00.000Z',
        smgwStatus: '00000000',
      },
      {
        meterId: 'ELS-12345678',
        obis: '0100010800ff',
        kind: 'derived',
        value: '1234567',
        scaler: -1,
        unit: 'Wh',
        captureTime: '2026-11-28T10:00:00.000Z',
        targetTime: '2026-11-28T10:00:00.000Z',
        smgwStatus: '00000000',
      },
    ],
    ...over,
  };
}

export interface SealAs {
  /** PKI directory and entity whose SIG key signs. */
  readonly pkiDir: string;
  readonly entity: string;
  /** Default wan-sig / <entity>/sig.crt.pem. */
  readonly slot?: string;
  readonly certFile?: string;
  /** The recipient's ENC certificate (DER). */
  readonly recipient: Uint8Array;
  readonly clock: Clock;
}

export async function sealAs(payload: Uint8Array | ReadingsMessage, as: SealAs): Promise<Uint8Array> {
  const module = await openEntityModule(as.pkiDir, as.entity);
  try {
    return await sealContainer({
      payload: payload instanceof Uint8Array ? payload : encodeReadingsMessage(payload),
      recipients: [as.recipient],
      signer: {
        module,
        slot: as.slot ?? 'wan-sig',
        certificate: certDer(as.pkiDir, as.certFile ?? `${as.entity}/sig.crt.pem`),
      },
      clock: as.clock,
    });
  } finally {
    await module.close();
  }
}
