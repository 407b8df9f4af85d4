/**
 * The keys, in order, of every row of `smgw headend emt readings --json` (helper, not a test
 * file). Scripts rely on them; written here independently of the source's READING_VIEW_FIELDS so
 * the tests catch a change to the printed contract.
 */
export const READING_JSON_FIELDS = [
  'gatewayId',
  'meterId',
  'obis',
  'obisHex',
  'quantity',
  'value',
  'unit',
  'captureTime',
  'targetTime',
  'kind',
  'evaluationProfileId',
  'messageId',
];
