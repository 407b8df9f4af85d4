/**
 * CLS proxy contracts (spec notes §9.2, IF_GW_CLS) [M]:
 *
 * - `ClsProfile`: what the GWA configures in a gateway for one CLS device (a PV inverter, heat
 *   pump, wallbox): its self-signed HAN certificate (pinned; the device is known by it), the
 *   communication profile of the one active EMT it may reach, and optionally where the device
 *   listens for channels the EMT starts (HKS4). The gateway never takes a target from the device.
 * - The tiny JSON-lines protocol the simulated CLS device and the simulated active EMT speak
 *   INSIDE the channel. The gateway never reads it (transparent proxy); it is here because the
 *   device and the head-end meet only on the wire and must agree on it.
 */
import { ProtocolError } from './errors.js';
import { id } from './identifiers.js';
import { integer, invalid, object, oneOf, parseJsonText, string } from './json-check.js';

export interface ClsProfile {
  readonly id: string;
  /** The device's self-signed HAN TLS certificate (PEM), pinned: the device is identified by it. */
  readonly certificatePem: string;
  /** The communication profile of the active EMT this device's channel goes to (URL, name, pinned certificate). */
  readonly emtProfileId: string;
  /** "host:port" where the device accepts the gateway for channels the EMT starts (HKS4). */
  readonly deviceEndpoint?: string;
}

const PEM_CERT = /^-----BEGIN CERTIFICATE-----\r?\n[A-Za-z0-9+/=\r\n]+-----END CERTIFICATE-----\r?\n?$/;
/** host:port with a DNS name or an IPv4 address; no scheme, no path. */
const HOST_PORT = /^([A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*):(\d{1,5})$/;

export function parseClsProfile(v: unknown, path = 'clsProfile'): ClsProfile {
  const o = object(v, path, ['id', 'certificatePem', 'emtProfileId', 'deviceEndpoint']);
  const endpoint =
    o.deviceEndpoint === undefined ? undefined : parseHostPort(o.deviceEndpoint, `${path}.deviceEndpoint`);
  return {
    id: id(o.id, `${path}.id`),
    certificatePem: string(o.certificatePem, `${path}.certificatePem`, PEM_CERT, 16384),
    emtProfileId: id(o.emtProfileId, `${path}.emtProfileId`),
    ...(endpoint === undefined ? {} : { deviceEndpoint: `${endpoint.host}:${endpoint.port}` }),
  };
}

/** "host:port" → parts; ProtocolError for anything else (ports 1..65535). */
export function parseHostPort(v: unknown, path = 'endpoint'): { host: string; port: number } {
  const s = string(v, path, HOST_PORT, 260);
  const m = HOST_PORT.exec(s);
  const host = m?.[1];
  const port = Number(m?.[5]);
  if (host === undefined || !Number.isInteger(port) || port < 1 || port > 65535) throw invalid(path, 'bad port');
  return { host, port };
}

// ---- the line protocol inside the channel (device <-> active EMT; never read by the gateway) ----

/** Longest line either side accepts (bytes, without the newline). */
export const MAX_CLS_LINE_BYTES = 4096;
/** Largest power limit the simulated inverter accepts (W). */
export const MAX_POWER_LIMIT_WATTS = 10_000_000;

export type ClsMessage =
  /** EMT -> device: limit the feed-in/consumption to `watts` (e.g. a §14a EnWG dimming). */
  | { readonly type: 'set-power-limit'; readonly id: string; readonly watts: number }
  /** device -> EMT: the limit is in force. */
  | { readonly type: 'ack'; readonly id: string; readonly watts: number }
  /** device -> EMT: the command was not understood or not possible. */
  | { readonly type: 'error'; readonly id: string; readonly code: string; readonly message: string };

export const CLS_MESSAGE_TYPES = ['set-power-limit', 'ack', 'error'] as const;

const MESSAGE_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;

/** One line (without its newline) → a message; ProtocolError for anything else. */
export function parseClsMessage(line: string | Uint8Array): ClsMessage {
  const o = object(parseJsonText(line, MAX_CLS_LINE_BYTES), 'cls', ['type', 'id', 'watts', 'code', 'message']);
  const type = oneOf(o.type, 'cls.type', CLS_MESSAGE_TYPES);
  const only = (fields: string[]): Readonly<Record<string, unknown>> => object(o, 'cls', ['type', 'id', ...fields]);
  const msgId = string(o.id, 'cls.id', MESSAGE_ID, 64);
  switch (type) {
    case 'set-power-limit':
    case 'ack':
      return { type, id: msgId, watts: integer(only(['watts']).watts, 'cls.watts', 0, MAX_POWER_LIMIT_WATTS) };
    case 'error': {
      const e = only(['code', 'message']);
      return {
        type,
        id: msgId,
        code: string(e.code, 'cls.code', /^[A-Z][A-Z0-9_]{0,63}$/, 64),
        message: string(e.message, 'cls.message', undefined, 1024),
      };
    }
  }
}

/** A message as one line, newline included. */
export function encodeClsMessage(m: ClsMessage): string {
  return `${JSON.stringify(m)}\n`;
}

/**
 * Splits a byte stream into lines (LF, an optional CR before it dropped), at most
 * MAX_CLS_LINE_BYTES each. A longer line throws ProtocolError SMGW_PROTO_TOO_LARGE: the stream
 * is then unusable and the caller closes the connection. Sans-I/O.
 */
export class ClsLineSplitter {
  #pending: Buffer = Buffer.alloc(0);

  push(chunk: Uint8Array): Uint8Array[] {
    let buf = this.#pending.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.#pending, chunk]);
    const lines: Uint8Array[] = [];
    for (let nl = buf.indexOf(10); nl !== -1; nl = buf.indexOf(10)) {
      const end = nl > 0 && buf[nl - 1] === 13 ? nl - 1 : nl;
      if (end > MAX_CLS_LINE_BYTES) throw tooLong();
      lines.push(new Uint8Array(buf.subarray(0, end)));
      buf = buf.subarray(nl + 1);
    }
    if (buf.length > MAX_CLS_LINE_BYTES) throw tooLong();
    this.#pending = Buffer.from(buf);
    return lines;
  }
}

function tooLong(): ProtocolError {
  return new ProtocolError('SMGW_PROTO_TOO_LARGE', `CLS line longer than ${MAX_CLS_LINE_BYTES} bytes`, {
    detail: { maxBytes: MAX_CLS_LINE_BYTES },
  });
}
