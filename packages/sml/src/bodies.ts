/**
 * SML_MessageBody (SML 1.04 §6.5–§6.12): a CHOICE sent as a list of two — an Unsigned32 tag,
 * then the body. The tag table below is the single place that maps tags to readers and writers.
 *
 * A body with an unknown tag is kept as an undecoded node tree (`kind: 'Unknown'`): its
 * message CRC can still be checked and the rest of the file read.
 */
import {
  readListEntry,
  readMany,
  readOctetsList,
  readPeriodEntry,
  readProfObjHeaderEntry,
  readProfObjPeriodEntry,
  readTree,
  readTreePath,
  type SmlListEntry,
  type SmlPeriodEntry,
  type SmlProfObjHeaderEntry,
  type SmlProfObjPeriodEntry,
  type SmlTree,
  writeListEntry,
  writeOctetsList,
  writePeriodEntry,
  writeProfObjHeaderEntry,
  writeProfObjPeriodEntry,
  writeTree,
  writeTreePath,
} from './entries.js';
import { encodeError } from './errors.js';
import { readOptTime, readTime, type SmlTime, writeOptTime, writeTime } from './time.js';
import type { SmlNode, TlvReader, TlvWriter } from './tlv.js';

export interface SmlOpenRequest {
  readonly codepage?: Uint8Array;
  readonly clientId?: Uint8Array;
  readonly reqFileId: Uint8Array;
  readonly serverId?: Uint8Array;
  readonly username?: Uint8Array;
  readonly password?: Uint8Array;
  readonly smlVersion?: number;
}

export interface SmlOpenResponse {
  readonly codepage?: Uint8Array;
  readonly clientId?: Uint8Array;
  readonly reqFileId: Uint8Array;
  readonly serverId: Uint8Array;
  readonly refTime?: SmlTime;
  readonly smlVersion?: number;
}

export interface SmlCloseRequest {
  readonly globalSignature?: Uint8Array;
}
export type SmlCloseResponse = SmlCloseRequest;

/** GetProfilePack.Req and GetProfileList.Req share one shape (§6.8, §6.9). */
export interface SmlGetProfileRequest {
  readonly serverId?: Uint8Array;
  readonly username?: Uint8Array;
  readonly password?: Uint8Array;
  readonly withRawdata?: boolean;
  readonly beginTime?: SmlTime;
  readonly endTime?: SmlTime;
  readonly parameterTreePath: readonly Uint8Array[];
  readonly objectList?: readonly Uint8Array[];
  readonly dasDetails?: SmlTree;
}

export interface SmlGetProfilePackResponse {
  readonly serverId: Uint8Array;
  readonly actTime: SmlTime;
  readonly regPeriod: number;
  readonly parameterTreePath: readonly Uint8Array[];
  readonly headerList: readonly SmlProfObjHeaderEntry[];
  readonly periodList: readonly SmlProfObjPeriodEntry[];
  readonly rawdata?: Uint8Array;
  readonly profileSignature?: Uint8Array;
}

export interface SmlGetProfileListResponse {
  readonly serverId: Uint8Array;
  readonly actTime: SmlTime;
  readonly regPeriod: number;
  readonly parameterTreePath: readonly Uint8Array[];
  readonly valTime: SmlTime;
  readonly status: bigint;
  readonly periodList: readonly SmlPeriodEntry[];
  readonly rawdata?: Uint8Array;
  readonly periodSignature?: Uint8Array;
}

export interface SmlGetProcParameterRequest {
  readonly serverId?: Uint8Array;
  readonly username?: Uint8Array;
  readonly password?: Uint8Array;
  readonly parameterTreePath: readonly Uint8Array[];
  readonly attribute?: Uint8Array;
}

export interface SmlGetProcParameterResponse {
  readonly serverId: Uint8Array;
  readonly parameterTreePath: readonly Uint8Array[];
  readonly parameterTree: SmlTree;
}

export interface SmlSetProcParameterRequest {
  readonly serverId?: Uint8Array;
  readonly username?: Uint8Array;
  readonly password?: Uint8Array;
  readonly parameterTreePath: readonly Uint8Array[];
  readonly parameterTree: SmlTree;
}

export interface SmlGetListRequest {
  readonly clientId: Uint8Array;
  readonly serverId?: Uint8Array;
  readonly username?: Uint8Array;
  readonly password?: Uint8Array;
  readonly listName?: Uint8Array;
}

export interface SmlGetListResponse {
  readonly clientId?: Uint8Array;
  readonly serverId: Uint8Array;
  readonly listName?: Uint8Array;
  readonly actSensorTime?: SmlTime;
  readonly valList: readonly SmlListEntry[];
  readonly listSignature?: Uint8Array;
  readonly actGatewayTime?: SmlTime;
}

export interface SmlAttentionResponse {
  readonly serverId: Uint8Array;
  /** The attention number, an OBIS-like 6-byte code (e.g. 81 81 C7 C7 FD 00 = OK). */
  readonly attentionNo: Uint8Array;
  readonly attentionMsg?: Uint8Array;
  readonly attentionDetails?: SmlTree;
}

export type SmlMessageBody =
  | ({ readonly kind: 'OpenRequest' } & SmlOpenRequest)
  | ({ readonly kind: 'OpenResponse' } & SmlOpenResponse)
  | ({ readonly kind: 'CloseRequest' } & SmlCloseRequest)
  | ({ readonly kind: 'CloseResponse' } & SmlCloseResponse)
  | ({ readonly kind: 'GetProfilePackRequest' } & SmlGetProfileRequest)
  | ({ readonly kind: 'GetProfilePackResponse' } & SmlGetProfilePackResponse)
  | ({ readonly kind: 'GetProfileListRequest' } & SmlGetProfileRequest)
  | ({ readonly kind: 'GetProfileListResponse' } & SmlGetProfileListResponse)
  | ({ readonly kind: 'GetProcParameterRequest' } & SmlGetProcParameterRequest)
  | ({ readonly kind: 'GetProcParameterResponse' } & SmlGetProcParameterResponse)
  | ({ readonly kind: 'SetProcParameterRequest' } & SmlSetProcParameterRequest)
  | ({ readonly kind: 'GetListRequest' } & SmlGetListRequest)
  | ({ readonly kind: 'GetListResponse' } & SmlGetListResponse)
  | ({ readonly kind: 'AttentionResponse' } & SmlAttentionResponse)
  | { readonly kind: 'Unknown'; readonly tag: number; readonly content: SmlNode };

export type SmlBodyKind = SmlMessageBody['kind'];
type KnownKind = Exclude<SmlBodyKind, 'Unknown'>;
type BodyOf<K extends KnownKind> = Omit<Extract<SmlMessageBody, { kind: K }>, 'kind'>;

/** Drops the undefined members, so optional fields are absent rather than `undefined`. */
function compact<T>(o: { [K in keyof T]-?: T[K] | undefined }): T {
  const out: Record<string, unknown> = {};
  for (const k in o) {
    const v = o[k];
    if (v !== undefined) out[k] = v;
  }
  return out as T;
}

function readOpenRequest(r: TlvReader): SmlOpenRequest {
  r.list('SML_PublicOpen.Req', 7);
  return compact<SmlOpenRequest>({
    codepage: r.optOctets('codepage'),
    clientId: r.optOctets('clientId'),
    reqFileId: r.octets('reqFileId'),
    serverId: r.optOctets('serverId'),
    username: r.optOctets('username'),
    password: r.optOctets('password'),
    smlVersion: r.optUint(1, 'smlVersion'),
  });
}

function writeOpenRequest(w: TlvWriter, b: SmlOpenRequest): void {
  w.list(7).optOctets(b.codepage).optOctets(b.clientId).octets(b.reqFileId).optOctets(b.serverId);
  w.optOctets(b.username).optOctets(b.password).optUint(b.smlVersion, 1);
}

function readOpenResponse(r: TlvReader): SmlOpenResponse {
  r.list('SML_PublicOpen.Res', 6);
  return compact<SmlOpenResponse>({
    codepage: r.optOctets('codepage'),
    clientId: r.optOctets('clientId'),
    reqFileId: r.octets('reqFileId'),
    serverId: r.octets('serverId'),
    refTime: readOptTime(r, 'refTime'),
    smlVersion: r.optUint(1, 'smlVersion'),
  });
}

function writeOpenResponse(w: TlvWriter, b: SmlOpenResponse): void {
  w.list(6).optOctets(b.codepage).optOctets(b.clientId).octets(b.reqFileId).octets(b.serverId);
  writeOptTime(w, b.refTime);
  w.optUint(b.smlVersion, 1);
}

function readClose(r: TlvReader): SmlCloseRequest {
  r.list('SML_PublicClose', 1);
  return compact<SmlCloseRequest>({ globalSignature: r.optOctets('globalSignature') });
}

function writeClose(w: TlvWriter, b: SmlCloseRequest): void {
  w.list(1).optOctets(b.globalSignature);
}

function readGetProfileRequest(r: TlvReader): SmlGetProfileRequest {
  r.list('SML_GetProfile.Req', 9);
  const serverId = r.optOctets('serverId');
  const username = r.optOctets('username');
  const password = r.optOctets('password');
  const withRawdata = r.optBoolean('withRawdata');
  const beginTime = readOptTime(r, 'beginTime');
  const endTime = readOptTime(r, 'endTime');
  const parameterTreePath = readTreePath(r, 'parameterTreePath');
  const objectList = r.skipped() ? undefined : readOctetsList(r, 'object_List');
  const dasDetails = r.skipped() ? undefined : readTree(r);
  return compact<SmlGetProfileRequest>({
    serverId,
    username,
    password,
    withRawdata,
    beginTime,
    endTime,
    parameterTreePath,
    objectList,
    dasDetails,
  });
}

function writeGetProfileRequest(w: TlvWriter, b: SmlGetProfileRequest): void {
  w.list(9).optOctets(b.serverId).optOctets(b.username).optOctets(b.password).optBoolean(b.withRawdata);
  writeOptTime(w, b.beginTime);
  writeOptTime(w, b.endTime);
  writeTreePath(w, b.parameterTreePath);
  if (b.objectList === undefined) w.skipped();
  else writeOctetsList(w, b.objectList);
  if (b.dasDetails === undefined) w.skipped();
  else writeTree(w, b.dasDetails);
}

function readGetProfilePackResponse(r: TlvReader): SmlGetProfilePackResponse {
  r.list('SML_GetProfilePack.Res', 8);
  const serverId = r.octets('serverId');
  const actTime = readTime(r, 'actTime');
  const regPeriod = r.uint(4, 'regPeriod');
  const parameterTreePath = readTreePath(r, 'parameterTreePath');
  const headerList = readMany(r, r.list('header_List'), readProfObjHeaderEntry);
  const periodList = readMany(r, r.list('period_List'), readProfObjPeriodEntry);
  return compact<SmlGetProfilePackResponse>({
    serverId,
    actTime,
    regPeriod,
    parameterTreePath,
    headerList,
    periodList,
    rawdata: r.optOctets('rawdata'),
    profileSignature: r.optOctets('profileSignature'),
  });
}

function writeGetProfilePackResponse(w: TlvWriter, b: SmlGetProfilePackResponse): void {
  w.list(8).octets(b.serverId);
  writeTime(w, b.actTime);
  w.uint(b.regPeriod, 4);
  writeTreePath(w, b.parameterTreePath);
  w.list(b.headerList.length);
  for (const h of b.headerList) writeProfObjHeaderEntry(w, h);
  w.list(b.periodList.length);
  for (const p of b.periodList) writeProfObjPeriodEntry(w, p);
  w.optOctets(b.rawdata).optOctets(b.profileSignature);
}

function readGetProfileListResponse(r: TlvReader): SmlGetProfileListResponse {
  r.list('SML_GetProfileList.Res', 9);
  const serverId = r.octets('serverId');
  const actTime = readTime(r, 'actTime');
  const regPeriod = r.uint(4, 'regPeriod');
  const parameterTreePath = readTreePath(r, 'parameterTreePath');
  const valTime = readTime(r, 'valTime');
  const status = r.uint64('status');
  const periodList = readMany(r, r.list('period_List'), readPeriodEntry);
  return compact<SmlGetProfileListResponse>({
    serverId,
    actTime,
    regPeriod,
    parameterTreePath,
    valTime,
    status,
    periodList,
    rawdata: r.optOctets('rawdata'),
    periodSignature: r.optOctets('periodSignature'),
  });
}

function writeGetProfileListResponse(w: TlvWriter, b: SmlGetProfileListResponse): void {
  w.list(9).octets(b.serverId);
  writeTime(w, b.actTime);
  w.uint(b.regPeriod, 4);
  writeTreePath(w, b.parameterTreePath);
  writeTime(w, b.valTime);
  w.uint(b.status, 8).list(b.periodList.length);
  for (const p of b.periodList) writePeriodEntry(w, p);
  w.optOctets(b.rawdata).optOctets(b.periodSignature);
}

function readGetProcParameterRequest(r: TlvReader): SmlGetProcParameterRequest {
  r.list('SML_GetProcParameter.Req', 5);
  return compact<SmlGetProcParameterRequest>({
    serverId: r.optOctets('serverId'),
    username: r.optOctets('username'),
    password: r.optOctets('password'),
    parameterTreePath: readTreePath(r, 'parameterTreePath'),
    attribute: r.optOctets('attribute'),
  });
}

function writeGetProcParameterRequest(w: TlvWriter, b: SmlGetProcParameterRequest): void {
  w.list(5).optOctets(b.serverId).optOctets(b.username).optOctets(b.password);
  writeTreePath(w, b.parameterTreePath);
  w.optOctets(b.attribute);
}

function readGetProcParameterResponse(r: TlvReader): SmlGetProcParameterResponse {
  r.list('SML_GetProcParameter.Res', 3);
  return {
    serverId: r.octets('serverId'),
    parameterTreePath: readTreePath(r, 'parameterTreePath'),
    parameterTree: readTree(r),
  };
}

function writeGetProcParameterResponse(w: TlvWriter, b: SmlGetProcParameterResponse): void {
  w.list(3).octets(b.serverId);
  writeTreePath(w, b.parameterTreePath);
  writeTree(w, b.parameterTree);
}

function readSetProcParameterRequest(r: TlvReader): SmlSetProcParameterRequest {
  r.list('SML_SetProcParameter.Req', 5);
  return compact<SmlSetProcParameterRequest>({
    serverId: r.optOctets('serverId'),
    username: r.optOctets('username'),
    password: r.optOctets('password'),
    parameterTreePath: readTreePath(r, 'parameterTreePath'),
    parameterTree: readTree(r),
  });
}

function writeSetProcParameterRequest(w: TlvWriter, b: SmlSetProcParameterRequest): void {
  w.list(5).optOctets(b.serverId).optOctets(b.username).optOctets(b.password);
  writeTreePath(w, b.parameterTreePath);
  writeTree(w, b.parameterTree);
}

function readGetListRequest(r: TlvReader): SmlGetListRequest {
  r.list('SML_GetList.Req', 5);
  return compact<SmlGetListRequest>({
    clientId: r.octets('clientId'),
    serverId: r.optOctets('serverId'),
    username: r.optOctets('username'),
    password: r.optOctets('password'),
    listName: r.optOctets('listName'),
  });
}

function writeGetListRequest(w: TlvWriter, b: SmlGetListRequest): void {
  w.list(5).octets(b.clientId).optOctets(b.serverId).optOctets(b.username).optOctets(b.password);
  w.optOctets(b.listName);
}

function readGetListResponse(r: TlvReader): SmlGetListResponse {
  r.list('SML_GetList.Res', 7);
  const clientId = r.optOctets('clientId');
  const serverId = r.octets('serverId');
  const listName = r.optOctets('listName');
  const actSensorTime = readOptTime(r, 'actSensorTime');
  const valList = readMany(r, r.list('valList'), readListEntry);
  return compact<SmlGetListResponse>({
    clientId,
    serverId,
    listName,
    actSensorTime,
    valList,
    listSignature: r.optOctets('listSignature'),
    actGatewayTime: readOptTime(r, 'actGatewayTime'),
  });
}

function writeGetListResponse(w: TlvWriter, b: SmlGetListResponse): void {
  w.list(7).optOctets(b.clientId).octets(b.serverId).optOctets(b.listName);
  writeOptTime(w, b.actSensorTime);
  w.list(b.valList.length);
  for (const e of b.valList) writeListEntry(w, e);
  w.optOctets(b.listSignature);
  writeOptTime(w, b.actGatewayTime);
}

function readAttentionResponse(r: TlvReader): SmlAttentionResponse {
  r.list('SML_Attention.Res', 4);
  return compact<SmlAttentionResponse>({
    serverId: r.octets('serverId'),
    attentionNo: r.octets('attentionNo'),
    attentionMsg: r.optOctets('attentionMsg'),
    attentionDetails: r.skipped() ? undefined : readTree(r),
  });
}

function writeAttentionResponse(w: TlvWriter, b: SmlAttentionResponse): void {
  w.list(4).octets(b.serverId).octets(b.attentionNo).optOctets(b.attentionMsg);
  if (b.attentionDetails === undefined) w.skipped();
  else writeTree(w, b.attentionDetails);
}

interface BodyCodec<K extends KnownKind> {
  readonly kind: K;
  readonly tag: number;
  readonly read: (r: TlvReader) => BodyOf<K>;
  readonly write: (w: TlvWriter, body: BodyOf<K>) => void;
}

function codec<K extends KnownKind>(
  kind: K,
  tag: number,
  read: (r: TlvReader) => BodyOf<K>,
  write: (w: TlvWriter, body: BodyOf<K>) => void,
): BodyCodec<K> {
  return { kind, tag, read, write };
}

/** The message-body tags of SML 1.04 (§6.2.3). 0x0601 (SetProcParameter.Res) does not exist:
 *  a SetProcParameter request is answered with an Attention response. */
export const BODY_CODECS = [
  codec('OpenRequest', 0x0100, readOpenRequest, writeOpenRequest),
  codec('OpenResponse', 0x0101, readOpenResponse, writeOpenResponse),
  codec('CloseRequest', 0x0200, readClose, writeClose),
  codec('CloseResponse', 0x0201, readClose, writeClose),
  codec('GetProfilePackRequest', 0x0300, readGetProfileRequest, writeGetProfileRequest),
  codec('GetProfilePackResponse', 0x0301, readGetProfilePackResponse, writeGetProfilePackResponse),
  codec('GetProfileListRequest', 0x0400, readGetProfileRequest, writeGetProfileRequest),
  codec('GetProfileListResponse', 0x0401, readGetProfileListResponse, writeGetProfileListResponse),
  codec('GetProcParameterRequest', 0x0500, readGetProcParameterRequest, writeGetProcParameterRequest),
  codec('GetProcParameterResponse', 0x0501, readGetProcParameterResponse, writeGetProcParameterResponse),
  codec('SetProcParameterRequest', 0x0600, readSetProcParameterRequest, writeSetProcParameterRequest),
  codec('GetListRequest', 0x0700, readGetListRequest, writeGetListRequest),
  codec('GetListResponse', 0x0701, readGetListResponse, writeGetListResponse),
  codec('AttentionResponse', 0xff01, readAttentionResponse, writeAttentionResponse),
] as const;

type AnyCodec = BodyCodec<KnownKind>;
const BY_TAG = new Map<number, AnyCodec>(BODY_CODECS.map((c) => [c.tag, c as unknown as AnyCodec]));
const BY_KIND = new Map<string, AnyCodec>(BODY_CODECS.map((c) => [c.kind, c as unknown as AnyCodec]));

/** The tag of a body kind (undefined for 'Unknown'). */
export function bodyTag(kind: SmlBodyKind): number | undefined {
  return BY_KIND.get(kind)?.tag;
}

export function readBody(r: TlvReader): SmlMessageBody {
  r.list('SML_MessageBody', 2);
  const tag = r.uint(4, 'SML_MessageBody.tag');
  const c = BY_TAG.get(tag);
  if (c === undefined) return { kind: 'Unknown', tag, content: r.node(1) };
  return { kind: c.kind, ...c.read(r) } as SmlMessageBody;
}

export function writeBody(w: TlvWriter, body: SmlMessageBody): void {
  if (body.kind === 'Unknown') {
    w.list(2).uint(body.tag, 4).node(body.content);
    return;
  }
  const c = BY_KIND.get(body.kind);
  if (c === undefined) throw encodeError(`unknown message body kind ${String(body.kind)}`);
  w.list(2).uint(c.tag, 4);
  const { kind: _kind, ...rest } = body;
  c.write(w, rest as BodyOf<KnownKind>);
}
