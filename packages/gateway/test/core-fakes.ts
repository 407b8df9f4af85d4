/**
 * Small in-memory stand-ins for the parts of the GatewayStore the core/ tests need: a
 * ReadingSource over an array (same conventions as the SQLite store: lastAtOrBefore with
 * notBefore exclusive, between with from exclusive) and a log sink.
 */
import type { LogEntry, LogName } from '@opensmgw/protocol';
import type { GatewayStore, NewLogEntry, NewReading, ReadingSource, StoredReading } from '../src/store/types.js';

export class ArrayReadingSource implements ReadingSource {
  readonly readings: StoredReading[] = [];

  add(r: Partial<Omit<NewReading, 'value'>> & { captureTimeMs: number; value: string | number }): this {
    this.readings.push({
      id: this.readings.length + 1,
      meterId: r.meterId ?? 'M1',
      obis: r.obis ?? '0100010800ff',
      value: String(r.value),
      scaler: r.scaler ?? 0,
      unit: r.unit ?? 'Wh',
      captureTimeMs: r.captureTimeMs,
      smgwStatus: r.smgwStatus ?? 0,
      security: r.security ?? 'mode7',
      ...(r.meterStatus === undefined ? {} : { meterStatus: r.meterStatus }),
    });
    return this;
  }

  lastAtOrBefore(meterId: string, obis: string, atMs: number, notBeforeMs?: number): StoredReading | undefined {
    let best: StoredReading | undefined;
    for (const r of this.readings) {
      if (r.meterId !== meterId || r.obis !== obis || r.captureTimeMs > atMs) continue;
      if (notBeforeMs !== undefined && r.captureTimeMs <= notBeforeMs) continue;
      if (
        best === undefined ||
        r.captureTimeMs > best.captureTimeMs ||
        (r.captureTimeMs === best.captureTimeMs && r.id > best.id)
      )
        best = r;
    }
    return best;
  }

  between(meterId: string, obis: string, fromMs: number, toMs: number, limit: number): StoredReading[] {
    return this.readings
      .filter((r) => r.meterId === meterId && r.obis === obis && r.captureTimeMs > fromMs && r.captureTimeMs <= toMs)
      .sort((a, b) => a.captureTimeMs - b.captureTimeMs || a.id - b.id)
      .slice(0, limit);
  }
}

export interface LoggedEntry extends NewLogEntry {
  readonly log: LogName;
  readonly timeMs: number;
}

/** Records appendLog calls; enough for RateLimitedEventLog. */
export class LogSink implements Pick<GatewayStore, 'appendLog'> {
  readonly entries: LoggedEntry[] = [];

  appendLog(log: LogName, entry: NewLogEntry, timeMs: number): LogEntry {
    this.entries.push({ ...entry, log, timeMs });
    const index = this.entries.filter((e) => e.log === log).length;
    return {
      log,
      index,
      time: new Date(timeMs).toISOString(),
      level: entry.level,
      outcome: entry.outcome,
      event: entry.event,
      message: entry.message,
      ...(entry.subject === undefined ? {} : { subject: entry.subject }),
      ...(entry.user === undefined ? {} : { user: entry.user }),
      prevHash: '0'.repeat(64),
      hash: '0'.repeat(64),
    };
  }

  events(log?: LogName): string[] {
    return this.entries.filter((e) => log === undefined || e.log === log).map((e) => e.event);
  }
}
