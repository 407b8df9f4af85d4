/** Property tests: encode → decode round trips for messages, TLV and transport (fast-check). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { concatBytes } from '@opensmgw/core';
import fc from 'fast-check';
import { decodeSmlFile, encodeSmlFile } from '../src/messages.js';
import { decodeSmlStream, SmlStreamDecoder } from '../src/report.js';
import { TlvReader, TlvWriter } from '../src/tlv.js';
import {
  encodeTransportFrame,
  SmlTransportSplitter,
  splitTransportFrames,
  type TransportEvent,
} from '../src/transport.js';
import { readValue, writeValue } from '../src/value.js';
import { message, value } from './arbitraries.js';

const stripDecoded = (m: { transactionId: Uint8Array; groupNo: number; abortOnError: number; body: unknown }) => ({
  transactionId: m.transactionId,
  groupNo: m.groupNo,
  abortOnError: m.abortOnError,
  body: m.body,
});

/** Bytes with many 1B and 1B1B1B1B blocks, the transport layer's hard cases. */
const escapeHeavy = fc
  .array(
    fc.oneof(
      fc.constant(Uint8Array.of(0x1b, 0x1b, 0x1b, 0x1b)),
      fc.constant(Uint8Array.of(0x1b)),
      fc.uint8Array({ maxLength: 5 }),
    ),
    {
      maxLength: 40,
    },
  )
  .map((parts) => concatBytes(...parts));

describe('round trips (property)', () => {
  it('SML messages: encode → decode gives the messages back, CRCs valid', () => {
    fc.assert(
      fc.property(
        fc.array(message, { minLength: 1, maxLength: 4 }),
        fc.constantFrom('x25' as const, 'kermit' as const),
        (msgs, crc) => {
          const { messages, error } = decodeSmlFile(encodeSmlFile(msgs, { crc }));
          assert.equal(error, undefined);
          assert.deepEqual(messages.map(stripDecoded), msgs);
          assert.ok(messages.every((m) => m.crcVariant === crc));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('SML_Value: write → read is the identity (wire type and size kept)', () => {
    fc.assert(
      fc.property(value, (v) => {
        const w = new TlvWriter();
        writeValue(w, v);
        const r = new TlvReader(w.toBytes());
        assert.deepEqual(readValue(r), v);
        assert.ok(r.atEnd);
      }),
      { numRuns: 5000 },
    );
  });

  it('transport: any file survives framing, escaping and padding', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.uint8Array({ maxLength: 300 }), escapeHeavy),
        fc.constantFrom('x25' as const, 'kermit' as const),
        (file, crc) => {
          const events = splitTransportFrames(encodeTransportFrame(file, { crc }));
          assert.equal(events.length, 1);
          const f = events[0] as TransportEvent;
          assert.equal(f.kind, 'frame');
          if (f.kind === 'frame') {
            assert.deepEqual(f.file, file);
            assert.equal(f.crc, crc);
            assert.equal(f.aligned, true);
          }
        },
      ),
      { numRuns: 5000 },
    );
  });

  it('transport: chunking never changes the events', () => {
    const piece = fc.oneof(
      fc.uint8Array({ maxLength: 120 }).map((f) => encodeTransportFrame(f)),
      escapeHeavy.map((f) => encodeTransportFrame(f)),
      fc.uint8Array({ maxLength: 20 }),
      escapeHeavy,
      fc.constant(Uint8Array.of(0x1b, 0x1b, 0x1b, 0x1b, 1, 1, 1, 1)),
    );
    fc.assert(
      fc.property(
        fc.array(piece, { maxLength: 6 }),
        fc.integer({ min: 1, max: 64 }),
        fc.integer({ min: 16, max: 400 }),
        (parts, step, max) => {
          const stream = concatBytes(...parts);
          const whole = splitTransportFrames(stream, { maxFrameBytes: max });
          const s = new SmlTransportSplitter({ maxFrameBytes: max });
          const chunked: TransportEvent[] = [];
          for (let i = 0; i < stream.length; i += step) chunked.push(...s.push(stream.subarray(i, i + step)));
          chunked.push(...s.finish());
          assert.deepEqual(chunked, whole);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('stream decoder: chunked and whole give the same reports', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(message, { minLength: 1, maxLength: 3 }), { maxLength: 4 }),
        fc.uint8Array({ maxLength: 16 }),
        fc.integer({ min: 1, max: 97 }),
        (files, noise, step) => {
          const stream = concatBytes(noise, ...files.map((f) => encodeTransportFrame(encodeSmlFile(f))), noise);
          const whole = decodeSmlStream(stream);
          assert.equal(whole.filter((r) => r.ok).length, files.length);
          const d = new SmlStreamDecoder();
          const got = [];
          for (let i = 0; i < stream.length; i += step) got.push(...d.push(stream.subarray(i, i + step)));
          got.push(...d.finish());
          assert.deepEqual(got, whole);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
