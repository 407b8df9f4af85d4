// The HAN side of the gateway (spec notes §9): consumer and service-technician HTTPS API.
export { DigestAuthenticator, digestHa1, digestResponse, parseDigestAuthorization } from './digest-auth.js';
export { endpointsOf, HAN_ACCESS, HAN_ENDPOINTS, type HanEndpoint, mayUse } from './han-access.js';
export {
  applyHanAccountJob,
  HAN_ACCOUNTS_STATE_KEY,
  type HanAccountJob,
  HanAccounts,
  MAX_HAN_ACCOUNTS,
} from './han-accounts.js';
export { MAX_LOG_ENTRIES, MAX_RANGE_MS, MAX_READINGS } from './han-api.js';
export { HanError, type HanErrorCode } from './han-errors.js';
export {
  DEFAULT_HAN_REALM,
  type HanRateLimits,
  type HanServer,
  type HanServerOptions,
  startHanServer,
} from './han-server.js';
export type { BucketRule } from './request-limiter.js';
