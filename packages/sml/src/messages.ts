/**
 * SML_Message and the SML file (SML 1.04 §6.2): a file is a sequence of messages, each a list of
 * six — transactionId, groupNo, abortOnError, messageBody, crc16, endOfSmlMsg (0x00).
 *
 * crc16 is CRC-16/X.25 over the message from its first TL byte up to (not including) the crc16
 * field, sent like the transport CRC: low byte first, which read as the big-endian Unsigned16 of
 * the field is the byte-swapped CRC. Holley DTZ541 meters use CRC-16/KERMIT instead.
 * Some meters get the CRC wrong altogether; the message is still decoded, and `crcOk` says so.
 */
import { readBody, type SmlMessageBody, writeBody } from './bodies.js';
import { type CrcVariant, crc16, matchCrc } from './crc.js';
import { malformed, SmlError } from './errors.js';
import { END_OF_MESSAGE, TlvReader, TlvWriter } from './tlv.js';

export interface SmlMessage {
  readonly transactionId: Uint8Array;
  readonly groupNo: number;
  readonly abortOnError: number;
  readonly body: SmlMessageBody;
}

export interface DecodedSmlMessage extends SmlMessage {
  /** Offset of the message in the SML file. */
  readonly offset: number;
  /** Bytes from the list TL to endOfSmlMsg inclusive. */
  readonly length: number;
  /** The CRC value carried by the message. */
  readonly crc: number;
  /** The variant that matched, or null when neither did. */
  readonly crcVariant: CrcVariant | null;
  readonly crcOk: boolean;
}

function swap16(v: number): number {
  return ((v & 0xff) << 8) | ((v >>> 8) & 0xff);
}

/** Reads one SML_Message at the reader's position. */
export function readMessage(r: TlvReader): DecodedSmlMessage {
  const start = r.offset;
  r.list('SML_Message', 6);
  const transactionId = r.octets('SML_Message.transactionId');
  const groupNo = r.uint(1, 'SML_Message.groupNo');
  const abortOnError = r.uint(1, 'SML_Message.abortOnError');
  const body = readBody(r);
  const crcEnd = r.offset;
  const crc = swap16(r.uint(2, 'SML_Message.crc16'));
  r.endOfMessage();
  const crcVariant = matchCrc(crc, r.bytes, start, crcEnd);
  return {
    transactionId,
    groupNo,
    abortOnError,
    body,
    offset: start,
    length: r.offset - start,
    crc,
    crcVariant,
    crcOk: crcVariant !== null,
  };
}

export interface SmlFileDecodeResult {
  /** The messages decoded, in order (all of them when `error` is absent). */
  readonly messages: readonly DecodedSmlMessage[];
  /** Why decoding stopped early; the messages before it are intact structurally. */
  readonly error?: SmlError;
}

/**
 * Decodes an SML file (the unescaped content of a transport frame). Zero bytes between messages
 * are skipped: they are padding, or the endOfSmlMsg of a sloppy sender. Never throws for bad
 * input; a structural error ends decoding and is returned with the messages read so far.
 */
export function decodeSmlFile(file: Uint8Array): SmlFileDecodeResult {
  const r = new TlvReader(file);
  const messages: DecodedSmlMessage[] = [];
  try {
    while (!r.atEnd) {
      if (r.peekByte() === END_OF_MESSAGE) {
        r.endOfMessage();
        continue;
      }
      messages.push(readMessage(r));
    }
    if (messages.length === 0) return { messages, error: malformed('SML file contains no message') };
    return { messages };
  } catch (e) {
    if (e instanceof SmlError) return { messages, error: e };
    throw e; // a bug, not bad input: let the caller's last line of defence report it
  }
}

export interface MessageEncodeOptions {
  /** CRC variant to compute; 'kermit' imitates a Holley DTZ541. Default 'x25'. */
  readonly crc?: CrcVariant;
}

/** Appends one SML_Message (with its CRC and endOfSmlMsg) to a writer. */
export function writeMessage(w: TlvWriter, m: SmlMessage, options: MessageEncodeOptions = {}): void {
  const start = w.length;
  w.list(6).octets(m.transactionId).uint(m.groupNo, 1).uint(m.abortOnError, 1);
  writeBody(w, m.body);
  const crc = crc16(options.crc ?? 'x25', w.view(start));
  w.uint(swap16(crc), 2).endOfMessage();
}

/** An SML file: the messages back to back (wrap it with `encodeTransportFrame` to send it). */
export function encodeSmlFile(messages: readonly SmlMessage[], options: MessageEncodeOptions = {}): Uint8Array {
  const w = new TlvWriter();
  for (const m of messages) writeMessage(w, m, options);
  return w.toBytes();
}

export function encodeSmlMessage(message: SmlMessage, options: MessageEncodeOptions = {}): Uint8Array {
  return encodeSmlFile([message], options);
}
