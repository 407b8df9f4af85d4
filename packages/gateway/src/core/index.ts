// The gateway core: legal time, operating states, information-flow control, event logging and
// the metrological TAFs (spec notes §5.1, §5.5, §6, §10, §11).
export type { EventLog, EventRecord } from './event-log.js';
export {
  FLOW_TABLE,
  type Flow,
  FlowControl,
  type FlowData,
  type FlowEndpoint,
  FlowError,
  type FlowErrorCode,
  type WanPeer,
  type WanPeers,
} from './flow-control.js';
export { createGatewayCore, type GatewayCore, LegalClock, TIME_STATE_KEY } from './gateway-core.js';
export {
  GatewayTime,
  MAX_DEVIATION_FRACTION,
  SYSTEMTIME_INVALID,
  type SyncResult,
  TimeError,
  type TimeErrorCode,
  type TimeSnapshot,
} from './gateway-time.js';
export {
  type Capability,
  CONDITION_STATE,
  OperatingState,
  type OperatingStateName,
  type SecureCondition,
  STATE_ALLOWS,
} from './operating-state.js';
export { RateLimitedEventLog } from './rate-limited-log.js';
export { evaluatePeriod } from './taf/evaluate.js';
export { nextPeriodEnd } from './taf/periods.js';
export type { TafResult } from './taf/result.js';
export { TAF6_RETENTION_MS } from './taf/taf6.js';
export { messageIdFor, TafEngine, type TafEngineOptions } from './taf-engine.js';
