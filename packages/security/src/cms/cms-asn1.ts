/**
 * ASN.1 schemas that @peculiar/asn1-cms does not ship: AuthEnvelopedData (RFC 5083 §2.1),
 * GCMParameters (RFC 5084 §3.2) and ECC-CMS-SharedInfo (RFC 5753 §7.2). The repository compiles
 * without `experimentalDecorators`, so the asn1-schema decorators are applied as plain function
 * calls below each class (same effect as the decorator syntax).
 */
import { Attribute, CMSVersion, EncryptedContentInfo, OriginatorInfo, RecipientInfos } from '@peculiar/asn1-cms';
import { AsnProp, AsnPropTypes, AsnType, AsnTypeTypes, OctetString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';

/**
 * ECC-CMS-SharedInfo ::= SEQUENCE {
 *   keyInfo      AlgorithmIdentifier,                 -- the key-wrap algorithm
 *   entityUInfo  [0] EXPLICIT OCTET STRING OPTIONAL,  -- the ukm, when present
 *   suppPubInfo  [2] EXPLICIT OCTET STRING }          -- KEK length in bits, 32-bit big endian
 */
export class EccCmsSharedInfo {
  keyInfo = new AlgorithmIdentifier();
  entityUInfo?: OctetString;
  suppPubInfo = new OctetString();
  constructor(params: Partial<EccCmsSharedInfo> = {}) {
    Object.assign(this, params);
  }
}
AsnProp({ type: AlgorithmIdentifier })(EccCmsSharedInfo.prototype, 'keyInfo');
AsnProp({ type: OctetString, context: 0, optional: true })(EccCmsSharedInfo.prototype, 'entityUInfo');
AsnProp({ type: OctetString, context: 2 })(EccCmsSharedInfo.prototype, 'suppPubInfo');

/**
 * GCMParameters ::= SEQUENCE {
 *   aes-nonce   OCTET STRING,                 -- 12 octets recommended
 *   aes-ICVlen  AES-GCM-ICVlen DEFAULT 12 }   -- we always write 16 (spec notes §3.7: 128-bit tag)
 */
export class GcmParameters {
  nonce = new OctetString();
  icvLen = 12;
  constructor(params: Partial<GcmParameters> = {}) {
    Object.assign(this, params);
  }
}
AsnProp({ type: OctetString })(GcmParameters.prototype, 'nonce');
AsnProp({ type: AsnPropTypes.Integer, defaultValue: 12 })(GcmParameters.prototype, 'icvLen');

/**
 * AuthEnvelopedData ::= SEQUENCE {
 *   version                   CMSVersion,                            -- 0
 *   originatorInfo            [0] IMPLICIT OriginatorInfo OPTIONAL,
 *   recipientInfos            RecipientInfos,
 *   authEncryptedContentInfo  EncryptedContentInfo,
 *   authAttrs                 [1] IMPLICIT AuthAttributes OPTIONAL,
 *   mac                       MessageAuthenticationCode,             -- OCTET STRING
 *   unauthAttrs               [2] IMPLICIT UnauthAttributes OPTIONAL }
 */
export class AuthEnvelopedData {
  version: number = CMSVersion.v0;
  originatorInfo?: OriginatorInfo;
  recipientInfos = new RecipientInfos();
  authEncryptedContentInfo = new EncryptedContentInfo();
  authAttrs?: Attribute[];
  mac = new OctetString();
  unauthAttrs?: Attribute[];
  constructor(params: Partial<AuthEnvelopedData> = {}) {
    Object.assign(this, params);
  }
}
AsnProp({ type: AsnPropTypes.Integer })(AuthEnvelopedData.prototype, 'version');
AsnProp({ type: OriginatorInfo, context: 0, implicit: true, optional: true })(
  AuthEnvelopedData.prototype,
  'originatorInfo',
);
AsnProp({ type: RecipientInfos })(AuthEnvelopedData.prototype, 'recipientInfos');
AsnProp({ type: EncryptedContentInfo })(AuthEnvelopedData.prototype, 'authEncryptedContentInfo');
AsnProp({ type: Attribute, repeated: 'set', context: 1, implicit: true, optional: true })(
  AuthEnvelopedData.prototype,
  'authAttrs',
);
AsnProp({ type: OctetString })(AuthEnvelopedData.prototype, 'mac');
AsnProp({ type: Attribute, repeated: 'set', context: 2, implicit: true, optional: true })(
  AuthEnvelopedData.prototype,
  'unauthAttrs',
);

/** A bare OBJECT IDENTIFIER (the value of the content-type attribute, RFC 5652 §11.1). */
export class ObjectIdentifierValue {
  value = '';
  constructor(value = '') {
    this.value = value;
  }
}
AsnProp({ type: AsnPropTypes.ObjectIdentifier })(ObjectIdentifierValue.prototype, 'value');
AsnType({ type: AsnTypeTypes.Choice })(ObjectIdentifierValue);
