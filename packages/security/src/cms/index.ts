// Public surface of cms/: CMS containers of TR-03109 / TR-03116-3 (spec notes §3.7).
export { aesKeyUnwrap, aesKeyWrap } from './aes-key-wrap.js';
export {
  type AuthEnvelopOptions,
  type CmsRecipient,
  CONTENT_ENCRYPTIONS,
  type ContentEncryption,
  createAuthEnvelopedData,
  KEY_AGREEMENT_OIDS,
  type OpenedAuthEnvelopedData,
  openAuthEnvelopedData,
  type RandomSource,
} from './auth-enveloped-data.js';
export {
  type OpenContainerOptions,
  type OpenedContainer,
  openContainer,
  type SealContainerOptions,
  type SignOnlyOptions,
  sealContainer,
  signOnly,
  type VerifiedContainer,
  verifySigned,
} from './container.js';
export {
  type AuthEnvelopedDataOutline,
  type CertificateOutline,
  type ContainerOutline,
  type ContentEncryptionOutline,
  type IdentifierOutline,
  type IssuerSerialOutline,
  type OidOutline,
  outlineContainer,
  type RecipientOutline,
  type SignedDataOutline,
  type SignerOutline,
} from './container-outline.js';
export { type EckaEgSenderResult, eckaEgReceive, eckaEgSend } from './ecka-eg.js';
export * as CMS_OIDS from './oids.js';
export {
  type CmsSigner,
  createSignedData,
  type SenderTrust,
  type SenderValidator,
  type SignedDataOptions,
  type VerifiedSignedData,
  verifySignedData,
} from './signed-data.js';
export { eccCmsSharedInfo, x963Kdf } from './x963-kdf.js';
