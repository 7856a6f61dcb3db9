// Budget windows. A calendar window (minute, hour, day, week, month) starts at the boundary of
// its unit in UTC or a fixed offset and resets at the next boundary. A rolling window of length
// L is cut into `slots` equal slots: spend is charged to the slot of its time, and what counts
// is the sum of the last `slots` slots, so the window moves one slot at a time (a sliding
// window whose resolution is L / slots) and never resets all at once.

export const enum WindowKind {
  Calendar = 0,
  Rolling = 1,
}

export const enum CalendarUnit {
  Minute = 0,
  Hour = 1,
  Day = 2,
  /** ISO weeks: Monday 00:00. */
  Week = 3,
  Month = 4,
}

const MINUTE_MS: i64 = 60_000;
const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 86_400_000;

export class WindowSpec {
  kind: WindowKind = WindowKind.Calendar;
  unit: CalendarUnit = CalendarUnit.Hour;
  /** Calendar: the zone's offset from UTC (e.g. +05:30 → 19 800 000). */
  offsetMs: i64 = 0;
  /** Rolling: the window's length and its slot count (slotMs = lengthMs / slots). */
  lengthMs: i64 = HOUR_MS;
  slots: i32 = 1;
  slotMs: i64 = HOUR_MS;

  /** Ring slots a ledger entry keeps: 1 for calendar windows. */
  get ringSize(): i32 { return this.kind == WindowKind.Calendar ? 1 : this.slots; }

  /**
   * The bucket `nowMs` falls in: the window's start (calendar) or the absolute slot index
   * (rolling). Monotone in time; equal ids share spend.
   */
  bucketAt(nowMs: i64): i64 {
    if (this.kind == WindowKind.Rolling) return floorDiv(nowMs, this.slotMs);
    return calendarStart(this.unit, this.offsetMs, nowMs);
  }

  /** When the bucket `bucket` stops counting: the calendar reset, or the slot's expiry. */
  bucketExpiresMs(bucket: i64): i64 {
    if (this.kind == WindowKind.Rolling) return (bucket + <i64>this.slots) * this.slotMs;
    return calendarEnd(this.unit, this.offsetMs, bucket);
  }

  /** The window length a client is told about (x-ratelimit-* and the rate-limit service unit). */
  nominalMs(): i64 {
    if (this.kind == WindowKind.Rolling) return this.lengthMs;
    switch (this.unit) {
      case CalendarUnit.Minute: return MINUTE_MS;
      case CalendarUnit.Hour: return HOUR_MS;
      case CalendarUnit.Day: return DAY_MS;
      case CalendarUnit.Week: return 7 * DAY_MS;
      default: return 30 * DAY_MS;
    }
  }
}

export function floorDiv(a: i64, b: i64): i64 {
  const q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/** Start (UTC ms) of the calendar window holding `nowMs` in a zone `offsetMs` from UTC. */
export function calendarStart(unit: CalendarUnit, offsetMs: i64, nowMs: i64): i64 {
  const local = nowMs + offsetMs;
  switch (unit) {
    case CalendarUnit.Minute: return floorDiv(local, MINUTE_MS) * MINUTE_MS - offsetMs;
    case CalendarUnit.Hour: return floorDiv(local, HOUR_MS) * HOUR_MS - offsetMs;
    case CalendarUnit.Day: return floorDiv(local, DAY_MS) * DAY_MS - offsetMs;
    case CalendarUnit.Week: {
      // 1970-01-01 was a Thursday: day 0 is 3 days after a Monday.
      const days = floorDiv(local, DAY_MS);
      return (days - floorMod(days + 3, 7)) * DAY_MS - offsetMs;
    }
    default: {
      const days = floorDiv(local, DAY_MS);
      civilFromDays(days);
      return daysFromCivil(civilYear, civilMonth, 1) * DAY_MS - offsetMs;
    }
  }
}

/** End (exclusive, UTC ms) of the calendar window that starts at `startMs`. */
export function calendarEnd(unit: CalendarUnit, offsetMs: i64, startMs: i64): i64 {
  switch (unit) {
    case CalendarUnit.Minute: return startMs + MINUTE_MS;
    case CalendarUnit.Hour: return startMs + HOUR_MS;
    case CalendarUnit.Day: return startMs + DAY_MS;
    case CalendarUnit.Week: return startMs + 7 * DAY_MS;
    default: {
      civilFromDays(floorDiv(startMs + offsetMs, DAY_MS));
      let y = civilYear;
      let m = civilMonth + 1;
      if (m > 12) { m = 1; y++; }
      return daysFromCivil(y, m, 1) * DAY_MS - offsetMs;
    }
  }
}

function floorMod(a: i64, b: i64): i64 {
  return a - floorDiv(a, b) * b;
}

// Proleptic Gregorian date <-> days since 1970-01-01 (the era-based method: 400-year eras of
// 146 097 days, years starting in March so the leap day is last).
let civilYear: i64 = 1970;
let civilMonth: i64 = 1;

function civilFromDays(days: i64): void {
  const z = days + 719468;
  const era = floorDiv(z, 146097);
  const doe = z - era * 146097;
  const yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const mp = (5 * doy + 2) / 153;
  const m = mp < 10 ? mp + 3 : mp - 9;
  civilYear = yoe + era * 400 + (m <= 2 ? 1 : 0);
  civilMonth = m;
}

function daysFromCivil(year: i64, month: i64, day: i64): i64 {
  const y = month <= 2 ? year - 1 : year;
  const era = floorDiv(y, 400);
  const yoe = y - era * 400;
  const mp = month > 2 ? month - 3 : month + 9;
  const doy = (153 * mp + 2) / 5 + day - 1;
  const doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}
