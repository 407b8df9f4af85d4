// The CLS proxy (IF_GW_CLS, spec notes §9.2): the transparent channel between CLS devices in
// the HAN and their active EMT, its profiles and the GWA's jobs for it.
export {
  CLS_JOB_TYPES,
  type ClsJob,
  type ClsJobResult,
  createClsJobHandler,
  isClsJob,
} from './cls-admin.js';
export { ClsError, type ClsErrorCode } from './cls-errors.js';
export {
  CLS_PROFILES_STATE_KEY,
  type ClsProfileStore,
  ClsProfiles,
  clsCertificateFingerprint,
  MAX_CLS_PROFILES,
} from './cls-profiles.js';
export { type ClsChannelInfo, type ClsInitiator, ClsProxy, type ClsProxyOptions } from './cls-proxy.js';
