// The /han/v1 handlers on hostile queries (property): a JSON answer or a HanError, nothing else.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import type { HanAccount } from '@opensmgw/protocol';
import fc from 'fast-check';
import { HAN_ACCESS, HAN_ENDPOINTS } from '../src/han/han-access.js';
import { HAN_HANDLERS } from '../src/han/han-api.js';
import { openGatewayStore } from '../src/store/gateway-store.js';
import { ENERGY, meterProfile } from './fixtures/store-fixtures.js';

const account: HanAccount = {
  userId: 'consumer-a',
  role: 'consumer',
  usagePointIds: ['UP-A'],
  meterIds: ['ELS-00000001'],
  digestHa1: '0'.repeat(32),
};

describe('HAN API handlers', () => {
  test('hostile query strings give an answer or SMGW_HAN_BAD_REQUEST / SMGW_HAN_NOT_FOUND (property)', () => {
    const store = openGatewayStore(':memory:');
    try {
      store.putMeterProfile({ ...meterProfile('ELS-00000001'), usagePointId: 'UP-A' });
      const key = fc.constantFrom('meter', 'obis', 'from', 'to', 'database', 'count', 'x');
      const value = fc.oneof(
        fc.string(),
        fc.constantFrom(
          'ELS-00000001',
          'ELS-00000002',
          ENERGY,
          'derived',
          'daily',
          '0',
          '1500',
          '1501',
          '2026-11-01T00:00:00Z',
        ),
        fc.integer({ min: 0, max: 4e12 }).map(String),
      );
      fc.assert(
        fc.property(
          fc.constantFrom(...Object.values(HAN_HANDLERS)),
          fc.array(fc.tuple(key, value), { maxLength: 6 }),
          (handler, pairs) => {
            try {
              const r = handler({
                account,
                authenticatedBy: 'digest',
                query: new URLSearchParams(pairs),
                store,
                systemState: () => ({}),
                gatewayId: 'EOSM0100000001',
              });
              assert.ok(r !== null && typeof r === 'object');
            } catch (e) {
              assert.ok(
                ['SMGW_HAN_BAD_REQUEST', 'SMGW_HAN_NOT_FOUND'].includes((e as { code?: string }).code ?? ''),
                String(e),
              );
            }
          },
        ),
        { numRuns: 1000 },
      );
    } finally {
      store.close();
    }
  });
});

describe('OpenAPI document', () => {
  test('docs/han-openapi.json describes every endpoint with the roles of the access table', () => {
    const doc = JSON.parse(readFileSync(new URL('../../../docs/han-openapi.json', import.meta.url), 'utf8')) as {
      paths: Record<string, { get: { 'x-opensmgw-roles': string[] } }>;
    };
    assert.deepEqual(Object.keys(doc.paths).sort(), [...HAN_ENDPOINTS].sort());
    for (const e of HAN_ENDPOINTS) {
      assert.deepEqual([...doc.paths[e]!.get['x-opensmgw-roles']].sort(), Object.keys(HAN_ACCESS[e]).sort(), e);
    }
  });
});
