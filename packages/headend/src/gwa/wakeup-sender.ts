/**
 * The GWA's wake-up (spec notes §5.2; layout docs/wakeup.md): a packet for one gateway, signed
 * with the GWA's SIG key in its security module, sent as one UDP datagram to the gateway's
 * registered wake-up address. The packet carries no command: it only makes the gateway call
 * its configured GWA.
 *
 * The sequence number comes from the registry (persisted, strictly increasing per gateway), so
 * two wake-ups in one millisecond, or after a restart, are never seen as a replay.
 */
import { createSocket } from 'node:dgram';
import { isIP } from 'node:net';
import type { Clock } from '@opensmgw/core';
import { type SecurityModule, signWakeupPacket } from '@opensmgw/security';
import { HeadendError } from './errors.js';
import { type GwaRegistry, parseWakeupAddress } from './registry.js';

/** The GWA's SIG key slot in the test PKI (docs/pki.md: gwa/ slots wan-tls, wan-sig, wan-enc). */
export const GWA_SIG_SLOT = 'wan-sig';

export interface WakeupSent {
  readonly gatewayId: string;
  readonly host: string;
  readonly port: number;
  readonly sequence: bigint;
  readonly timestampMs: number;
  readonly bytes: number;
}

export async function sendWakeup(
  registry: GwaRegistry,
  module: Pick<SecurityModule, 'publicKey' | 'sign'>,
  gatewayId: string,
  clock: Clock,
  slot = GWA_SIG_SLOT,
): Promise<WakeupSent> {
  const gateway = registry.requireGateway(gatewayId);
  const { host, port } = parseWakeupAddress(gateway.wakeup);
  const sequence = registry.nextWakeupSequence(gatewayId);
  const timestampMs = clock.now();
  const packet = await signWakeupPacket(module, slot, { gatewayId, timestampMs, sequence });
  await sendDatagram(host, port, packet);
  return { gatewayId, host, port, sequence, timestampMs, bytes: packet.length };
}

function sendDatagram(host: string, port: number, packet: Uint8Array): Promise<void> {
  const socket = createSocket(isIP(host) === 6 ? 'udp6' : 'udp4');
  return new Promise<void>((resolve, reject) => {
    const fail = (e: Error): void => {
      socket.close();
      reject(
        new HeadendError('SMGW_HEADEND_WAKEUP_FAILED', `cannot send the wake-up to ${host}:${port}: ${e.message}`, {
          cause: e,
        }),
      );
    };
    socket.once('error', fail);
    socket.send(packet, port, host, (e) => {
      if (e) return fail(e);
      socket.close();
      resolve();
    });
  });
}
