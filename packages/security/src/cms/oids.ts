/**
 * Object identifiers of the CMS containers (spec notes §3.7), as data. Every other cms/ module
 * looks them up here.
 */

/** RFC 5652 §4: id-data. */
export const ID_DATA = '1.2.840.113549.1.7.1';
/** RFC 5652 §5.1: id-signedData. */
export const ID_SIGNED_DATA = '1.2.840.113549.1.7.2';
/** RFC 5083 §1: id-ct-authEnvelopedData. */
export const ID_CT_AUTH_ENVELOPED_DATA = '1.2.840.113549.1.9.16.1.23';

/** RFC 5652 §11.1–11.3: the signed attributes we write. */
export const ID_CONTENT_TYPE = '1.2.840.113549.1.9.3';
export const ID_MESSAGE_DIGEST = '1.2.840.113549.1.9.4';
export const ID_SIGNING_TIME = '1.2.840.113549.1.9.5';

/** RFC 5754 §2.2: id-sha256 (digestAlgorithm, parameters absent). */
export const ID_SHA256 = '2.16.840.1.101.3.4.2.1';
/** RFC 5758 §3.2: ecdsa-with-SHA256 (parameters absent). */
export const ID_ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2';
/** RFC 5480: id-ecPublicKey (the OriginatorPublicKey algorithm; parameters absent, RFC 5753 §7.1.2). */
export const ID_EC_PUBLIC_KEY = '1.2.840.10045.2.1';

/**
 * BSI TR-03111 §5.3.1 ecka-eg-X963KDF-SHA256 (spec notes §3.7, [V, S12]): ECKA-EG with the X9.63
 * KDF over SHA-256. The keyEncryptionAlgorithm of our KeyAgreeRecipientInfo; its parameters are the
 * key-wrap AlgorithmIdentifier (as RFC 5753 §7.1.2 does for its own key-agreement OIDs).
 */
export const ID_ECKA_EG_X963KDF_SHA256 = '0.4.0.127.0.7.1.1.5.1.1.3';
/**
 * SEC 1 / RFC 5753 dhSinglePass-stdDH-sha256kdf-scheme: the same computation (ephemeral-static
 * ECDH, X9.63 KDF with SHA-256 over ECC-CMS-SharedInfo). Accepted when opening, and usable when
 * sealing for interoperability tests with `openssl cms -decrypt` (OpenSSL knows this OID, not
 * the BSI one).
 */
export const ID_DH_SINGLE_PASS_STD_DH_SHA256KDF = '1.3.132.1.11.1';

/** RFC 3565 §2.3.2: id-aes128-wrap (parameters absent). */
export const ID_AES128_WRAP = '2.16.840.1.101.3.4.1.5';
/** RFC 5084 §3.2: id-aes128-GCM (parameters GCMParameters). */
export const ID_AES128_GCM = '2.16.840.1.101.3.4.1.6';
/** RFC 3565 §4.1: id-aes128-CBC (parameters: the 16-byte IV). */
export const ID_AES128_CBC = '2.16.840.1.101.3.4.1.2';
