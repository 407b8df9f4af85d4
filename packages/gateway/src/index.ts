// The Smart Meter Gateway (DESIGN.md): lmn/ meters in, core/ TAFs, time, states and flow
// control, store/ SQLite, wan/ wake-up, administration and deliveries. `Gateway` composes them.
export * from './bootstrap.js';
export { FLOW_TABLE, FlowControl, FlowError } from './core/flow-control.js';
export { GatewayTime, SYSTEMTIME_INVALID } from './core/gateway-time.js';
export { OperatingState, type OperatingStateName } from './core/operating-state.js';
export { RateLimitedEventLog } from './core/rate-limited-log.js';
export { TafEngine } from './core/taf-engine.js';
export { Gateway, type GatewayAddresses, type GatewayOptions } from './gateway.js';
export * from './han/cls-index.js';
export * from './han/index.js';
export { UdpRadioReceiver } from './lmn/radio-udp.js';
export { SmlMeterServer } from './lmn/sml-meter-server.js';
export { type RadioFrame, WmbusIngest } from './lmn/wmbus-ingest.js';
export * from './store/index.js';
export * from './wan/index.js';
