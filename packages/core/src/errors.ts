/**
 * The one error hierarchy of OpenSMGW.
 *
 * Every error that crosses a module boundary is an `SmgwError` with a stable string `code`
 * (`SMGW_<AREA>_<WHAT>`). Codes are what logs, APIs and the CLI report; messages are for humans
 * and may change. Subclasses narrow `code` to the codes of their area so a `switch` over it is
 * exhaustive.
 */
export class SmgwError<C extends string = string> extends Error {
  readonly code: C;
  /** Machine-readable context (offsets, ids, lengths). Never secrets or key material. */
  readonly detail: Readonly<Record<string, unknown>>;

  constructor(code: C, message: string, options: { cause?: unknown; detail?: Record<string, unknown> } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.detail = Object.freeze({ ...(options.detail ?? {}) });
  }

  override get name(): string {
    return this.constructor.name;
  }

  toJSON(): { code: C; message: string; detail?: Record<string, unknown> } {
    return Object.keys(this.detail).length > 0
      ? { code: this.code, message: this.message, detail: { ...this.detail } }
      : { code: this.code, message: this.message };
  }
}

/** True for any `SmgwError` (also across duplicated module instances, by shape). */
export function isSmgwError(e: unknown): e is SmgwError {
  if (e instanceof SmgwError) return true;
  const code = e instanceof Error ? (e as Error & { code?: unknown }).code : undefined;
  return typeof code === 'string' && code.startsWith('SMGW_');
}

/** Codes owned by `core` itself. */
export type CoreErrorCode =
  | 'SMGW_CORE_BAD_HEX'
  | 'SMGW_CORE_TRUNCATED'
  | 'SMGW_CORE_BAD_ARGUMENT'
  | 'SMGW_CORE_INTERNAL';

export class CoreError extends SmgwError<CoreErrorCode> {}

/**
 * Wraps anything thrown into an `SmgwError`: a decoder's last line of defence so a bug becomes
 * `SMGW_CORE_INTERNAL` (reported, logged) instead of a crash. Property tests assert that this
 * wrapper is never needed.
 */
export function toSmgwError(e: unknown): SmgwError {
  if (isSmgwError(e)) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new CoreError('SMGW_CORE_INTERNAL', `internal error: ${message}`, { cause: e });
}
