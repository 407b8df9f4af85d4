export { aesCmac, CmacKey } from './aes-cmac.js';
export {
  ByteReader,
  bytesEqual,
  concatBytes,
  fromHex,
  readUIntBE,
  readUIntLE,
  reversed,
  timingSafeEqualBytes,
  toHex,
  zeroize,
} from './bytes.js';
export { type Clock, FakeClock, systemClock, type TimerClock, type TimerHandle } from './clock.js';
export {
  CoreError,
  type CoreErrorCode,
  isSmgwError,
  SmgwError,
  toSmgwError,
} from './errors.js';
export {
  createJsonLogger,
  type LogFields,
  type Logger,
  type LogLevel,
  redact,
  silentLogger,
} from './logger.js';
