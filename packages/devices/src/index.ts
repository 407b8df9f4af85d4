// The device simulators (docs/wire-protocols.md): wM-Bus meters on a simulated radio (UDP), an
// SML-over-TLS meter, and the consumption curves behind them. They meet the gateway only on the
// wire.

export { ClsDevice, type ClsDeviceOptions, type ClsDeviceTarget } from './cls-device.js';
export {
  ConsumptionCurve,
  type ConsumptionCurveOptions,
  type ConsumptionReading,
  isMedium,
  MEDIA,
  type Medium,
  type Quantity,
  type RegisterValue,
} from './consumption.js';
export {
  COUNTER_STATE_FORMAT,
  type CounterStore,
  FileCounterStore,
  MemoryCounterStore,
  parseCounterState,
} from './counter-store.js';
export { DevicesError, type DevicesErrorCode } from './errors.js';
export { type RadioSender, type RadioTarget, radioTarget, UdpRadioSender } from './radio.js';
export { checkSeed, hashUnit, SeededRandom } from './seeded-random.js';
export { JsonlSentLog, type SentLog } from './sent-log.js';
export { obisOf, type SentValue, sentValuesOf } from './sent-value.js';
export {
  DEFAULT_SML_BACKOFF,
  defaultServerId,
  type SmlMeterBackoff,
  type SmlMeterConnectionEvent,
  SmlTlsMeter,
  type SmlTlsMeterOptions,
} from './sml-meter.js';
export {
  type FleetConfig,
  type FleetMeterConfig,
  type FleetSent,
  type GeneratedMeter,
  type GeneratedTelegrams,
  type GenerateTelegramsOptions,
  generateTelegrams,
  MAX_FLEET_CONFIG_BYTES,
  MAX_FLEET_METERS,
  parseFleetConfig,
  WmbusFleet,
  type WmbusFleetOptions,
} from './wmbus-fleet.js';
export {
  DEVICE_TYPE,
  type MeterTelegram,
  recordsOf,
  type WmbusMeterOptions,
  WmbusMeterSimulator,
} from './wmbus-meter.js';
