/**
 * The gateway's ID, one rule for every part of the package (PKI subject names, wake-up packets).
 * The DKE/FLAG device IDs seen in the field are `EXXX0012345678` and `ethe0300004261` (spec notes
 * §7.2 [I]): E (either case), a 3-letter manufacturer flag, 10 digits. The normative definition
 * was not available [M]; the two field examples fix this pattern.
 */
export const GATEWAY_ID_LENGTH = 14;
export const GATEWAY_ID_PATTERN = /^[Ee][A-Za-z]{3}[0-9]{10}$/;

export function isGatewayId(id: unknown): id is string {
  return typeof id === 'string' && GATEWAY_ID_PATTERN.test(id);
}
