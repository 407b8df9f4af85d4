/**
 * pkcs11js exceptions -> SecurityModuleError with a stable code. The table is data: a CKR_* name
 * maps to our code and a hint for the operator. Messages name the PKCS#11 function and the CKR_*
 * value, never arguments (a PIN passed to C_Login must not reach a log).
 */
import { isSmgwError } from '@opensmgw/core';
import { SecurityModuleError, type SecurityModuleErrorCode } from '../errors.js';

interface CkrMapping {
  readonly code: SecurityModuleErrorCode;
  readonly hint?: string;
}

const CKR_TABLE: Readonly<Record<string, CkrMapping>> = {
  CKR_PIN_INCORRECT: { code: 'SMGW_SM_WRONG_PIN', hint: 'the user PIN is wrong' },
  CKR_PIN_INVALID: { code: 'SMGW_SM_WRONG_PIN', hint: 'the user PIN has characters the token refuses' },
  CKR_PIN_LEN_RANGE: { code: 'SMGW_SM_WRONG_PIN', hint: 'the user PIN is too short or too long for the token' },
  CKR_PIN_EXPIRED: { code: 'SMGW_SM_WRONG_PIN', hint: 'the user PIN has expired; set a new one' },
  CKR_PIN_LOCKED: { code: 'SMGW_SM_WRONG_PIN', hint: 'the user PIN is locked; the security officer must reset it' },
  CKR_USER_PIN_NOT_INITIALIZED: { code: 'SMGW_SM_WRONG_PIN', hint: 'the token has no user PIN yet' },
  CKR_MECHANISM_INVALID: { code: 'SMGW_SM_BAD_ARGUMENT', hint: 'the token does not offer this mechanism' },
  CKR_CURVE_NOT_SUPPORTED: { code: 'SMGW_SM_BAD_ARGUMENT', hint: 'the token does not offer this curve' },
  CKR_DOMAIN_PARAMS_INVALID: { code: 'SMGW_SM_BAD_ARGUMENT', hint: 'the token does not offer this curve' },
  CKR_TOKEN_NOT_PRESENT: { code: 'SMGW_SM_BACKEND', hint: 'the token was removed' },
  CKR_DEVICE_REMOVED: { code: 'SMGW_SM_BACKEND', hint: 'the token was removed' },
  CKR_DEVICE_MEMORY: { code: 'SMGW_SM_BACKEND', hint: 'the token is full' },
  CKR_SESSION_HANDLE_INVALID: { code: 'SMGW_SM_BACKEND', hint: 'the session was closed under us' },
  CKR_SESSION_CLOSED: { code: 'SMGW_SM_BACKEND', hint: 'the session was closed under us' },
  CKR_USER_NOT_LOGGED_IN: {
    code: 'SMGW_SM_BACKEND',
    hint: 'the token was logged out under us (another user of the library in this process logged out)',
  },
  CKR_CRYPTOKI_NOT_INITIALIZED: {
    code: 'SMGW_SM_BACKEND',
    hint: 'the library was finalized under us (another user of the library in this process finalized it)',
  },
};

/** The CKR_* name of a pkcs11js Pkcs11Error, or undefined for anything else. */
export function ckrName(e: unknown): string | undefined {
  if (!(e instanceof Error)) return undefined;
  const m = /\b(CKR_[A-Z0-9_]+)\b/.exec(e.message);
  return e.name === 'Pkcs11Error' && m ? m[1] : undefined;
}

/** Wraps anything a pkcs11js call threw; SmgwErrors pass through unchanged. */
export function fromPkcs11Error(e: unknown, operation: string): SecurityModuleError {
  if (isSmgwError(e) && e instanceof SecurityModuleError) return e;
  const ckr = ckrName(e);
  if (ckr !== undefined) {
    const mapped = CKR_TABLE[ckr];
    const hint = mapped?.hint ? `: ${mapped.hint}` : '';
    return new SecurityModuleError(
      mapped?.code ?? 'SMGW_SM_BACKEND',
      `PKCS#11 ${operation} failed with ${ckr}${hint}`,
      {
        cause: e,
        detail: { ckr, operation },
      },
    );
  }
  // NativeError (dlopen, bad function list) or a TypeError from the binding: a backend fault.
  // The message of such errors comes from the binding or the dynamic loader, not from our
  // arguments, so it carries no PIN.
  const message = e instanceof Error ? e.message : String(e);
  return new SecurityModuleError('SMGW_SM_BACKEND', `PKCS#11 ${operation} failed: ${message}`, {
    cause: e,
    detail: { operation },
  });
}
