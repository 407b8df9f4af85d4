import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isSmgwError, SmgwError } from '@opensmgw/core';
import { encodeError, malformed, SmlError, truncated } from '../src/errors.js';

describe('SmlError', () => {
  it('is an SmgwError with a stable code and machine-readable detail', () => {
    const e = truncated('TL field', 2, 10, 1);
    assert.ok(e instanceof SmgwError);
    assert.ok(isSmgwError(e));
    assert.equal(e.code, 'SMGW_SML_TRUNCATED');
    assert.equal(e.name, 'SmlError');
    assert.deepEqual(e.detail, { what: 'TL field', need: 2, offset: 10, available: 1 });
    assert.deepEqual(JSON.parse(JSON.stringify(e)).code, 'SMGW_SML_TRUNCATED');
    assert.equal(malformed('x', { offset: 1 }).code, 'SMGW_SML_MALFORMED');
    assert.equal(encodeError('y').code, 'SMGW_SML_ENCODE');
    assert.equal(new SmlError('SMGW_SML_CRC', 'z').code, 'SMGW_SML_CRC');
  });
});
