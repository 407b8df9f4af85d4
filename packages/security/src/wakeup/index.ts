export { GATEWAY_ID_LENGTH, GATEWAY_ID_PATTERN, isGatewayId } from '../gateway-id.js';
// Public surface of wakeup/: the wake-up packet codec, the GWA-side signer, the gateway-side verifier.
export {
  assembleWakeupPacket,
  checkGatewayId,
  decodeWakeupPacket,
  encodeWakeupBody,
  SMS_MAX_OCTETS,
  WAKEUP_BODY_LENGTH,
  WAKEUP_MAGIC,
  WAKEUP_MAX_LENGTH,
  WAKEUP_VERSION,
  type WakeupBodyFields,
  type WakeupFields,
  type WakeupPacket,
  wakeupPacketLength,
} from './wakeup-packet.js';
export { signWakeupPacket } from './wakeup-signer.js';
export {
  DEFAULT_WAKEUP_WINDOW_MS,
  WakeupVerifier,
  type WakeupVerifierConfig,
  type WakeupVerifierState,
} from './wakeup-verifier.js';
