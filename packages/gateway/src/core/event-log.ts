/**
 * The gateway's way to record events: every component gets an EventLog, never the store
 * directly, so flood protection (rate limiting per event and subject, spec: "unknown meters,
 * bad MACs, replays and floods become system-log events (rate-limited)") sits in one place.
 * Implemented in core/rate-limited-log.ts.
 */
import type { LogEntry, LogLevelNumber, LogName, LogOutcome } from '@opensmgw/protocol';

export interface EventRecord {
  readonly level: LogLevelNumber;
  readonly outcome: LogOutcome;
  /** Stable event name (UPPER_SNAKE), e.g. "LMN_REPLAY"; for errors, the SmgwError code minus "SMGW_" is fine. */
  readonly event: string;
  readonly message: string;
  readonly subject?: string;
  readonly user?: string;
}

export interface EventLog {
  /**
   * Records an event in `log`. Returns the entry, or undefined when it was suppressed by the
   * rate limit (the limiter later writes one summary entry "N similar events suppressed").
   */
  record(log: LogName, event: EventRecord): LogEntry | undefined;
}
