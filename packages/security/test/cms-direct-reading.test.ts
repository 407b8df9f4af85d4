/**
 * Property tests: the direct DER readers of opening (signed-data-view.ts,
 * auth-enveloped-data-view.ts, docs/cms.md "How the containers are read") agree with the schema
 * parser on the same bytes, for our valid containers and for damaged ones. Where the direct
 * reader answers, the schema reader must answer the same (deep-equal views: the fields
 * verifySignedData and openAuthEnvelopedData use) or both must reject with the same code; where
 * the direct reader gives up (undefined: "not my shape"), the schema reader's answer is used,
 * and the top-level open must then fail exactly as the schema reader does.
 *
 * Damage: byte changes, bit flips, insertions, deletions, truncations, and changes of one DER
 * node with the lengths of its ancestors fixed up (so that the result is still DER and reaches
 * the readers' shape checks rather than the DER walk): at random (fast-check), and as a fixed
 * sweep over every node. One view difference is known and pinned (a NULL signed attribute
 * value, `attrValueOf`); it does not change an outcome.
 *
 * Many of the direct SignedData reader's checks are backed by its own re-encoding comparison,
 * so loosening one of them alone changes nothing observable; loosening a check the re-encoding
 * does not cover (a version INTEGER's length or sign, what a field's view holds) fails here.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { bytesEqual, concatBytes, isSmgwError } from '@opensmgw/core';
import fc from 'fast-check';
import {
  type AuthEnvelopedDataView,
  readAuthEnvelopedDataBySchema,
  readAuthEnvelopedDataDirectly,
} from '../src/cms/auth-enveloped-data-view.js';
import {
  createAuthEnvelopedData,
  createSignedData,
  openAuthEnvelopedData,
  openContainer,
  sealContainer,
  signOnly,
  verifySigned,
} from '../src/cms/index.js';
import { ID_CT_AUTH_ENVELOPED_DATA } from '../src/cms/oids.js';
import { readSignedDataBySchema, readSignedDataDirectly, type SignedDataView } from '../src/cms/signed-data-view.js';
import { derTlv } from '../src/der-writer.js';
import { checkDer, childrenOf, encodingOf, type Tlv } from '../src/pki/der-structure.js';
import { makeTestPki, type Party, recipientOf, signerOf, type TestPki } from './cms-fixtures.js';

const PAYLOAD = new TextEncoder().encode('<sml>1-0:1.8.0*255 = 12345.678 kWh</sml>');
/** 06 09 1.2.840.113549.1.7.2, as signed-data.ts compares it. */
const SIGNED_DATA_OID_DER = Uint8Array.of(0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02);

// ---- outcomes ----------------------------------------------------------------------------------

type Outcome<T> = { readonly ok: T } | { readonly code: string; readonly message: string };

function caught(e: unknown): { code: string; message: string } {
  assert.ok(isSmgwError(e), `not an SmgwError: ${e instanceof Error ? e.stack : String(e)}`);
  assert.ok(e.code.startsWith('SMGW_CMS_'), `unexpected code ${e.code}: ${e.message}`);
  return { code: e.code, message: e.message };
}

function outcomeOf<T>(read: () => T): Outcome<T> {
  try {
    return { ok: read() };
  } catch (e) {
    return caught(e);
  }
}

async function asyncOutcomeOf<T>(read: () => Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: await read() };
  } catch (e) {
    return caught(e);
  }
}

// ---- views as plain values (the fields the callers use) ---------------------------------------

const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

function parametersOf(p: ArrayBuffer | null | undefined): string | null | undefined {
  return p === undefined || p === null ? p : `buffer:${hex(new Uint8Array(p))}`;
}

function algorithmOf(a: { algorithm: string; parameters: ArrayBuffer | null | undefined }) {
  return { algorithm: a.algorithm, parameters: parametersOf(a.parameters) };
}

/** An issuer getter's result, or how it fails. */
function issuerOf(issuer: () => Uint8Array): string {
  try {
    return hex(issuer());
  } catch (e) {
    return `throws ${isSmgwError(e) ? e.code : String(e)}`;
  }
}

/**
 * A signed attribute's value as the callers see it. One known difference, kept visible here: for
 * a value that is a NULL (05 00) the schema reader yields an empty value (asn1-schema reads ANY
 * NULL as null, and `new Uint8Array(null)` is empty) while the direct reader yields 05 00. It does
 * not change an outcome: verifySignedData parses each value it uses (content-type, message-digest,
 * signing-time) and both a NULL and an empty value fail that parse, with the same error (pinned by
 * the test "a NULL signed attribute value" below).
 */
function attrValueOf(v: Uint8Array): string {
  return v.length === 2 && v[0] === 0x05 && v[1] === 0x00 ? '' : hex(v);
}

function plainSignedData(sd: SignedDataView) {
  return {
    version: sd.version,
    digestAlgorithms: Array.from(sd.digestAlgorithms, algorithmOf),
    eContentType: sd.eContentType,
    eContent: sd.eContent === undefined ? undefined : hex(sd.eContent),
    hasCrls: sd.hasCrls,
    signerInfos: Array.from(sd.signerInfos, (si) => ({
      version: si.version,
      issuerAndSerialNumber:
        si.issuerAndSerialNumber === undefined
          ? undefined
          : {
              serialNumber: hex(si.issuerAndSerialNumber.serialNumber),
              issuer: issuerOf(si.issuerAndSerialNumber.issuer),
            },
      digestAlgorithm: algorithmOf(si.digestAlgorithm),
      signedAttrs:
        si.signedAttrs === undefined
          ? undefined
          : Array.from(si.signedAttrs, (a) => ({
              attrType: a.attrType,
              attrValues: Array.from(a.attrValues, attrValueOf),
            })),
      signatureAlgorithm: algorithmOf(si.signatureAlgorithm),
      signature: hex(si.signature),
      hasUnsignedAttrs: si.hasUnsignedAttrs,
    })),
  };
}

function plainAuthEnvelopedData(aed: AuthEnvelopedDataView) {
  return {
    version: aed.version,
    hasAuthAttrs: aed.hasAuthAttrs,
    contentType: aed.contentType,
    contentEncryptionAlgorithm: algorithmOf(aed.contentEncryptionAlgorithm),
    encryptedContent: aed.encryptedContent === undefined ? undefined : hex(aed.encryptedContent),
    mac: hex(aed.mac),
    recipientInfos: Array.from(aed.recipientInfos, (kari) =>
      kari === undefined
        ? undefined
        : {
            version: kari.version,
            originatorKey:
              kari.originatorKey === undefined
                ? undefined
                : {
                    algorithm: algorithmOf(kari.originatorKey.algorithm),
                    publicKey: hex(kari.originatorKey.publicKey),
                  },
            ukm: kari.ukm === undefined ? undefined : hex(kari.ukm),
            keyEncryptionAlgorithm: algorithmOf(kari.keyEncryptionAlgorithm),
            recipientEncryptedKeys: Array.from(kari.recipientEncryptedKeys, (rek) => ({
              rid:
                rek.rid === undefined
                  ? undefined
                  : { serialNumber: hex(rek.rid.serialNumber), issuer: issuerOf(rek.rid.issuer) },
              encryptedKey: hex(rek.encryptedKey),
            })),
          },
    ),
  };
}

// ---- damage ------------------------------------------------------------------------------------

/** Where a node-level change may put in a new node: tags and contents the readers look at. */
const NODE_TAGS = [0x02, 0x03, 0x04, 0x05, 0x06, 0x0c, 0x13, 0x30, 0x31, 0x80, 0xa0, 0xa1, 0xa2, 0xa3] as const;
/** Non-minimal or odd OID / INTEGER / NULL contents, a TLV where a value belongs, nothing. */
const SWEEP_CONTENTS = [
  Uint8Array.of(),
  Uint8Array.of(0x80, 0x01),
  Uint8Array.of(0x00, 0x01),
  Uint8Array.of(0xff),
  Uint8Array.of(0x2a, 0x86, 0x48),
  Uint8Array.of(0x05, 0x00),
  Uint8Array.of(0x00),
  Uint8Array.of(0x01, 0x02),
  Uint8Array.of(0x01, 0x00),
  Uint8Array.of(0x00, 0x80),
  Uint8Array.of(0x80),
] as const;

type Edit =
  | { readonly kind: 'set'; readonly at: number; readonly value: number }
  | { readonly kind: 'flip'; readonly at: number; readonly bit: number }
  | { readonly kind: 'insert'; readonly at: number; readonly bytes: Uint8Array }
  | { readonly kind: 'delete'; readonly at: number; readonly count: number }
  | { readonly kind: 'cut'; readonly at: number }
  | { readonly kind: 'node'; readonly at: number; readonly change: NodeChange };

type NodeChange =
  | { readonly kind: 'remove' }
  | { readonly kind: 'duplicate' }
  | { readonly kind: 'retag'; readonly tag: number }
  | { readonly kind: 'content'; readonly tag: number | undefined; readonly content: Uint8Array }
  | { readonly kind: 'content-byte'; readonly at: number; readonly value: number };

const nodeChange: fc.Arbitrary<NodeChange> = fc.oneof(
  fc.constant({ kind: 'remove' as const }),
  fc.constant({ kind: 'duplicate' as const }),
  fc.record({ kind: fc.constant('retag' as const), tag: fc.constantFrom(...NODE_TAGS) }),
  // A new value, the likeliest change to get past the readers' tag checks: more weight.
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('content' as const),
      // Half the time the node keeps its tag: a new value where the reader expects one.
      tag: fc.option(fc.constantFrom(...NODE_TAGS), { nil: undefined, freq: 2 }),
      content: fc.oneof(fc.uint8Array({ maxLength: 6 }), fc.constantFrom(...SWEEP_CONTENTS)),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('content-byte' as const),
      at: fc.nat(),
      value: fc.integer({ min: 0, max: 255 }),
    }),
  },
);

const edit: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.nat(7) }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 4 }),
  }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), count: fc.integer({ min: 1, max: 4 }) }),
  fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
  // Most weight: these keep the input DER and so reach the readers' own checks.
  { arbitrary: fc.record({ kind: fc.constant('node' as const), at: fc.nat(), change: nodeChange }), weight: 6 },
);

/** No damage (the valid container) now and then, else one to three edits. */
const edits = fc.oneof(
  { arbitrary: fc.constant([] as Edit[]), weight: 1 },
  { arbitrary: fc.array(edit, { minLength: 1, maxLength: 3 }), weight: 9 },
);

interface Node {
  readonly path: readonly number[];
  readonly tlv: Tlv;
}

function nodesOf(bytes: Uint8Array, tlv: Tlv, path: number[] = [], out: Node[] = []): Node[] {
  out.push({ path, tlv });
  if (tlv.constructed) {
    const children = childrenOf(bytes, tlv);
    for (let i = 0; i < children.length; i++) nodesOf(bytes, children[i] as Tlv, [...path, i], out);
  }
  return out;
}

/** `bytes` with the node at `path` replaced by `replace(it)` (0..2 encodings), lengths fixed up. */
function spliceNode(
  bytes: Uint8Array,
  tlv: Tlv,
  path: readonly number[],
  replace: (encoding: Uint8Array) => Uint8Array[],
): Uint8Array {
  if (path.length === 0) return concatBytes(...replace(encodingOf(bytes, tlv)));
  const children = childrenOf(bytes, tlv);
  const [first, ...rest] = path as [number, ...number[]];
  const parts = children.flatMap((c, i) =>
    i === first ? [spliceNode(bytes, c, rest, replace)] : [encodingOf(bytes, c)],
  );
  return derTlv(tlv.tag, concatBytes(...parts));
}

function changeNode(bytes: Uint8Array, at: number, change: NodeChange): Uint8Array {
  let root: Tlv;
  try {
    root = checkDer(bytes);
  } catch {
    return bytes; // not DER any more: an earlier edit already broke it
  }
  const nodes = nodesOf(bytes, root);
  const node = nodes[at % nodes.length] as Node;
  return spliceNode(bytes, root, node.path, (encoding) => {
    const t = node.tlv;
    const content = bytes.subarray(t.contentStart, t.end);
    switch (change.kind) {
      case 'remove':
        return [];
      case 'duplicate':
        return [encoding, encoding];
      case 'retag':
        return [derTlv(change.tag, content)];
      case 'content':
        return [derTlv(change.tag ?? t.tag, change.content)];
      case 'content-byte': {
        if (content.length === 0) return [derTlv(t.tag, Uint8Array.of(change.value))];
        const c = Uint8Array.from(content);
        c[change.at % c.length] = change.value;
        return [derTlv(t.tag, c)];
      }
    }
  });
}

function applyEdits(bytes: Uint8Array, list: readonly Edit[]): Uint8Array {
  let b: Uint8Array = Uint8Array.from(bytes);
  for (const e of list) {
    const n = b.length;
    switch (e.kind) {
      case 'set':
        if (n > 0) b[e.at % n] = e.value;
        break;
      case 'flip':
        if (n > 0) b[e.at % n] = (b[e.at % n] as number) ^ (1 << e.bit);
        break;
      case 'insert': {
        const at = e.at % (n + 1);
        b = concatBytes(b.subarray(0, at), e.bytes, b.subarray(at));
        break;
      }
      case 'delete': {
        const at = n === 0 ? 0 : e.at % n;
        b = concatBytes(b.subarray(0, at), b.subarray(at + e.count));
        break;
      }
      case 'cut':
        b = b.subarray(0, e.at % (n + 1));
        break;
      case 'node':
        b = changeNode(b, e.at, e.change);
        break;
    }
  }
  return b;
}

// ---- the comparisons ---------------------------------------------------------------------------

/** How often each reader case was met: the properties must not pass vacuously. */
interface Tally {
  direct: number;
  fallbackAccepted: number;
  fallbackRejected: number;
  notReached: number;
}

const newTally = (): Tally => ({ direct: 0, fallbackAccepted: 0, fallbackRejected: 0, notReached: 0 });

/**
 * The SignedData fields (certificates left out) that signed-data.ts hands to its readers, or
 * undefined when opening stops before them: the DER walk and the ContentInfo shape of
 * signed-data.ts `rawParts`, mirrored here (both end in SMGW_CMS_MALFORMED).
 */
function signedDataFields(bytes: Uint8Array): Tlv[] | undefined {
  let outer: Tlv;
  try {
    outer = checkDer(bytes);
  } catch {
    return undefined;
  }
  if (outer.tag !== 0x30) return undefined;
  const ci = childrenOf(bytes, outer);
  if (ci.length !== 2 || ci[0]?.tag !== 0x06 || ci[1]?.tag !== 0xa0) return undefined;
  if (!bytesEqual(encodingOf(bytes, ci[0]), SIGNED_DATA_OID_DER)) return undefined;
  const inner = childrenOf(bytes, ci[1]);
  if (inner.length !== 1 || inner[0]?.tag !== 0x30) return undefined;
  const sd = childrenOf(bytes, inner[0]);
  const certs = sd.find((t) => t.tag === 0xa0);
  const signerInfos = sd[sd.length - 1];
  if (signerInfos?.tag !== 0x31) return undefined;
  if (childrenOf(bytes, signerInfos)[0]?.tag !== 0x30) return undefined;
  return sd.filter((t) => t !== certs);
}

/**
 * The readers on one SignedData container agree; `open` is the top-level function (verifySigned
 * or openContainer), whose outcome must be the schema reader's failure where that one decides.
 */
async function signedDataAgrees(
  bytes: Uint8Array,
  open: () => Promise<unknown>,
  tally: Tally,
  openEvery = true,
): Promise<void> {
  // Opened every time (only SmgwErrors), or, in the sweep, only where its outcome is predicted.
  const opened = openEvery ? await asyncOutcomeOf(open) : undefined;
  const top = async () => opened ?? (await asyncOutcomeOf(open));
  const fields = signedDataFields(bytes);
  if (fields === undefined) {
    // Opening stops before the readers (not DER, not a ContentInfo(SignedData)).
    const t = await top();
    assert.ok(
      'code' in t && t.code === 'SMGW_CMS_MALFORMED',
      `expected MALFORMED before the readers: ${JSON.stringify(t)}`,
    );
    tally.notReached++;
    return;
  }
  const direct = outcomeOf(() => readSignedDataDirectly(bytes, fields));
  const schema = outcomeOf(() =>
    readSignedDataBySchema(derTlv(0x30, concatBytes(...fields.map((t) => encodingOf(bytes, t))))),
  );
  if ('ok' in direct && direct.ok === undefined) {
    // Not the direct reader's shape: the schema reader decides, and opening says what it says.
    if ('code' in schema) {
      assert.deepEqual(await top(), schema, 'the top-level open fails as the schema reader does');
      tally.fallbackRejected++;
    } else {
      tally.fallbackAccepted++;
    }
    return;
  }
  tally.direct++;
  if ('code' in direct) {
    assert.ok('code' in schema, `the direct reader rejects (${direct.code}), the schema reader accepts`);
    assert.equal(direct.code, schema.code);
    return;
  }
  assert.ok('ok' in schema, `the direct reader accepts, the schema reader rejects: ${JSON.stringify(schema)}`);
  assert.deepEqual(plainSignedData(direct.ok as SignedDataView), plainSignedData(schema.ok));
}

/** The readers on one AuthEnvelopedData agree, and openAuthEnvelopedData follows the schema path. */
async function authEnvelopedDataAgrees(
  bytes: Uint8Array,
  emt: Party,
  tally: Tally,
  openEvery = true,
): Promise<Outcome<unknown> | undefined> {
  const open = () => openAuthEnvelopedData(bytes, recipientOf(emt));
  const opened = openEvery ? await asyncOutcomeOf(open) : undefined;
  const top = async () => opened ?? (await asyncOutcomeOf(open));
  const direct = outcomeOf(() => readAuthEnvelopedDataDirectly(bytes));
  const schema = outcomeOf(() => readAuthEnvelopedDataBySchema(bytes));
  if ('ok' in direct && direct.ok === undefined) {
    if ('code' in schema) {
      assert.deepEqual(await top(), schema, 'openAuthEnvelopedData fails as the schema reader does');
      tally.fallbackRejected++;
    } else {
      tally.fallbackAccepted++;
    }
    return opened;
  }
  tally.direct++;
  if ('code' in direct) {
    assert.ok('code' in schema, `the direct reader rejects (${direct.code}), the schema reader accepts`);
    assert.equal(direct.code, schema.code);
    return opened;
  }
  assert.ok('ok' in schema, `the direct reader accepts, the schema reader rejects: ${JSON.stringify(schema)}`);
  assert.deepEqual(plainAuthEnvelopedData(direct.ok as AuthEnvelopedDataView), plainAuthEnvelopedData(schema.ok));
  return opened;
}

function showTally(name: string, t: Tally): string {
  return `${name}: direct ${t.direct}, fallback accepted ${t.fallbackAccepted}, fallback rejected ${t.fallbackRejected}, not reached ${t.notReached}`;
}

/**
 * Every node of a DER value changed in each of a fixed set of ways (removed, duplicated,
 * retagged, a new value with its tag kept, its first content byte set): a deterministic sweep
 * next to the random one, so that a rare node (a version, an ukm) is never left out.
 */
function* nodeSweep(bytes: Uint8Array): Generator<{ what: string; bytes: Uint8Array }> {
  const nodes = nodesOf(bytes, checkDer(bytes));
  // The embedded certificates are not read by these readers (signed-data.ts splits them off):
  // their inside is left out, which halves the cases of a SignedData.
  const certificates = nodes.find((n) => n.path.length === 3 && n.tlv.tag === 0xa0 && n.path[0] === 1)?.tlv;
  const inCertificates = (t: Tlv) =>
    certificates !== undefined && t !== certificates && t.start >= certificates.start && t.end <= certificates.end;
  const changes: NodeChange[] = [
    { kind: 'remove' },
    { kind: 'duplicate' },
    ...[0x02, 0x04, 0x05, 0x06, 0x30, 0x31, 0x80, 0xa0].map((tag) => ({ kind: 'retag' as const, tag })),
    ...SWEEP_CONTENTS.map((content) => ({ kind: 'content' as const, tag: undefined, content })),
    ...[0x00, 0x80, 0xff].map((value) => ({ kind: 'content-byte' as const, at: 0, value })),
  ];
  for (let at = 0; at < nodes.length; at++) {
    if (inCertificates((nodes[at] as Node).tlv)) continue;
    for (const change of changes)
      yield { what: `node ${at} ${JSON.stringify(change)}`, bytes: changeNode(bytes, at, change) };
  }
}

// ---- the tests ---------------------------------------------------------------------------------

describe('the direct CMS readers agree with the schema parser', () => {
  let pki: TestPki;
  let gw: Party;
  let emt: Party;
  /** Sealed containers (both encryptions, 1-2 recipients) for emt, and a signed-only one. */
  const sealed: { name: string; bytes: Uint8Array }[] = [];
  let signedOnly: Uint8Array;
  /** Bare AuthEnvelopedData for emt (both encryptions, 1-2 recipients). */
  const bare: { name: string; bytes: Uint8Array }[] = [];

  before(async () => {
    pki = await makeTestPki(['gw', 'emt', 'other']);
    gw = pki.party('gw');
    emt = pki.party('emt');
    const other = pki.party('other');
    for (const encryption of ['aes-128-gcm', 'aes-128-cbc-cmac'] as const) {
      for (const recipients of [[emt.encCert], [other.encCert, emt.encCert]]) {
        const name = `${encryption}, ${recipients.length} recipient(s)`;
        sealed.push({
          name,
          bytes: await sealContainer({ payload: PAYLOAD, recipients, signer: signerOf(gw), encryption }),
        });
        bare.push({
          name,
          bytes: await createAuthEnvelopedData({
            payload: PAYLOAD,
            recipients,
            encryption,
            random: (n) => gw.module.random(n),
          }),
        });
      }
    }
    signedOnly = await signOnly({ payload: PAYLOAD, signer: signerOf(gw) });
  });
  after(async () => {
    await pki.close();
  });

  const trust = () => ({ trustedSenders: [gw.sigCert], recipient: recipientOf(emt) });

  it('our valid containers are read directly, with the schema reader view, and open', async () => {
    for (const { name, bytes } of sealed) {
      const fields = signedDataFields(bytes);
      assert.ok(fields, name);
      assert.ok(readSignedDataDirectly(bytes, fields), `${name}: the SignedData is read directly`);
      const tally = newTally();
      await signedDataAgrees(bytes, () => openContainer(bytes, trust()), tally);
      assert.equal(tally.direct, 1);
      assert.deepEqual((await openContainer(bytes, trust())).payload, PAYLOAD);
    }
    const fields = signedDataFields(signedOnly);
    assert.ok(fields && readSignedDataDirectly(signedOnly, fields), 'signed-only: read directly');
    for (const { name, bytes } of bare) {
      assert.ok(readAuthEnvelopedDataDirectly(bytes), `${name}: the AuthEnvelopedData is read directly`);
      const tally = newTally();
      const top = await authEnvelopedDataAgrees(bytes, emt, tally);
      assert.equal(tally.direct, 1);
      assert.ok(top && 'ok' in top, name);
    }
  });

  it('a NULL signed attribute value: 05 00 directly, empty by schema, and opening fails alike', async () => {
    const root = checkDer(signedOnly);
    const attributeSets = nodesOf(signedOnly, root).flatMap(({ path, tlv }) => {
      if (tlv.tag !== 0x30) return [];
      const parts = childrenOf(signedOnly, tlv);
      const oid = parts[0] && parts[0].tag === 0x06 ? encodingOf(signedOnly, parts[0]) : undefined;
      // 1.2.840.113549.1.9.3 content-type, .4 message-digest, .5 signing-time
      const pkcs9 = Uint8Array.of(0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09);
      const isOurs =
        parts.length === 2 &&
        parts[1]?.tag === 0x31 &&
        oid?.length === 11 &&
        bytesEqual(oid.subarray(0, 10), pkcs9) &&
        [3, 4, 5].includes(oid[10] as number);
      return isOurs ? [[...path, 1]] : [];
    });
    assert.equal(attributeSets.length, 3);
    for (const path of attributeSets) {
      const bytes = spliceNode(signedOnly, root, path, () => [Uint8Array.of(0x31, 0x02, 0x05, 0x00)]);
      const fields = signedDataFields(bytes);
      assert.ok(fields);
      const direct = readSignedDataDirectly(bytes, fields);
      const schema = readSignedDataBySchema(derTlv(0x30, concatBytes(...fields.map((t) => encodingOf(bytes, t)))));
      assert.ok(direct, 'read directly');
      const nullValues = (v: SignedDataView) =>
        (v.signerInfos[0]?.signedAttrs ?? []).flatMap((a) => Array.from(a.attrValues, hex)).filter((x) => x.length < 6);
      assert.deepEqual(nullValues(direct), ['0500']);
      assert.deepEqual(nullValues(schema), ['']);
      // Both values fail the caller's parse of that attribute: the schema path's outcome.
      await assert.rejects(verifySigned(bytes, { trustedSenders: [gw.sigCert] }), {
        code: 'SMGW_CMS_MALFORMED',
        message: 'a signed attribute does not parse',
      });
    }
  });

  // The signed-only container stands for the SignedData layer (a sealed one has the same shape
  // with a larger eContent, which makes each case slower; the random test above has both).
  it('every node of a signed-only container and of two AuthEnvelopedData, changed each fixed way', async (t) => {
    const sd = newTally();
    const aed = newTally();
    let cases = 0;
    const t0 = performance.now();
    for (const { what, bytes } of nodeSweep(signedOnly)) {
      cases++;
      await signedDataAgrees(bytes, () => verifySigned(bytes, { trustedSenders: [gw.sigCert] }), sd, false).catch(
        (e: Error) => {
          throw new Error(`signed-only, ${what}: ${e.message}`, { cause: e });
        },
      );
    }
    const sdMs = performance.now() - t0;
    for (const base of [bare[1], bare[2]]) {
      assert.ok(base);
      for (const { what, bytes } of nodeSweep(base.bytes)) {
        cases++;
        await authEnvelopedDataAgrees(bytes, emt, aed, false).catch((e: Error) => {
          throw new Error(`${base.name}, ${what}: ${e.message}`, { cause: e });
        });
      }
    }
    t.diagnostic(`SignedData ${Math.round(sdMs)} ms, all ${Math.round(performance.now() - t0)} ms`);
    t.diagnostic(`${cases} cases; ${showTally('SignedData', sd)}; ${showTally('AuthEnvelopedData', aed)}`);
    assert.ok(sd.direct >= 50 && sd.fallbackRejected >= 50, showTally('SignedData', sd));
    assert.ok(aed.direct >= 50 && aed.fallbackRejected >= 50, showTally('AuthEnvelopedData', aed));
  });

  it('SignedData: damaged sealed and signed-only containers', async (t) => {
    const tally = newTally();
    const bases = () => [
      ...sealed.map((s) => ({ ...s, open: (b: Uint8Array) => openContainer(b, trust()) })),
      {
        name: 'signed-only',
        bytes: signedOnly,
        open: (b: Uint8Array) => verifySigned(b, { trustedSenders: [gw.sigCert] }),
      },
    ];
    await fc.assert(
      fc.asyncProperty(fc.nat(), edits, async (which, list) => {
        const all = bases();
        const base = all[which % all.length] as (typeof all)[number];
        const bytes = applyEdits(base.bytes, list);
        await signedDataAgrees(bytes, () => base.open(bytes), tally);
      }),
      { numRuns: 600 },
    );
    t.diagnostic(showTally('SignedData', tally));
    // Not vacuous: each case of the comparison was met.
    assert.ok(tally.direct >= 60, showTally('SignedData', tally));
    assert.ok(tally.fallbackRejected >= 20, showTally('SignedData', tally));
    assert.ok(tally.notReached >= 20, showTally('SignedData', tally));
  });

  it('AuthEnvelopedData: damaged bare ones, and some of them signed and opened as containers', async (t) => {
    const tally = newTally();
    let resigned = 0;
    await fc.assert(
      fc.asyncProperty(fc.nat(), edits, fc.nat(3), async (which, list, sign) => {
        const base = bare[which % bare.length] as (typeof bare)[number];
        const bytes = applyEdits(base.bytes, list);
        const bareOutcome = await authEnvelopedDataAgrees(bytes, emt, tally);
        assert.ok(bareOutcome);
        if (sign === 0) {
          // Signed by the trusted sender, the damaged AuthEnvelopedData reaches openContainer's
          // decryption step: it must end as the bare one does.
          resigned++;
          const container = await createSignedData({
            eContentType: ID_CT_AUTH_ENVELOPED_DATA,
            eContent: bytes,
            signer: signerOf(gw),
          });
          const top = await asyncOutcomeOf(() => openContainer(container, trust()));
          if ('ok' in top) {
            assert.ok('ok' in bareOutcome, 'the signed container opens, the bare one does not');
            assert.deepEqual(top.ok.payload, (bareOutcome.ok as { payload: Uint8Array }).payload);
          } else {
            assert.deepEqual(top, bareOutcome);
          }
        }
      }),
      { numRuns: 600 },
    );
    t.diagnostic(`${showTally('AuthEnvelopedData', tally)}; re-signed ${resigned}`);
    assert.ok(resigned >= 50, `only ${resigned} re-signed`);
    assert.ok(tally.direct >= 60, showTally('AuthEnvelopedData', tally));
    assert.ok(tally.fallbackRejected >= 20, showTally('AuthEnvelopedData', tally));
  });
});
