/**
 * The logger facade. Components log through this narrow interface so the operator's backend
 * (pino in the servers, nothing in codecs and tests) is chosen at the edge. Structured fields
 * only; never pass keys, PINs or passwords (see `redact`).
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Readonly<Record<string, unknown>>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  child(bindings: LogFields): Logger;
}

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Field names whose values are never written, whatever a caller passes. */
const SECRET_FIELD = /key|pin|password|secret|token|private/i;

export function redact(fields: LogFields): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) out[k] = SECRET_FIELD.test(k) ? '[redacted]' : v;
  return out;
}

export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return silentLogger;
  },
};

/** One JSON object per line to a sink (stderr by default), at or above `level`. */
export function createJsonLogger(
  options: { level?: LogLevel; sink?: (line: string) => void; bindings?: LogFields; now?: () => number } = {},
): Logger {
  const min = LEVELS[options.level ?? 'info'];
  const sink = options.sink ?? ((line: string) => process.stderr.write(`${line}\n`));
  const now = options.now ?? Date.now;
  const bindings = options.bindings ?? {};
  const emit = (level: LogLevel, msg: string, fields?: LogFields): void => {
    if (LEVELS[level] < min) return;
    sink(
      JSON.stringify({ time: new Date(now()).toISOString(), level, msg, ...redact(bindings), ...redact(fields ?? {}) }),
    );
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (b) => createJsonLogger({ ...options, bindings: { ...bindings, ...b } }),
  };
}
