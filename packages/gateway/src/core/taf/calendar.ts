/**
 * Local-time arithmetic for the TAFs (spec notes §6): registration rasters start at local
 * midnight of the evaluation profile's time zone, TAF 6 days end at local midnight, monthly
 * billing periods end at local midnight of the 1st. Built on Intl only (no time-zone tables of
 * our own), so DST days have 23 or 25 hours exactly as the zone says.
 */

export interface LocalParts {
  readonly year: number;
  /** 1..12 */
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  /** 0 = Monday .. 6 = Sunday (the evaluation profile's weekday order). */
  readonly weekday: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      weekday: 'short',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

const WEEKDAYS: Readonly<Record<string, number>> = { Mon: 0, Tue: 1, Wed: 2, Thu: 3, Fri: 4, Sat: 5, Sun: 6 };

/**
 * Recent conversions. formatToParts costs ~10 µs, and a TAF run asks the same instants again
 * for every profile on the same raster (10,000 meters: the bench's stage C spent 80 % of its time
 * here). Bounded: cleared when full.
 */
const partsCache = new Map<string, LocalParts>();
const PARTS_CACHE_SIZE = 8192;

export function localParts(ms: number, timeZone: string): LocalParts {
  const key = `${timeZone}|${ms}`;
  const hit = partsCache.get(key);
  if (hit !== undefined) return hit;
  const parts = computeLocalParts(ms, timeZone);
  if (partsCache.size >= PARTS_CACHE_SIZE) partsCache.clear();
  partsCache.set(key, parts);
  return parts;
}

function computeLocalParts(ms: number, timeZone: string): LocalParts {
  const p: Record<string, string> = {};
  for (const part of formatter(timeZone).formatToParts(ms)) p[part.type] = part.value;
  return {
    year: Number(p.year),
    month: Number(p.month),
    day: Number(p.day),
    hour: Number(p.hour),
    minute: Number(p.minute),
    second: Number(p.second),
    weekday: WEEKDAYS[p.weekday ?? ''] ?? 0,
  };
}

/** "YYYY-MM-DD" of the local date at `ms` (special days are given so). */
export function localDate(ms: number, timeZone: string): string {
  const p = localParts(ms, timeZone);
  return `${String(p.year).padStart(4, '0')}-${String(p.month).padStart(2, '0')}-${String(p.day).padStart(2, '0')}`;
}

/** UTC offset (local − UTC) in ms at instant `ms`. */
function offsetAt(ms: number, timeZone: string): number {
  const p = localParts(ms, timeZone);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return asUtc - Math.floor(ms / 1000) * 1000;
}

/**
 * The instant of local wall time y-m-d h:mi in `timeZone` (month may overflow: 13 = January of
 * the next year). A time in a DST gap is shifted forward by the gap; an ambiguous time (the
 * repeated hour in autumn) to its first occurrence.
 */
export function zonedTime(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  timeZone: string,
): number {
  const guess = Date.UTC(year, month - 1, day, hour, minute);
  // Offsets before and after; trying the earlier candidate first picks the first occurrence.
  const candidates = [guess - offsetAt(guess - 86_400_000, timeZone), guess - offsetAt(guess + 86_400_000, timeZone)];
  candidates.sort((a, b) => a - b);
  for (const c of candidates) if (c + offsetAt(c, timeZone) === guess) return c;
  // In a gap the wall time does not exist: shift it forward by the gap (Temporal's "compatible"),
  // so 02:30 on a spring day in Berlin is 03:30 and a midnight in a gap is the day's first instant.
  return candidates[1]!;
}

/** Local midnight that starts the day containing `ms`. */
export function startOfLocalDay(ms: number, timeZone: string): number {
  const p = localParts(ms, timeZone);
  return zonedTime(p.year, p.month, p.day, 0, 0, timeZone);
}

/** Local midnight that starts the day after the one starting at `dayStart`. */
export function nextLocalDay(dayStart: number, timeZone: string): number {
  // Noon of the next day is safely inside it whatever the DST shift.
  const p = localParts(dayStart + 36 * 3_600_000, timeZone);
  return zonedTime(p.year, p.month, p.day, 0, 0, timeZone);
}

/**
 * The first registration raster point strictly after `afterMs`. The raster restarts at every
 * local midnight and steps `periodSeconds` of elapsed time (a 15-minute raster has 92 points
 * on a spring DST day and 100 on an autumn one); the midnight that ends a day is a raster point.
 */
export function nextRasterPoint(afterMs: number, periodSeconds: number, timeZone: string): number {
  const periodMs = periodSeconds * 1000;
  const dayStart = startOfLocalDay(afterMs, timeZone);
  const dayEnd = nextLocalDay(dayStart, timeZone);
  const k = Math.floor((afterMs - dayStart) / periodMs) + 1;
  return Math.min(dayStart + k * periodMs, dayEnd);
}

/** The last registration raster point strictly before `beforeMs`. */
export function previousRasterPoint(beforeMs: number, periodSeconds: number, timeZone: string): number {
  const periodMs = periodSeconds * 1000;
  const dayStart = startOfLocalDay(beforeMs - 1, timeZone);
  const k = Math.floor((beforeMs - 1 - dayStart) / periodMs);
  return dayStart + k * periodMs;
}

/** Raster points t with fromMs < t ≤ toMs, ascending, at most `limit`. */
export function rasterPoints(
  fromMs: number,
  toMs: number,
  periodSeconds: number,
  timeZone: string,
  limit = 100_000,
): number[] {
  const out: number[] = [];
  for (let t = nextRasterPoint(fromMs, periodSeconds, timeZone); t <= toMs && out.length < limit; ) {
    out.push(t);
    t = nextRasterPoint(t, periodSeconds, timeZone);
  }
  return out;
}
